"""Stage 3: train the evaluation classifier on training renders; report test accuracy.

    python -m generator.builtin.train_classifier --data data/dicebear --out runs/classifier --steps 2500

Resumes from `<out>/ckpt.pt`; writes `<out>/loss.png` and `<out>/accuracy.json`.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from core.vocabulary import ATTRIBUTES
from generator.builtin.classifier import AttributeClassifier, ClassifierSizes
from generator.builtin.training import (
    DATA_ROOT,
    EMA,
    RUNS_ROOT,
    Checkpoint,
    cosine_lr,
    load_checkpoint,
    load_split,
    plot_losses,
    run_loop,
    save_checkpoint,
    to_model_range,
    write_json,
)


def soften(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Random down-and-up sampling, so generated (slightly softer) images are judged fairly."""
    if rng.random() < 0.5:
        size = x.shape[-1]
        small = int(size * rng.uniform(0.5, 0.85))
        x = F.interpolate(F.interpolate(x, size=small, mode="bilinear", antialias=True), size=size, mode="bilinear")
    return x


@torch.no_grad()
def accuracy(model: AttributeClassifier, images: np.ndarray, tokens: np.ndarray, batch: int = 128) -> dict[str, float]:
    model.eval()
    correct = np.zeros(len(ATTRIBUTES))
    for i in range(0, len(images), batch):
        logits = model(to_model_range(images[i : i + batch]))
        target = torch.from_numpy(tokens[i : i + batch] - 1)
        for a, lg in enumerate(logits):
            correct[a] += float((lg.argmax(1) == target[:, a]).sum())
    per = {a: correct[i] / len(images) for i, a in enumerate(ATTRIBUTES)}
    return {"mean": float(np.mean(list(per.values()))), **{a: float(v) for a, v in per.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA_ROOT)
    parser.add_argument("--out", type=Path, default=RUNS_ROOT / "classifier")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--channels", type=int, nargs="+", default=[32, 64, 128, 256])
    parser.add_argument("--feature-dim", type=int, default=256)
    parser.add_argument("--steps", type=int, default=2500)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--save-every", type=int, default=250)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    ckpt_path = args.out / "ckpt.pt"
    ckpt = load_checkpoint(ckpt_path)
    if ckpt is not None:
        sizes = ClassifierSizes(**{k: tuple(v) if isinstance(v, list) else v for k, v in ckpt.config["sizes"].items()})
        run = ckpt.config["run"]
        print(f"resuming {ckpt_path} at step {ckpt.step}")
    else:
        sizes = ClassifierSizes(image_size=args.image_size, channels=tuple(args.channels), feature_dim=args.feature_dim)
        run = {"batch": args.batch, "lr": args.lr}
    run["steps"] = args.steps
    torch.manual_seed(0)
    model = AttributeClassifier(sizes)
    ema = EMA(model, decay=0.995)
    opt = torch.optim.AdamW(model.parameters(), lr=run["lr"], weight_decay=1e-4)
    losses: list[tuple[int, float]] = []
    start = 0
    if ckpt is not None:
        model.load_state_dict(ckpt.state["model"])
        ema.model.load_state_dict(ckpt.state["ema"])
        opt.load_state_dict(ckpt.state["opt"])
        losses, start = ckpt.losses, ckpt.step

    images, tokens = load_split(args.data, "train", sizes.image_size, limit=args.limit)
    test_images, test_tokens = load_split(args.data, "test", sizes.image_size)
    targets = torch.from_numpy(tokens - 1)
    rng = np.random.default_rng(start)
    model.train()

    def train_step(step: int) -> float:
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, run["steps"], run["lr"], warmup=100, floor=0.02)
        idx = rng.integers(0, len(images), run["batch"])
        x = soften(to_model_range(images[idx]), rng)
        logits = model(x)
        loss = sum(F.cross_entropy(lg, targets[idx, a]) for a, lg in enumerate(logits)) / len(logits)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ema.update(model, step)
        value = loss.item()
        losses.append((step + 1, value))
        return value

    def save(step: int) -> None:
        config = {"sizes": asdict(sizes), "run": run, "stage": "classifier"}
        state = {"model": model.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict()}
        save_checkpoint(ckpt_path, Checkpoint(step, config, state, losses))
        plot_losses(losses, args.out / "loss.png", "classifier loss (mean cross-entropy over attributes)")

    run_loop(run["steps"], start, train_step, save, args.save_every, "classifier")
    result = accuracy(ema.model, test_images, test_tokens)
    write_json(args.out / "accuracy.json", {"test_accuracy": result, "test_images": len(test_images)})
    print("test accuracy:", {k: round(v, 4) for k, v in result.items()})


if __name__ == "__main__":
    main()
