"""Stage 4: evaluate the shipped pipeline; write eval.json and a contact sheet beside it.

    python -m generator.builtin.evaluate --weights generator/weights/chibi \
        --classifier runs/classifier/ckpt.pt --data data/dicebear

Figures (see the issue): adherence to random partial specs as judged by the
attribute classifier, Frechet distance on its features (generated vs test
renders, and the floor between two halves of the test renders), diversity of
re-rolls (generated and real), sharpness at the delivered size (generated vs real
renders rasterised at that size, `sharpness.py`), and CPU seconds per avatar at
default settings.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from core.contact_sheet import SheetLayout, SheetTile, contact_sheet
from core.spec import AvatarSpec, parse_spec
from core.vocabulary import ATTRIBUTES, VOCABULARY
from generator.backends.base import MixSource, RenderRequest
from generator.builtin.backend import BuiltinBackend, drawable_tokens
from generator.builtin.classifier import JUDGE_DIR, AttributeClassifier, load_classifier
from generator.builtin.metrics import frechet_distance, mean_pairwise_distance
from generator.builtin.sharpness import sharpness_ratios, sharpness_report
from generator.builtin.train_classifier import accuracy
from generator.builtin.training import DATA_ROOT, load_split, to_model_range, write_json


def partial_spec(row: np.ndarray, rng: np.random.Generator, keep: float) -> AvatarSpec:
    """A spec asking for a random subset (at least one) of a real sample's attributes."""
    mask = rng.random(len(ATTRIBUTES)) < keep
    if not mask.any():
        mask[rng.integers(len(ATTRIBUTES))] = True
    chosen = {a: VOCABULARY.value_of(a, int(t)) for a, t, m in zip(ATTRIBUTES, row, mask, strict=True) if m}
    return parse_spec(chosen)


@torch.no_grad()
def generate(backend: BuiltinBackend, specs: list[AvatarSpec], seeds: list[int], batch: int) -> torch.Tensor:
    """Native-size images in [-1, 1] at the backend's default settings (same style pick as the worker)."""
    out = []
    for i in tqdm(range(0, len(specs), batch), desc="generating", mininterval=10.0):
        tokens = [drawable_tokens(s, seed) for s, seed in zip(specs[i : i + batch], seeds[i : i + batch], strict=True)]
        images = backend.pipeline(tokens, seeds[i : i + batch], num_inference_steps=backend.steps,
                                  guidance_scale=backend.guidance, output_type="pt").images
        out.append(images * 2 - 1)
    return torch.cat(out)


