"""Generator backends: the interface, and the registry that loads one by name."""

from generator.backends.base import GeneratorBackend, MixSource, RenderRequest, RenderResult
from generator.backends.registry import load_backend

__all__ = ["GeneratorBackend", "MixSource", "RenderRequest", "RenderResult", "load_backend"]
