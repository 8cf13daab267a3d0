"""Command line of the DiceBear data-set tool.

    python -m generator.dataset render --out data/dicebear --size 128 --train 60000 --val 4000 --test 4000
    python -m generator.dataset rasterise --root data/dicebear --size 256 [--archive svgs.tar.xz]
    python -m generator.dataset mattes --root data/dicebear --size 256 --split train --limit 10000
    python -m generator.dataset export-svgs --root data/dicebear --out dicebear-svgs.tar.xz
    python -m generator.dataset sheet --root data/dicebear --split val --out sheet.png
    python -m generator.dataset variants adventurer mouth --out mouths.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.dataset.archive import export_svgs, import_svgs
from generator.dataset.render import render_dataset
from generator.dataset.shards import read_manifest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator.dataset", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    render = sub.add_parser("render", help="render labelled avatars (resumes where it stopped)")
    render.add_argument("--out", type=Path, default=Path("data/dicebear"))
    render.add_argument("--size", type=int, action="append", help="image size in pixels (repeatable; default 128)")
    render.add_argument("--train", type=int, default=60000)
    render.add_argument("--val", type=int, default=4000)
    render.add_argument("--test", type=int, default=4000)
    render.add_argument("--workers", type=int, default=2, help="rasterising processes")

    raster = sub.add_parser("rasterise", help="rasterise stored SVGs at another size (no node needed)")
    raster.add_argument("--root", type=Path, required=True)
    raster.add_argument("--size", type=int, action="append", required=True)
    raster.add_argument("--archive", type=Path, help="an export-svgs archive to unpack into --root first")
    raster.add_argument("--workers", type=int, default=2)

    mattes = sub.add_parser("mattes", help="exact alpha mattes (each SVG without its background)")
    mattes.add_argument("--root", type=Path, required=True)
    mattes.add_argument("--size", type=int, default=256)
    mattes.add_argument("--split", choices=("train", "val", "test"), action="append", required=True)
    mattes.add_argument("--limit", type=int, default=None, help="only the first N samples of each split")
    mattes.add_argument("--workers", type=int, default=2)

    export = sub.add_parser("export-svgs", help="pack every SVG into one .tar.xz")
    export.add_argument("--root", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)

    sheet = sub.add_parser("sheet", help="contact sheet of rendered samples with their labels")
    sheet.add_argument("--root", type=Path, required=True)
    sheet.add_argument("--split", default="val")
    sheet.add_argument("--count", type=int, default=60)
    sheet.add_argument("--size", type=int, default=128)
    sheet.add_argument("--out", type=Path, required=True)

    variants = sub.add_parser("variants", help="contact sheet of every variant of one DiceBear option")
    variants.add_argument("style")
    variants.add_argument("option")
    variants.add_argument("--seed", type=int, default=1, help="sample whose other options are kept")
    variants.add_argument("--size", type=int, default=128)
    variants.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "render":
        counts = {"train": args.train, "val": args.val, "test": args.test}
        render_dataset(args.out, {k: n for k, n in counts.items() if n > 0}, args.size or [128], workers=args.workers)
    elif args.command == "rasterise":
        if args.archive:
            import_svgs(args.archive, args.root)
        counts = {split: info["count"] for split, info in read_manifest(args.root)["splits"].items()}
        render_dataset(args.root, counts, args.size, workers=args.workers)
    elif args.command == "mattes":
        from generator.dataset.mattes import render_mattes

        for split in args.split:
            print(f"{split}: {render_mattes(args.root, split, args.size, args.limit, args.workers)} mattes")
    elif args.command == "export-svgs":
        shards = export_svgs(args.root, args.out)
        print(f"wrote {shards} SVG shards to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    elif args.command == "sheet":
        from generator.dataset.sheets import dataset_sheet

        dataset_sheet(args.root, args.split, args.count, args.size).save(args.out)
        print(f"wrote {args.out}")
    elif args.command == "variants":
        from generator.dataset.sheets import variant_sheet

        variant_sheet(args.style, args.option, args.seed, args.size).save(args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
