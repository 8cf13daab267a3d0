"""Figures and sheets of issue 14 (profile-ready avatars), written to export_eval.json beside the
weights and to docs/:

- matte: the classical, the learned and the combined matte (the exports' default) against
  DiceBear's exact mattes, on test renders pushed through the shipped autoencoder
  (generator/export_data.py): mean soft IoU, mean absolute alpha error on edge pixels, seconds per
  picture;
- upscale: the edge rise width (generator/builtin/sharpness.py) at 1024 px of true 1024 px renders,
  Lanczos and the crisp upscale of the delivered 256 px pictures;
- export: seconds per export at each size (transparent, circle, frame);
- animation: over 20 animations of the shipped model, the judge's "unchanged attributes kept"
  (every attribute but the expression, each frame against the first), whether the expression
  reached its target, first == last frame, frames, loop length, files' sizes, CPU seconds.

    python -m generator.export_eval --data runs/matte-test.npz --root data/dicebear \
        --weights generator/weights/chibi   # the judge: generator/weights/judge by default
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from core.contact_sheet import SheetLayout, SheetTile, contact_sheet
from core.errors import InvalidAnimation
from core.export import ExportOptions, compose
from core.export.animation import MOTIONS, check_motion
from core.export.encode import encode_animated_webp, encode_apng, encode_sticker
from core.export.learned_matte import WEIGHTS_FILE, CombinedMatte, LearnedMatte, default_matter
from core.export.matte import classical_matte
from core.export.preview import on_checkerboard
from core.export.upscale import crisp_upscale
from core.spec import AvatarSpec, parse_spec
from core.vocabulary import ATTRIBUTES, VOCABULARY
from generator.animation import animation_frames, animation_requests
from generator.builtin.backend import BuiltinBackend
from generator.builtin.classifier import JUDGE_DIR
from generator.builtin.sharpness import edge_rise_px
from generator.export_metrics import matte_figures

UPSCALE_SAMPLES = 16
ANIMATIONS = 20
EXPORT_SAMPLES = 10


def matte_section(data: Path, learned: LearnedMatte | None) -> tuple[dict, dict[str, list[np.ndarray]]]:
    with np.load(data) as npz:
        images, exact = npz["images"], npz["alphas"]
    results, predicted = {}, {}
    matters = {"classical": classical_matte}
    if learned is not None:
        matters["learned"] = learned
        matters["combined"] = CombinedMatte(learned)
    for name, matter in matters.items():
        started = time.process_time()
        alphas = [matter(image).alpha for image in tqdm(images, desc=name, unit="img", leave=False)]
        seconds = (time.process_time() - started) / len(images)
        results[name] = {**matte_figures(alphas, list(exact)), "cpu_seconds_per_picture": round(seconds, 4)}
        predicted[name] = alphas
    return results, predicted


def matte_sheet(data: Path, predicted: dict[str, list[np.ndarray]], path: Path, picks: int = 6) -> None:
    """Per row: the picture, the exact cut-out, and each matte's, over a checkerboard."""
    with np.load(data) as npz:
        images, exact = npz["images"], npz["alphas"]
    order = np.linspace(0, len(images) - 1, picks).astype(int)
    tiles = []
    for i in order:
        tiles.append(SheetTile(Image.fromarray(images[i]), f"test #{i}: delivered"))
        tiles.append(SheetTile(on_checkerboard(Image.fromarray(np.dstack([images[i], exact[i]]))), "exact"))
        for name, alphas in predicted.items():
            tiles.append(SheetTile(on_checkerboard(Image.fromarray(np.dstack([images[i], alphas[i]]))), name))
    contact_sheet(tiles, columns=2 + len(predicted), layout=SheetLayout(tile=192, caption_lines=1, fit="contain")).save(
        path
    )


def upscale_section(root: Path, data: Path) -> dict:
    from generator.dataset.raster import rasterise
    from generator.dataset.shards import read_svg_shard, svg_path

    with np.load(data) as npz:
        delivered = npz["images"][:UPSCALE_SAMPLES]
    records = read_svg_shard(svg_path(root, "test", 0))[:UPSCALE_SAMPLES]
    true = np.stack([rasterise(r["svg"], 1024) for r in records])
    lanczos = np.stack([np.asarray(Image.fromarray(d).resize((1024, 1024), Image.LANCZOS)) for d in delivered])
    crisp = np.stack([np.asarray(crisp_upscale(Image.fromarray(d), 1024)) for d in delivered])
    started = time.process_time()
    crisp_upscale(Image.fromarray(delivered[0]), 1024)
    return {
        "samples": UPSCALE_SAMPLES,
        "edge_rise_px_at_1024": {
            "true_1024_render": round(edge_rise_px(true), 2),
            "lanczos_from_delivered_256": round(edge_rise_px(lanczos), 2),
            "crisp_from_delivered_256": round(edge_rise_px(crisp), 2),
        },
        "crisp_cpu_seconds_256_to_1024": round(time.process_time() - started, 3),
    }