@torch.no_grad()
def classify(model: AttributeClassifier, images: torch.Tensor, batch: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """(features N x D, predicted value index N x n_attributes) of images in [-1, 1]."""
    feats, preds = [], []
    for i in range(0, len(images), batch):
        x = images[i : i + batch]
        if x.shape[-1] != model.sizes.image_size:
            x = torch.nn.functional.interpolate(x, size=model.sizes.image_size, mode="bilinear", antialias=True)
        f = model.embed(x)
        feats.append(f.numpy())
        preds.append(torch.stack([h(f).argmax(1) for h in model.heads], dim=1).numpy())
    return np.concatenate(feats), np.concatenate(preds)


def adherence(specs: list[AvatarSpec], preds: np.ndarray) -> dict[str, float]:
    hits = {a: [] for a in ATTRIBUTES}
    for spec, pred in zip(specs, preds, strict=True):
        for i, a in enumerate(ATTRIBUTES):
            value = getattr(spec, a)
            if value is not None:
                hits[a].append(int(pred[i]) == VOCABULARY.values[a].index(value))
    return {a: float(np.mean(h)) for a, h in hits.items() if h}


def delivered(images: torch.Tensor, size: int) -> np.ndarray:
    """Images in [-1, 1] as the bot delivers them: uint8 at `size` px (Lanczos where drawn smaller)."""
    arrays = ((images.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    if arrays.shape[1] == size:
        return arrays
    return np.stack([np.asarray(Image.fromarray(a).resize((size, size), Image.LANCZOS)) for a in arrays])


def sharpness_figures(generated: np.ndarray, real: np.ndarray) -> dict:
    """The three sharpness figures of generated and real avatars at the delivered size, and their ratios."""
    gen, ref = sharpness_report(generated), sharpness_report(real)
    return {"generated": gen, "real": ref, "ratio": sharpness_ratios(gen, ref), "n": len(generated)}


@torch.no_grad()
def round_trip(backend: BuiltinBackend, images: np.ndarray, batch: int = 32) -> np.ndarray:
    """Renders through the encoder and the pipeline's decoder (what the latents can hold), uint8 at native size."""
    pipe = backend.pipeline
    out = []
    for i in range(0, len(images), batch):
        latents = pipe.vae.encode(to_model_range(images[i : i + batch]).to(pipe.vae.dtype)).latent_dist.mean
        if pipe.decoder is not None:
            pixels = pipe.decoder(latents.to(pipe.decoder.dtype))[:, :3]
        else:
            pixels = pipe.vae.decode(latents).sample
        out.append(((pixels.float().clamp(-1, 1).permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8))
    return np.concatenate(out)


def p50_seconds(backend: BuiltinBackend, batch: int, repeats: int) -> float:
    spec = parse_spec({"style": "lorelei", "hair": "long", "expression": "happy"})
    requests = [RenderRequest(spec, seed) for seed in range(batch)]
    backend.render(requests)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        backend.render(requests)
        times.append(time.perf_counter() - start)
    return float(np.median(times)) / batch


def model_sheet(backend: BuiltinBackend, test_images: np.ndarray, test_tokens: np.ndarray, path: Path,
                  columns: int = 8) -> None:
    """Rows: one per style (a seed per column), re-rolls, variations, a mix, photo -> avatar,
    and 16 random partial specs (where broken faces show)."""
    rows: list[tuple[str, list[Image.Image]]] = []
    for style in VOCABULARY.styles:
        spec = parse_spec({"style": style})
        rows.append((style, backend.render([RenderRequest(spec, 100 + c) for c in range(columns)]).images))
    partial = parse_spec({"hair": "long", "hair_color": "pink", "expression": "happy"})
    rerolls = backend.render([RenderRequest(partial, 300 + c) for c in range(columns)]).images
    rows.append(("re-rolls: long pink hair, happy", rerolls))
    strengths = np.linspace(0, 1, columns)
    variations = [RenderRequest(partial, 300, kind="variation", variation_seed=999, strength=float(s))
                  for s in strengths]
    rows.append(("variations 0 -> 1", backend.render(variations).images))
    a = parse_spec({"style": "adventurer", "hair_color": "blue"})
    b = parse_spec({"style": "micah", "hair_color": "red"})
    rows.append(("mix adventurer/blue -> micah/red", backend.render(
        [RenderRequest(a, 7, kind="mix", mix_with=MixSource(b, 8), mix_ratio=float(r)) for r in strengths]).images))
    photo = Image.fromarray(test_images[0])
    photo_strengths = np.linspace(0.3, 1.0, columns - 1)
    photos = backend.render([RenderRequest(parse_spec({"style": "big-smile"}), 5, kind="photo", init_image=photo,
                                           strength=float(s)) for s in photo_strengths]).images
    photo_cell = photo.resize(photos[0].size, Image.LANCZOS)
    rows.append(("photo (left) -> big-smile, strength 0.3 -> 1", [photo_cell, *photos]))
    rng = np.random.default_rng(16)
    randoms = [partial_spec(test_tokens[rng.integers(len(test_tokens))], rng, 0.4) for _ in range(2 * columns)]
    drawn = backend.render([RenderRequest(spec, 1000 + i) for i, spec in enumerate(randoms)]).images
    rows.append(("16 random partial specs (1/2)", drawn[:columns]))
    rows.append(("16 random partial specs (2/2)", drawn[columns:]))

    # One row per label: the label under the row's first picture, the column number under the others.
    tiles = [SheetTile(img, label if c == 0 else f"{c + 1}") for label, images in rows for c, img in enumerate(images)]
    sheet = contact_sheet(tiles, columns=columns,
                          layout=SheetLayout(tile=rows[0][1][0].width, caption_lines=1, fit="contain"))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=Path("generator/weights/chibi"))
    parser.add_argument("--classifier", type=Path, default=JUDGE_DIR, help="judge folder or checkpoint")
    parser.add_argument("--data", type=Path, default=DATA_ROOT)
    parser.add_argument("--n-generated", type=int, default=2000)
    parser.add_argument("--n-real", type=int, default=2000)
    parser.add_argument("--diversity-specs", type=int, default=24)
    parser.add_argument("--keep", type=float, default=0.4, help="share of a sample's attributes a partial spec keeps")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--delivered-px", type=int, default=256, help="edge of the avatars the bot posts")
    parser.add_argument("--n-sharpness", type=int, default=200, help="avatars (and renders) measured for sharpness")
    parser.add_argument("--n-round-trip", type=int, default=1000, help="test renders pushed through the autoencoder")
    parser.add_argument("--timing-repeats", type=int, default=7, help="0 skips the CPU timing (sampler sweeps)")
    parser.add_argument("--no-sheet", action="store_true", help="skip the contact sheet (sampler sweeps)")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--guidance", type=float, default=None)
    parser.add_argument("--out", type=Path, default=None, help="eval.json path (default: beside the weights)")
    parser.add_argument("--sheet", type=Path, default=None, help="contact sheet path (default: beside the weights)")
    parser.add_argument("--extra", type=Path, default=None, help="JSON merged into eval.json (training facts)")
    args = parser.parse_args(argv)
    out = args.out or args.weights / "eval.json"
    sheet = args.sheet or args.weights / "contact_sheet.png"

    backend = BuiltinBackend.load(args.weights, device="cpu", steps=args.steps, guidance=args.guidance)
    classifier = load_classifier(args.classifier)
    test_images, test_tokens = load_split(args.data, "test", 128)
    rng = np.random.default_rng(0)
    result: dict = {"model_version": backend.model_version, "steps": backend.steps, "guidance": backend.guidance,
                    "native_px": backend.pipeline.image_size, "delivered_px": args.delivered_px}

    # 1. The judge itself.
    acc = accuracy(classifier, test_images, test_tokens)
    result["classifier_test_accuracy"] = acc["mean"]
    result["classifier_test_accuracy_per_attribute"] = {a: acc[a] for a in ATTRIBUTES}
    # What the latents can hold: the judge on test renders pushed through the autoencoder. An
    # attribute lost here is lost before the UNet (a small detail in a 16x16 latent).
    rt_images = round_trip(backend, test_images[: args.n_round_trip])
    if rt_images.shape[1] != classifier.sizes.image_size:
        rt = torch.nn.functional.interpolate(to_model_range(rt_images), size=classifier.sizes.image_size,
                                             mode="bilinear", antialias=True)
        rt_images = ((rt.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    rt_acc = accuracy(classifier, rt_images, test_tokens[: args.n_round_trip])
    result["round_trip_accuracy_per_attribute"] = {a: rt_acc[a] for a in ATTRIBUTES}

    # 2. Adherence and Frechet distance over random partial specs of test samples.
    rows = test_tokens[rng.integers(0, len(test_tokens), args.n_generated)]
    specs = [partial_spec(row, rng, args.keep) for row in rows]
    seeds = [int(s) for s in rng.integers(0, 2**31, args.n_generated)]
    start = time.perf_counter()
    generated = generate(backend, specs, seeds, args.batch)
    result["generation_seconds"] = round(time.perf_counter() - start, 1)
    gen_feats, gen_preds = classify(classifier, generated)
    per_attr = adherence(specs, gen_preds)
    result["adherence_per_attribute"] = per_attr
    result["adherence_mean"] = float(np.mean(list(per_attr.values())))
    real = to_model_range(test_images)
    real_feats, _ = classify(classifier, real)
    n_real = min(args.n_real, len(real_feats) // 2)
    result["fid_generated"] = frechet_distance(gen_feats, real_feats[:n_real])
    result["fid_real_floor"] = frechet_distance(real_feats[:n_real], real_feats[n_real : 2 * n_real])
    result["fid_n"] = {"generated": len(gen_feats), "real": n_real}

    # 2b. Sharpness at the delivered size, against real renders rasterised at that size.
    real_big, _ = load_split(args.data, "test", args.delivered_px, limit=args.n_sharpness)
    result["sharpness"] = sharpness_figures(delivered(generated[: args.n_sharpness], args.delivered_px), real_big)

    # 3. Diversity: 8 re-rolls of one partial spec vs 8 real renders that match it.
    div_gen, div_real = [], []
    for _ in tqdm(range(args.diversity_specs), desc="diversity", mininterval=10.0):
        spec = partial_spec(test_tokens[rng.integers(len(test_tokens))], rng, 0.3)
        rerolls = generate(backend, [spec] * 8, [int(s) for s in rng.integers(0, 2**31, 8)], 8)
        div_gen.append(mean_pairwise_distance(classify(classifier, rerolls)[0]))
        wanted = np.array(spec.tokens())
        match = np.flatnonzero(((test_tokens == wanted) | (wanted == 0)).all(axis=1))
        if len(match) >= 2:
            pick = rng.choice(match, size=min(8, len(match)), replace=False)
            div_real.append(mean_pairwise_distance(real_feats[pick]))
    result["diversity_generated"] = float(np.mean(div_gen))
    result["diversity_real"] = float(np.mean(div_real))

    # 4. Speed at the default settings, and the contact sheet.
    if args.timing_repeats > 0:
        torch.set_num_threads(2)
        # Other work shares this CPU; the load average says how busy it was while timing.
        result["cpu_load_average_1min_at_timing"] = round(__import__("os").getloadavg()[0], 2)
        result["cpu_p50_s_batch1"] = p50_seconds(backend, 1, args.timing_repeats)
        result["cpu_p50_s_batch8_per_image"] = p50_seconds(backend, 8, max(3, args.timing_repeats // 2))
    result["gpu_images_per_s"] = None
    result["gpu_batch_size"] = None
    if not args.no_sheet:
        model_sheet(backend, test_images, test_tokens, sheet)
    result["weights_mb"] = round(sum(p.stat().st_size for p in args.weights.rglob("*.safetensors")) / 2**20, 2)
    if args.extra is not None and args.extra.is_file():
        result.update(json.loads(args.extra.read_text()))
    write_json(out, result)
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict)}, indent=1))


if __name__ == "__main__":
    main()
