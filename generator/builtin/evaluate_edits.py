"""Does an edit keep the character? Figures for edits and expression packs, judged by the attribute
classifier, added to eval.json (its other keys are kept), and a sheet of originals beside their edits
and packs.

    python -m generator.builtin.evaluate_edits --weights generator/weights/chibi \
        --classifier runs/classifier/ckpt.pt [--sweep 0,2,3,4]

- edit_kept: over random (avatar, one attribute changed) pairs, the share of the *unchanged*
  attributes the classifier reads the same in the edit as in the original (target >= 0.90);
- edit_applied: the share of edits in which the classifier reads the new value (target >= 0.85);
- edit_identity: mean classifier-feature distance original -> edit, beside the mean distance between
  two re-rolls of the same spec (different seeds); target: the ratio at most 0.5;
- pack_kept: edit_kept across the members of packs (every expression of the style, one batched call);
- pack_cpu_s: CPU seconds of one pack of five expressions, rendered in one batched call.

Edits and packs are drawn as the worker draws them: sharing their first steps with the original and,
unless `--edit-mask off`, kept equal to it outside the region the change touches (DiffEdit masks).

`--sweep K,K,...` measures the same pairs with each number of shared first steps (the original's
conditioning for the first K denoising steps, then the edit's), per changed attribute, to choose
the backend's table (generator/builtin/backend.py DEFAULT_EDIT_SHARED_STEPS).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from PIL import Image

from core.contact_sheet import SheetLayout, SheetTile, contact_sheet
from core.looks import plan_pack
from core.spec import AvatarSpec, parse_spec
from core.vocabulary import ATTRIBUTE_LABELS, ATTRIBUTES, VOCABULARY
from generator.backends.base import RenderRequest
from generator.builtin.backend import BuiltinBackend, drawable_tokens, edit_tokens, shared_steps_for
from generator.builtin.classifier import JUDGE_DIR, AttributeClassifier, load_classifier
from generator.builtin.evaluate import classify
from generator.builtin.training import write_json

HEADLINE = ("edit_kept", "edit_applied", "edit_identity", "pack_kept", "pack_cpu_s")
# What an edit may change (a new style redraws: it is not meant to keep the character).
EDITABLE = tuple(a for a in ATTRIBUTES if a != "style")


@dataclass(frozen=True)
class EditPair:
    source: AvatarSpec
    edited: AvatarSpec
    attribute: str
    value: str
    seed: int
    reroll_seed: int


def random_avatar(rng: np.random.Generator, keep: float = 0.6, styles: Optional[tuple[str, ...]] = None) -> AvatarSpec:
    """A spec with a style and a random subset of the attributes that style offers."""
    style = str(rng.choice(styles or VOCABULARY.styles))
    chosen = {"style": style}
    for attribute in EDITABLE:
        if rng.random() < keep:
            chosen[attribute] = str(rng.choice(VOCABULARY.offered(style, attribute)))
    return parse_spec(chosen)


def random_pairs(n: int, rng: np.random.Generator) -> list[EditPair]:
    """`n` (avatar, one attribute changed to another value its style offers) pairs, seeds random."""
    pairs: list[EditPair] = []
    while len(pairs) < n:
        source = random_avatar(rng)
        attribute = str(rng.choice(EDITABLE))
        current = getattr(source, attribute)
        options = [v for v in VOCABULARY.offered(source.style, attribute) if v != current]
        if not options:
            continue
        value = str(rng.choice(options))
        edited = source.replace(**{attribute: value})
        seed, reroll = (int(s) for s in rng.integers(0, 2**31, 2))
        pairs.append(EditPair(source, edited, attribute, value, seed, reroll))
    return pairs


@torch.no_grad()
def draw(
    backend: BuiltinBackend,
    tokens: list[list[int]],
    seeds: list[int],
    *,
    sources: Optional[list[list[int]]] = None,
    shared: Optional[list[int]] = None,
    batch: int = 16,
) -> torch.Tensor:
    """Native-size images in [-1, 1]; with `sources`/`shared`, edits sharing their first steps."""
    out = []
    for i in range(0, len(tokens), batch):
        kwargs = {}
        if sources is not None and shared is not None:
            kwargs = {"source_specs": sources[i : i + batch], "shared_steps": shared[i : i + batch],
                      "edit_mask_threshold": backend.edit_mask_threshold}
        images = backend.pipeline(
            tokens[i : i + batch],
            seeds[i : i + batch],
            num_inference_steps=backend.steps,
            guidance_scale=backend.guidance,
            output_type="pt",
            **kwargs,
        ).images
        out.append(images * 2 - 1)
    return torch.cat(out)


def kept_share(before: np.ndarray, after: np.ndarray, changed: list[str]) -> tuple[float, dict[str, float]]:
    """Share of unchanged attributes read the same before and after (overall, and per unchanged attribute)."""
    hits: dict[str, list[bool]] = {a: [] for a in ATTRIBUTES}
    for b, a, attribute in zip(before, after, changed, strict=True):
        for i, name in enumerate(ATTRIBUTES):
            if name != attribute:
                hits[name].append(bool(b[i] == a[i]))
    every = [h for values in hits.values() for h in values]
    return float(np.mean(every)), {a: float(np.mean(h)) for a, h in hits.items() if h}


def applied_share(pairs: list[EditPair], after: np.ndarray) -> tuple[float, dict[str, float]]:
    hits: dict[str, list[bool]] = {a: [] for a in EDITABLE}
    for pair, pred in zip(pairs, after, strict=True):
        index = ATTRIBUTES.index(pair.attribute)
        hits[pair.attribute].append(bool(pred[index] == VOCABULARY.values[pair.attribute].index(pair.value)))
    every = [h for values in hits.values() for h in values]
    return float(np.mean(every)), {a: float(np.mean(h)) for a, h in hits.items() if h}


def per_attribute(
    pairs: list[EditPair], before: np.ndarray, after: np.ndarray, edit_distance: np.ndarray, reroll_distance: np.ndarray
) -> dict[str, dict[str, float]]:
    """kept, applied and identity by the attribute that was changed (to choose each one's shared steps)."""
    table = {}
    for attribute in EDITABLE:
        idx = [i for i, p in enumerate(pairs) if p.attribute == attribute]
        if not idx:
            continue
        kept, _ = kept_share(before[idx], after[idx], [attribute] * len(idx))
        applied, _ = applied_share([pairs[i] for i in idx], after[idx])
        identity = float(edit_distance[idx].mean() / reroll_distance[idx].mean())
        table[attribute] = {"n": len(idx), "kept": kept, "applied": applied, "identity": identity}
    return table


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a - b) ** 2).sum(axis=1))


