"""The evaluation classifier: one head per attribute over a small CNN.

It judges generated avatars (adherence) and its penultimate features serve as
the feature space for Frechet distance and diversity (no pretrained backbones
are available on the CPU build).
"""

from __future__ import annotations

import json
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
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
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


# The shipped judge: the classifier's EMA weights (float16) and sizes, so every session's figures
# come from one judge without retraining it (generator/builtin/ship_judge.py writes it).
JUDGE_DIR = Path(__file__).resolve().parents[1] / "weights" / "judge"
JUDGE_WEIGHTS = "judge.safetensors"
JUDGE_CONFIG = "config.json"


def save_judge(model: AttributeClassifier, out_dir: Path, card: dict) -> Path:
    """Write the judge folder: float16 weights and a config holding its sizes and `card` (figures)."""
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to(torch.float16 if v.is_floating_point() else v.dtype).contiguous()
        for k, v in model.state_dict().items()
    }
    save_file(state, str(out_dir / JUDGE_WEIGHTS))
    sizes = {
        "image_size": model.sizes.image_size,
        "channels": list(model.sizes.channels),
        "feature_dim": model.sizes.feature_dim,
    }
    (out_dir / JUDGE_CONFIG).write_text(json.dumps({"sizes": sizes, **card}, indent=2, sort_keys=True) + "\n")
    return out_dir


def load_classifier(path) -> AttributeClassifier:
    """Rebuild the classifier (eval mode) from a judge folder (save_judge) or a training checkpoint
    (its EMA weights)."""
    from generator.builtin.training import load_checkpoint

    path = Path(path)
    if path.is_dir():
        return _load_judge(path)
    ckpt = load_checkpoint(path)
    if ckpt is None:
        raise FileNotFoundError(f"no classifier checkpoint at {path}; train it first")
    raw = ckpt.config["sizes"]
    sizes = ClassifierSizes(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    model = AttributeClassifier(sizes)
    model.load_state_dict(ckpt.state["ema"])
    return model.eval()


def _load_judge(folder: Path) -> AttributeClassifier:
    from safetensors.torch import load_file

    if not (folder / JUDGE_WEIGHTS).is_file() or not (folder / JUDGE_CONFIG).is_file():
        raise FileNotFoundError(f"no judge in {folder} (want {JUDGE_WEIGHTS} and {JUDGE_CONFIG})")
    raw = json.loads((folder / JUDGE_CONFIG).read_text())["sizes"]
    sizes = ClassifierSizes(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})
    model = AttributeClassifier(sizes)
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(folder / JUDGE_WEIGHTS)).items()}
    model.load_state_dict(state)
    return model.eval()
