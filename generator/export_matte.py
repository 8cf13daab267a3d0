"""Train the learned matte (core/export/learned_matte.py) on DiceBear's exact mattes.

The data are training renders pushed through the shipped autoencoder (generator/export_data.py),
their features computed by the same numpy code the bot runs (core.export.learned_matte
.matte_features), so training and use see the same input. The network is tiny (a coarse
branch of five 3x3 convolutions on 4x4-averaged features, dilations 1-2-4-8-1, and a fine one of
four at full size; 16 channels, ~16k weights) and predicts a correction of the classical alpha's
logit; it is saved as a small .npz that numpy runs. The loss: edge-weighted cross-entropy and L1,
plus a soft-Jaccard term per picture (1 - soft IoU, the evaluation's figure), which weighs the
pictures where a whole region is wrong (pale skin or white hair keyed out) above tidy edges.
`--init` continues from shipped weights (the 0.97 weights: 800 steps, then 1,430 more with the
soft-Jaccard term and a cosine schedule from 1e-3).

    python -m generator.export_matte --data runs/matte-train.npz --out core/export/matte_weights.npz
    python -m generator.export_matte --data runs/matte-train.npz --init core/export/matte_weights.npz \
        --steps 1430 --lr 1e-3 --out core/export/matte_weights.npz
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from core.export.learned_matte import matte_features

COARSE_DILATIONS = (1, 2, 4, 8, 1)
FINE_DILATIONS = (1, 2, 1, 1)
WIDTH = 16
FEATURES = 5
POOL = 4
# Weight of the soft-Jaccard term in the loss.
JACCARD_WEIGHT = 4.0


def _branch(c_in: int, dilations: tuple[int, ...]) -> nn.ModuleList:
    channels = (c_in,) + (WIDTH,) * (len(dilations) - 1) + (1,)
    pairs = zip(channels[:-1], channels[1:], dilations, strict=True)
    convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=d, dilation=d) for a, b, d in pairs)
    nn.init.zeros_(convs[-1].weight)  # starts as the classical matte
    nn.init.zeros_(convs[-1].bias)
    return convs


def _run(x: torch.Tensor, convs: nn.ModuleList) -> torch.Tensor:
    for i, conv in enumerate(convs):
        x = conv(x)
        if i < len(convs) - 1:
            x = torch.relu(x)
    return x


class MatteNet(nn.Module):
    """The same network core/export/learned_matte.py runs in numpy (keep the two in step)."""

    def __init__(self) -> None:
        super().__init__()
        self.coarse = _branch(FEATURES, COARSE_DILATIONS)
        self.fine = _branch(FEATURES + 1, FINE_DILATIONS)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        coarse = _run(nn.functional.avg_pool2d(features, POOL), self.coarse)
        coarse = coarse.repeat_interleave(POOL, dim=2).repeat_interleave(POOL, dim=3)
        fine = _run(torch.cat([features, coarse], dim=1), self.fine)
        base = features[:, 4:5].clamp(1e-3, 1 - 1e-3)
        return torch.logit(base) + coarse + fine  # logits of the alpha


def features_of(images: np.ndarray) -> np.ndarray:
    """N×H×W×5 float16 features of uint8 N×H×W×3 pictures (the bot's own numpy code)."""
    out = np.empty((*images.shape[:3], FEATURES), dtype=np.float16)
    for i, image in enumerate(tqdm(images, desc="features", unit="img", leave=False)):
        out[i] = matte_features(image)[0]
    return out


def edge_weights(alpha: np.ndarray) -> np.ndarray:
    """Pixels near the character's outline count 4x: they are where mattes differ."""
    from scipy import ndimage

    mask = alpha > 127
    edge = ndimage.binary_dilation(mask, iterations=3) & ~ndimage.binary_erosion(mask, iterations=3)
    return 1.0 + 3.0 * edge


def load_npz(model: MatteNet, path: Path) -> None:
    """Weights saved by save_npz into `model` (to continue training)."""
    with np.load(path) as data, torch.no_grad():
        for name, convs in (("coarse", model.coarse), ("fine", model.fine)):
            for i, conv in enumerate(convs):
                conv.weight.copy_(torch.from_numpy(data[f"{name}_w{i}"]))
                conv.bias.copy_(torch.from_numpy(data[f"{name}_b{i}"]))


def train(
    data: Path,
    out: Path,
    steps: int,
    batch: int = 8,
    seed: int = 0,
    init: Path | None = None,
    lr: float = 2e-3,
) -> dict[str, float]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    with np.load(data) as npz:
        images, alphas = npz["images"], npz["alphas"]
    cache = data.with_suffix(".features.npy")
    if cache.is_file():
        feats = np.load(cache, mmap_mode="r")
    else:
        feats = features_of(images)
        np.save(cache, feats)
    model = MatteNet()
    if init is not None:
        load_npz(model, init)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
    n = len(images)
    started = time.monotonic()
    losses = []
    for _ in tqdm(range(steps), desc="matte", unit="step"):
        idx = np.sort(rng.integers(0, n, batch))
        flip = rng.random() < 0.5  # the avatars are nearly symmetric: mirrored pictures are new examples
        x_t = torch.from_numpy(feats[idx].astype(np.float32)).permute(0, 3, 1, 2)
        t_t = torch.from_numpy(alphas[idx].astype(np.float32) / 255.0)[:, None]
        w_t = torch.from_numpy(np.stack([edge_weights(alphas[i]) for i in idx]).astype(np.float32))[:, None]
        if flip:
            x_t, t_t, w_t = x_t.flip(3), t_t.flip(3), w_t.flip(3)
        logits = model(x_t)
        bce = nn.functional.binary_cross_entropy_with_logits(logits, t_t, weight=w_t)
        alpha = torch.sigmoid(logits)
        l1 = (w_t * (alpha - t_t).abs()).mean()
        inter = torch.minimum(alpha, t_t).sum((1, 2, 3))
        union = torch.maximum(alpha, t_t).sum((1, 2, 3)).clamp(min=1)
        jaccard = (1 - inter / union).mean()
        loss = bce + l1 + JACCARD_WEIGHT * jaccard
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
    save_npz(model, out)
    return {"steps": steps, "final_loss": float(np.mean(losses[-50:])), "seconds": time.monotonic() - started}


def save_npz(model: MatteNet, out: Path) -> None:
    arrays: dict[str, np.ndarray] = {"pool": np.array(POOL)}
    for name, convs, dilations in (
        ("coarse", model.coarse, COARSE_DILATIONS),
        ("fine", model.fine, FINE_DILATIONS),
    ):
        arrays[f"{name}_dilations"] = np.array(dilations)
        for i, conv in enumerate(convs):
            arrays[f"{name}_w{i}"] = conv.weight.detach().numpy().astype(np.float32)
            arrays[f"{name}_b{i}"] = conv.bias.detach().numpy().astype(np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="generator/export_data.py output (train split)")
    parser.add_argument("--out", type=Path, default=Path("core/export/matte_weights.npz"))
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--init", type=Path, help="continue from these weights (save_npz's format)")
    parser.add_argument("--lr", type=float, default=2e-3)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(train(args.data, args.out, args.steps, init=args.init, lr=args.lr))


if __name__ == "__main__":
    main()
