"""The real-render floor of edit_identity: an edit redraws only the changed attribute's options."""

from __future__ import annotations

import random

import numpy as np
import pytest

from core.palette import BACKGROUNDS, PALETTES
from core.vocabulary import VOCABULARY
from generator.builtin.edit_identity_floor import (
    FIRST_SEED,
    RealTriple,
    edited_options,
    floor_figures,
    real_triples,
    rerolled_options,
)
from generator.dataset.sampler import draw
from generator.dataset.styles import STYLES


def _sample_with_choice(attribute: str):
    for seed in range(FIRST_SEED, FIRST_SEED + 500):
        sample = draw(seed)
        others = [v for v in VOCABULARY.offered(sample.style, attribute) if v != sample.labels[attribute]]
        if others and attribute in STYLES[sample.style].colours:
            return sample, others[0]
    raise AssertionError(f"no sample with another {attribute}")


def test_a_colour_edit_changes_only_that_colour() -> None:
    sample, value = _sample_with_choice("hair_color")
    edited = edited_options(sample, "hair_color", value, random.Random(0))
    changed = {k for k in edited if edited[k] != sample.options.get(k)}
    assert changed == set(STYLES[sample.style].colours["hair_color"])
    assert edited["hairColor"][0] in PALETTES["hair_color"][value]
    assert edited["seed"] == sample.options["seed"]  # DiceBear's own choices stay


def test_a_background_edit_changes_only_the_background() -> None:
    sample = draw(FIRST_SEED)
    value = next(v for v in VOCABULARY.offered(sample.style, "background") if v != sample.labels["background"])
    edited = edited_options(sample, "background", value, random.Random(0))
    assert {k for k in edited if edited[k] != sample.options.get(k)} == {"backgroundColor"}
    assert edited["backgroundColor"][0] in BACKGROUNDS[value]


def test_a_reroll_keeps_the_kept_labels_and_draws_anew() -> None:
    sample = draw(FIRST_SEED + 1)
    reroll = rerolled_options(sample, ("skin",), FIRST_SEED + 2)
    assert reroll is not None and reroll["seed"] != sample.options["seed"]
    skin_options = STYLES[sample.style].colours["skin"]
    assert all(reroll[name][0] in PALETTES["skin"][sample.labels["skin"]] for name in skin_options)


def test_triples_cover_the_changes_and_the_figures_are_ratios() -> None:
    triples = real_triples(30, seed=1)
    assert len(triples) == 30 and len({t.attribute for t in triples}) >= 5
    # Features: every edit at distance 1 of its original, every re-roll at distance 4.
    features = np.zeros((90, 2))
    features[1::3, 0] = 1.0
    features[2::3, 1] = 4.0
    figures = floor_figures(triples, features)
    assert figures["ratio"] == pytest.approx(0.25)
    assert all(v["identity"] == pytest.approx(0.25) for v in figures["by_changed_attribute"].values())
    assert sum(v["n"] for v in figures["by_changed_attribute"].values()) == 30
    assert isinstance(triples[0], RealTriple)
