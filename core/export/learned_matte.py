"""The learned matte: a tiny dilated convolutional network that refines the classical colour-key
matte, trained on DiceBear's exact mattes (generator/export_matte.py) and run here in numpy, so the
bot and the command line need no torch.

Its input per pixel: the colour, the distance to the background colour and the classical alpha;
its output: the alpha. It learns what a colour key cannot: soft edges as the autoencoder
blurs them, and hair or clothes close to the background colour. The weights ship beside this file
(`matte_weights.npz`, about 50 KB).

Exports use both (CombinedMatte, see default_matter): the classical matte, plus the parts of the
character the colour key took for background (pale skin or white hair touching a pastel background
with no outline) where the learned matte finds them. The learned matte alone is less exact on
ordinary edges and cut holes in pale faces; combined, it can only add to the classical cut-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np
from scipy import ndimage

from core.export.compose import Matter
from core.export.matte import Matte, classical_matte, decontaminate, estimate_background

WEIGHTS_FILE = Path(__file__).resolve().parent / "matte_weights.npz"
# Distances (RGB, 0..441) are scaled into the network's range.
DISTANCE_SCALE = 100.0
# Pixels at least this opaque keep their own colour; the rest take the nearest such pixel's.
SOLID = 250
# A region the classical matte keyed out and the learned one calls character is rescued only when
# it is at least this share of the picture (smaller ones are the learned matte's edge noise) ...
MIN_RESCUE_SHARE = 0.002
# ... and it is widened by this many pixels (at 256 px) to take in its soft edge.
RESCUE_GROW_PX = 2


def matte_features(rgb: np.ndarray, background: Optional[np.ndarray] = None) -> tuple[np.ndarray, Matte]:
    """float32 H×W×5 network input (RGB in 0..1, background distance, classical alpha) and the classical matte."""
    rgb = np.ascontiguousarray(rgb[..., :3])
    colour = estimate_background(rgb) if background is None else np.asarray(background, dtype=np.float64)
    classical = classical_matte(rgb, colour)
    image = rgb.astype(np.float32)
    distance = np.linalg.norm(image - colour.astype(np.float32), axis=-1) / DISTANCE_SCALE
    features = np.dstack([image / 255.0, distance[..., None], classical.alpha[..., None] / 255.0])
    return features.astype(np.float32), classical


@dataclass(frozen=True)
class ConvLayer:
    weight: np.ndarray  # (out, in, 3, 3), as torch stores it
    bias: np.ndarray  # (out,)
    dilation: int


def conv3x3(x: np.ndarray, layer: ConvLayer) -> np.ndarray:
    """A 3x3 convolution (same size, zero padding, dilation d) of H×W×C_in, as one matrix product."""
    d = layer.dilation
    h, w, c = x.shape
    padded = np.pad(x, ((d, d), (d, d), (0, 0)))
    columns = np.empty((h, w, 9, c), dtype=np.float32)
    for ky in range(3):
        for kx in range(3):
            columns[:, :, ky * 3 + kx, :] = padded[ky * d : ky * d + h, kx * d : kx * d + w, :]
    kernel = layer.weight.transpose(2, 3, 1, 0).reshape(9 * c, -1)  # (ky, kx, in) -> out
    return columns.reshape(h * w, 9 * c) @ kernel + layer.bias


class LearnedMatte:
    """Callable like classical_matte: (RGB, background) -> Matte.

    Two branches of 3x3 convolutions: a coarse one on the features averaged over 4x4 blocks (it sees
    the whole picture: which pale region is a face and which is background) and a fine one at full
    size (the edges). Their outputs correct the classical alpha's logit."""

    def __init__(self, coarse: list[ConvLayer], fine: list[ConvLayer], pool: int) -> None:
        self.coarse = coarse
        self.fine = fine
        self.pool = pool

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> LearnedMatte:
        with np.load(path) as data:
            branches = {}
            for name in ("coarse", "fine"):
                dilations = data[f"{name}_dilations"]
                branches[name] = [
                    ConvLayer(data[f"{name}_w{i}"].astype(np.float32), data[f"{name}_b{i}"].astype(np.float32), int(d))
                    for i, d in enumerate(dilations)
                ]
            return cls(branches["coarse"], branches["fine"], int(data["pool"]))

    @staticmethod
    def _run(x: np.ndarray, layers: list[ConvLayer]) -> np.ndarray:
        h, w, _ = x.shape
        for i, layer in enumerate(layers):
            x = conv3x3(x, layer).reshape(h, w, -1)
            if i < len(layers) - 1:
                np.maximum(x, 0, out=x)
        return x

    def alpha(self, features: np.ndarray) -> np.ndarray:
        """float alpha in 0..1 of H×W×5 features (H and W multiples of the pool size)."""
        h, w, c = features.shape
        p = self.pool
        pooled = features.reshape(h // p, p, w // p, p, c).mean(axis=(1, 3))
        coarse = self._run(pooled, self.coarse)
        coarse = np.repeat(np.repeat(coarse, p, axis=0), p, axis=1)
        fine = self._run(np.concatenate([features, coarse], axis=-1), self.fine)
        base = np.clip(features[..., 4], 1e-3, 1 - 1e-3)
        logit = np.log(base / (1 - base)) + coarse[..., 0] + fine[..., 0]
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -30, 30)))

    def __call__(self, rgb: np.ndarray, background: Optional[np.ndarray] = None) -> Matte:
        h, w = rgb.shape[:2]
        if h % self.pool or w % self.pool:  # only for odd sizes: the model's pictures are 256 px
            return classical_matte(rgb, background)
        features, _ = matte_features(rgb, background)
        alpha = (self.alpha(features) * 255).round().astype(np.uint8)
        # Snap the sure parts: what the net calls nearly opaque or nearly clear, is.
        alpha[alpha >= SOLID] = 255
        alpha[alpha <= 255 - SOLID] = 0
        colours = decontaminate(np.ascontiguousarray(rgb[..., :3]), alpha, solid=SOLID)
        return Matte(alpha=alpha, rgb=colours)


