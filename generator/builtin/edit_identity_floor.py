"""How close can an edit be? `edit_identity` measured on real DiceBear renders instead of drawn ones.

    python -m generator.builtin.edit_identity_floor --pairs 240 [--out generator/weights/chibi/eval.json]

`evaluate_edits` compares an original with its edit (one attribute changed) and with a re-roll (the same
partial spec, another seed) through the judge's features. Here the same three pictures are real
renders: the original is a data-set sample; its edit is the same DiceBear drawing with only the options
that draw the changed attribute redrawn (every other option, colour and DiceBear's own seed kept); its
re-roll keeps the partial spec's attributes, draws the rest anew and uses another seed. The ratio of
the mean distances is what a perfect edit would score, per changed attribute too. It needs node and
the data-set tool's DiceBear packages (`generator/dataset`), like rendering the data set.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from core.palette import BACKGROUNDS, PALETTES
from core.vocabulary import VOCABULARY
from generator.builtin.classifier import JUDGE_DIR, load_classifier
from generator.builtin.evaluate import classify
from generator.builtin.evaluate_edits import EDITABLE, distances
from generator.builtin.training import write_json
from generator.dataset.node_bridge import render_svgs
from generator.dataset.raster import rasterise
from generator.dataset.sampler import Sample, constraints, draw, resolve
from generator.dataset.styles import STYLES

# Seeds beyond the data set's splits (train 0.., val 100M.., test 200M..): pictures no model was trained on.
FIRST_SEED = 300_000_000


@dataclass(frozen=True)
class RealTriple:
    """An original render, the same drawing with one attribute changed, and a re-roll of its partial spec."""

    attribute: str
    original: Sample
    edited: dict[str, Any]
    reroll: dict[str, Any]


def edited_options(sample: Sample, attribute: str, value: str, rng: random.Random) -> Optional[dict[str, Any]]:
    """The sample's DiceBear options with `attribute` set to `value` and nothing else redrawn
    (None when the style cannot draw the new value together with the sample's other labels)."""
    mapping = STYLES[sample.style]
    labels = {**sample.labels, attribute: value}
    allowed = constraints(mapping, labels)
    if any(not variants for variants in allowed.values()):
        return None
    options = dict(sample.options)
    for option, variants in allowed.items():
        current = options.get(option, [None])[0]
        if current not in variants:
            options[option] = [rng.choice(variants)]
    for option in mapping.optional:
        options[f"{option}Probability"] = 100 if option in allowed else 0
    if attribute in mapping.colours:
        shade = rng.choice(PALETTES[attribute][value])
        for name in mapping.colours[attribute]:
            options[name] = [shade]
    if attribute == "background":
        options["backgroundColor"] = [rng.choice(BACKGROUNDS[value])]
    return options


def rerolled_options(sample: Sample, kept: tuple[str, ...], seed: int) -> Optional[dict[str, Any]]:
    """A new drawing that keeps the style and the `kept` labels and draws every other one anew."""
    rng = random.Random(seed)
    labels = {"style": sample.style}
    for attribute in EDITABLE:
        labels[attribute] = (sample.labels[attribute] if attribute in kept
                             else rng.choice(VOCABULARY.offered(sample.style, attribute)))
    return resolve(sample.style, labels, rng, seed)


def real_triples(n: int, seed: int = 0, keep: float = 0.6) -> list[RealTriple]:
    """`n` triples over random samples and changes (the partial spec keeps each attribute with `keep`,
    as evaluate_edits' random avatars do)."""
    rng = random.Random(seed)
    triples: list[RealTriple] = []
    while len(triples) < n:
        sample = draw(FIRST_SEED + rng.randrange(10**7))
        attribute = rng.choice(EDITABLE)
        options = [v for v in VOCABULARY.offered(sample.style, attribute) if v != sample.labels[attribute]]
        if not options:
            continue
        edited = edited_options(sample, attribute, rng.choice(options), rng)
        kept = tuple(a for a in EDITABLE if a != attribute and rng.random() < keep)
        reroll = rerolled_options(sample, kept, FIRST_SEED + rng.randrange(10**7))
        if edited is not None and reroll is not None:
            triples.append(RealTriple(attribute, sample, edited, reroll))
    return triples


def render(triples: list[RealTriple], size: int) -> torch.Tensor:
    """(3n, 3, size, size) in [-1, 1]: original, edit, re-roll of each triple in turn."""
    requests = []
    for i, t in enumerate(triples):
        for j, options in enumerate((t.original.options, t.edited, t.reroll)):
            requests.append((3 * i + j, t.original.style, options))
    svgs = dict(render_svgs(requests))
    pixels = np.stack([rasterise(svgs[k], size) for k in range(len(requests))])
    return torch.from_numpy(pixels).float().div(127.5).sub(1.0).permute(0, 3, 1, 2)


def floor_figures(triples: list[RealTriple], features: np.ndarray) -> dict[str, Any]:
    original, edited, reroll = features[0::3], features[1::3], features[2::3]
    edit_d, reroll_d = distances(original, edited), distances(original, reroll)
    by = {}
    for attribute in EDITABLE:
        idx = [i for i, t in enumerate(triples) if t.attribute == attribute]
        if idx:
            by[attribute] = {"n": len(idx), "identity": float(edit_d[idx].mean() / reroll_d[idx].mean())}
    return {"edit_distance": float(edit_d.mean()), "reroll_distance": float(reroll_d.mean()),
            "ratio": float(edit_d.mean() / reroll_d.mean()), "pairs": len(triples), "by_changed_attribute": by}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=240)
    parser.add_argument("--classifier", type=Path, default=JUDGE_DIR)
    parser.add_argument("--size", type=int, default=256, help="render edge (the delivered size, as evaluated)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=None, help="eval.json to add `edit_identity_real_floor` to")
    args = parser.parse_args(argv)
    triples = real_triples(args.pairs, args.seed)
    features, _ = classify(load_classifier(args.classifier), render(triples, args.size))
    figures = floor_figures(triples, features)
    if args.out is not None:
        existing = json.loads(args.out.read_text()) if args.out.is_file() else {}
        existing["edit_identity_real_floor"] = figures
        write_json(args.out, existing)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
