"""The training stages end to end on synthetic data with tiny sizes: export, resume, init-from."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from diffusers import AutoencoderKL, UNet2DConditionModel

from generator.builtin import train_autoencoder, train_diffusion
from generator.builtin.pipeline import ChibiPipeline
from generator.builtin.training import load_checkpoint

TINY_AE = ["--data", "synthetic:48", "--image-size", "32", "--channels", "8", "16", "--norm-groups", "4",
           "--latent-channels", "4", "--batch", "4", "--crop", "16", "--limit", "48", "--save-every", "100"]
TINY_UNET = ["--data", "synthetic:48", "--channels", "16", "32", "--norm-groups", "8", "--attention-heads", "2",
             "--condition-dim", "16", "--batch", "4", "--output-size", "32", "--save-every", "100"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A tiny autoencoder (2 steps) and diffusion model (2 steps), exported as a pipeline."""
    root = tmp_path_factory.mktemp("runs")
    train_autoencoder.main([*TINY_AE, "--out", str(root / "ae"), "--steps", "2"])
    train_diffusion.main([*TINY_UNET, "--vae", str(root / "ae" / "vae"), "--out", str(root / "diffusion"),
                          "--steps", "2", "--export-to", str(root / "export"), "--fp16"])
    return root


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().float().clone() for k, v in module.state_dict().items()}


def _stored_dtypes(folder: Path) -> set[torch.dtype]:
    from safetensors.torch import load_file

    return {t.dtype for t in load_file(folder / "diffusion_pytorch_model.safetensors").values()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], rtol=0, atol=1e-6) for k in a)


def test_stages_write_their_pictures_and_an_exported_pipeline_that_generates(trained):
    for picture in ["ae/loss.png", "ae/reconstructions.png", "diffusion/loss.png", "diffusion/samples.png"]:
        assert (trained / picture).stat().st_size > 0, picture
    # --fp16 halves the export only; the run's own pipeline stays in float32.
    assert _stored_dtypes(trained / "export" / "unet") == {torch.float16}
    assert _stored_dtypes(trained / "diffusion" / "pipeline" / "unet") == {torch.float32}
    pipe = ChibiPipeline.from_pretrained(trained / "export")
    images = pipe([[1] + [0] * 7], [3], num_inference_steps=2, output_type="np").images
    assert images.shape == (1, 32, 32, 3)


def test_diffusion_resumes_from_its_checkpoint_with_more_steps(trained, tmp_path):
    out = tmp_path / "diffusion"
    args = [*TINY_UNET, "--vae", str(trained / "ae" / "vae"), "--out", str(out)]
    train_diffusion.main([*args, "--steps", "2"])
    first = load_checkpoint(out / "ckpt.pt")
    train_diffusion.main([*args, "--steps", "3"])
    second = load_checkpoint(out / "ckpt.pt")
    assert (first.step, second.step) == (2, 3)
    assert [s for s, _ in second.losses] == [1, 2, 3]  # the first two steps were not run again
    assert second.losses[:2] == first.losses


def test_diffusion_init_from_a_pipeline_starts_from_its_weights(trained, tmp_path):
    # A pipeline whose weights no seeded fresh start could reproduce.
    pipe = ChibiPipeline.from_pretrained(trained / "export")
    torch.manual_seed(7)
    with torch.no_grad():
        for p in pipe.unet.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    pipe.save_pretrained(tmp_path / "source")
    source = _state(pipe.unet)
    # Learning rate 0: the exported model must be exactly the one it started from.
    train_diffusion.main([*TINY_UNET[:2], "--vae", str(tmp_path / "source" / "vae"), "--out", str(tmp_path / "d"),
                          "--init-from", str(tmp_path / "source"), "--steps", "1", "--lr", "0", "--output-size", "32"])
    continued = UNet2DConditionModel.from_pretrained(tmp_path / "d" / "pipeline" / "unet")
    assert _same(source, _state(continued))
    # ...whereas a fresh run with the same sizes starts elsewhere (so the check above can fail).
    train_diffusion.main([*TINY_UNET, "--vae", str(tmp_path / "source" / "vae"), "--out", str(tmp_path / "fresh"),
                          "--steps", "1", "--lr", "0"])
    fresh = UNet2DConditionModel.from_pretrained(tmp_path / "fresh" / "pipeline" / "unet")
    assert not _same(source, _state(fresh))


def test_decoder_only_from_a_vae_folder_keeps_the_encoder_and_its_scale(trained, tmp_path):
    source = AutoencoderKL.from_pretrained(trained / "ae" / "vae")
    train_autoencoder.main([*TINY_AE, "--out", str(tmp_path / "ae"), "--steps", "3", "--lr", "1e-2",
                            "--init-from", str(trained / "ae" / "vae"), "--decoder-only"])
    tuned = AutoencoderKL.from_pretrained(tmp_path / "ae" / "vae")
    assert _same(_state(source.encoder), _state(tuned.encoder))
    assert _same(_state(source.quant_conv), _state(tuned.quant_conv))
    assert not _same(_state(source.decoder), _state(tuned.decoder))
    assert tuned.config.scaling_factor == pytest.approx(source.config.scaling_factor)


def test_init_from_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="no checkpoint or vae folder"):
        train_autoencoder.main([*TINY_AE, "--out", str(tmp_path / "ae"), "--steps", "1",
                                "--init-from", str(tmp_path / "nowhere.pt")])


def test_assemble_swaps_in_a_decoder_only_vae_and_refuses_another_encoder(trained, tmp_path):
    from generator.builtin.assemble import assemble

    train_autoencoder.main([*TINY_AE, "--out", str(tmp_path / "dec"), "--steps", "2", "--lr", "1e-2",
                            "--init-from", str(trained / "ae" / "vae"), "--decoder-only"])
    assemble(trained / "diffusion" / "pipeline", tmp_path / "dec" / "vae", tmp_path / "cand", fp16=True)
    assert _stored_dtypes(tmp_path / "cand" / "vae") == {torch.float16}
    decoder = AutoencoderKL.from_pretrained(tmp_path / "dec" / "vae").decoder
    swapped = AutoencoderKL.from_pretrained(tmp_path / "cand" / "vae").decoder
    pairs = zip(_state(decoder).values(), _state(swapped).values(), strict=True)
    assert all(torch.allclose(a, b, atol=1e-2) for a, b in pairs)  # fp16 rounding only
    # A vae trained from scratch has another encoder: its latents would mean nothing to the UNet.
    train_autoencoder.main([*TINY_AE, "--out", str(tmp_path / "other"), "--steps", "1", "--lr", "1e-2"])
    with pytest.raises(SystemExit, match="only a decoder-only fine-tune"):
        assemble(trained / "diffusion" / "pipeline", tmp_path / "other" / "vae", tmp_path / "bad", fp16=False)
