"""Matte data for the export evaluation and the learned matte: DiceBear renders pushed through the
shipped autoencoder (what the model's pictures look like: drawn at 128 px, delivered at 256 px
with Lanczos) beside the exact alpha the same SVGs give without their background.

    python -m generator.export_data --root data/dicebear --weights generator/weights/chibi \
        --split test --limit 500 --out runs/matte-test.npz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from generator.builtin.training import load_split
from generator.dataset.mattes import load_mattes

DELIVERED = 256


@torch.no_grad()
def autoencoder_roundtrip(vae, images: np.ndarray, batch: int = 32) -> np.ndarray:
    """uint8 N×128×128×3 -> encoded and decoded by `vae` -> uint8 N×256×256×3 (Lanczos, as delivered)."""
    out = np.empty((len(images), DELIVERED, DELIVERED, 3), dtype=np.uint8)
    for start in tqdm(range(0, len(images), batch), desc="autoencoder", unit="batch", leave=False):
        chunk = torch.from_numpy(images[start : start + batch]).permute(0, 3, 1, 2).float() / 127.5 - 1
        latents = vae.encode(chunk).latent_dist.mean
        decoded = (vae.decode(latents).sample / 2 + 0.5).clamp(0, 1)
        arrays = (decoded.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        for i, array in enumerate(arrays):
            picture = Image.fromarray(array).resize((DELIVERED, DELIVERED), Image.Resampling.LANCZOS)
            out[start + i] = np.asarray(picture)
    return out


def build(root: Path, weights: Path, split: str, limit: int, out: Path) -> Path:
    from diffusers import AutoencoderKL

    images, tokens = load_split(root, split, 128, limit=limit)
    alphas = load_mattes(root, split, DELIVERED, limit=limit)
    vae = AutoencoderKL.from_pretrained(weights / "vae", local_files_only=True).float().eval()
    roundtrip = autoencoder_roundtrip(vae, images)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, images=roundtrip, alphas=alphas[: len(roundtrip)], tokens=tokens)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--weights", type=Path, default=Path("generator/weights/chibi"))
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(build(args.root, args.weights, args.split, args.limit, args.out))


if __name__ == "__main__":
    main()
