"""Tiny random ChibiPipeline: the real architecture with a few channels, for tests and benchmarks
(a test fixture: the package does not ship it).

    python -m tests.generator.tiny_chibi OUT_DIR     # saves it with save_pretrained
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from generator.builtin.architecture import (
    AutoencoderSizes,
    ModelSizes,
    UNetSizes,
    build_attribute_encoder,
    build_autoencoder,
    build_sample_scheduler,
    build_unet,
)
from generator.builtin.pipeline import ChibiPipeline

TINY_SIZES = ModelSizes(
    autoencoder=AutoencoderSizes(image_size=32, channels=(8, 8, 8, 8), layers_per_block=1, latent_channels=4,
                                 norm_groups=4),
    unet=UNetSizes(channels=(16, 32, 32), layers_per_block=1, attention_heads=2, norm_groups=8, condition_dim=16),
)


def build_pipeline(sizes: ModelSizes, output_size: int, scaling_factor: float = 1.0) -> ChibiPipeline:
    """An untrained pipeline of the given sizes (training fills in the weights)."""
    ae = sizes.autoencoder
    return ChibiPipeline(
        vae=build_autoencoder(ae, scaling_factor=scaling_factor),
        unet=build_unet(sizes.unet, latent_size=ae.latent_size, latent_channels=ae.latent_channels),
        attribute_encoder=build_attribute_encoder(sizes.unet),
        scheduler=build_sample_scheduler(),
        output_size=output_size,
    )


def build_tiny_pipeline(seed: int = 0, output_size: int = 64) -> ChibiPipeline:
    """A random tiny pipeline (32 px native, `output_size` delivered); same seed, same weights."""
    torch.manual_seed(seed)
    pipe = build_pipeline(TINY_SIZES, output_size=output_size)
    # Random init gives near-zero outputs; scaling the UNet's output layer makes steps visible.
    with torch.no_grad():
        pipe.unet.conv_out.weight.mul_(50.0)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def save_tiny_pipeline(out_dir: Path, seed: int = 0, output_size: int = 64) -> Path:
    out_dir = Path(out_dir)
    build_tiny_pipeline(seed=seed, output_size=output_size).save_pretrained(out_dir)
    return out_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Save a tiny random ChibiPipeline (for tests).")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-size", type=int, default=64)
    args = parser.parse_args(argv)
    path = save_tiny_pipeline(args.out_dir, seed=args.seed, output_size=args.output_size)
    print(f"tiny ChibiPipeline saved to {path}")


if __name__ == "__main__":
    main()
