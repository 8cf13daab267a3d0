"""Which backend a worker loads, by name: the one place that maps Settings to a backend.

Each entry imports its backend lazily, so `import generator.backends` stays light and a
worker only pays for the backend it serves.
"""

from __future__ import annotations

from collections.abc import Callable

from core.errors import GenerationFailed
from core.settings import Settings
from generator.backends.base import GeneratorBackend

BackendLoader = Callable[[Settings], GeneratorBackend]


def _load_builtin(settings: Settings) -> GeneratorBackend:
    from generator.builtin.backend import BuiltinBackend

    return BuiltinBackend.load(
        settings.builtin_weights,
        device=settings.device,
        steps=settings.num_inference_steps,
        guidance=settings.guidance_scale,
    )


def _load_stable_diffusion(settings: Settings) -> GeneratorBackend:
    from generator.backends.stable_diffusion.backend import StableDiffusionBackend

    return StableDiffusionBackend.from_settings(settings)


LOADERS: dict[str, BackendLoader] = {
    "builtin": _load_builtin,
    "stable-diffusion": _load_stable_diffusion,
}


def backend_names() -> tuple[str, ...]:
    return tuple(LOADERS)


def load_backend(settings: Settings) -> GeneratorBackend:
    """Load the backend named by settings.backend (slow: weights are read here)."""
    loader = LOADERS.get(settings.backend)
    if loader is None:
        raise GenerationFailed(
            f"unknown generator backend {settings.backend!r}; available: {', '.join(sorted(LOADERS))}"
        )
    if settings.torch_threads is not None:
        import torch

        torch.set_num_threads(settings.torch_threads)
    return loader(settings)
