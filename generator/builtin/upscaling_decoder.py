"""UpscalingDecoder: the autoencoder's 16×16 latents -> 256 px avatar with an alpha matte.

The shipped autoencoder decodes to 128 px and was upscaled for delivery, which halved
edge contrast. This decoder adds one more upsampling stage (x16 in all), so it draws
256 px itself, and a fourth output channel: the character's alpha (for transparent
exports). The encoder and its latent space stay as they are, so a UNet trained on
those latents stays valid. It can start from the old decoder's weights (`from_vae`),
and the start then equals the old decoder's output at twice the size.

The last doubling is one of two kinds (`head`):
- "stage": a full decoder stage at 256 px (the old stages copied, the new one starting
  as an identity); the most capacity, and the most CPU time (its convolutions run at 256²);
- "pixel_shuffle": the old stages as they are, and an output convolution that draws each
  128 px position's 2×2 block of 256 px pixels (sub-pixel convolution, ESPCN); it starts as
  the old output repeated over each block and costs about what the 128 px decoder costs.
"""

from __future__ import annotations

import torch
from diffusers import AutoencoderKL
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.autoencoders.vae import Decoder
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

RGB_AND_ALPHA = 4
HEADS = ("stage", "pixel_shuffle")


class UpscalingDecoder(ModelMixin, ConfigMixin):
    """Unscaled latents (B, C, h, w) -> (B, 4, h*upscale, w*upscale): RGB and alpha, all in [-1, 1]."""

    @register_to_config
    def __init__(
        self,
        latent_channels: int = 8,
        block_out_channels: tuple[int, ...] = (16, 16, 32, 64, 64),
        layers_per_block: int = 1,
        norm_num_groups: int = 8,
        out_channels: int = RGB_AND_ALPHA,
        head: str = "stage",
    ):
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head {head!r} is not one of {HEADS}")
        n = len(block_out_channels)
        self.post_quant_conv = nn.Conv2d(latent_channels, latent_channels, 1)
        shuffle = head == "pixel_shuffle"
        # Sub-pixel convolution: 4 values per output channel, rearranged into 2×2 blocks.
        self.shuffle = nn.PixelShuffle(2) if shuffle else nn.Identity()
        self.decoder = Decoder(
            in_channels=latent_channels,
            out_channels=out_channels * 4 if shuffle else out_channels,
            up_block_types=("UpDecoderBlock2D",) * n,
            block_out_channels=tuple(block_out_channels),
            layers_per_block=layers_per_block,
            norm_num_groups=norm_num_groups,
            # Convolution only, like the autoencoder: it is trained on crops.
            mid_block_add_attention=False,
        )

    @property
    def upscale(self) -> int:
        stages = len(self.config.block_out_channels) - 1
        return 2 ** (stages + 1) if self.config.head == "pixel_shuffle" else 2**stages

    @property
    def last_layer(self) -> torch.Tensor:
        """The weight the adversarial loss's adaptive weight is measured on."""
        return self.decoder.conv_out.weight

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.decoder(self.post_quant_conv(latents)))

    @classmethod
    def from_vae(cls, vae: AutoencoderKL, head: str = "stage") -> UpscalingDecoder:
        """A decoder drawing twice `vae`'s size, starting from its weights (see the module's docstring)."""
        if head == "pixel_shuffle":
            return cls._shuffled_from_vae(vae)
        c = vae.config
        old = tuple(c.block_out_channels)
        new = cls(latent_channels=c.latent_channels, block_out_channels=(old[0], *old),
                  layers_per_block=c.layers_per_block, norm_num_groups=c.norm_num_groups)
        source, target = vae.decoder, new.decoder
        new.post_quant_conv.load_state_dict(vae.post_quant_conv.state_dict())
        target.conv_in.load_state_dict(source.conv_in.state_dict())
        target.mid_block.load_state_dict(source.mid_block.state_dict())
        for i, block in enumerate(source.up_blocks):
            target.up_blocks[i].resnets.load_state_dict(block.resnets.state_dict())
            if block.upsamplers is not None:
                target.up_blocks[i].upsamplers.load_state_dict(block.upsamplers.state_dict())
        with torch.no_grad():
            # The old last stage gains an upsampler: nearest x2, then an identity convolution.
            conv = target.up_blocks[len(old) - 1].upsamplers[0].conv
            conv.weight.zero_()
            conv.bias.zero_()
            for ch in range(conv.weight.shape[0]):
                conv.weight[ch, ch, 1, 1] = 1.0
            # The new full-size stage starts as an identity: residual branches output zero.
            for resnet in target.up_blocks[-1].resnets:
                resnet.conv2.weight.zero_()
                resnet.conv2.bias.zero_()
            target.conv_norm_out.load_state_dict(source.conv_norm_out.state_dict())
            target.conv_out.weight.zero_()
            target.conv_out.bias.zero_()
            target.conv_out.weight[:3] = source.conv_out.weight
            target.conv_out.bias[:3] = source.conv_out.bias
            target.conv_out.bias[3] = 1.0  # alpha starts "all character"; training carves the matte
        return new

    @classmethod
    def _shuffled_from_vae(cls, vae: AutoencoderKL) -> UpscalingDecoder:
        c = vae.config
        new = cls(latent_channels=c.latent_channels, block_out_channels=tuple(c.block_out_channels),
                  layers_per_block=c.layers_per_block, norm_num_groups=c.norm_num_groups, head="pixel_shuffle")
        source, target = vae.decoder, new.decoder
        new.post_quant_conv.load_state_dict(vae.post_quant_conv.state_dict())
        own = {k: v for k, v in source.state_dict().items() if not k.startswith("conv_out.")}
        target.load_state_dict(own, strict=False)
        with torch.no_grad():
            # PixelShuffle reads channel c*4 + k as sub-pixel k of output channel c: each of the
            # four gets the old output convolution, so the start is the old image, 2×2 repeated.
            target.conv_out.weight.zero_()
            target.conv_out.bias.zero_()
            for ch in range(3):
                target.conv_out.weight[ch * 4 : ch * 4 + 4] = source.conv_out.weight[ch]
                target.conv_out.bias[ch * 4 : ch * 4 + 4] = source.conv_out.bias[ch]
            target.conv_out.bias[12:16] = 1.0  # alpha starts "all character"; training carves the matte
        return new


def split_rgb_alpha(decoded: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 4, H, W) in [-1, 1] -> RGB (B, 3, H, W) and alpha (B, 1, H, W), both in [0, 1]."""
    rgb = (decoded[:, :3].float() / 2 + 0.5).clamp(0, 1)
    alpha = (decoded[:, 3:4].float() / 2 + 0.5).clamp(0, 1)
    return rgb, alpha
