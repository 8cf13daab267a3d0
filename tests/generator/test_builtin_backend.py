"""BuiltinBackend over tiny random weights: every request kind, batching, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.errors import GenerationFailed
from core.spec import parse_spec
from core.vocabulary import VOCABULARY
from generator.backends.base import GeneratorBackend, MixSource, RenderRequest
from generator.builtin.backend import BuiltinBackend, drawable_tokens, weights_version
from tests.generator.tiny_chibi import save_tiny_pipeline


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return save_tiny_pipeline(tmp_path_factory.mktemp("tiny") / "weights")


@pytest.fixture(scope="module")
def backend(weights) -> BuiltinBackend:
    return BuiltinBackend.load(weights, device="cpu", steps=3, guidance=2.0)


def test_backend_implements_the_protocol(backend, weights):
    assert isinstance(backend, GeneratorBackend)
    assert backend.name == "builtin"
    assert backend.kinds == {"create", "reroll", "variation", "mix", "photo", "frame", "edit", "pack"}
    assert backend.model_version == weights_version(weights) and len(backend.model_version) == 12
    assert (backend.steps, backend.guidance) == (3, 2.0)


def test_render_every_kind_in_order(backend):
    spec = parse_spec({"style": "adventurer", "hair": "bun"})
    photo = Image.new("RGB", (40, 70), (10, 120, 200))
    requests = [
        RenderRequest(spec, 1),
        RenderRequest(spec, 2, kind="reroll"),
        RenderRequest(spec, 1, kind="variation", variation_seed=5, strength=0.0),
        RenderRequest(spec, 1, kind="mix", mix_with=MixSource(parse_spec({"style": "micah"}), 9), mix_ratio=0.3),
        RenderRequest(spec, 3, kind="photo", init_image=photo, strength=0.5),
        RenderRequest(spec, 4, kind="photo", init_image=photo, strength=0.9),
    ]
    images = backend.render(requests).images
    assert len(images) == len(requests)
    assert all(im.size == (64, 64) for im in images)
    first, variation_zero = (np.asarray(images[i]).astype(int) for i in (0, 2))
    assert np.abs(first - variation_zero).max() <= 2  # same noise; only batch rounding may differ
    assert np.abs(first - np.asarray(images[1]).astype(int)).mean() > 1.0


def test_style_is_picked_from_candidates_when_attributes_rule_some_out():
    spec = parse_spec({"expression": "wink"})
    allowed = {VOCABULARY.token("style", s) for s in spec.candidate_styles()}
    picks = {drawable_tokens(spec, seed)[0] for seed in range(40)}
    assert picks <= allowed and len(picks) > 1
    assert drawable_tokens(spec, 5) == drawable_tokens(spec, 5)
    assert drawable_tokens(parse_spec({}), 5)[0] == 0  # nothing ruled out: the model chooses


def test_errors_are_readable(backend, tmp_path):
    with pytest.raises(GenerationFailed, match="needs the photo"):
        backend.render([RenderRequest(parse_spec({}), 1, kind="photo")])
    with pytest.raises(GenerationFailed, match="second avatar"):
        backend.render([RenderRequest(parse_spec({}), 1, kind="mix")])
    with pytest.raises(GenerationFailed, match="weights are missing"):
        BuiltinBackend.load(tmp_path / "nowhere", device="cpu")
