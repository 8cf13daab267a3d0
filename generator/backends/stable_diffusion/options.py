"""What the Stable Diffusion backend is configured with: Settings -> SDOptions, checked once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from core.settings import Settings
from generator.backends.stable_diffusion.errors import CheckpointNotFound, SDConfigError

# Variations move this far from the original, and mixes go this far towards the second
# avatar, when a request gives no amount. (The photo strength is the operator's setting.)
DEFAULT_VARIATION_STRENGTH = 0.3
DEFAULT_MIX_RATIO = 0.5


@dataclass(frozen=True)
class SDOptions:
    checkpoint: Path
    config_dir: Optional[Path] = None
    family: Optional[str] = None
    device: str = "cpu"
    steps: Optional[int] = None
    guidance: Optional[float] = None
    image_size: Optional[int] = None
    scheduler: Optional[str] = None
    loras: tuple[tuple[Path, float], ...] = ()
    compile: bool = False
    channels_last: bool = False
    safety_hook: Optional[str] = None
    # The operator's AVATARBOT_SD_PHOTO_STRENGTH; its default is the setting's own.
    photo_strength: float = Settings.model_fields["sd_photo_strength"].default
    banned_words: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.image_size is not None and self.image_size % 8:
            raise SDConfigError(f"the image size must be a multiple of 8 pixels, not {self.image_size}")
        if self.steps is not None and self.steps < 1:
            raise SDConfigError(f"the number of steps must be at least 1, not {self.steps}")
        if not 0.0 < self.photo_strength <= 1.0:
            raise SDConfigError(f"the photo strength must be in (0, 1], not {self.photo_strength}")

    @classmethod
    def from_settings(cls, settings: Settings) -> SDOptions:
        if settings.sd_checkpoint is None:
            raise CheckpointNotFound(
                "no Stable Diffusion checkpoint is configured: set AVATARBOT_SD_CHECKPOINT to a diffusers "
                "folder or a .safetensors/.ckpt file"
            )
        return cls(
            checkpoint=settings.sd_checkpoint,
            config_dir=settings.sd_config_dir,
            family=settings.sd_family,
            device=settings.device,
            steps=settings.num_inference_steps,
            guidance=settings.guidance_scale,
            image_size=settings.sd_image_size,
            scheduler=settings.sd_scheduler,
            loras=tuple((Path(path), float(weight)) for path, weight in settings.sd_loras.items()),
            compile=settings.sd_compile,
            channels_last=settings.sd_channels_last,
            safety_hook=settings.sd_safety_hook,
            photo_strength=settings.sd_photo_strength,
            banned_words=tuple(settings.sd_banned_words),
        )
