"""The shipped judge: saved as float16 weights + config, loaded back to the same answers."""

from __future__ import annotations

import json

import torch

from generator.builtin.classifier import JUDGE_DIR, AttributeClassifier, ClassifierSizes, load_classifier, save_judge


def test_a_saved_judge_loads_back_and_judges_like_the_original(tmp_path) -> None:
    torch.manual_seed(0)
    model = AttributeClassifier(ClassifierSizes(image_size=32, channels=(8, 16), feature_dim=16)).eval()
    save_judge(model, tmp_path / "judge", {"test_accuracy": {"mean": 0.5}})
    loaded = load_classifier(tmp_path / "judge")
    images = torch.rand(4, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        for a, b in zip(model(images), loaded(images), strict=True):
            assert torch.allclose(a, b, atol=2e-2)  # float16 weights
            assert torch.equal(a.argmax(1), b.argmax(1))
    assert loaded.sizes == model.sizes
    assert json.loads((tmp_path / "judge" / "config.json").read_text())["test_accuracy"]["mean"] == 0.5


def test_a_folder_without_a_judge_is_named(tmp_path) -> None:
    try:
        load_classifier(tmp_path)
    except FileNotFoundError as exc:
        assert str(tmp_path) in str(exc)
    else:
        raise AssertionError("an empty folder loaded as a judge")


def test_the_shipped_judge_loads_and_states_its_accuracy() -> None:
    judge = load_classifier(JUDGE_DIR)
    config = json.loads((JUDGE_DIR / "config.json").read_text())
    assert config["test_accuracy"]["mean"] >= 0.99 and config["test_images"] >= 1000
    with torch.no_grad():
        logits = judge(torch.zeros(1, 3, judge.sizes.image_size, judge.sizes.image_size))
    assert len(logits) == 8
