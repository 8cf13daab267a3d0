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
    assert calls[0]["edit_mask_threshold"] == backend.edit_mask_threshold is not None


def test_the_weights_folder_may_tune_the_shared_steps(tmp_path) -> None:
    import json

    from generator.builtin.backend import DEFAULT_EDIT_SHARED_STEPS
    from tests.generator.tiny_chibi import save_tiny_pipeline

    weights = save_tiny_pipeline(tmp_path / "weights")
    (weights / "sampling.json").write_text(json.dumps({"edit_shared_steps": {"background": 7}}))
    backend = BuiltinBackend.load(weights, device="cpu", steps=2)
    assert backend.edit_shared_steps == {**DEFAULT_EDIT_SHARED_STEPS, "background": 7}


def test_a_masked_edit_that_changes_nothing_is_the_original(pipe) -> None:
    plain_source = _draw(pipe, [SOURCE], [5])
    masked = _draw(pipe, [SOURCE], [5], source_specs=[SOURCE], shared_steps=[0], edit_mask_threshold=0.3)
    assert np.abs(masked.astype(int) - plain_source.astype(int)).max() <= 1  # batch of two: float rounding only


def test_a_masked_edit_stays_closer_to_its_original_and_alone_as_in_a_batch(pipe) -> None:
    plain_source = _draw(pipe, [SOURCE], [5]).astype(int)
    unmasked = _draw(pipe, [EDITED], [5], source_specs=[SOURCE], shared_steps=[0]).astype(int)
    # The tiny model's latent is 4×4: a high threshold keeps the region (grown by one pixel) partial.
    masked = _draw(pipe, [EDITED], [5], source_specs=[SOURCE], shared_steps=[0], edit_mask_threshold=0.95)
    assert not np.array_equal(masked, plain_source)  # the change is drawn ...
    # ... in its region
    assert np.abs(masked.astype(int) - plain_source).mean() < np.abs(unmasked - plain_source).mean()
    batch = _draw(pipe, [SOURCE, EDITED], [6, 5], source_specs=[None, SOURCE], shared_steps=[None, 0],
                  edit_mask_threshold=0.95)
    assert np.abs(batch[1].astype(int) - masked[0].astype(int)).max() <= 1
    assert np.abs(batch[0].astype(int) - _draw(pipe, [SOURCE], [6])[0].astype(int)).max() <= 1


def test_edit_masks_share_one_source_row_per_source_and_noise() -> None:
    import torch

    from generator.builtin.pipeline import EditMasks

    noise = torch.stack([torch.zeros(2, 4, 4), torch.zeros(2, 4, 4), torch.ones(2, 4, 4), torch.zeros(2, 4, 4)])
    rows = [[1, 2], [1, 2], [1, 2], None]
    masks = EditMasks.plan(rows, noise, lambda specs: torch.tensor(specs), threshold=0.5)
    assert masks.first_rows == [0, 2]  # rows 0 and 1 share a source and a noise; row 2 has its own noise
    assert masks.source_row == {0: 4, 1: 4, 2: 5}
    # Row 0 differs from its source in the top-left corner only: the mask holds it (and one pixel around).
    eps = torch.zeros(6, 2, 6, 6)
    eps[0, :, 0, 0] = 1.0
    masks.update(0, [0, 0, 0, 0, 99, 99], eps)
    assert masks.masks[0][0, :2, :2].eq(1).all() and masks.masks[0][0, 3:, 3:].eq(0).all()
    assert masks.masks[1].eq(0).all()  # no difference: nothing may change
    latents = torch.arange(6.0).view(6, 1, 1, 1).expand(6, 2, 6, 6)
    blended = masks.blend(latents)
    assert blended[0, 0, 0, 0] == 0.0 and blended[0, 0, 5, 5] == 4.0  # outside the region: the source's
    assert blended[1].eq(4.0).all() and blended[3].eq(3.0).all()  # an unmasked row is left as it is
    assert EditMasks.plan(rows, noise, torch.tensor, threshold=None) is None


def test_the_mask_threshold_is_checked_and_tunable(pipe, tmp_path) -> None:
    import json

    from tests.generator.tiny_chibi import save_tiny_pipeline

    with pytest.raises(ValueError, match="edit_mask_threshold"):
        _draw(pipe, [EDITED], [5], source_specs=[SOURCE], shared_steps=[0], edit_mask_threshold=1.5)
    weights = save_tiny_pipeline(tmp_path / "weights")
    (weights / "sampling.json").write_text(json.dumps({"edit_mask_threshold": None}))
    assert BuiltinBackend.load(weights, device="cpu", steps=2).edit_mask_threshold is None