def sample_specs(count: int, seed: int = 0) -> list[tuple[AvatarSpec, int, str]]:
    """Animations to judge: a motion each (blink and smile in turn), a style that can draw it, a
    starting expression that is not its target, and the rest left to the model."""
    rng = np.random.default_rng(seed)
    found: list[tuple[AvatarSpec, int, str]] = []
    while len(found) < count:
        motion = MOTIONS[len(found) % 2]
        style = VOCABULARY.styles[rng.integers(len(VOCABULARY.styles))]
        expressions = VOCABULARY.offered(style, "expression")
        chosen = {"style": style, "expression": expressions[rng.integers(len(expressions))]}
        chosen["background"] = VOCABULARY.values["background"][rng.integers(6)]
        spec = parse_spec(chosen)
        try:
            check_motion(motion, spec)
        except InvalidAnimation:
            continue
        found.append((spec, int(rng.integers(2**31)), motion))
    return found


def judge_frames(judge, frames: list[Image.Image]) -> np.ndarray:
    """The judge's value index per attribute (frames × attributes)."""
    from generator.builtin.evaluate import classify

    batch = torch.stack([torch.from_numpy(np.asarray(f.convert("RGB"))).permute(2, 0, 1) for f in frames])
    _, predicted = classify(judge, batch.float() / 127.5 - 1)
    return predicted


def animation_section(backend: BuiltinBackend, judge, docs: Path) -> dict:
    expression = ATTRIBUTES.index("expression")
    kept, reached, seconds, sizes, seamless = [], [], [], [], []
    example = None
    for spec, seed, motion in tqdm(sample_specs(ANIMATIONS), desc="animations", unit="anim", leave=False):
        started = time.perf_counter()
        drawings = backend.render(animation_requests(spec, seed, motion)).images
        frames, durations = animation_frames(drawings, spec, motion)
        apng = encode_apng(frames, durations, {"spec": spec.to_json(), "seed": str(seed)})
        seconds.append(time.perf_counter() - started)
        webp, sticker = encode_animated_webp(frames, durations), encode_sticker(frames, durations)
        sizes.append((len(apng), len(webp), len(sticker)))
        seamless.append(bool(np.array_equal(np.asarray(frames[0]), np.asarray(frames[-1]))))
        predicted = judge_frames(judge, frames)
        others = [a for a in range(len(ATTRIBUTES)) if a != expression]
        kept.append(float((predicted[1:, others] == predicted[0, others]).mean()))
        target = VOCABULARY.values["expression"].index("wink" if motion == "blink" else "happy")
        reached.append(bool((predicted[:, expression] == target).any()))
        if example is None and motion == "blink":
            example = (webp, frames)
    figures = {
        "animations": ANIMATIONS,
        "motions": {m: sum(1 for _, _, mm in sample_specs(ANIMATIONS) if mm == m) for m in ("blink", "smile")},
        "frames": len(frames),
        "loop_seconds": sum(durations) / 1000,
        "first_frame_equals_last": all(seamless),
        "unchanged_attributes_kept": round(float(np.mean(kept)), 4),
        "unchanged_attributes_kept_min": round(float(np.min(kept)), 4),
        "target_expression_seen_by_judge": round(float(np.mean(reached)), 4),
        "wall_seconds_per_animation_median_under_load": round(statistics.median(seconds), 3),
        "bytes_median": {
            "apng_256": int(statistics.median(s[0] for s in sizes)),
            "webp_256": int(statistics.median(s[1] for s in sizes)),
            "sticker_apng_320": int(statistics.median(s[2] for s in sizes)),
        },
        "sticker_max_bytes": max(s[2] for s in sizes),
    }
    if example is not None:
        (docs / "animation-blink.webp").write_bytes(example[0])
    return figures


def timing_section(backend: BuiltinBackend) -> dict:
    """CPU seconds (this process, all threads) and wall seconds of one animation of each motion,
    from the requests to the stored APNG: the machine is shared, so CPU time is the steadier figure."""
    figures = {}
    spec = parse_spec({"style": "adventurer", "expression": "neutral", "background": "sky"})
    backend.render(animation_requests(spec, 1, "smile"))  # warm-up
    for motion in MOTIONS:
        wall, cpu = time.perf_counter(), time.process_time()
        drawings = backend.render(animation_requests(spec, 7, motion)).images
        frames, durations = animation_frames(drawings, spec, motion)
        encode_apng(frames, durations, {})
        figures[motion] = {
            "drawings": len(drawings),
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "wall_seconds": round(time.perf_counter() - wall, 2),
        }
    return {"torch_threads": torch.get_num_threads(), **figures}


