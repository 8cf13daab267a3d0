"""Render a split shard by shard: draw samples, SVGs from node, pixels from resvg.

Resumable: a shard whose files exist (with the right number of samples) is skipped;
an SVG shard that exists is rasterised again without node, which is how another
size is added later or how a machine without npm rasterises an exported archive.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from generator.dataset.node_bridge import TOOL_DIR, render_svgs
from generator.dataset.raster import rasterise
from generator.dataset.sampler import SPLIT_SEED_BASE, draw, seed_for
from generator.dataset.shards import (
    SHARD_SIZE,
    image_path,
    read_manifest,
    read_svg_shard,
    shard_ranges,
    shard_rows,
    svg_path,
    vocabulary_record,
    write_image_shard,
    write_manifest,
    write_svg_shard,
)
from generator.dataset.styles import STYLES


def dicebear_versions(tool_dir: Path = TOOL_DIR) -> dict[str, str]:
    """Pinned package versions, read from package.json (the lock file pins the rest)."""
    package = json.loads((tool_dir / "package.json").read_text(encoding="utf-8"))
    return dict(package["dependencies"])


def update_manifest(root: Path, counts: dict[str, int]) -> None:
    """Record what the data set holds; refuse to mix renders of two vocabularies."""
    try:
        manifest = read_manifest(root)
    except FileNotFoundError:
        manifest = {}
    if manifest and manifest.get("vocabulary") != vocabulary_record():
        raise RuntimeError(
            f"{root} holds a data set rendered with another vocabulary; render into a new folder"
        )
    splits = dict(manifest.get("splits", {}))
    for split, count in counts.items():
        known = splits.get(split, {}).get("count", 0)
        splits[split] = {"count": max(count, known), "first_seed": SPLIT_SEED_BASE[split]}
    manifest.update(
        {
            "format": 1,
            "shard_size": SHARD_SIZE,
            "dicebear": dicebear_versions(),
            "styles": {name: mapping.package for name, mapping in STYLES.items()},
            "vocabulary": vocabulary_record(),
            "splits": splits,
        }
    )
    write_manifest(root, manifest)


def _rasterise_job(job: tuple[str, int]) -> np.ndarray:
    return rasterise(*job)


def _svg_records(root: Path, split: str, shard: int, first: int, count: int) -> list[dict[str, Any]]:
    """The shard's samples with their SVGs: read back if rendered before, else rendered by node now."""
    path = svg_path(root, split, shard)
    if path.is_file():
        records = read_svg_shard(path)
        if len(records) == count:
            return records
    samples = [draw(seed_for(split, index)) for index in range(first, first + count)]
    svgs = dict(render_svgs((s.seed, s.style, s.options) for s in samples))
    records = [{**s.to_record(), "svg": svgs[s.seed]} for s in samples]
    write_svg_shard(path, records)
    return records


def render_split(
    root: Path,
    split: str,
    count: int,
    sizes: Sequence[int],
    pool: Any | None = None,
    progress: bool = True,
) -> None:
    """Make sure `split` holds `count` samples at every size in `sizes`."""
    from core.vocabulary import VOCABULARY

    root = Path(root)
    bar = tqdm(total=count, unit="img", desc=f"{split}", disable=not progress, smoothing=0.05)
    for shard, (first, n) in enumerate(shard_ranges(count)):
        missing = [s for s in sizes if not _complete(image_path(root, split, shard, s), n)]
        if missing:
            records = _svg_records(root, split, shard, first, n)
            tokens = np.array([VOCABULARY.tokens(r["labels"]) for r in records], dtype=np.int64)
            seeds = np.array([r["seed"] for r in records], dtype=np.int64)
            for size in missing:
                jobs = [(r["svg"], size) for r in records]
                pixels = pool.map(_rasterise_job, jobs, chunksize=50) if pool else [_rasterise_job(j) for j in jobs]
                write_image_shard(image_path(root, split, shard, size), np.stack(pixels), tokens, seeds)
        bar.update(n)
    bar.close()


def _complete(path: Path, rows: int) -> bool:
    return path.is_file() and shard_rows(path) == rows


def render_dataset(
    root: Path, counts: dict[str, int], sizes: Sequence[int], workers: int = 2, progress: bool = True
) -> None:
    """Render (or finish rendering) every split; splits render in the order given."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    update_manifest(root, counts)
    # Fork would copy node pipes and tqdm locks into workers; spawn keeps the pool clean.
    context = multiprocessing.get_context("spawn")
    if workers > 1:
        with context.Pool(workers) as pool:
            for split, count in counts.items():
                render_split(root, split, count, sizes, pool=pool, progress=progress)
    else:
        for split, count in counts.items():
            render_split(root, split, count, sizes, pool=None, progress=progress)
