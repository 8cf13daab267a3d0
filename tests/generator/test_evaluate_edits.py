"""evaluate_edits.py end to end on a tiny random pipeline and a tiny classifier."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.vocabulary import ATTRIBUTES, VOCABULARY
from generator.builtin import evaluate_edits, train_classifier
from generator.builtin.evaluate_edits import applied_share, kept_share, random_pairs
from tests.generator.tiny_chibi import save_tiny_pipeline


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    root = tmp_path_factory.mktemp("edits")
    weights = save_tiny_pipeline(root / "weights", output_size=64)
    train_classifier.main(
        [
            "--data",
            "synthetic:64",
            "--out",
            str(root / "classifier"),
            "--image-size",
            "32",
            "--channels",
            "8",
            "16",
            "--feature-dim",
            "16",
            "--steps",
            "2",
            "--batch",
            "8",
            "--save-every",
            "100",
        ]
    )
    return root, weights, root / "classifier" / "ckpt.pt"


def test_pairs_change_one_attribute_to_a_value_the_style_offers() -> None:
    pairs = random_pairs(50, np.random.default_rng(0))
    for pair in pairs:
        assert pair.attribute != "style" and getattr(pair.source, pair.attribute) != pair.value
        assert pair.value in VOCABULARY.offered(pair.source.style, pair.attribute)
        assert pair.edited.replace(**{pair.attribute: getattr(pair.source, pair.attribute)}) == pair.source
    assert len({p.attribute for p in pairs}) >= 5


def test_kept_counts_only_unchanged_attributes_and_applied_only_the_change() -> None:
    before = np.zeros((2, len(ATTRIBUTES)), dtype=int)
    after = before.copy()
    after[0, ATTRIBUTES.index("hair_color")] = 5  # the change itself: not counted as lost
    after[1, ATTRIBUTES.index("skin")] = 1  # an unchanged attribute read differently: lost
    kept, by = kept_share(before, after, ["hair_color", "hair_color"])
    assert kept == pytest.approx(13 / 14) and by["skin"] == 0.5 and "hair_color" not in by
    pairs = random_pairs(1, np.random.default_rng(1))
    index = VOCABULARY.values[pairs[0].attribute].index(pairs[0].value)
    read = np.zeros((1, len(ATTRIBUTES)), dtype=int)
    read[0, ATTRIBUTES.index(pairs[0].attribute)] = index
    assert applied_share(pairs, read)[0] == 1.0


def test_evaluation_adds_its_figures_and_keeps_the_other_keys(parts) -> None:
    root, weights, classifier = parts
    out = root / "eval.json"
    out.write_text(json.dumps({"adherence_mean": 0.5}))
    sheet = root / "edits.png"
    evaluate_edits.main(
        [
            "--weights",
            str(weights),
            "--classifier",
            str(classifier),
            "--pairs",
            "12",
            "--packs",
            "2",
            "--steps",
            "3",
            "--batch",
            "8",
            "--timing-repeats",
            "1",
            "--out",
            str(out),
            "--sheet",
            str(sheet),
        ]
    )
    result = json.loads(out.read_text())
    assert result["adherence_mean"] == 0.5
    for key in ("edit_kept", "edit_applied", "pack_kept"):
        assert 0.0 <= result[key] <= 1.0
    assert result["edit_identity"]["ratio"] > 0 and result["pack_cpu_s"] > 0
    assert result["edits"]["edit_pairs"] == 12 and result["edits"]["pack_n"] == 2
    assert sheet.stat().st_size > 0


def test_sweep_writes_one_report_per_shared_steps(parts) -> None:
    root, weights, classifier = parts
    out = root / "sweep" / "eval.json"
    evaluate_edits.main(
        [
            "--weights",
            str(weights),
            "--classifier",
            str(classifier),
            "--pairs",
            "8",
            "--steps",
            "3",
            "--sweep",
            "0,2",
            "--out",
            str(out),
        ]
    )
    sweep = json.loads(out.with_name("edit_sweep.json").read_text())
    assert set(sweep["sweep"]) == {"0", "2"} and not out.exists()
