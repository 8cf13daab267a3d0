"""The model's shape in one place: sizes as plain data, and builders for each part.

Training, the tiny test weights and the shipped weights all build their parts
here, so a checkpoint's saved sizes are enough to rebuild its model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from diffusers import AutoencoderKL, DDPMScheduler, DPMSolverMultistepScheduler, UNet2DConditionModel

from core.vocabulary import ATTRIBUTES, VOCABULARY
from generator.builtin.attribute_encoder import AttributeEncoder

# Shared noise schedule of training (DDPM) and sampling (DPM-Solver++).
SCHEDULE = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"}


@dataclass(frozen=True)
class AutoencoderSizes:
    image_size: int = 128
    channels: tuple[int, ...] = (32, 64, 64, 64)
    layers_per_block: int = 1
    latent_channels: int = 4
    norm_groups: int = 16

    @property
    def downscale(self) -> int:
        return 2 ** (len(self.channels) - 1)

    @property
    def latent_size(self) -> int:
        return self.image_size // self.downscale


@dataclass(frozen=True)
class UNetSizes:
    channels: tuple[int, ...] = (64, 128, 192)
    layers_per_block: int = 1
    attention_heads: int = 4
    norm_groups: int = 32
    condition_dim: int = 128


@dataclass(frozen=True)
class ModelSizes:
    autoencoder: AutoencoderSizes = field(default_factory=AutoencoderSizes)
    unet: UNetSizes = field(default_factory=UNetSizes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelSizes:
        ae = {k: tuple(v) if isinstance(v, list) else v for k, v in data["autoencoder"].items()}
        un = {k: tuple(v) if isinstance(v, list) else v for k, v in data["unet"].items()}
        return cls(autoencoder=AutoencoderSizes(**ae), unet=UNetSizes(**un))


def build_autoencoder(sizes: AutoencoderSizes, scaling_factor: float = 1.0) -> AutoencoderKL:
    n = len(sizes.channels)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * n,
        up_block_types=("UpDecoderBlock2D",) * n,
        block_out_channels=tuple(sizes.channels),
        layers_per_block=sizes.layers_per_block,
        latent_channels=sizes.latent_channels,
        norm_num_groups=sizes.norm_groups,
        sample_size=sizes.image_size,
        scaling_factor=scaling_factor,
        # No mid-block attention: the model must stay fully convolutional (train on crops).
        mid_block_add_attention=False,
    )


def autoencoder_sizes_of(vae: AutoencoderKL) -> AutoencoderSizes:
    """The sizes build_autoencoder would need to rebuild `vae` (a saved folder has no checkpoint)."""
    c = vae.config
    return AutoencoderSizes(image_size=c.sample_size, channels=tuple(c.block_out_channels),
                            layers_per_block=c.layers_per_block, latent_channels=c.latent_channels,
                            norm_groups=c.norm_num_groups)


def unet_sizes_of(unet: UNet2DConditionModel) -> UNetSizes:
    """The sizes build_unet / build_attribute_encoder would need to rebuild `unet`."""
    c = unet.config
    return UNetSizes(channels=tuple(c.block_out_channels), layers_per_block=c.layers_per_block,
                     attention_heads=c.attention_head_dim, norm_groups=c.norm_num_groups,
                     condition_dim=c.cross_attention_dim)


def build_attribute_encoder(sizes: UNetSizes) -> AttributeEncoder:
    return AttributeEncoder(sizes=tuple(VOCABULARY.sizes()), dim=sizes.condition_dim, attribute_names=ATTRIBUTES)


def build_unet(sizes: UNetSizes, latent_size: int, latent_channels: int) -> UNet2DConditionModel:
    n = len(sizes.channels)
    # Full resolution: convolution only; lower resolutions attend to the attribute tokens.
    down = ("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (n - 1)
    up = ("CrossAttnUpBlock2D",) * (n - 1) + ("UpBlock2D",)
    return UNet2DConditionModel(
        sample_size=latent_size,
        in_channels=latent_channels,
        out_channels=latent_channels,
        down_block_types=down,
        up_block_types=up,
        mid_block_type="UNetMidBlock2DCrossAttn",
        block_out_channels=tuple(sizes.channels),
        layers_per_block=sizes.layers_per_block,
        norm_num_groups=sizes.norm_groups,
        cross_attention_dim=sizes.condition_dim,
        # diffusers reads `attention_head_dim` here as the number of heads (a known naming quirk).
        attention_head_dim=sizes.attention_heads,
        # The flattened attribute tokens are also added to the time embedding (global look).
        class_embed_type="projection",
        projection_class_embeddings_input_dim=sizes.condition_dim * len(ATTRIBUTES),
    )


def build_train_scheduler() -> DDPMScheduler:
    return DDPMScheduler(**SCHEDULE, prediction_type="epsilon")


def build_sample_scheduler() -> DPMSolverMultistepScheduler:
    return DPMSolverMultistepScheduler(
        **SCHEDULE, prediction_type="epsilon", algorithm_type="dpmsolver++", solver_order=2,
        use_karras_sigmas=True,
    )
