"""LoRA adapters from local files, each with its weight (diffusers' PEFT integration)."""

from __future__ import annotations

import pickle
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import torch
from diffusers import DiffusionPipeline
from safetensors import SafetensorError
from safetensors.torch import load_file

from generator.backends.stable_diffusion.errors import CheckpointNotFound, NotACheckpoint


def read_lora(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a LoRA file; read here so that diffusers never goes looking for it on a hub."""
    if not path.is_file():
        raise CheckpointNotFound(f"LoRA file {path} does not exist")
    try:
        if path.suffix == ".safetensors":
            return load_file(str(path))
        if zipfile.is_zipfile(path) or path.suffix in (".bin", ".pt", ".pth", ".ckpt"):
            state = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(state, dict):
                return state
    except (SafetensorError, OSError, RuntimeError, ValueError, pickle.UnpicklingError) as exc:
        raise NotACheckpoint(f"LoRA file {path} cannot be read: {exc}") from exc
    raise NotACheckpoint(f"LoRA file {path} is not a .safetensors or PyTorch weights file")


def adapter_name(index: int, path: Path) -> str:
    return f"lora{index}_" + re.sub(r"[^A-Za-z0-9_]", "_", path.stem)[:40]


def apply_loras(pipe: DiffusionPipeline, loras: Sequence[tuple[Path, float]]) -> tuple[str, ...]:
    """Load each LoRA as a named adapter and activate them all with their weights."""
    names = []
    for index, (path, _) in enumerate(loras):
        name = adapter_name(index, path)
        try:
            pipe.load_lora_weights(read_lora(path), adapter_name=name)
        except (ValueError, KeyError, RuntimeError) as exc:
            raise NotACheckpoint(f"LoRA file {path} does not fit this model: {exc}") from exc
        loaded = {n for adapters in pipe.get_list_adapters().values() for n in adapters}
        if name not in loaded:
            raise NotACheckpoint(f"LoRA file {path} has no weights for any layer of this model")
        names.append(name)
    if names:
        pipe.set_adapters(names, adapter_weights=[weight for _, weight in loras])
    return tuple(names)
