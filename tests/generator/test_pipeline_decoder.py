"""ChibiPipeline with the optional upscaling decoder: native size doubles, a matte comes with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from generator.builtin.assemble import assemble
from generator.builtin.pipeline import ChibiPipeline
from generator.builtin.upscaling_decoder import UpscalingDecoder
from tests.generator.tiny_chibi import build_tiny_pipeline


@pytest.fixture
def pipe() -> ChibiPipeline:
    pipe = build_tiny_pipeline(output_size=64)
    pipe.register_modules(decoder=UpscalingDecoder.from_vae(pipe.vae))
    return pipe


def test_decoder_draws_at_twice_the_vae_size_with_alphas(pipe):
    assert (pipe.encoder_image_size, pipe.image_size) == (32, 64)
    out = pipe([[0] * 8, [0] * 8], [1, 2], num_inference_steps=2, output_type="np")
    assert out.images.shape == (2, 64, 64, 3) and out.alphas.shape == (2, 64, 64)
    pils = pipe([[0] * 8], [1], num_inference_steps=2).alphas
    assert pils[0].mode == "L" and pils[0].size == (64, 64)
    tensors = pipe([[0] * 8], [1], num_inference_steps=2, output_type="pt")
    assert tensors.images.shape == (1, 3, 64, 64) and tensors.alphas.shape == (1, 1, 64, 64)


def test_without_a_decoder_there_is_no_alpha_and_the_vae_draws():
    pipe = build_tiny_pipeline(output_size=64)
    out = pipe([[0] * 8], [1], num_inference_steps=2, output_type="np")
    assert out.alphas is None and out.images.shape == (1, 32, 32, 3)


def test_image_to_image_still_encodes_at_the_encoders_size(pipe):
    photo = Image.fromarray(np.full((100, 80, 3), 200, dtype=np.uint8))
    assert pipe.preprocess([photo]).shape == (1, 3, 32, 32)
    out = pipe([[0] * 8], [1], num_inference_steps=2, image=[photo], strength=0.5, output_type="np")
    assert out.images.shape == (1, 64, 64, 3)


def test_assembled_folder_loads_with_its_decoder_and_same_pictures(tmp_path, pipe):
    source = tmp_path / "pipeline"
    build_tiny_pipeline(output_size=64).save_pretrained(source)
    pipe.decoder.save_pretrained(tmp_path / "decoder")
    assemble(source, None, tmp_path / "out", fp16=False, decoder=tmp_path / "decoder")
    loaded = ChibiPipeline.from_pretrained(tmp_path / "out", dtype=torch.float32)
    loaded.set_progress_bar_config(disable=True)
    assert isinstance(loaded.decoder, UpscalingDecoder)
    a = loaded([[0] * 8], [5], num_inference_steps=2, output_type="np").images
    b = pipe([[0] * 8], [5], num_inference_steps=2, output_type="np").images
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_assemble_refuses_a_decoder_for_other_latents(tmp_path):
    source = tmp_path / "pipeline"
    build_tiny_pipeline(output_size=64).save_pretrained(source)
    UpscalingDecoder(latent_channels=3, block_out_channels=(8, 8), norm_num_groups=4).save_pretrained(tmp_path / "d")
    with pytest.raises(SystemExit, match="latent channels"):
        assemble(source, None, tmp_path / "out", fp16=False, decoder=tmp_path / "d")
