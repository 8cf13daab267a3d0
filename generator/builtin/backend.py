"""BuiltinBackend: the worker's default generator, backed by ChibiPipeline."""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
from PIL import Image

from core.errors import GenerationFailed, TransientGenerationError
from core.spec import MAX_SEED, AvatarSpec
from core.vocabulary import VOCABULARY
from generator.backends.base import RenderRequest, RenderResult
from generator.builtin.pipeline import ChibiPipeline

log = logging.getLogger(__name__)

DEFAULT_STEPS = 12
DEFAULT_GUIDANCE = 3.0
DEFAULT_VARIATION_STRENGTH = 0.35
DEFAULT_PHOTO_STRENGTH = 0.7
DEFAULT_MIX_RATIO = 0.5
_EXPRESSION = VOCABULARY.attributes.index("expression")
# Edits and packs: how many of the first denoising steps follow the original's conditioning, per
# changed attribute (measured by generator/builtin/evaluate_edits.py: enough to keep the character,
# few enough to still draw the change). Several changes share the fewest; a new style shares none.
DEFAULT_EDIT_SHARED_STEPS: dict[str, int] = {
    # Of 12 steps (two sweeps of 120 and 160 random pairs, generator/weights/chibi/edit_sweep.json):
    # hair shape is laid down early (sharing 2 steps drops it from 0.88 to 0.82 applied), a background
    # colour applies even after 6 shared steps.
    "hair": 0,
    "hair_color": 2,
    "skin": 3,
    "expression": 3,
    "glasses": 2,
    "accessory": 3,
    "background": 6,
}
# Edits and packs stay equal to their original outside the region the change touches (DiffEdit
# masks, ChibiPipeline's edit_mask_threshold): the region is where the two noise predictions differ
# by more than this share of their largest difference (evaluate_edits: edit_identity, kept, applied).
DEFAULT_EDIT_MASK_THRESHOLD: Optional[float] = 0.5
# Optional file beside the weights with tuned sampling defaults:
# {"steps": 12, "guidance": 3.0, "edit_shared_steps": {"hair": 2, ...}, "edit_mask_threshold": 0.5}
SAMPLING_DEFAULTS_FILE = "sampling.json"


