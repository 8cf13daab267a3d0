"""SVG archives: move the vector renders to a machine without node and rasterise them there."""

from __future__ import annotations

import io
import lzma
import re
import tarfile
from pathlib import Path

from tqdm import tqdm

from generator.dataset.shards import MANIFEST, SPLITS, svg_path, svg_shards, write_atomic

_MEMBER = re.compile(r"^(train|val|test)/(\d{5})\.svg\.jsonl$")


def export_svgs(root: Path, out: Path, progress: bool = True) -> int:
    """Pack the manifest and every SVG shard into one .tar.xz; returns the number of shards."""
    root, out = Path(root), Path(out)
    shards = [(split, shard, path) for split in SPLITS for shard, path in svg_shards(root, split)]

    def write(handle) -> None:  # noqa: ANN001 - a binary file handle
        # Shards are stored decompressed inside: one xz stream over all of them compresses better.
        with tarfile.open(fileobj=handle, mode="w:xz") as tar:
            tar.add(root / MANIFEST, arcname=MANIFEST)
            for split, shard, path in tqdm(shards, desc="export", unit="shard", disable=not progress):
                data = lzma.decompress(path.read_bytes())
                info = tarfile.TarInfo(f"{split}/{shard:05d}.svg.jsonl")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

    write_atomic(out, write)
    return len(shards)


def import_svgs(archive: Path, root: Path, progress: bool = True) -> int:
    """Unpack an archive from export_svgs into a data-set folder; returns the number of shards."""
    root = Path(root)
    count = 0
    with tarfile.open(archive, mode="r:xz") as tar:
        for member in tqdm(tar, desc="import", unit="file", disable=not progress):
            if not member.isfile():
                continue
            source = tar.extractfile(member)
            if source is None:
                continue
            data = source.read()
            if member.name == MANIFEST:
                write_atomic(root / MANIFEST, lambda handle, d=data: handle.write(d))
                continue
            match = _MEMBER.match(member.name)
            if match is None:
                raise ValueError(f"unexpected file {member.name!r} in SVG archive {archive}")
            target = svg_path(root, match.group(1), int(match.group(2)))
            write_atomic(target, lambda handle, d=data: handle.write(lzma.compress(d, preset=6)))
            count += 1
    return count
