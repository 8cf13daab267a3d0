"""A PatchGAN discriminator and the losses of adversarial decoder training.

As in pix2pix / latent-diffusion autoencoders: the discriminator scores overlapping
patches (about 70 px each) as real or drawn, which pushes the decoder towards crisp
edges and flat fills that pixel losses alone average away. Hinge losses; the
generator's adversarial term is weighted adaptively against the pixel loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PatchDiscriminator(nn.Module):
    """(B, C, H, W) in [-1, 1] -> (patch logits (B, 1, H/8-ish, W/8-ish), features of every stage)."""

    def __init__(self, in_channels: int = 3, width: int = 32, layers: int = 3, norm_groups: int = 8):
        super().__init__()
        stages: list[nn.Module] = [nn.Sequential(nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2))]
        channels = width
        for i in range(1, layers + 1):
            out = width * min(2**i, 8)
            stride = 2 if i < layers else 1
            stages.append(nn.Sequential(nn.Conv2d(channels, out, 4, stride, 1, bias=False),
                                        nn.GroupNorm(norm_groups, out), nn.LeakyReLU(0.2)))
            channels = out
        self.stages = nn.ModuleList(stages)
        self.head = nn.Conv2d(channels, 1, 4, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return self.head(x), features


def hinge_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    return 0.5 * (F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean())


def generator_adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    return -fake_logits.mean()


def feature_matching_loss(fake: list[torch.Tensor], real: list[torch.Tensor]) -> torch.Tensor:
    """L1 between the discriminator's features of drawn and real patches: a perceptual term
    that needs no pretrained network (none can be downloaded here)."""
    return sum(F.l1_loss(f, r.detach()) for f, r in zip(fake, real, strict=True)) / len(fake)


def adaptive_weight(pixel_loss: torch.Tensor, adversarial_loss: torch.Tensor, last_layer: torch.Tensor,
                    limit: float = 1e4) -> torch.Tensor:
    """Scale the adversarial term so its gradient at the last layer matches the pixel loss's (VQGAN)."""
    pixel_grad = torch.autograd.grad(pixel_loss, last_layer, retain_graph=True)[0]
    adv_grad = torch.autograd.grad(adversarial_loss, last_layer, retain_graph=True)[0]
    return (pixel_grad.norm() / (adv_grad.norm() + 1e-4)).clamp(0.0, limit).detach()
