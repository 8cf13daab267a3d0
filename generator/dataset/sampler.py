"""Seed -> one labelled sample: a complete vocabulary assignment and the DiceBear options that draw it."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.palette import BACKGROUNDS, PALETTES
from core.vocabulary import ATTRIBUTES, VOCABULARY
from generator.dataset.styles import STYLES, StyleMapping

# Disjoint seed ranges keep the splits apart however many samples each one gets.
SPLIT_SEED_BASE: Mapping[str, int] = {"train": 0, "val": 100_000_000, "test": 200_000_000}
SPLIT_CAPACITY = 100_000_000
# Some label combinations cannot be drawn together (e.g. adventurer's flower crowns
# only sit on long or curly hair); the sampler draws again, and gives up after this many.
MAX_DRAWS = 200


@dataclass(frozen=True)
class Sample:
    seed: int
    labels: Mapping[str, str]
    options: Mapping[str, Any]

    @property
    def style(self) -> str:
        return self.labels["style"]

    @property
    def tokens(self) -> tuple[int, ...]:
        return VOCABULARY.tokens(self.labels)

    def to_record(self) -> dict[str, Any]:
        return {"seed": self.seed, "labels": dict(self.labels), "options": dict(self.options)}


def seed_for(split: str, index: int) -> int:
    """The seed of sample `index` of a split."""
    if split not in SPLIT_SEED_BASE:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLIT_SEED_BASE)}")
    if not 0 <= index < SPLIT_CAPACITY:
        raise ValueError(f"sample index {index} is outside 0..{SPLIT_CAPACITY - 1}")
    return SPLIT_SEED_BASE[split] + index


def draw(seed: int) -> Sample:
    """The sample for a seed: a style, then values that style offers, then options drawing them."""
    rng = random.Random(seed)
    style = rng.choice(VOCABULARY.styles)
    for _ in range(MAX_DRAWS):
        labels = {"style": style}
        for attribute in ATTRIBUTES[1:]:
            labels[attribute] = rng.choice(VOCABULARY.offered(style, attribute))
        options = resolve(style, labels, rng, seed)
        if options is not None:
            return Sample(seed=seed, labels=labels, options=options)
    raise RuntimeError(f"no drawable label combination for style {style!r} after {MAX_DRAWS} draws (seed {seed})")


def constraints(mapping: StyleMapping, labels: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Allowed variants per option for these labels (an empty tuple: they cannot be drawn together)."""
    allowed: dict[str, tuple[str, ...]] = {}
    for attribute, per_value in mapping.values.items():
        for option, variants in per_value[labels[attribute]].items():
            if option in allowed:
                allowed[option] = tuple(x for x in allowed[option] if x in variants)
            else:
                allowed[option] = tuple(variants)
    for option, reserved in mapping.reserved.items():
        if option in allowed:
            allowed[option] = tuple(
                x for x in allowed[option] if x not in reserved or labels[reserved[x][0]] == reserved[x][1]
            )
    return allowed


def resolve(style: str, labels: Mapping[str, str], rng: random.Random, seed: int) -> dict[str, Any] | None:
    """DiceBear options for a label assignment, one variant per option; None if it cannot be drawn."""
    mapping = STYLES[style]
    allowed = constraints(mapping, labels)
    if any(not variants for variants in allowed.values()):
        return None
    # DiceBear's own seed still varies what no label covers (noses, clothes, ear shapes...).
    options: dict[str, Any] = {"seed": str(seed)}
    for option, variants in mapping.base.items():
        if option not in allowed:
            options[option] = [rng.choice(variants)]
    for option, variants in allowed.items():
        options[option] = [rng.choice(variants)]
    for option in mapping.optional:
        options[f"{option}Probability"] = 100 if option in allowed else 0
    for attribute, option_names in mapping.colours.items():
        shade = rng.choice(PALETTES[attribute][labels[attribute]])
        for name in option_names:
            options[name] = [shade]
    options["backgroundColor"] = [rng.choice(BACKGROUNDS[labels["background"]])]
    options.update(mapping.fixed)
    return options