def export_section(backend: BuiltinBackend, matter, docs: Path) -> dict:
    specs = [
        parse_spec({"style": s, "background": b})
        for s, b in zip(
            (
                "lorelei",
                "adventurer",
                "micah",
                "toon-head",
                "personas",
                "big-smile",
                "big-ears",
                "miniavs",
                "lorelei",
                "micah",
            ),
            ("mint", "sky", "peach", "lemon", "lavender", "pink", "mint", "sky", "lavender", "lemon"),
            strict=True,
        )
    ]
    from generator.backends.base import RenderRequest

    avatars = backend.render([RenderRequest(spec=s, seed=100 + i) for i, s in enumerate(specs)]).images
    timings: dict[str, list[float]] = {}
    for size in (256, 512, 1024):
        options = ExportOptions(background="transparent", shape="circle", frame="hearts", size=size)
        for avatar, spec in zip(avatars, specs, strict=True):
            started = time.process_time()
            compose(avatar, options, metadata={"spec": spec.to_json()}, matter=matter)
            timings.setdefault(str(size), []).append(time.process_time() - started)
    export_sheet(avatars, specs, matter, docs / "export-sheet.png")
    return {
        "cpu_seconds_median_transparent_circle_frame": {k: round(statistics.median(v), 3) for k, v in timings.items()}
    }


def export_sheet(avatars: list[Image.Image], specs: list[AvatarSpec], matter, path: Path) -> None:
    tiles = []
    for avatar, spec in list(zip(avatars, specs, strict=True))[:4]:
        metadata = {"spec": spec.to_json()}
        transparent = compose(avatar, ExportOptions(background="transparent"), metadata=metadata, matter=matter)
        circle = compose(avatar, ExportOptions(shape="circle", frame="hearts"), metadata=metadata, matter=matter)
        framed = compose(
            avatar,
            ExportOptions(background="transparent", shape="rounded", frame="stars"),
            metadata=metadata,
            matter=matter,
        )
        tiles += [
            SheetTile(avatar, f"{spec.style}: as delivered (256 px)"),
            SheetTile(on_checkerboard(transparent), "transparent, over a checkerboard"),
            SheetTile(on_checkerboard(circle), "circle, hearts frame"),
            SheetTile(on_checkerboard(framed), "transparent, rounded, stars frame"),
        ]
    big = compose(avatars[0], ExportOptions(size=1024), matter=matter)
    lanczos = avatars[0].convert("RGB").resize((1024, 1024), Image.LANCZOS)
    box = (320, 280, 576, 536)
    tiles += [
        SheetTile(lanczos.crop(box), "1024 px crop: Lanczos"),
        SheetTile(big.crop(box), "1024 px crop: crisp upscale (shipped)"),
        SheetTile(
            on_checkerboard(
                compose(avatars[1], ExportOptions(background="transparent", frame="flowers"), matter=matter)
            ),
            "transparent, flowers frame",
        ),
        SheetTile(
            on_checkerboard(compose(avatars[2], ExportOptions(shape="circle", frame="bubbles"), matter=matter)),
            "circle, bubbles frame",
        ),
    ]
    contact_sheet(tiles, columns=4, layout=SheetLayout(tile=256, caption_lines=1, fit="contain")).save(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="generator/export_data.py output (test split)")
    parser.add_argument("--root", type=Path, required=True, help="the DiceBear data set (SVGs for 1024 px renders)")
    parser.add_argument("--judge", type=Path, default=JUDGE_DIR, help="judge folder or checkpoint (animation)")
    parser.add_argument("--weights", type=Path, default=Path("generator/weights/chibi"))
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    parser.add_argument("--parts", default="matte,upscale,export,timing,animation")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    parts = set(args.parts.split(","))
    out = args.weights / "export_eval.json"
    figures = json.loads(out.read_text()) if out.is_file() else {}
    learned = LearnedMatte.load(WEIGHTS_FILE) if WEIGHTS_FILE.is_file() else None
    if "matte" in parts:
        figures["matte"], predicted = matte_section(args.data, learned)
        figures["matte"]["data"] = f"{args.data.name}: test renders through the shipped autoencoder, 256 px"
        matte_sheet(args.data, predicted, args.docs / "matte-sheet.png")
    if "upscale" in parts:
        figures["upscale"] = upscale_section(args.root, args.data)
    backend = None
    if parts & {"export", "animation", "timing"}:
        backend = BuiltinBackend.load(args.weights)
    if "export" in parts:
        figures["export"] = export_section(backend, default_matter(), args.docs)
    if "timing" in parts:
        figures["animation_timing"] = timing_section(backend)
    if "animation" in parts:
        from generator.builtin.classifier import load_classifier

        figures["animation"] = animation_section(backend, load_classifier(args.judge), args.docs)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
