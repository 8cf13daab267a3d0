"""The Stable Diffusion generator backend: RenderRequests -> PIL images, with safety flags.

Text-to-image kinds (create, reroll, variation, mix) go through one batched
pipeline call; photos go through image-to-image, one call per strength.

- create / reroll: starting noise from the request's seed.
- variation: the original's noise slerped towards the noise of `variation_seed` by `strength`.
- mix: the two avatars' noises slerped by `mix_ratio`, their prompt embeddings blended likewise.
- photo: image-to-image from the uploaded picture with `strength` (after the upload checks).

`render` returns the images with one safety flag per image (True: send to moderators) and
the words taken out of each request's details.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

import torch
from diffusers import DiffusionPipeline
from PIL import Image

from core.errors import GenerationFailed, TransientGenerationError
from core.settings import Settings
from core.spec import AvatarSpec
from generator.backends.base import RenderRequest, RenderResult
from generator.backends.stable_diffusion.loader import LoadedModel, load_model
from generator.backends.stable_diffusion.options import DEFAULT_MIX_RATIO, DEFAULT_VARIATION_STRENGTH, SDOptions
from generator.backends.stable_diffusion.photo import prepare_photo
from generator.backends.stable_diffusion.prompt import Prompt, build_prompt
from generator.backends.stable_diffusion.safety import SafetyCheck, combine, load_hook
from generator.noise import seeded_noise, slerp, step_generator

log = logging.getLogger(__name__)

# An edit or a pack member is the edited prompt drawn from the original's seed: same noise, same
# per-step generator, so the composition stays close (without the built-in model's shared steps).
KINDS = frozenset({"create", "reroll", "variation", "mix", "photo", "edit", "pack"})


@dataclass(frozen=True)
class SDRenderResult(RenderResult):
    """A RenderResult plus, per request, the words removed from its details (banned words)."""

    removed_words: list[tuple[str, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class _Item:
    """One request made ready: its prompt(s), starting noise or photo, and sampler seed."""

    prompt: Prompt
    step_seed: int
    noise: Optional[torch.Tensor] = None
    mix_prompt: Optional[Prompt] = None
    mix_ratio: float = 0.0
    photo: Optional[Image.Image] = None
    strength: float = 0.0


class StableDiffusionBackend:
    """A local Stable Diffusion checkpoint behind the GeneratorBackend interface."""

    def __init__(self, model: LoadedModel, options: SDOptions, safety: Optional[SafetyCheck] = None) -> None:
        self._model = model
        self._options = options
        self._safety = safety
        self._image_to_image: Optional[DiffusionPipeline] = None
        self.steps = options.steps or model.defaults.steps
        self.guidance = options.guidance if options.guidance is not None else model.defaults.guidance
        self.size = options.image_size or model.defaults.size

    @classmethod
    def load(cls, options: SDOptions) -> StableDiffusionBackend:
        hook = load_hook(options.safety_hook) if options.safety_hook else None  # fail fast, before the slow load
        model = load_model(options)
        checks = [check for check in (model.safety_checker, hook) if check is not None]
        return cls(model, options, combine(checks))

    @classmethod
    def from_settings(cls, settings: Settings) -> StableDiffusionBackend:
        return cls.load(SDOptions.from_settings(settings))

    # -- GeneratorBackend ----------------------------------------------------

    @property
    def name(self) -> str:
        return "stable-diffusion"

    @property
    def model_version(self) -> str:
        return self._model.model_version

    @property
    def kinds(self) -> frozenset[str]:
        return KINDS

    @property
    def family(self) -> str:
        return self._model.family

    @property
    def pipeline(self) -> DiffusionPipeline:
        """The text-to-image diffusers pipeline, for benchmarks and tests."""
        return self._model.pipe

    def render(self, requests: Sequence[RenderRequest]) -> SDRenderResult:
        if not requests:
            return SDRenderResult(images=[])
        items = [self._prepare(request) for request in requests]
        images: list[Optional[Image.Image]] = [None] * len(items)
        text_indices = [i for i, item in enumerate(items) if item.photo is None]
        photo_indices: dict[float, list[int]] = defaultdict(list)
        for i, item in enumerate(items):
            if item.photo is not None:
                photo_indices[item.strength].append(i)
        try:
            if text_indices:
                for i, image in zip(text_indices, self._text_to_image([items[i] for i in text_indices]), strict=True):
                    images[i] = image
            for strength, indices in photo_indices.items():
                batch = [items[i] for i in indices]
                for i, image in zip(indices, self._photo_to_image(batch, strength), strict=True):
                    images[i] = image
        except torch.OutOfMemoryError as exc:
            raise TransientGenerationError(
                f"the GPU ran out of memory rendering {len(items)} images at {self.size} px; try a smaller batch"
            ) from exc
        done = [image for image in images if image is not None]
        for index, item in enumerate(items):
            if item.prompt.removed_words:
                log.info("request %d: removed from details: %s", index, ", ".join(item.prompt.removed_words))
        return SDRenderResult(
            images=done,
            flagged=self._safety(done) if self._safety else [False] * len(done),
            removed_words=[item.prompt.removed_words for item in items],
        )

    # -- preparing -----------------------------------------------------------

    def _prompt(self, spec: AvatarSpec) -> Prompt:
        return build_prompt(spec, self._options.banned_words)

    def _noise(self, seed: int) -> torch.Tensor:
        unet = self._model.pipe.unet
        side = self.size // self._model.pipe.vae_scale_factor
        return seeded_noise(seed, (1, unet.config.in_channels, side, side))

    def _prepare(self, request: RenderRequest) -> _Item:
        kind = request.kind
        if kind not in KINDS:
            raise GenerationFailed(f"the Stable Diffusion backend cannot render {kind!r} requests")
        prompt = self._prompt(request.spec)
        if kind in ("create", "reroll", "edit", "pack"):
            return _Item(prompt=prompt, step_seed=request.seed, noise=self._noise(request.seed))
        if kind == "variation":
            if request.variation_seed is None:
                raise GenerationFailed("a variation needs a variation seed")
            strength = DEFAULT_VARIATION_STRENGTH if request.strength is None else request.strength
            _check_fraction("variation strength", strength)
            noise = slerp(self._noise(request.seed), self._noise(request.variation_seed), strength)
            return _Item(prompt=prompt, step_seed=request.variation_seed, noise=noise)
        if kind == "mix":
            if request.mix_with is None:
                raise GenerationFailed("a mix needs a second avatar")
            ratio = DEFAULT_MIX_RATIO if request.mix_ratio is None else request.mix_ratio
            _check_fraction("mix ratio", ratio)
            other = request.mix_with
            noise = slerp(self._noise(request.seed), self._noise(other.seed), ratio)
            return _Item(
                prompt=prompt,
                step_seed=request.seed,
                noise=noise,
                mix_prompt=self._prompt(other.spec),
                mix_ratio=ratio,
            )
        # photo
        if request.init_image is None:
            raise GenerationFailed("a photo avatar needs the uploaded picture")
        strength = self._options.photo_strength if request.strength is None else request.strength
        if not 0.0 < strength <= 1.0:
            raise GenerationFailed(f"photo strength must be above 0 and at most 1, not {strength}")
        photo = prepare_photo(request.init_image, self.size)
        return _Item(prompt=prompt, step_seed=request.seed, photo=photo, strength=strength)

    # -- rendering -----------------------------------------------------------

    @property
    def _uses_guidance(self) -> bool:
        return self.guidance > 1.0 and self._model.pipe.unet.config.time_cond_proj_dim is None

    @torch.no_grad()
    def _embeddings(self, items: Sequence[_Item]) -> dict[str, Optional[torch.Tensor]]:
        """Prompt embeddings of every item in one text-encoder call; mixes blend their two prompts."""
        prompts: list[Prompt] = []
        for item in items:
            prompts.append(item.prompt)
            if item.mix_prompt is not None:
                prompts.append(item.mix_prompt)
        encoded = self._model.pipe.encode_prompt(
            prompt=[p.positive for p in prompts],
            device=self._model.device,
            num_images_per_prompt=1,
            do_classifier_free_guidance=self._uses_guidance,
            negative_prompt=[p.negative for p in prompts] if self._uses_guidance else None,
        )
        names = ("prompt_embeds", "negative_prompt_embeds", "pooled_prompt_embeds", "negative_pooled_prompt_embeds")
        rows: dict[str, Optional[torch.Tensor]] = {}
        for name, tensor in zip(names, encoded, strict=False):  # SD gives 2, SDXL 4
            if tensor is None:
                rows[name] = None
                continue
            picked, cursor = [], 0
            for item in items:
                own = tensor[cursor]
                cursor += 1
                if item.mix_prompt is not None:
                    own = torch.lerp(own, tensor[cursor], item.mix_ratio)
                    cursor += 1
                picked.append(own)
            rows[name] = torch.stack(picked)
        return rows

    def _text_to_image(self, items: Sequence[_Item]) -> list[Image.Image]:
        pipe, device = self._model.pipe, self._model.device
        latents = torch.cat([item.noise for item in items]).to(device=device, dtype=pipe.unet.dtype)
        result = pipe(
            **self._embeddings(items),
            latents=latents,
            generator=[step_generator(item.step_seed, device.type) for item in items],
            num_inference_steps=self.steps,
            guidance_scale=self.guidance,
            height=self.size,
            width=self.size,
            output_type="pil",
        )
        return list(result.images)

    def _img2img_pipeline(self) -> DiffusionPipeline:
        if self._image_to_image is None:
            from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionXLImg2ImgPipeline

            pipeline_class = (
                StableDiffusionXLImg2ImgPipeline if self._model.defaults.xl else StableDiffusionImg2ImgPipeline
            )
            # Shares every module with the text-to-image pipeline: no extra memory.
            self._image_to_image = pipeline_class.from_pipe(self._model.pipe)
            self._image_to_image.set_progress_bar_config(disable=True)
        return self._image_to_image

    def _photo_to_image(self, items: Sequence[_Item], strength: float) -> list[Image.Image]:
        device = self._model.device
        # img2img runs int(steps * strength) steps: make that at least one.
        steps = max(self.steps, math.ceil(1.0 / strength))
        result = self._img2img_pipeline()(
            **self._embeddings(items),
            image=[item.photo for item in items],
            strength=strength,
            generator=[step_generator(item.step_seed, device.type) for item in items],
            num_inference_steps=steps,
            guidance_scale=self.guidance,
            output_type="pil",
        )
        return list(result.images)


def _check_fraction(what: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise GenerationFailed(f"{what} must be between 0 and 1, not {value}")
