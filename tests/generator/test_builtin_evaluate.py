"""evaluate.py end to end on a tiny random pipeline, a tiny classifier and synthetic data."""

from __future__ import annotations

import json
import math

import pytest

from core.vocabulary import ATTRIBUTES
from generator.builtin import evaluate, train_classifier
from tests.generator.tiny_chibi import save_tiny_pipeline


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    weights = save_tiny_pipeline(root / "weights", output_size=64)
    train_classifier.main(["--data", "synthetic:64", "--out", str(root / "classifier"), "--image-size", "32",
                           "--channels", "8", "16", "--feature-dim", "16", "--steps", "2", "--batch", "8",
                           "--save-every", "100"])
    return root, weights, root / "classifier" / "ckpt.pt"


def _evaluate(parts, *extra: str) -> tuple[dict, object]:
    root, weights, classifier = parts
    out, sheet = root / f"eval{len(extra)}.json", root / f"sheet{len(extra)}.png"
    evaluate.main(["--weights", str(weights), "--classifier", str(classifier), "--data", "synthetic:64",
                   "--n-generated", "16", "--n-real", "16", "--diversity-specs", "2", "--batch", "8",
                   "--steps", "2", "--guidance", "2.5", "--delivered-px", "64", "--out", str(out),
                   "--sheet", str(sheet), *extra])
    return json.loads(out.read_text()), sheet


def test_eval_json_holds_every_figure_in_range(parts):
    result, sheet = _evaluate(parts, "--timing-repeats", "1")
    assert (result["steps"], result["guidance"]) == (2, 2.5)
    assert set(result["adherence_per_attribute"]) == set(ATTRIBUTES)
    assert all(0.0 <= v <= 1.0 for v in result["adherence_per_attribute"].values())
    assert result["adherence_mean"] == pytest.approx(
        sum(result["adherence_per_attribute"].values()) / len(ATTRIBUTES))
    assert 0.0 <= result["classifier_test_accuracy"] <= 1.0
    assert result["fid_n"] == {"generated": 16, "real": 16}
    assert result["fid_generated"] >= 0 and result["fid_real_floor"] >= 0
    assert math.isfinite(result["diversity_generated"]) and result["diversity_generated"] > 0
    assert result["cpu_p50_s_batch1"] > 0 and result["cpu_p50_s_batch8_per_image"] > 0
    assert result["weights_mb"] > 0
    assert sheet.stat().st_size > 0
    assert set(result["round_trip_accuracy_per_attribute"]) == set(ATTRIBUTES)
    assert all(0.0 <= v <= 1.0 for v in result["round_trip_accuracy_per_attribute"].values())
    sharp = result["sharpness"]
    assert sharp["n"] == 16 and result["delivered_px"] == 64 and result["native_px"] == 32
    for figure in ("edge_gradient", "high_frequency_share", "edge_rise_px"):
        assert sharp["generated"][figure] > 0 and sharp["real"][figure] > 0
        assert sharp["ratio"][figure] == pytest.approx(sharp["generated"][figure] / sharp["real"][figure])


def test_sweep_mode_skips_timing_and_sheet(parts):
    result, sheet = _evaluate(parts, "--timing-repeats", "0", "--no-sheet")
    assert "cpu_p50_s_batch1" not in result and not sheet.exists()
    assert set(result["adherence_per_attribute"]) == set(ATTRIBUTES)
