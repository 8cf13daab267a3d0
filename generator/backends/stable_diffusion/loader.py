"""Checkpoint on disk -> ready pipeline, without ever reaching a model hub.

Takes a diffusers folder, or one original-layout .safetensors/.ckpt file plus a
local diffusers folder with the configs of its family. Every refusal is a
CheckpointError that names the path and what is wrong with it.
"""

from __future__ import annotations

import json
import logging
import pickle
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
from diffusers import DiffusionPipeline, StableDiffusionPipeline, StableDiffusionXLPipeline
from diffusers.loaders.single_file_utils import SingleFileComponentError
from safetensors import SafetensorError, safe_open

from generator.backends.stable_diffusion.errors import (
    CheckpointError,
    CheckpointNotFound,
    NotACheckpoint,
    UnknownModelType,
)
from generator.backends.stable_diffusion.families import (
    CROSS_ATTENTION_FAMILIES,
    FAMILIES,
    Family,
    FamilyDefaults,
    detect_family,
    read_model_index,
)
from generator.backends.stable_diffusion.fingerprint import fingerprint
from generator.backends.stable_diffusion.lora import apply_loras
from generator.backends.stable_diffusion.options import SDOptions
from generator.backends.stable_diffusion.safety import CheckpointSafetyChecker, load_checkpoint_checker
from generator.backends.stable_diffusion.schedulers import make_scheduler

log = logging.getLogger(__name__)

SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt")
_UNET_PREFIX = "model.diffusion_model."
@dataclass
class LoadedModel:
    pipe: DiffusionPipeline
    family: Family
    defaults: FamilyDefaults
    device: torch.device
    dtype: torch.dtype
    safety_checker: Optional[CheckpointSafetyChecker]
    model_version: str
    adapters: tuple[str, ...] = ()


@contextmanager
def hub_offline() -> Iterator[None]:
    """Make huggingface_hub (and so transformers and diffusers) refuse the network while loading.

    huggingface_hub reads HF_HUB_OFFLINE once at import, so its constant is patched here rather
    than the environment; every load also passes local_files_only=True. The flag is put back
    afterwards, so nothing outside this block changes.
    """
    import huggingface_hub.constants as hub_constants

    saved_flag = hub_constants.HF_HUB_OFFLINE
    hub_constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hub_constants.HF_HUB_OFFLINE = saved_flag


def torch_dtype_for(device: str) -> torch.dtype:
    """Half precision on CUDA (twice as fast, half the memory); float32 elsewhere (CPU has no fast fp16)."""
    return torch.float16 if torch.device(device).type == "cuda" else torch.float32


def inspect_single_file(path: Path) -> Mapping[str, tuple[int, ...]]:
    """Tensor names and shapes of a single-file checkpoint, refusing files that are not one."""
    if path.suffix.lower() not in SINGLE_FILE_SUFFIXES:
        raise NotACheckpoint(f"{path} is not a checkpoint file: expected a .safetensors or .ckpt file")
    shapes: dict[str, tuple[int, ...]] = {}
    try:
        if path.suffix.lower() == ".safetensors":
            with safe_open(str(path), framework="pt") as handle:  # reads the header only
                for key in handle.keys():
                    shapes[key] = tuple(handle.get_slice(key).get_shape())
        else:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(path))
            while isinstance(state, dict) and "state_dict" in state:
                state = state["state_dict"]
            if not isinstance(state, dict):
                raise NotACheckpoint(f"{path} holds a {type(state).__name__}, not a dictionary of weights")
            shapes = {k: tuple(v.shape) for k, v in state.items() if isinstance(v, torch.Tensor)}
    except pickle.UnpicklingError as exc:
        raise NotACheckpoint(
            f"{path} is not a readable checkpoint file: it is damaged, or a pickle holding more than weights "
            "(such files can run code, so they are refused; convert it to .safetensors)"
        ) from exc
    except (SafetensorError, OSError, RuntimeError, ValueError, EOFError) as exc:
        raise NotACheckpoint(f"{path} is not a readable checkpoint file: {_first_line(exc)}") from exc
    if not any(key.startswith(_UNET_PREFIX) for key in shapes):
        raise NotACheckpoint(
            f"{path} has no Stable Diffusion UNet weights ({_UNET_PREFIX}*): it may be a LoRA, a VAE or "
            "an embedding rather than a full checkpoint, or a diffusers-layout file (use its folder instead)"
        )
    return shapes


def _cross_attention_width(shapes: Mapping[str, tuple[int, ...]]) -> Optional[int]:
    for key, shape in shapes.items():
        if key.startswith(_UNET_PREFIX) and key.endswith("attn2.to_k.weight") and len(shape) == 2:
            return shape[1]
    return None


