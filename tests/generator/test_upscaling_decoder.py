"""The upscaling decoder: warm start from a vae, RGB + alpha at twice the size, its training stage."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from generator.builtin import train_decoder
from generator.builtin.architecture import AutoencoderSizes, build_autoencoder
from generator.builtin.patch_discriminator import (
    PatchDiscriminator,
    adaptive_weight,
    feature_matching_loss,
    hinge_discriminator_loss,
)
from generator.builtin.upscaling_decoder import UpscalingDecoder, split_rgb_alpha


@pytest.fixture
def vae():
    torch.manual_seed(0)
    model = build_autoencoder(AutoencoderSizes(image_size=32, channels=(8, 8, 16, 16), latent_channels=4,
                                               norm_groups=4))
    with torch.no_grad():  # a random decoder whose output is not flat, so the comparison means something
        for p in model.decoder.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model.eval()


def test_warm_start_draws_the_old_decoders_picture_at_twice_the_size(vae):
    decoder = UpscalingDecoder.from_vae(vae).eval()
    assert decoder.upscale == 16 and decoder.config.block_out_channels == (8, 8, 8, 16, 16)
    latents = torch.randn(2, 4, 4, 4)
    with torch.no_grad():
        old = vae.decode(latents).sample
        new = decoder(latents)
    assert new.shape == (2, 4, 64, 64)
    # Same picture, up to the last 3x3 convolution seeing upsampled features (a trained decoder is
    # smoother than this random one, and much closer): correlated, and far closer than a fresh decoder.
    pooled = F.avg_pool2d(new[:, :3], 2)
    assert torch.corrcoef(torch.stack([pooled.flatten(), old.flatten()]))[0, 1] > 0.9
    fresh = UpscalingDecoder(latent_channels=4, block_out_channels=(8, 8, 8, 16, 16), norm_num_groups=4).eval()
    with torch.no_grad():
        fresh_rgb = fresh(latents)[:, :3]
    nearest = F.interpolate(old, scale_factor=2, mode="nearest")
    assert (new[:, :3] - nearest).abs().mean() < 0.5 * (fresh_rgb - nearest).abs().mean()
    assert torch.allclose(new[:, 3], torch.ones_like(new[:, 3]))  # alpha starts as "all character"


def test_pixel_shuffle_head_starts_as_the_old_picture_repeated_over_2x2_blocks(vae):
    decoder = UpscalingDecoder.from_vae(vae, head="pixel_shuffle").eval()
    assert decoder.upscale == 16 and decoder.config.block_out_channels == (8, 8, 16, 16)
    latents = torch.randn(2, 4, 4, 4)
    with torch.no_grad():
        old = vae.decode(latents).sample
        new = decoder(latents)
    assert new.shape == (2, 4, 64, 64)
    for dy in (0, 1):
        for dx in (0, 1):
            assert torch.allclose(new[:, :3, dy::2, dx::2], old, atol=1e-5)
    assert torch.allclose(new[:, 3], torch.ones_like(new[:, 3]))
    saved_config = dict(decoder.config)
    assert UpscalingDecoder.from_config(saved_config).upscale == 16


def test_an_unknown_head_is_refused():
    with pytest.raises(ValueError, match="head"):
        UpscalingDecoder(head="bilinear")


def test_split_rgb_alpha_maps_to_unit_range():
    decoded = torch.tensor([-3.0, -1.0, 0.0, 1.0]).view(1, 4, 1, 1)
    rgb, alpha = split_rgb_alpha(decoded)
    assert rgb.flatten().tolist() == [0.0, 0.0, 0.5]
    assert alpha.item() == 1.0


def test_discriminator_losses_and_adaptive_weight():
    disc = PatchDiscriminator(width=8, layers=2, norm_groups=4)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    logits, features = disc(x)
    assert logits.ndim == 4 and len(features) == 3
    # Hinge: a confident, correct discriminator has zero loss; an undecided one has loss 1.
    assert hinge_discriminator_loss(torch.full((4,), 2.0), torch.full((4,), -2.0)) == 0
    assert hinge_discriminator_loss(torch.zeros(4), torch.zeros(4)) == 1
    assert feature_matching_loss(features, features) == 0
    layer = torch.nn.Parameter(torch.ones(3))
    pixel, adv = (layer * 2).sum(), (layer * 0.5).sum()
    assert adaptive_weight(pixel, adv, layer).item() == pytest.approx(4.0, rel=1e-3)


def test_aligned_crops_take_the_same_region_at_both_scales():
    rng = np.random.default_rng(0)
    latents = torch.arange(16 * 16, dtype=torch.float32).view(1, 1, 16, 16)
    images = np.zeros((1, 256, 256, 3), dtype=np.uint8)
    images[0, :, :, 0] = (np.arange(256)[:, None] // 16) * 16  # row of the latent cell, readable in pixels
    mattes = np.full((1, 256, 256), 255, dtype=np.uint8)
    lat, pix, alpha = train_decoder.aligned_crops(latents, images, mattes, 3, 4, 16, rng)
    assert lat.shape == (3, 1, 4, 4) and pix.shape == (3, 3, 64, 64) and alpha.shape == (3, 1, 64, 64)
    for i in range(3):
        first_row = int(lat[i, 0, 0, 0].item()) // 16
        assert round((pix[i, 0, 0, 0].item() + 1) * 127.5) == first_row * 16
    assert torch.all(alpha == 1.0)


def test_training_stage_runs_resumes_and_exports(tmp_path, vae):
    vae.register_to_config(scaling_factor=1.0)
    vae.save_pretrained(tmp_path / "vae")
    args = ["--data", "synthetic:32", "--vae", str(tmp_path / "vae"), "--out", str(tmp_path / "run"),
            "--size", "64", "--batch", "2", "--crop", "2", "--no-mattes", "--disc-start", "1",
            "--save-every", "2", "--export-every", "2", "--limit", "32"]
    train_decoder.main([*args, "--steps", "2"])
    train_decoder.main([*args, "--steps", "3"])  # resumes at step 2
    ckpt = torch.load(tmp_path / "run" / "ckpt.pt", weights_only=False)
    assert ckpt["step"] == 3 and len(ckpt["losses"]) == 3 and len(ckpt["state"]["adv_losses"]) == 2
    saved = UpscalingDecoder.from_pretrained(tmp_path / "run" / "decoder")
    assert saved.upscale == 16
    for name in ("loss.png", "samples.png"):
        assert (tmp_path / "run" / name).stat().st_size > 0
