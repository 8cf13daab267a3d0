"""ChibiPipeline with tiny random weights: shapes, determinism, guidance, variation, round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from core.spec import parse_spec
from generator.builtin.pipeline import ChibiPipeline
from generator.noise import slerp
from tests.generator.tiny_chibi import build_tiny_pipeline, save_tiny_pipeline

STEPS = 3


@pytest.fixture(scope="module")
def pipe() -> ChibiPipeline:
    return build_tiny_pipeline(seed=0, output_size=64)


def _px(image: Image.Image) -> np.ndarray:
    return np.asarray(image).astype(np.int16)


SPEC = parse_spec({"style": "lorelei", "hair": "long", "expression": "happy"})


def test_output_shapes_and_types(pipe):
    images = pipe([SPEC, SPEC.tokens()], [1, 2], num_inference_steps=STEPS).images
    assert [im.size for im in images] == [(64, 64), (64, 64)]
    assert all(im.mode == "RGB" for im in images)
    native = pipe([SPEC], [1], num_inference_steps=STEPS, output_type="pt").images
    assert native.shape == (1, 3, pipe.image_size, pipe.image_size)
    assert 0.0 <= float(native.min()) and float(native.max()) <= 1.0


def test_same_seed_same_image_and_other_seed_differs(pipe):
    a = pipe([SPEC], [7], num_inference_steps=STEPS).images[0]
    b = pipe([SPEC], [7], num_inference_steps=STEPS).images[0]
    c = pipe([SPEC], [8], num_inference_steps=STEPS).images[0]
    assert np.array_equal(_px(a), _px(b))
    assert np.abs(_px(a) - _px(c)).mean() > 1.0


def test_seed_gives_same_image_inside_a_batch(pipe):
    alone = pipe([SPEC], [7], num_inference_steps=STEPS).images[0]
    batched = pipe([parse_spec({}), SPEC], [3, 7], num_inference_steps=STEPS).images[1]
    assert np.abs(_px(alone) - _px(batched)).max() <= 2  # batched kernels may round differently


def test_guidance_changes_output(pipe):
    low = pipe([SPEC], [5], num_inference_steps=STEPS, guidance_scale=1.0).images[0]
    high = pipe([SPEC], [5], num_inference_steps=STEPS, guidance_scale=6.0).images[0]
    assert np.abs(_px(low) - _px(high)).mean() > 0.5


def test_variation_strength_zero_is_the_original_and_more_strength_moves_away(pipe):
    original = pipe([SPEC], [11], num_inference_steps=STEPS).images[0]
    same = pipe([SPEC], [11], num_inference_steps=STEPS, variation_seeds=[99], variation_strengths=[0.0]).images[0]
    varied = pipe([SPEC], [11], num_inference_steps=STEPS, variation_seeds=[99], variation_strengths=[0.6]).images[0]
    assert np.array_equal(_px(original), _px(same))
    assert np.abs(_px(original) - _px(varied)).mean() > 0.5


def test_slerp_ends_and_norm():
    a, b = torch.randn(4, 8, 8), torch.randn(4, 8, 8)
    assert torch.equal(slerp(a, b, 0.0), a)
    assert torch.equal(slerp(a, b, 1.0), b)
    mid = slerp(a, b, 0.5)
    # Gaussian noise keeps its scale under slerp (a plain average would shrink it by ~sqrt(2)).
    assert abs(mid.norm().item() / a.norm().item() - 1.0) < 0.1


def test_mix_and_image_to_image_run(pipe):
    other = parse_spec({"style": "micah"})
    mixed = pipe([SPEC], [1], num_inference_steps=STEPS, mix_specs=[other], mix_seeds=[2], mix_ratios=[0.5]).images
    photo = Image.new("RGBA", (90, 60), (200, 30, 30, 255))
    kept = pipe([SPEC], [1], num_inference_steps=STEPS, image=[photo], strength=0.0, output_type="pt").images
    drawn = pipe([SPEC], [1], num_inference_steps=STEPS, image=[photo], strength=0.8).images
    assert mixed[0].size == drawn[0].size == (64, 64)
    assert kept.shape[-1] == pipe.image_size


@pytest.mark.parametrize(
    "kwargs, quoted",
    [
        ({"seeds": [1, 2]}, "`seeds` has 2"),
        ({"seeds": [-1]}, "-1"),
        ({"num_inference_steps": 0}, "num_inference_steps 0"),
        ({"guidance_scale": float("nan")}, "nan"),
        ({"variation_seeds": [3], "variation_strengths": [1.5]}, "1.5"),
        ({"output_type": "gif"}, "'gif'"),
    ],
)
def test_check_inputs_quotes_the_bad_value(pipe, kwargs, quoted):
    args = {"specs": [SPEC], "seeds": [1], "num_inference_steps": STEPS, **kwargs}
    with pytest.raises(ValueError, match=quoted.replace("[", r"\[").replace("(", r"\(")):
        pipe(**args)


def test_bad_token_row_is_quoted(pipe):
    with pytest.raises(ValueError, match=r"\[99, 0"):
        pipe([[99, 0, 0, 0, 0, 0, 0, 0]], [1], num_inference_steps=STEPS)


def test_save_load_round_trip_offline(tmp_path, monkeypatch, pipe):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = save_tiny_pipeline(tmp_path / "tiny", seed=0, output_size=64)
    index = json.loads((path / "model_index.json").read_text())
    assert index["_class_name"] == "ChibiPipeline"
    assert index["attribute_encoder"][1] == "AttributeEncoder"
    loaded = ChibiPipeline.from_pretrained(path, local_files_only=True)
    loaded.set_progress_bar_config(disable=True)
    assert loaded.config.output_size == 64
    before = pipe([SPEC], [4], num_inference_steps=STEPS).images[0]
    after = loaded([SPEC], [4], num_inference_steps=STEPS).images[0]
    assert np.array_equal(_px(before), _px(after))


def test_generator_exposes_parts_lazily():
    import generator

    assert generator.AttributeEncoder.__name__ == "AttributeEncoder"
    assert generator.ChibiPipeline is ChibiPipeline
    with pytest.raises(AttributeError):
        generator.NoSuchThing  # noqa: B018