def _check_matches_config(path: Path, shapes: Mapping[str, tuple[int, ...]], config_dir: Path) -> None:
    """Refuse a file whose text conditioning does not fit the config folder (e.g. SDXL weights, SD 1.5 configs)."""
    width = _cross_attention_width(shapes)
    unet_config = config_dir / "unet" / "config.json"
    if width is None or not unet_config.is_file():
        return
    expected = json.loads(unet_config.read_text(encoding="utf-8")).get("cross_attention_dim")
    if isinstance(expected, int) and expected != width:
        found = CROSS_ATTENTION_FAMILIES.get(width, "an unknown model type")
        wanted = CROSS_ATTENTION_FAMILIES.get(expected, "another model type")
        raise UnknownModelType(
            f"{path} looks like {found} ({width}-wide text conditioning) but the config folder {config_dir} "
            f"is for {wanted} ({expected}-wide): set AVATARBOT_SD_CONFIG_DIR to a folder of the same family"
        )


def _weights_variant(folder: Path) -> Optional[str]:
    """ "fp16" for folders that ship only half-precision weights (as many SDXL downloads do)."""
    unet = folder / "unet"
    plain = [*unet.glob("diffusion_pytorch_model.safetensors"), *unet.glob("diffusion_pytorch_model.bin")]
    return "fp16" if not plain and any(unet.glob("diffusion_pytorch_model.fp16.*")) else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_model(options: SDOptions) -> LoadedModel:
    """Load the checkpoint of `options` with its scheduler, LoRAs and device settings."""
    source = Path(options.checkpoint)
    if not source.exists():
        raise CheckpointNotFound(f"Stable Diffusion checkpoint {source} does not exist")
    single_file = source.is_file()
    if single_file:
        if options.config_dir is None:
            raise UnknownModelType(
                f"{source} is a single-file checkpoint: set AVATARBOT_SD_CONFIG_DIR to a local diffusers "
                "folder of the same family (its model_index.json, unet/, vae/, text_encoder/, tokenizer/ configs)"
            )
        config_root = Path(options.config_dir)
        if not config_root.is_dir():
            raise CheckpointNotFound(f"config folder {config_root} does not exist")
        shapes = inspect_single_file(source)
        _check_matches_config(source, shapes, config_root)
    else:
        config_root = source
    index = read_model_index(config_root)
    family = detect_family(index, names=(source.name, config_root.name), override=options.family)
    defaults = FAMILIES[family]
    dtype = torch_dtype_for(options.device)
    pipeline_class = StableDiffusionXLPipeline if defaults.xl else StableDiffusionPipeline
    # The safety checker is run by the backend (it flags, never blacks out), so the pipeline gets none.
    no_checker = {} if defaults.xl else {"safety_checker": None, "feature_extractor": None}
    try:
        with hub_offline():
            if single_file:
                pipe = pipeline_class.from_single_file(
                    str(source), config=str(config_root), local_files_only=True, dtype=dtype, **no_checker
                )
            else:
                pipe = pipeline_class.from_pretrained(
                    str(source), local_files_only=True, dtype=dtype, variant=_weights_variant(source), **no_checker
                )
            checker = load_checkpoint_checker(config_root, options.device, dtype)
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, SafetensorError, SingleFileComponentError) as exc:
        raise NotACheckpoint(f"{source} cannot be loaded as a {defaults.label} checkpoint: {_first_line(exc)}") from exc
    if options.scheduler:
        pipe.scheduler = make_scheduler(options.scheduler, pipe.scheduler.config)
    adapters = apply_loras(pipe, options.loras)
    if torch.device(options.device).type != "cpu":  # loading put it on the CPU already
        pipe.to(options.device)
    if options.channels_last:
        pipe.unet.to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
    if options.compile:
        pipe.unet.compile()
    pipe.set_progress_bar_config(disable=True)
    lora_part = ";".join(f"{path.name}={weight:g}" for path, weight in options.loras)
    roots = [source] + ([config_root] if single_file else []) + [path for path, _ in options.loras]
    digest = fingerprint(roots, extra=lora_part)
    name = (source.stem if single_file else source.name)[:40]
    log.info("loaded %s checkpoint %s on %s (%s)", defaults.label, source, options.device, dtype)
    return LoadedModel(
        pipe=pipe,
        family=family,
        defaults=defaults,
        device=torch.device(options.device),
        dtype=dtype,
        safety_checker=checker,
        model_version=f"{family}/{name}@{digest[:12]}" + (f"+{len(adapters)}lora" if adapters else ""),
        adapters=adapters,
    )
