"""ChibiPipeline: attribute tokens -> avatar images, by latent diffusion.

Modelled on diffusers' DDPMPipeline: `__init__` only registers modules and
`__call__` is one numbered loop. Seeds are drawn per image on the CPU, so an
avatar does not depend on what else was in its batch or on the device.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np
import torch
from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
from diffusers.pipelines.pipeline_utils import DiffusionPipeline
from diffusers.utils import BaseOutput
from PIL import Image

from core.spec import MAX_SEED, AvatarSpec
from generator.builtin.attribute_encoder import AttributeEncoder
from generator.builtin.upscaling_decoder import UpscalingDecoder, split_rgb_alpha
from generator.noise import seeded_noise, slerp

SpecLike = Union[AvatarSpec, Sequence[int]]
OUTPUT_TYPES = ("pil", "np", "pt")


class EditMasks:
    """The regions masked edits may change (DiffEdit, Couairon et al. 2022), and the blending.

    Rows 0..batch-1 are the images asked for; each masked edit has a source row after them
    (`source_row`). An edit's mask is set at the first step that follows its own conditioning:
    the difference between its guided noise prediction and its source's, averaged over
    channels, smoothed over 3×3 latent pixels, above `threshold` of its largest value, and
    grown by one latent pixel so that the region's edge is redrawn too.
    """

    def __init__(self, source_row: dict[int, int], first_rows: list[int], threshold: float):
        self.source_row = source_row
        self.first_rows = first_rows
        self.threshold = threshold
        self.masks: dict[int, torch.Tensor] = {}

    @classmethod
    def plan(
        cls,
        source_specs: Optional[Sequence[Optional[SpecLike]]],
        noise: torch.Tensor,
        tokens_of: Callable[[Sequence[SpecLike]], torch.Tensor],
        threshold: Optional[float],
    ) -> Optional[EditMasks]:
        if threshold is None or source_specs is None or all(s is None for s in source_specs):
            return None
        batch = len(source_specs)
        tokens = [None if s is None else tokens_of([s])[0] for s in source_specs]
        source_row: dict[int, int] = {}
        first_rows: list[int] = []
        for i, row in enumerate(tokens):
            if row is None:
                continue
            for k, first in enumerate(first_rows):
                if torch.equal(tokens[first], row) and torch.equal(noise[first], noise[i]):
                    source_row[i] = batch + k
                    break
            else:
                source_row[i] = batch + len(first_rows)
                first_rows.append(i)
        return cls(source_row, first_rows, threshold)

    def update(self, step: int, shared: list[int], eps: torch.Tensor) -> None:
        for i, j in self.source_row.items():
            if i in self.masks or step < shared[i]:
                continue
            diff = (eps[i] - eps[j]).abs().float().mean(dim=0, keepdim=True)[None]
            diff = torch.nn.functional.avg_pool2d(diff, 3, stride=1, padding=1, count_include_pad=False)
            peak = diff.max()
            mask = (diff > self.threshold * peak).float() if peak > 0 else torch.zeros_like(diff)
            self.masks[i] = torch.nn.functional.max_pool2d(mask, 3, stride=1, padding=1)[0].to(eps.dtype)

    def blend(self, latents: torch.Tensor) -> torch.Tensor:
        if not self.masks:
            return latents
        latents = latents.clone()
        for i, mask in self.masks.items():
            latents[i] = mask * latents[i] + (1 - mask) * latents[self.source_row[i]]
        return latents


@dataclass
class ChibiPipelineOutput(BaseOutput):
    """`images` as asked by `output_type`; `alphas`: the character's matte in the same form
    (PIL "L" images, uint8 HxW arrays or (B, 1, S, S) tensors), None without an upscaling decoder."""

    images: Union[list[Image.Image], np.ndarray, torch.Tensor]
    alphas: Optional[Union[list[Image.Image], np.ndarray, torch.Tensor]] = None


class ChibiPipeline(DiffusionPipeline):
    r"""Conditional latent diffusion for chibi avatars.

    Components: `vae` (AutoencoderKL: its encoder for image-to-image, its decoder when there
    is no `decoder`), `unet` (UNet2DConditionModel conditioned on one token per attribute),
    `attribute_encoder` (AttributeEncoder), `scheduler` (DPMSolverMultistepScheduler) and,
    optionally, `decoder` (UpscalingDecoder: draws twice the vae's size, with an alpha matte).
    `output_size` is the edge of delivered PIL images.
    """

    model_cpu_offload_seq = "attribute_encoder->unet->decoder->vae"
    _optional_components = ["decoder"]

    def __init__(
        self,
        vae: AutoencoderKL,
        unet: UNet2DConditionModel,
        attribute_encoder: AttributeEncoder,
        scheduler: DPMSolverMultistepScheduler,
        decoder: Optional[UpscalingDecoder] = None,
        output_size: int = 256,
    ):
        super().__init__()
        self.register_modules(vae=vae, unet=unet, attribute_encoder=attribute_encoder, scheduler=scheduler,
                              decoder=decoder)
        self.register_to_config(output_size=output_size)

    # -- helpers -------------------------------------------------------------

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        size = self.unet.config.sample_size
        return (self.unet.config.in_channels, size, size)

    @property
    def encoder_image_size(self) -> int:
        """Edge of the images the vae's encoder takes (image-to-image)."""
        return self.unet.config.sample_size * 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def image_size(self) -> int:
        """Native edge of decoded images, before resizing to `output_size`."""
        if self.decoder is not None:
            return self.unet.config.sample_size * self.decoder.upscale
        return self.encoder_image_size

    def tokens_of(self, specs: Sequence[SpecLike]) -> torch.Tensor:
        rows = [list(s.tokens()) if isinstance(s, AvatarSpec) else [int(t) for t in s] for s in specs]
        return torch.tensor(rows, dtype=torch.long)

    def check_inputs(
        self,
        specs: Sequence[SpecLike],
        seeds: Sequence[int],
        num_inference_steps: int,
        guidance_scale: float,
        variation_seeds: Optional[Sequence[Optional[int]]],
        variation_strengths: Optional[Sequence[Optional[float]]],
        mix_specs: Optional[Sequence[Optional[SpecLike]]],
        mix_seeds: Optional[Sequence[Optional[int]]],
        mix_ratios: Optional[Sequence[Optional[float]]],
        image: Optional[Sequence[Image.Image]],
        strength: float,
        output_type: str,
        source_specs: Optional[Sequence[Optional[SpecLike]]] = None,
        shared_steps: Optional[Sequence[Optional[int]]] = None,
        edit_mask_threshold: Optional[float] = None,
    ) -> None:
        if len(specs) == 0:
            raise ValueError("`specs` is empty: pass at least one spec or token row")
        if len(seeds) != len(specs):
            raise ValueError(f"`seeds` has {len(seeds)} entries but `specs` has {len(specs)}")
        for seed in seeds:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
                raise ValueError(f"seed {seed!r} is not a whole number from 0 to {MAX_SEED}")
        sizes = self.attribute_encoder.config.sizes
        partners = [m for m in (*(mix_specs or []), *(source_specs or [])) if m is not None]
        for spec in list(specs) + partners:
            if isinstance(spec, AvatarSpec):
                continue
            row = list(spec)
            if len(row) != len(sizes) or any(not 0 <= int(t) < n for t, n in zip(row, sizes, strict=True)):
                raise ValueError(f"token row {row!r} does not fit the attribute sizes {list(sizes)}")
        if not isinstance(num_inference_steps, int) or not 1 <= num_inference_steps <= 1000:
            raise ValueError(f"num_inference_steps {num_inference_steps!r} is not a whole number from 1 to 1000")
        if not math.isfinite(guidance_scale) or guidance_scale < 0:
            raise ValueError(f"guidance_scale {guidance_scale!r} must be a finite number >= 0")
        for name, values in (
            ("variation_seeds", variation_seeds),
            ("variation_strengths", variation_strengths),
            ("mix_specs", mix_specs),
            ("mix_seeds", mix_seeds),
            ("mix_ratios", mix_ratios),
            ("image", image),
            ("source_specs", source_specs),
            ("shared_steps", shared_steps),
        ):
            if values is not None and len(values) != len(specs):
                raise ValueError(f"`{name}` has {len(values)} entries but `specs` has {len(specs)}")
        for name, values in (("variation_strengths", variation_strengths), ("mix_ratios", mix_ratios)):
            for value in values or []:
                if value is not None and not 0.0 <= value <= 1.0:
                    raise ValueError(f"{name[:-1]} {value!r} is not between 0 and 1")
        for i, spec in enumerate(mix_specs or []):
            if spec is not None and (mix_seeds is None or mix_seeds[i] is None):
                raise ValueError(f"mix partner {i} has a spec but no seed in `mix_seeds`")
        for i, steps in enumerate(shared_steps or []):
            if steps is None:
                continue
            if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
                raise ValueError(f"shared_steps {steps!r} is not a whole number >= 0")
            if source_specs is None or source_specs[i] is None:
                raise ValueError(f"image {i} shares {steps} steps but has no spec in `source_specs`")
        if edit_mask_threshold is not None and not 0.0 < edit_mask_threshold < 1.0:
            raise ValueError(f"edit_mask_threshold {edit_mask_threshold!r} is not between 0 and 1")
        if image is not None and not 0.0 <= strength <= 1.0:
            raise ValueError(f"strength {strength!r} is not between 0 and 1")
        if output_type not in OUTPUT_TYPES:
            raise ValueError(f"output_type {output_type!r} is not one of {OUTPUT_TYPES}")

    def preprocess(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """PIL images (any size/mode) -> (B, 3, S, S) in [-1, 1], centre-cropped to the encoder's square."""
        size = self.encoder_image_size
        rows = []
        for img in images:
            if img.mode in ("RGBA", "LA", "P"):
                img = img.convert("RGBA")
                white = Image.new("RGBA", img.size, (255, 255, 255, 255))
                img = Image.alpha_composite(white, img)
            img = img.convert("RGB")
            edge = min(img.size)
            left, top = (img.width - edge) // 2, (img.height - edge) // 2
            img = img.crop((left, top, left + edge, top + edge)).resize((size, size), Image.LANCZOS)
            rows.append(torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1.0).permute(2, 0, 1))
        return torch.stack(rows)

    def postprocess(self, images: torch.Tensor, output_type: str):
        """(B, C, S, S) in [0, 1] (C = 3, or 1 for alpha) -> PIL at `output_size` / numpy / the tensor."""
        if output_type == "pt":
            return images
        arrays = (images.permute(0, 2, 3, 1).float().cpu().numpy() * 255).round().astype(np.uint8)
        if arrays.shape[-1] == 1:
            arrays = arrays[..., 0]
        if output_type == "np":
            return arrays
        out_size = int(self.config.output_size)
        pils = [Image.fromarray(a) for a in arrays]
        # Only a model without the upscaling decoder draws below the delivered size.
        return [p.resize((out_size, out_size), Image.LANCZOS) if p.width != out_size else p for p in pils]

    # -- sampling ------------------------------------------------------------

    @torch.no_grad()
    def __call__(
        self,
        specs: Sequence[SpecLike],
        seeds: Sequence[int],
        num_inference_steps: int = 12,
        guidance_scale: float = 3.0,
        variation_seeds: Optional[Sequence[Optional[int]]] = None,
        variation_strengths: Optional[Sequence[Optional[float]]] = None,
        mix_specs: Optional[Sequence[Optional[SpecLike]]] = None,
        mix_seeds: Optional[Sequence[Optional[int]]] = None,
        mix_ratios: Optional[Sequence[Optional[float]]] = None,
        image: Optional[Sequence[Image.Image]] = None,
        strength: float = 0.7,
        source_specs: Optional[Sequence[Optional[SpecLike]]] = None,
        shared_steps: Optional[Sequence[Optional[int]]] = None,
        edit_mask_threshold: Optional[float] = None,
        output_type: str = "pil",
        return_dict: bool = True,
    ) -> Union[ChibiPipelineOutput, tuple]:
        r"""Render one avatar per spec.

        Args:
            specs: AvatarSpecs or token rows (one token per attribute, 0 = not chosen).
            seeds: one seed per spec; the same spec and seed give the same avatar.
            num_inference_steps: DPM-Solver++ steps.
            guidance_scale: classifier-free guidance; values <= 1 turn it off.
            variation_seeds / variation_strengths: per image, perturb the seed's noise towards
                the noise of `variation_seed` by `strength` (0 = the original, 1 = a re-roll).
            mix_specs / mix_seeds / mix_ratios: per image, a second avatar; the initial noise is
                slerped and the conditioning blended by `ratio` (0 = this avatar, 1 = the other).
            image / strength: image-to-image (SDEdit): start from each image noised to `strength`
                (0 keeps the image, 1 ignores it).
            source_specs / shared_steps: per image, an edit of another avatar (same seed): the first
                `shared_steps` denoising steps follow the source's conditioning, which lays down
                the character's shape, and the rest follow `specs`, which draw the change.
            edit_mask_threshold: with `source_specs`, keep each edit equal to its source outside the
                region the change touches (DiffEdit): the source is drawn alongside, the region is
                where the two noise predictions differ by more than this share of their largest
                difference at the first step that follows the edit, and outside it the edit's latents
                are replaced by the source's after every step. None turns it off.
            output_type: "pil" (resized to `output_size`), "np" (uint8 HxWx3, native size) or
                "pt" (float (B, 3, S, S) in [0, 1], native size).
        """
        # 1. Check inputs.
        self.check_inputs(
            specs, seeds, num_inference_steps, guidance_scale, variation_seeds, variation_strengths,
            mix_specs, mix_seeds, mix_ratios, image, strength, output_type, source_specs, shared_steps,
            edit_mask_threshold,
        )
        device = self._execution_device
        dtype = self.unet.dtype
        batch = len(specs)
        shape = (1, *self.latent_shape)

        # 2. Conditioning: attribute tokens -> sequence, blended with a mix partner's where asked.
        cond = self.attribute_encoder(self.tokens_of(specs).to(device))
        for i, partner in enumerate(mix_specs or []):
            if partner is not None:
                ratio = float(mix_ratios[i]) if mix_ratios and mix_ratios[i] is not None else 0.5
                other = self.attribute_encoder(self.tokens_of([partner]).to(device))[0]
                cond[i] = (1 - ratio) * cond[i] + ratio * other
        use_cfg = guidance_scale > 1.0
        null_cond = None
        if use_cfg:
            null_tokens = torch.zeros((batch, self.attribute_encoder.n_attributes), dtype=torch.long, device=device)
            null_cond = self.attribute_encoder(null_tokens).to(dtype)
        cond = cond.to(dtype)
        # An edit's source conditioning and, per image, how many of the first steps follow it.
        source_cond, shared = cond, [0] * batch
        if source_specs is not None:
            rows = [s if s is not None else specs[i] for i, s in enumerate(source_specs)]
            source_cond = self.attribute_encoder(self.tokens_of(rows).to(device)).to(dtype)
        if source_specs is not None and shared_steps is not None:
            shared = [int(k) if k is not None and src is not None else 0
                      for k, src in zip(shared_steps, source_specs, strict=True)]

        # 3. Initial noise per image: its seed, perturbed (variation) or slerped (mix).
        noises = []
        for i, seed in enumerate(seeds):
            noise = seeded_noise(seed, shape)
            if variation_seeds is not None and variation_seeds[i] is not None:
                s = variation_strengths[i] if variation_strengths and variation_strengths[i] is not None else 0.3
                noise = slerp(noise, seeded_noise(variation_seeds[i], shape), float(s))
            if mix_specs is not None and mix_specs[i] is not None:
                ratio = float(mix_ratios[i]) if mix_ratios and mix_ratios[i] is not None else 0.5
                noise = slerp(noise, seeded_noise(mix_seeds[i], shape), ratio)
            noises.append(noise)
        noise = torch.cat(noises).to(device=device, dtype=dtype)

        # 4. Timesteps; image-to-image starts part-way, from the noised image latents.
        self.scheduler.set_timesteps(num_inference_steps, device=device)
        timesteps = self.scheduler.timesteps
        if image is not None:
            pixels = self.preprocess(image).to(device=device, dtype=self.vae.dtype)
            init_latents = self.vae.encode(pixels).latent_dist.mean * self.vae.config.scaling_factor
            init_latents = init_latents.to(dtype)
            n_run = min(int(round(num_inference_steps * strength)), num_inference_steps)
            t_start = (num_inference_steps - n_run) * self.scheduler.order
            timesteps = timesteps[t_start:]
            if hasattr(self.scheduler, "set_begin_index"):
                self.scheduler.set_begin_index(t_start)
            if n_run == 0:
                latents = init_latents
            else:
                latents = self.scheduler.add_noise(init_latents, noise, timesteps[:1].repeat(batch))
        else:
            latents = noise * self.scheduler.init_noise_sigma

        # 5. Denoising loop with classifier-free guidance. Masked edits draw their sources as extra
        #    rows (one per distinct source and noise, so a pack's members share one).
        masked = EditMasks.plan(source_specs, noise, self.tokens_of, edit_mask_threshold)
        if masked is not None:
            latents = torch.cat([latents, latents[masked.first_rows]])
            cond = torch.cat([cond, source_cond[masked.first_rows]])
            source_cond = torch.cat([source_cond, source_cond[masked.first_rows]])
            null_cond = torch.cat([null_cond, null_cond[masked.first_rows]]) if null_cond is not None else None
            shared = shared + [num_inference_steps * 2] * len(masked.first_rows)  # sources follow theirs throughout
        for step, t in enumerate(self.progress_bar(timesteps)):
            follows_source = torch.tensor([step < k for k in shared], device=device).view(-1, 1, 1)
            step_cond = torch.where(follows_source, source_cond, cond) if any(shared) else cond
            if null_cond is not None:
                step_cond = torch.cat([null_cond, step_cond])
            class_labels = step_cond.flatten(1)
            model_in = torch.cat([latents] * 2) if use_cfg else latents
            model_in = self.scheduler.scale_model_input(model_in, t)
            eps = self.unet(model_in, t, encoder_hidden_states=step_cond, class_labels=class_labels).sample
            if use_cfg:
                eps_null, eps_cond = eps.chunk(2)
                eps = eps_null + guidance_scale * (eps_cond - eps_null)
            latents = self.scheduler.step(eps, t, latents).prev_sample
            if masked is not None:
                masked.update(step, shared, eps)
                latents = masked.blend(latents)
        if masked is not None:
            latents = latents[:batch]

        # 6. Decode to pixels (and the matte, with the upscaling decoder) and deliver.
        latents = latents / self.vae.config.scaling_factor
        alphas = None
        if self.decoder is not None:
            pixels, alpha = split_rgb_alpha(self.decoder(latents.to(self.decoder.dtype)))
            alphas = self.postprocess(alpha, output_type)
        else:
            pixels = (self.vae.decode(latents.to(self.vae.dtype)).sample.float() / 2 + 0.5).clamp(0, 1)
        images = self.postprocess(pixels, output_type)
        self.maybe_free_model_hooks()
        if not return_dict:
            return (images, alphas)
        return ChibiPipelineOutput(images=images, alphas=alphas)

