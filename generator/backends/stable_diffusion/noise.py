"""Seeded starting noise, the same on every device, and spherical interpolation between noises."""

from __future__ import annotations

import torch


def seeded_noise(seed: int, shape: tuple[int, ...]) -> torch.Tensor:
    """Gaussian noise from its own CPU generator: one seed gives one picture on CPU and GPU alike."""
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn(shape, generator=generator, dtype=torch.float32)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation: keeps the noise's norm (a straight blend would shrink it and blur the image)."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"interpolation amount must be in [0, 1], not {t}")
    flat_a, flat_b = a.flatten().double(), b.flatten().double()
    cosine = torch.dot(flat_a / flat_a.norm(), flat_b / flat_b.norm()).clamp(-1.0, 1.0)
    if cosine.abs() > 0.9995:  # nearly parallel: the straight blend is exact enough and stable
        mixed = (1.0 - t) * flat_a + t * flat_b
    else:
        omega = torch.arccos(cosine)
        mixed = (torch.sin((1.0 - t) * omega) * flat_a + torch.sin(t * omega) * flat_b) / torch.sin(omega)
    return mixed.reshape(a.shape).to(a.dtype)


def step_generator(seed: int, device: str) -> torch.Generator:
    """The generator a sampler draws from during the steps (ancestral samplers add noise each step)."""
    return torch.Generator(device=torch.device(device)).manual_seed(int(seed))
