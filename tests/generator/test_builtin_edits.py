"""Edits on the built-in model: the first steps follow the original, the rest draw the change."""

from __future__ import annotations

import numpy as np
import pytest

from core.spec import parse_spec
from core.vocabulary import VOCABULARY
from generator.backends.base import RenderRequest
from generator.builtin.backend import BuiltinBackend, changed_attributes, edit_tokens, shared_steps_for
from tests.generator.tiny_chibi import build_tiny_pipeline

STEPS = 4
SOURCE = parse_spec({"style": "micah", "hair_color": "black", "expression": "happy"})
EDITED = parse_spec({"style": "micah", "hair_color": "blue", "expression": "happy"})


@pytest.fixture(scope="module")
def pipe():
    return build_tiny_pipeline()


def _draw(pipe, specs, seeds, **kwargs) -> np.ndarray:
    return pipe(specs, seeds, num_inference_steps=STEPS, output_type="np", **kwargs).images


def test_sharing_no_step_is_a_plain_render_and_sharing_all_is_the_original(pipe) -> None:
    plain_source = _draw(pipe, [SOURCE], [5])
    plain_edit = _draw(pipe, [EDITED], [5])
    none = _draw(pipe, [EDITED], [5], source_specs=[SOURCE], shared_steps=[0])
    every = _draw(pipe, [EDITED], [5], source_specs=[SOURCE], shared_steps=[STEPS])
    half = _draw(pipe, [EDITED], [5], source_specs=[SOURCE], shared_steps=[2])
    assert np.array_equal(none, plain_edit)
    assert np.array_equal(every, plain_source)
    assert not np.array_equal(half, plain_edit) and not np.array_equal(half, plain_source)


def test_a_batch_mixes_edits_and_plain_renders_each_as_alone(pipe) -> None:
    batch = _draw(pipe, [EDITED, SOURCE], [5, 6], source_specs=[SOURCE, None], shared_steps=[2, None])
    alone = _draw(pipe, [EDITED], [5], source_specs=[SOURCE], shared_steps=[2])
    assert np.abs(batch[0].astype(int) - alone[0].astype(int)).max() <= 1
    assert np.array_equal(batch[1], _draw(pipe, [SOURCE], [6])[0])


def test_shared_steps_need_a_source(pipe) -> None:
    with pytest.raises(ValueError, match="no spec in `source_specs`"):
        _draw(pipe, [EDITED], [5], source_specs=[None], shared_steps=[2])
    with pytest.raises(ValueError, match="not a whole number >= 0"):
        _draw(pipe, [EDITED], [5], source_specs=[SOURCE], shared_steps=[-1])


def test_an_open_style_stays_the_one_the_original_was_drawn_in() -> None:
    source = parse_spec({"hair": "long"})
    edited = parse_spec({"hair": "long", "expression": "wink"})
    src, dst = edit_tokens(source, edited, seed=3)
    assert src[0] == dst[0] == 0  # the model's own choice, not a style picked for the wink
    picked = parse_spec({"hair": "ponytail"})  # only some styles draw a ponytail: one is picked by seed
    src, dst = edit_tokens(picked, parse_spec({"hair": "ponytail", "hair_color": "blue"}), seed=3)
    assert src[0] == dst[0] != 0


def test_shared_steps_are_the_fewest_of_the_changes_and_none_for_a_style() -> None:
    table = {"hair_color": 3, "expression": 2}
    assert shared_steps_for(("hair_color",), table, 12) == 3
    assert shared_steps_for(("hair_color", "expression"), table, 12) == 2
    assert shared_steps_for(("style", "hair_color"), table, 12) == 0
    assert shared_steps_for(("hair_color",), {"hair_color": 40}, 12) == 11
    assert changed_attributes(SOURCE, EDITED) == ("hair_color",)


def test_the_backend_draws_edits_and_packs_in_one_call(pipe, monkeypatch) -> None:
    backend = BuiltinBackend(pipe, "tiny", steps=STEPS, edit_shared_steps={"hair_color": 2, "expression": 1})
    calls = []
    real = type(pipe).__call__

    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(pipe), "__call__", spy)
    pack = [
        RenderRequest(SOURCE.replace(expression=e), 5, kind="pack", source_spec=SOURCE)
        for e in VOCABULARY.offered("micah", "expression")
    ]
    edit = RenderRequest(EDITED, 5, kind="edit", source_spec=SOURCE)
    result = backend.render([*pack, edit])
    assert len(result.images) == 4 and len(calls) == 1
    assert calls[0]["shared_steps"] == [0, 1, 1, 2]  # happy is the original: nothing changes, nothing shared
    assert calls[0]["source_specs"] == [list(SOURCE.tokens())] * 4


def test_the_weights_folder_may_tune_the_shared_steps(tmp_path) -> None:
    import json

    from generator.builtin.backend import DEFAULT_EDIT_SHARED_STEPS
    from tests.generator.tiny_chibi import save_tiny_pipeline

    weights = save_tiny_pipeline(tmp_path / "weights")
    (weights / "sampling.json").write_text(json.dumps({"edit_shared_steps": {"background": 7}}))
    backend = BuiltinBackend.load(weights, device="cpu", steps=2)
    assert backend.edit_shared_steps == {**DEFAULT_EDIT_SHARED_STEPS, "background": 7}
