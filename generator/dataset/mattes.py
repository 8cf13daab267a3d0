"""Exact alpha mattes of the characters: the stored SVGs rasterised without their background.

    ROOT/<split>/<shard>.<size>px.alpha.npz    alpha uint8 N×size×size, seeds int64 N

Used to train the decoder's alpha channel (transparent exports) and to measure it.
Resumable like the images: a complete file is skipped.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generator.dataset.raster import rasterise_matte
from generator.dataset.shards import (
    DatasetMissing,
    read_manifest,
    read_svg_shard,
    shard_ranges,
    shard_rows,
    svg_path,
    write_atomic,
)


def matte_path(root: Path, split: str, shard: int, size: int) -> Path:
    return Path(root) / split / f"{shard:05d}.{size}px.alpha.npz"


def _matte_job(job: tuple[str, int]) -> np.ndarray:
    return rasterise_matte(*job)


def render_mattes(root: Path, split: str, size: int, limit: int | None = None, workers: int = 2) -> int:
    """Write the mattes of the first `limit` samples of `split` (whole shards); returns samples covered."""
    root = Path(root)
    count = read_manifest(root)["splits"][split]["count"]
    if limit is not None:
        count = min(count, limit)
    ranges = shard_ranges(count)
    context = multiprocessing.get_context("spawn")
    done = 0
    with context.Pool(max(1, workers)) as pool, tqdm(total=count, unit="img", desc=f"{split} mattes") as bar:
        for shard, (_, n) in enumerate(ranges):
            path = matte_path(root, split, shard, size)
            if not (path.is_file() and shard_rows(path) == n):
                source = svg_path(root, split, shard)
                if not source.is_file():
                    raise DatasetMissing(f"no SVG shard {source}; render the data set first")
                records = read_svg_shard(source)[:n]
                alphas = pool.map(_matte_job, [(r["svg"], size) for r in records], chunksize=50)
                seeds = np.array([r["seed"] for r in records], dtype=np.int64)
                write_atomic(path, lambda handle, a=np.stack(alphas), s=seeds: np.savez(handle, alpha=a, seeds=s))
            done += n
            bar.update(n)
    return done


def load_mattes(root: Path, split: str, size: int, limit: int | None = None) -> np.ndarray:
    """uint8 N×size×size alpha of the first samples of `split` (consecutive complete shards only)."""
    chunks, total = [], 0
    shard = 0
    while (path := matte_path(root, split, shard, size)).is_file() and (limit is None or total < limit):
        with np.load(path) as data:
            chunks.append(data["alpha"])
        total += len(chunks[-1])
        shard += 1
    if not chunks:
        raise DatasetMissing(f"no {size}px mattes of the {split} split under {root}; run `mattes` first")
    alpha = np.concatenate(chunks)
    return alpha if limit is None else alpha[:limit]
