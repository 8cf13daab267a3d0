"""A model version string from the checkpoint's bytes, cheap enough to compute at every worker start."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

# Large files are sampled: size plus this many 1 MiB pieces spread over the file.
# Fine-tunes change nearly every weight, so the samples tell them apart.
_SAMPLES = 16
_PIECE = 1024 * 1024
_WEIGHT_SUFFIXES = {".safetensors", ".ckpt", ".bin", ".pt", ".pth"}


def _file_digest(path: Path, digest: hashlib._Hash) -> None:
    size = path.stat().st_size
    digest.update(f"{path.name}:{size}".encode())
    with path.open("rb") as handle:
        if size <= _SAMPLES * _PIECE:
            digest.update(handle.read())
            return
        for index in range(_SAMPLES):
            handle.seek((size - _PIECE) * index // (_SAMPLES - 1))
            digest.update(handle.read(_PIECE))


def weight_files(path: Path) -> list[Path]:
    """The files whose bytes make the model: the file itself, or a folder's weights and configs."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and (p.suffix in _WEIGHT_SUFFIXES or p.suffix == ".json"))


def fingerprint(paths: Iterable[Path], extra: str = "") -> str:
    """Hex digest over the weight files of `paths` and `extra` (e.g. LoRA weights)."""
    digest = hashlib.sha256()
    for root in paths:
        for file in weight_files(root):
            digest.update(str(file.relative_to(root) if root.is_dir() else file.name).encode())
            _file_digest(file, digest)
    digest.update(extra.encode())
    return digest.hexdigest()
