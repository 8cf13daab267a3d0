"""On-disk layout of the data set and the loader the trainer imports.

    ROOT/manifest.json                    versions, vocabulary, split sizes and seed ranges
    ROOT/<split>/<shard>.svg.jsonl.xz     one JSON line per sample: seed, labels, options, svg
    ROOT/<split>/<shard>.<size>px.npz     images uint8 N×size×size×3, tokens int64 N×8, seeds int64 N

Shards hold SHARD_SIZE consecutive samples of a split (the last one may hold fewer).
Every file is written under a temporary name and renamed, so a file that exists is complete.
"""

from __future__ import annotations

import json
import lzma
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from core.vocabulary import ATTRIBUTES, VOCABULARY

SHARD_SIZE = 1000
SPLITS = ("train", "val", "test")
MANIFEST = "manifest.json"
_IMAGE_FILE = re.compile(r"^(\d{5})\.(\d+)px\.npz$")
_SVG_FILE = re.compile(r"^(\d{5})\.svg\.jsonl\.xz$")


class DatasetMissing(FileNotFoundError):
    """The data set (or the asked-for split or size) has not been rendered."""


def svg_path(root: Path, split: str, shard: int) -> Path:
    return Path(root) / split / f"{shard:05d}.svg.jsonl.xz"


def image_path(root: Path, split: str, shard: int, size: int) -> Path:
    return Path(root) / split / f"{shard:05d}.{size}px.npz"


def shard_ranges(count: int) -> list[tuple[int, int]]:
    """(first index, number of samples) of each shard of a split holding `count` samples."""
    return [(start, min(SHARD_SIZE, count - start)) for start in range(0, count, SHARD_SIZE)]


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write through a temporary file and rename it, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_svg_shard(path: Path, records: Iterable[dict[str, Any]]) -> None:
    def write(handle: IO[bytes]) -> None:
        with lzma.open(handle, "wt", encoding="utf-8", preset=6) as out:
            for record in records:
                out.write(json.dumps(record, separators=(",", ":")) + "\n")

    write_atomic(path, write)


def read_svg_shard(path: Path) -> list[dict[str, Any]]:
    with lzma.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_image_shard(path: Path, images: np.ndarray, tokens: np.ndarray, seeds: np.ndarray) -> None:
    # Uncompressed: the trainer loads these many times, and zlib would cost more time than disk.
    write_atomic(path, lambda handle: np.savez(handle, images=images, tokens=tokens, seeds=seeds))


def shard_rows(path: Path) -> int:
    """Number of samples in an image shard, without reading its pixels."""
    with np.load(path) as data:
        return int(data["seeds"].shape[0])


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    write_atomic(Path(root) / MANIFEST, lambda handle: handle.write(text.encode("utf-8")))


def read_manifest(root: Path) -> dict[str, Any]:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise DatasetMissing(f"no DiceBear data set at {root} (missing {MANIFEST}); render it first")
    return json.loads(path.read_text(encoding="utf-8"))


def vocabulary_record() -> dict[str, list[str]]:
    return {a: list(VOCABULARY.values[a]) for a in ATTRIBUTES}


def image_shards(root: Path, split: str, size: int) -> list[Path]:
    """Consecutive complete image shards of a split at one size, in sample order."""
    folder = Path(root) / split
    found = {}
    if folder.is_dir():
        for entry in folder.iterdir():
            match = _IMAGE_FILE.match(entry.name)
            if match and int(match.group(2)) == size:
                found[int(match.group(1))] = entry
    shards = []
    # Stop at the first gap: a resumed render fills shards in order, so later ones are stale.
    while len(shards) in found:
        shards.append(found[len(shards)])
    return shards


def svg_shards(root: Path, split: str) -> Iterator[tuple[int, Path]]:
    folder = Path(root) / split
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir()):
        match = _SVG_FILE.match(entry.name)
        if match:
            yield int(match.group(1)), entry


def load_split(
    root: str | os.PathLike[str], split: str, size: int = 128, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load a split into memory: (uint8 images N×size×size×3, int64 tokens N×8).

    Tokens are core.vocabulary token ids, one per ATTRIBUTE (never 0: every sample is fully
    labelled). `limit` keeps only the first samples. Everything rendered so far is loaded,
    so this also works while a render is still running.
    """
    root = Path(root)
    manifest = read_manifest(root)
    if manifest.get("vocabulary") != vocabulary_record():
        raise DatasetMissing(
            f"the data set at {root} was rendered with another vocabulary; render it again "
            "(its tokens would not match core.vocabulary)"
        )
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    shards = image_shards(root, split, size)
    if not shards:
        raise DatasetMissing(f"no {size}px images of the {split} split under {root}; render or rasterise them")
    counts = [shard_rows(p) for p in shards]
    total = sum(counts) if limit is None else min(limit, sum(counts))
    images = np.empty((total, size, size, 3), dtype=np.uint8)
    tokens = np.empty((total, len(ATTRIBUTES)), dtype=np.int64)
    filled = 0
    for path in shards:
        if filled >= total:
            break
        with np.load(path) as data:
            take = min(total - filled, data["seeds"].shape[0])
            images[filled : filled + take] = data["images"][:take]
            tokens[filled : filled + take] = data["tokens"][:take]
        filled += take
    return images, tokens