def weights_version(weights_dir: Path) -> str:
    """Short content hash of every weights file, so a job records exactly what drew it."""
    digest = hashlib.sha256()
    for path in sorted(Path(weights_dir).rglob("*.safetensors")):
        digest.update(path.relative_to(weights_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def drawable_tokens(spec: AvatarSpec, seed: int) -> list[int]:
    """The spec's tokens, with a style picked (from the seed) when the chosen attributes rule some out.

    An unset style lets the model choose any style, including one that cannot draw,
    say, a wink; picking among the candidate styles keeps the request drawable.
    """
    tokens = list(spec.tokens())
    if spec.style is None:
        candidates = spec.candidate_styles()
        if 0 < len(candidates) < len(VOCABULARY.styles):
            style = candidates[random.Random(seed).randrange(len(candidates))]
            tokens[0] = VOCABULARY.token("style", style)
    return tokens


def edit_tokens(source: AvatarSpec, edited: AvatarSpec, seed: int) -> tuple[list[int], list[int]]:
    """(source tokens, edited tokens) of an edit: when neither names a style, the edit keeps whatever
    the original's drawing settled on (its picked style, or the model's choice), so narrowing the
    candidate styles (a wink) cannot switch the character to another style."""
    source_tokens = drawable_tokens(source, seed)
    if edited.style is None and source.style is None:
        edited_tokens = list(edited.tokens())
        edited_tokens[0] = source_tokens[0]
    else:
        edited_tokens = drawable_tokens(edited, seed)
    return source_tokens, edited_tokens


def changed_attributes(source: AvatarSpec, edited: AvatarSpec) -> tuple[str, ...]:
    return tuple(a for a in VOCABULARY.attributes if getattr(source, a) != getattr(edited, a))


def shared_steps_for(changed: Sequence[str], table: dict[str, int], steps: int) -> int:
    """Steps an edit shares with its original: none for a new style, else the fewest of its changes."""
    if not changed or "style" in changed:
        return 0
    return max(0, min(min(table.get(a, 0) for a in changed), steps - 1))


@dataclass(frozen=True)
class _Prepared:
    index: int
    tokens: list[int]
    seed: int
    variation_seed: Optional[int] = None
    variation_strength: Optional[float] = None
    mix_tokens: Optional[list[int]] = None
    mix_seed: Optional[int] = None
    mix_ratio: Optional[float] = None
    init_image: Optional[Image.Image] = None
    strength: Optional[float] = None
    source_tokens: Optional[list[int]] = None
    shared_steps: Optional[int] = None


class BuiltinBackend:
    """Renders RenderRequests with the built-in chibi model, batching them into few pipeline calls."""

    def __init__(
        self,
        pipeline: ChibiPipeline,
        model_version: str,
        steps: int = DEFAULT_STEPS,
        guidance: float = DEFAULT_GUIDANCE,
        max_batch: int = 8,
        edit_shared_steps: Optional[dict[str, int]] = None,
        edit_mask_threshold: Optional[float] = DEFAULT_EDIT_MASK_THRESHOLD,
    ):
        self._pipeline = pipeline
        self._model_version = model_version
        self.steps = steps
        self.guidance = guidance
        self.max_batch = max_batch
        self.edit_shared_steps = dict(DEFAULT_EDIT_SHARED_STEPS if edit_shared_steps is None else edit_shared_steps)
        self.edit_mask_threshold = edit_mask_threshold

    @classmethod
    def load(
        cls,
        weights_dir: Path,
        device: str = "cpu",
        steps: Optional[int] = None,
        guidance: Optional[float] = None,
    ) -> BuiltinBackend:
        """Load a saved ChibiPipeline folder (offline) onto `device`."""
        weights_dir = Path(weights_dir)
        if not (weights_dir / "model_index.json").is_file():
            raise GenerationFailed(f"the built-in model's weights are missing: no model_index.json in {weights_dir}")
        defaults: dict = {"steps": DEFAULT_STEPS, "guidance": DEFAULT_GUIDANCE,
                          "edit_shared_steps": DEFAULT_EDIT_SHARED_STEPS,
                          "edit_mask_threshold": DEFAULT_EDIT_MASK_THRESHOLD}
        defaults_file = weights_dir / SAMPLING_DEFAULTS_FILE
        if defaults_file.is_file():
            defaults.update(json.loads(defaults_file.read_text()))
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        try:
            pipeline = ChibiPipeline.from_pretrained(weights_dir, dtype=dtype, local_files_only=True)
            pipeline.to(device)
        except (OSError, ValueError, RuntimeError) as exc:
            raise GenerationFailed(f"the built-in model could not be loaded from {weights_dir}: {exc}") from exc
        pipeline.set_progress_bar_config(disable=True)
        return cls(
            pipeline,
            model_version=weights_version(weights_dir),
            steps=int(steps if steps is not None else defaults["steps"]),
            guidance=float(guidance if guidance is not None else defaults["guidance"]),
            edit_shared_steps={**DEFAULT_EDIT_SHARED_STEPS, **defaults["edit_shared_steps"]},
            edit_mask_threshold=defaults["edit_mask_threshold"],
        )

    # -- GeneratorBackend ------------------------------------------------------

    @property
    def name(self) -> str:
        return "builtin"

    @property
    def model_version(self) -> str:
        return self._model_version

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset({"create", "reroll", "variation", "mix", "photo", "frame", "edit", "pack"})

    @property
    def pipeline(self) -> ChibiPipeline:
        return self._pipeline

    def render(self, requests: Sequence[RenderRequest]) -> RenderResult:
        """The built-in model draws only from the vocabulary, so it has no safety check: nothing is flagged."""
        prepared = [self._prepare(i, r) for i, r in enumerate(requests)]
        results: list[Optional[Image.Image]] = [None] * len(prepared)
        for group in self._groups(prepared):
            for item, image in zip(group, self._run(group), strict=True):
                results[item.index] = image
        return RenderResult(images=[img for img in results if img is not None])

    # -- internals -------------------------------------------------------------

    def _prepare(self, index: int, request: RenderRequest) -> _Prepared:
        if request.kind not in self.kinds:
            raise GenerationFailed(f"the built-in model cannot do {request.kind!r} renders")
        if request.kind in ("edit", "pack"):
            return self._prepare_edit(index, request)
        tokens = drawable_tokens(request.spec, request.seed)
        if request.kind in ("create", "reroll"):
            return _Prepared(index, tokens, request.seed)
        if request.kind == "variation":
            # No variation seed given: derive one, so the same request still gives the same image.
            var_seed = request.variation_seed
            if var_seed is None:
                var_seed = (request.seed * 1_000_003 + 1) % (MAX_SEED + 1)
            strength = DEFAULT_VARIATION_STRENGTH if request.strength is None else request.strength
            return _Prepared(index, tokens, request.seed, variation_seed=var_seed, variation_strength=strength)
        if request.kind == "frame":
            # The same drawing (style as drawn, seed, noise) with only the expression token moved.
            if request.mix_with is None or request.mix_with.spec.expression is None:
                raise GenerationFailed("an animation frame needs the expression it moves towards")
            target = list(tokens)
            target[_EXPRESSION] = VOCABULARY.token("expression", request.mix_with.spec.expression)
            return _Prepared(
                index, tokens, request.seed, mix_tokens=target, mix_seed=request.seed,
                mix_ratio=0.0 if request.mix_ratio is None else request.mix_ratio,
            )
        if request.kind == "mix":
            if request.mix_with is None:
                raise GenerationFailed("a mix needs a second avatar to mix with")
            other = request.mix_with
            return _Prepared(
                index, tokens, request.seed,
                mix_tokens=drawable_tokens(other.spec, other.seed), mix_seed=other.seed,
                mix_ratio=DEFAULT_MIX_RATIO if request.mix_ratio is None else request.mix_ratio,
            )
        if request.init_image is None:
            raise GenerationFailed("turning a photo into an avatar needs the photo")
        strength = DEFAULT_PHOTO_STRENGTH if request.strength is None else request.strength
        return _Prepared(index, tokens, request.seed, init_image=request.init_image, strength=strength)

    def _prepare_edit(self, index: int, request: RenderRequest) -> _Prepared:
        if request.source_spec is None:
            raise GenerationFailed(f"an {request.kind} needs the original avatar's spec")
        source_tokens, tokens = edit_tokens(request.source_spec, request.spec, request.seed)
        shared = request.shared_steps
        if shared is None:
            changed = changed_attributes(request.source_spec, request.spec)
            shared = shared_steps_for(changed, self.edit_shared_steps, self.steps)
        return _Prepared(index, tokens, request.seed, source_tokens=source_tokens, shared_steps=shared)

    def _groups(self, prepared: list[_Prepared]) -> list[list[_Prepared]]:
        # Image-to-image starts part-way through the schedule, so only equal strengths share a call.
        keyed: dict[Optional[float], list[_Prepared]] = {}
        for item in prepared:
            keyed.setdefault(item.strength if item.init_image is not None else None, []).append(item)
        groups = []
        for items in keyed.values():
            groups.extend(items[i : i + self.max_batch] for i in range(0, len(items), self.max_batch))
        return groups

    def _run(self, group: list[_Prepared]) -> list[Image.Image]:
        has = {
            "variation": any(it.variation_seed is not None for it in group),
            "mix": any(it.mix_tokens is not None for it in group),
            "photo": group[0].init_image is not None,
            "edit": any(it.source_tokens is not None for it in group),
        }
        kwargs = {}
        if has["variation"]:
            kwargs["variation_seeds"] = [it.variation_seed for it in group]
            kwargs["variation_strengths"] = [it.variation_strength for it in group]
        if has["mix"]:
            kwargs["mix_specs"] = [it.mix_tokens for it in group]
            kwargs["mix_seeds"] = [it.mix_seed for it in group]
            kwargs["mix_ratios"] = [it.mix_ratio for it in group]
        if has["photo"]:
            kwargs["image"] = [it.init_image for it in group]
            kwargs["strength"] = group[0].strength
        if has["edit"]:
            kwargs["source_specs"] = [it.source_tokens for it in group]
            kwargs["shared_steps"] = [it.shared_steps for it in group]
            kwargs["edit_mask_threshold"] = self.edit_mask_threshold
        try:
            return self._pipeline(
                [it.tokens for it in group],
                [it.seed for it in group],
                num_inference_steps=self.steps,
                guidance_scale=self.guidance,
                **kwargs,
            ).images
        except torch.OutOfMemoryError as exc:
            raise TransientGenerationError("the generator ran out of memory; try again in a moment") from exc
        except ValueError as exc:
            raise GenerationFailed(f"the avatar could not be drawn: {exc}") from exc
        except RuntimeError as exc:
            log.exception("built-in pipeline failed on a batch of %d", len(group))
            raise GenerationFailed("the generator failed while drawing the avatar") from exc