class CombinedMatte:
    """Callable like classical_matte: the classical matte, plus the regions it keyed out that the
    learned matte calls character (each at least MIN_RESCUE_SHARE of the picture, grown by
    RESCUE_GROW_PX, taking the larger alpha there). Everywhere else the alpha is the classical one,
    so it never cuts into what the classical matte keeps (no holes in pale faces)."""

    def __init__(self, learned: LearnedMatte) -> None:
        self.learned = learned

    def rescued(self, classical: np.ndarray, learned: np.ndarray) -> np.ndarray:
        """Bool mask of the pixels where the learned alpha (uint8) overrides the classical one."""
        added = (learned > 127) & (classical == 0)
        labels, count = ndimage.label(added)
        if count == 0:
            return added
        areas = ndimage.sum_labels(np.ones(added.shape), labels, index=np.arange(1, count + 1))
        big = np.flatnonzero(areas >= MIN_RESCUE_SHARE * added.size) + 1
        if big.size == 0:
            return np.zeros_like(added)
        grow = max(1, round(RESCUE_GROW_PX * added.shape[0] / 256))
        return ndimage.binary_dilation(np.isin(labels, big), iterations=grow)

    def __call__(self, rgb: np.ndarray, background: Optional[np.ndarray] = None) -> Matte:
        h, w = rgb.shape[:2]
        pool = self.learned.pool
        if h % pool or w % pool:
            return classical_matte(rgb, background)
        rgb = np.ascontiguousarray(rgb[..., :3])
        features, classical = matte_features(rgb, background)
        learned = (self.learned.alpha(features) * 255).round().astype(np.uint8)
        learned[learned >= SOLID] = 255
        learned[learned <= 255 - SOLID] = 0
        rescue = self.rescued(classical.alpha, learned)
        if not rescue.any():
            return classical
        alpha = np.where(rescue, np.maximum(classical.alpha, learned), classical.alpha).astype(np.uint8)
        colours = classical.rgb.copy()
        # The rescued regions' colours: their own where solid, the nearest solid pixel's elsewhere.
        fixed = decontaminate(rgb, alpha, solid=SOLID)
        colours[rescue] = fixed[rescue]
        return Matte(alpha=alpha, rgb=colours)


@lru_cache(maxsize=1)
def _combined() -> CombinedMatte:
    return CombinedMatte(LearnedMatte.load(WEIGHTS_FILE))


def default_matter() -> Matter:
    """The matte exports use: the combined one (classical plus the regions the learned matte
    rescues; mean IoU on 500 test renders in export_eval.json). Without the weights file, the
    classical one."""
    if not WEIGHTS_FILE.is_file():
        return classical_matte
    return _combined()