def edit_figures(
    backend: BuiltinBackend,
    judge: AttributeClassifier,
    pairs: list[EditPair],
    shared: list[int],
    batch: int,
    original: tuple[np.ndarray, np.ndarray],
    reroll_feats: np.ndarray,
) -> dict:
    """kept, applied and identity of `pairs` drawn with `shared` first steps each."""
    token_pairs = [edit_tokens(p.source, p.edited, p.seed) for p in pairs]
    edits = draw(
        backend,
        [t for _, t in token_pairs],
        [p.seed for p in pairs],
        sources=[s for s, _ in token_pairs],
        shared=shared,
        batch=batch,
    )
    feats, preds = classify(judge, edits)
    orig_feats, orig_preds = original
    kept, kept_by = kept_share(orig_preds, preds, [p.attribute for p in pairs])
    applied, applied_by = applied_share(pairs, preds)
    edit_distances, reroll_distances = distances(orig_feats, feats), distances(orig_feats, reroll_feats)
    edit_distance, reroll_distance = float(edit_distances.mean()), float(reroll_distances.mean())
    return {
        "edit_kept": kept,
        "edit_kept_per_unchanged_attribute": kept_by,
        "edit_applied": applied,
        "edit_applied_per_attribute": applied_by,
        "edit_identity": {
            "edit_distance": edit_distance,
            "reroll_distance": reroll_distance,
            "ratio": edit_distance / reroll_distance,
        },
        "by_changed_attribute": per_attribute(pairs, orig_preds, preds, edit_distances, reroll_distances),
        "_images": edits,
    }


