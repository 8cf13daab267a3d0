"""Seeded starting noise, the same on every device, and spherical interpolation between noises.

One helper for every backend: the built-in model and Stable Diffusion draw an avatar's noise from
its seed the same way, and move towards another seed's noise (variations, mixes) the same way.
"""

from __future__ import annotations

import torch

# Past this |cosine| two noises are (anti-)parallel: slerp's sin(omega) is ~0 and the straight blend is exact enough.
_NEARLY_PARALLEL = 0.9995


def seeded_noise(seed: int, shape: tuple[int, ...]) -> torch.Tensor:
    """Gaussian noise from its own CPU generator: one seed gives one picture on CPU and GPU alike,
    whatever else is in the batch."""
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn(shape, generator=generator, dtype=torch.float32)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation: keeps the noise's norm (a straight blend would shrink it and blur the
    image). t=0 returns `a` and t=1 returns `b`, bit for bit (a variation of strength 0 is the original)."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"interpolation amount must be in [0, 1], not {t}")
    if t == 0:
        return a.clone()
    if t == 1:
        return b.clone()
    flat_a, flat_b = a.flatten().double(), b.flatten().double()
    cosine = torch.dot(flat_a / flat_a.norm(), flat_b / flat_b.norm()).clamp(-1.0, 1.0)
    if cosine.abs() > _NEARLY_PARALLEL:
        mixed = (1.0 - t) * flat_a + t * flat_b
    else:
        omega = torch.arccos(cosine)
        mixed = (torch.sin((1.0 - t) * omega) * flat_a + torch.sin(t * omega) * flat_b) / torch.sin(omega)
    return mixed.reshape(a.shape).to(a.dtype)


def step_generator(seed: int, device: str) -> torch.Generator:
    """The generator a sampler draws from during the steps (ancestral samplers add noise each step)."""
    return torch.Generator(device=torch.device(device)).manual_seed(int(seed))
