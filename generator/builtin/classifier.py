"""The evaluation classifier: one head per attribute over a small CNN.

It judges generated avatars (adherence) and its penultimate features serve as
the feature space for Frechet distance and diversity (no pretrained backbones
are available on the CPU build).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from core.vocabulary import ATTRIBUTES, VOCABULARY


@dataclass(frozen=True)
class ClassifierSizes:
    image_size: int = 128
    channels: tuple[int, ...] = (32, 64, 128, 256)
    feature_dim: int = 256


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
    )


class AttributeClassifier(nn.Module):
    """Images in [-1, 1] -> logits per attribute over its values (no null class)."""

    def __init__(self, sizes: ClassifierSizes):
        super().__init__()
        self.sizes = sizes
        chans = (3, *sizes.channels)
        self.body = nn.Sequential(*[_block(a, b) for a, b in zip(chans[:-1], chans[1:], strict=True)])
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(chans[-1], sizes.feature_dim), nn.ReLU(inplace=True))
        self.heads = nn.ModuleList(nn.Linear(sizes.feature_dim, len(VOCABULARY.values[a])) for a in ATTRIBUTES)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features (B, feature_dim)."""
        return self.features(self.body(images).mean(dim=(2, 3), keepdim=True))

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        feats = self.embed(images)
        return [head(feats) for head in self.heads]


def load_classifier(path) -> AttributeClassifier:
    """Rebuild the classifier from its checkpoint alone (EMA weights, eval mode)."""
    from generator.builtin.training import load_checkpoint

    ckpt = load_checkpoint(Path(path))
    if ckpt is None:
        raise FileNotFoundError(f"no classifier checkpoint at {path}; train it first")
    raw = ckpt.config["sizes"]
    sizes = ClassifierSizes(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    model = AttributeClassifier(sizes)
    model.load_state_dict(ckpt.state["ema"])
    return model.eval()