def pack_figures(
    backend: BuiltinBackend, judge: AttributeClassifier, n_packs: int, rng: np.random.Generator
) -> tuple[dict, list[tuple[AvatarSpec, int, list[Image.Image]]]]:
    """pack_kept over `n_packs` packs, each rendered through the backend in one call as the worker does."""
    styles = tuple(s for s in VOCABULARY.styles if len(VOCABULARY.offered(s, "expression")) > 1)
    before, after, changed, members = [], [], [], []
    drawn = []
    for _ in range(n_packs):
        source = random_avatar(rng, styles=styles)
        seed = int(rng.integers(0, 2**31))
        pack = plan_pack(source)
        requests = [RenderRequest(spec, seed, kind="pack", source_spec=source) for spec in pack.members.values()]
        original = backend.render([RenderRequest(source, seed)]).images[0]
        images = backend.render(requests).images
        drawn.append((source, seed, images))
        pixels = torch.stack([_to_model(img, backend.pipeline.image_size) for img in [original, *images]])
        _, preds = classify(judge, pixels)
        for pred in preds[1:]:
            before.append(preds[0])
            after.append(pred)
            changed.append("expression")
        members.append(len(images))
    kept, kept_by = kept_share(np.array(before), np.array(after), changed)
    return {
        "pack_kept": kept,
        "pack_kept_per_attribute": kept_by,
        "pack_n": n_packs,
        "pack_members": int(sum(members)),
    }, drawn


def _to_model(image: Image.Image, size: int) -> torch.Tensor:
    if image.width != size:
        image = image.resize((size, size), Image.LANCZOS)
    return torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1)


