"""Shared training plumbing: checkpoints that carry their config, EMA, loss curves, data.

Every stage (autoencoder, diffusion, classifier) resumes from `<run>/ckpt.pt`,
which holds the model sizes and run options beside the weights (nanoGPT style),
so loading a checkpoint needs nothing else.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch
from torch import nn

DATA_ROOT = Path("data/dicebear")
RUNS_ROOT = Path("runs")


class EMA:
    """Exponential moving average of a model's weights (the copy that gets shipped)."""

    def __init__(self, model: nn.Module, decay: float = 0.999):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        # Warm-up: early averages would otherwise be dominated by the random init.
        decay = min(self.decay, (1 + step) / (10 + step))
        for ema_p, p in zip(self.model.parameters(), model.parameters(), strict=True):
            ema_p.lerp_(p.detach(), 1 - decay)
        for ema_b, b in zip(self.model.buffers(), model.buffers(), strict=True):
            ema_b.copy_(b)


@dataclass
class Checkpoint:
    step: int
    config: dict[str, Any]
    state: dict[str, Any]
    losses: list[tuple[int, float]]


def save_checkpoint(path: Path, ckpt: Checkpoint) -> None:
    """Atomic write: a crash mid-save never leaves a broken checkpoint behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"step": ckpt.step, "config": ckpt.config, "state": ckpt.state, "losses": ckpt.losses}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> Optional[Checkpoint]:
    if not path.is_file():
        return None
    raw = torch.load(path, map_location="cpu", weights_only=False)
    return Checkpoint(step=raw["step"], config=raw["config"], state=raw["state"], losses=raw["losses"])


def plot_losses(losses: list[tuple[int, float]], path: Path, title: str, smooth: int = 50) -> None:
    """Loss curve PNG (raw and moving average, log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not losses:
        return
    steps = np.array([s for s, _ in losses])
    values = np.array([v for _, v in losses])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, values, alpha=0.3, lw=0.8, label="loss")
    if len(values) >= smooth:
        kernel = np.ones(smooth) / smooth
        ax.plot(steps[smooth - 1 :], np.convolve(values, kernel, mode="valid"), lw=1.8, label=f"mean of {smooth}")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cosine_lr(step: int, total: int, peak: float, warmup: int = 200, floor: float = 0.1) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def load_split(root: Path, split: str, size: int, limit: Optional[int] = None) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 N x H x W x 3, int64 N x n_attributes tokens) from the data-set tool's files.

    `root` "synthetic" (or "synthetic:N") gives generated stand-in data, for tests and smoke runs.
    """
    if str(root).startswith("synthetic"):
        n = int(str(root).partition(":")[2] or 256)
        return synthetic_split(split, size, limit or n)
    from generator.dataset import load_split as dataset_load_split

    images, tokens = dataset_load_split(Path(root), split, size)
    if limit is not None:
        images, tokens = images[:limit], tokens[:limit]
    return np.ascontiguousarray(images), np.asarray(tokens, dtype=np.int64)


def to_model_range(images_uint8: np.ndarray) -> torch.Tensor:
    """N x H x W x 3 uint8 -> N x 3 x H x W float in [-1, 1]."""
    return torch.from_numpy(images_uint8).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def run_loop(
    total_steps: int,
    start_step: int,
    train_step: Callable[[int], float],
    save: Callable[[int], None],
    save_every: int,
    description: str,
) -> None:
    """The shared step loop: tqdm bar, loss in the bar, periodic checkpoints, final save."""
    from tqdm import tqdm

    bar = tqdm(range(start_step, total_steps), initial=start_step, total=total_steps, desc=description,
               mininterval=5.0)
    running = None
    done = start_step
    for step in bar:
        loss = train_step(step)
        done = step + 1
        running = loss if running is None else 0.98 * running + 0.02 * loss
        bar.set_postfix(loss=f"{running:.4f}", refresh=False)
        if (step + 1) % save_every == 0:
            save(step + 1)
    save(done)


def synthetic_split(split: str, size: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Stand-in data: a background colour, a face disc, a hair cap, labelled by their tokens."""
    from core.vocabulary import ATTRIBUTES, VOCABULARY

    rng = np.random.default_rng({"train": 0, "val": 1, "test": 2}.get(split, 3))
    rows = []
    for _ in range(n):  # like the real sampler: a style, then values that style offers
        style = VOCABULARY.styles[rng.integers(len(VOCABULARY.styles))]
        chosen = {a: VOCABULARY.offered(style, a)[rng.integers(len(VOCABULARY.offered(style, a)))] for a in ATTRIBUTES}
        rows.append(VOCABULARY.tokens(chosen))
    tokens = np.array(rows, dtype=np.int64)
    yy, xx = np.mgrid[0:size, 0:size] / size
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    palette = np.random.default_rng(42).integers(40, 255, (64, 3))
    for i, row in enumerate(tokens):
        img = np.empty((size, size, 3), dtype=np.uint8)
        img[:] = palette[row[7]]
        face = (yy - 0.55) ** 2 + (xx - 0.5) ** 2 < (0.2 + 0.02 * row[0]) ** 2
        img[face] = palette[10 + row[3]]
        hair = face & (yy < 0.45 + 0.02 * row[1])
        img[hair] = palette[20 + row[2]]
        images[i] = img
    return images, tokens
