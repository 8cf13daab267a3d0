"""The learned matte: the numpy network the bot runs computes what the torch one trained; training
runs on tiny data; the figures can tell a good matte from a bad one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from core.export.learned_matte import LearnedMatte, matte_features
from core.export.matte import classical_matte
from generator.export_matte import MatteNet, save_npz, train
from generator.export_metrics import matte_figures
from tests.core.export.drawn_avatar import drawn_avatar


def test_numpy_inference_matches_torch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = MatteNet()
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, std=0.1)
    save_npz(model, tmp_path / "w.npz")
    avatar, _ = drawn_avatar()
    features, _ = matte_features(np.asarray(avatar))
    with torch.no_grad():
        expected = torch.sigmoid(model(torch.from_numpy(features).permute(2, 0, 1)[None]))[0, 0].numpy()
    assert np.abs(LearnedMatte.load(tmp_path / "w.npz").alpha(features) - expected).max() < 1e-5


def test_training_writes_weights_the_bot_can_use(tmp_path: Path) -> None:
    pictures, alphas = zip(*(drawn_avatar() for _ in range(2)), strict=True)
    data = tmp_path / "data.npz"
    np.savez(data, images=np.stack([np.asarray(p) for p in pictures]), alphas=(np.stack(alphas) * 255).astype(np.uint8))
    figures = train(data, tmp_path / "w.npz", steps=3, batch=2)
    assert figures["steps"] == 3
    matte = LearnedMatte.load(tmp_path / "w.npz")(np.asarray(pictures[0]))
    assert matte.alpha.shape == (256, 256) and matte.alpha[5, 5] == 0 and matte.alpha[105, 128] == 255


def test_figures_tell_a_good_matte_from_a_bad_one() -> None:
    avatar, exact = drawn_avatar()
    exact8 = (exact * 255).astype(np.uint8)
    good = matte_figures([classical_matte(np.asarray(avatar)).alpha], [exact8])
    bad = matte_figures([np.full_like(exact8, 255)], [exact8])
    assert good["mean_iou"] > 0.95 and bad["mean_iou"] < 0.6
    assert good["edge_mae"] < bad["edge_mae"]