def pack_seconds(backend: BuiltinBackend, repeats: int) -> float:
    """p50 CPU seconds of one five-expression pack in one batched call (adventurer offers all five)."""
    source = parse_spec({"style": "adventurer", "hair": "long", "hair_color": "pink", "expression": "happy"})
    pack = plan_pack(source)
    requests = [RenderRequest(spec, 7, kind="pack", source_spec=source) for spec in pack.members.values()]
    backend.render(requests)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        backend.render(requests)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def edits_sheet(backend: BuiltinBackend, rng: np.random.Generator, path: Path, rows: int = 8) -> None:
    """`rows` originals, each beside three edits of it (a different attribute each) and its pack."""
    styles = tuple(s for s in VOCABULARY.styles if len(VOCABULARY.offered(s, "expression")) > 1)
    tiles: list[SheetTile] = []
    columns = 1 + 3 + max(len(VOCABULARY.offered(s, "expression")) for s in styles)
    for r in range(rows):
        source = random_avatar(rng, keep=0.8, styles=(styles[r % len(styles)],))
        seed = int(rng.integers(0, 2**31))
        edits: list[tuple[str, AvatarSpec]] = []
        for attribute in [str(a) for a in rng.permutation(["hair_color", "hair", "background", "glasses", "skin"])]:
            options = [v for v in VOCABULARY.offered(source.style, attribute) if v != getattr(source, attribute)]
            if options and len(edits) < 3:
                value = str(rng.choice(options))
                edits.append((f"{ATTRIBUTE_LABELS[attribute]} {value}", source.replace(**{attribute: value})))
        pack = plan_pack(source)
        requests = [RenderRequest(source, seed)]
        requests += [RenderRequest(spec, seed, kind="edit", source_spec=source) for _, spec in edits]
        requests += [RenderRequest(spec, seed, kind="pack", source_spec=source) for spec in pack.members.values()]
        images = backend.render(requests).images
        captions = [f"{source.style} #{r + 1}", *(c for c, _ in edits), *pack.expressions]
        row = [SheetTile(img, caption) for img, caption in zip(images, captions, strict=True)]
        row += [SheetTile(None, "") for _ in range(columns - len(row))]
        tiles.extend(row)
    sheet = contact_sheet(tiles, columns=columns, layout=SheetLayout(tile=128, caption_lines=1, fit="contain"))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, default=Path("generator/weights/chibi"))
    parser.add_argument("--classifier", type=Path, default=JUDGE_DIR, help="judge folder or checkpoint")
    parser.add_argument("--pairs", type=int, default=240, help="random (avatar, change) pairs (at least 200)")
    parser.add_argument("--packs", type=int, default=50)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--guidance", type=float, default=None)
    parser.add_argument("--sweep", default="", help="shared first steps to compare, e.g. 0,2,3,4 (no eval.json)")
    parser.add_argument("--edit-mask", default=None,
                        help="DiffEdit mask threshold for edits and packs, or 'off' (default: the backend's)")
    parser.add_argument("--timing-repeats", type=int, default=5, help="0 skips the pack timing")
    parser.add_argument("--out", type=Path, default=None, help="eval.json to add to (default: beside the weights)")
    parser.add_argument("--sheet", type=Path, default=None, help="edits sheet (default: beside the weights)")
    parser.add_argument("--no-sheet", action="store_true")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    out = args.out or args.weights / "eval.json"
    sheet = args.sheet or args.weights / "edits_sheet.png"

    torch.set_num_threads(2)
    backend = BuiltinBackend.load(args.weights, device="cpu", steps=args.steps, guidance=args.guidance)
    if args.edit_mask is not None:
        backend.edit_mask_threshold = None if args.edit_mask == "off" else float(args.edit_mask)
    judge = load_classifier(args.classifier)
    rng = np.random.default_rng(args.seed)
    pairs = random_pairs(args.pairs, rng)
    start = time.perf_counter()
    originals = draw(
        backend, [drawable_tokens(p.source, p.seed) for p in pairs], [p.seed for p in pairs], batch=args.batch
    )
    rerolls = draw(
        backend,
        [drawable_tokens(p.source, p.reroll_seed) for p in pairs],
        [p.reroll_seed for p in pairs],
        batch=args.batch,
    )
    original = classify(judge, originals)
    reroll_feats, _ = classify(judge, rerolls)

    if args.sweep:
        report = {}
        for k in (int(v) for v in args.sweep.split(",")):
            figures = edit_figures(backend, judge, pairs, [k] * len(pairs), args.batch, original, reroll_feats)
            figures.pop("_images")
            report[str(k)] = figures
            print(
                json.dumps(
                    {
                        "shared_steps": k,
                        "kept": round(figures["edit_kept"], 3),
                        "applied": round(figures["edit_applied"], 3),
                        "identity": round(figures["edit_identity"]["ratio"], 3),
                        "by_attribute": {
                            a: (round(v["kept"], 3), round(v["applied"], 3), round(v["identity"], 3))
                            for a, v in figures["by_changed_attribute"].items()
                        },
                    }
                ),
                flush=True,
            )
        write_json(out.with_name("edit_sweep.json"), {"pairs": len(pairs), "steps": backend.steps, "sweep": report})
        return

    shared = [shared_steps_for((p.attribute,), backend.edit_shared_steps, backend.steps) for p in pairs]
    figures = edit_figures(backend, judge, pairs, shared, args.batch, original, reroll_feats)
    figures.pop("_images")
    result = {
        **figures,
        "edit_pairs": len(pairs),
        "edit_shared_steps": dict(backend.edit_shared_steps),
        "edit_mask_threshold": backend.edit_mask_threshold,
        "edit_seconds": round(time.perf_counter() - start, 1),
    }
    packs, _ = pack_figures(backend, judge, args.packs, rng)
    result.update(packs)
    if args.timing_repeats > 0:
        result["pack_cpu_s"] = pack_seconds(backend, args.timing_repeats)
        result["pack_cpu_expressions"] = 5
        result["cpu_load_average_1min_at_pack_timing"] = round(os.getloadavg()[0], 2)
    if not args.no_sheet:
        edits_sheet(backend, np.random.default_rng(args.seed + 1), sheet)
    existing = json.loads(out.read_text()) if out.is_file() else {}
    # The headline figures beside the model's others; the details under "edits".
    existing.update({k: result[k] for k in HEADLINE if k in result})
    existing["edits"] = result
    write_json(out, existing)
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict)}, indent=1))


if __name__ == "__main__":
    main()
