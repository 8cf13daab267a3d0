"""Celery app and tasks, generator backends, and the built-in model's tools."""

from __future__ import annotations

from typing import Any

# diffusers records custom pipeline parts in model_index.json as ["generator", class name]
# and loads them with getattr(import_module("generator"), name). Resolve those names
# lazily so that `import generator` does not import torch.
_LAZY = {
    "AttributeEncoder": "generator.builtin.attribute_encoder",
    "ChibiPipeline": "generator.builtin.pipeline",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module_name), name)
