"""Safety checks on rendered images: the checkpoint's own checker, an operator's hook, or both.

A check returns one flag per image (True = needs a moderator). Images are never
blacked out here: a flagged image is kept so moderators can judge it, and the
worker puts its job in the flagged state instead of posting it.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from PIL import Image

from generator.backends.stable_diffusion.errors import SDConfigError

log = logging.getLogger(__name__)

SafetyCheck = Callable[[Sequence[Image.Image]], list[bool]]


class CheckpointSafetyChecker:
    """Diffusers' StableDiffusionSafetyChecker with its feature extractor, returning flags only."""

    def __init__(self, checker: torch.nn.Module, feature_extractor: Callable, device: str, dtype: torch.dtype):
        self._checker = checker.to(device=device, dtype=dtype).eval()
        self._features = feature_extractor
        self._device = device
        self._dtype = dtype

    @torch.no_grad()
    def __call__(self, images: Sequence[Image.Image]) -> list[bool]:
        if not images:
            return []
        pixels = self._features(list(images), return_tensors="pt").pixel_values.to(self._device, self._dtype)
        # The checker blacks out what it flags in the array it is given: give it a throwaway copy.
        scratch = np.stack([np.asarray(image, dtype=np.float32) / 255.0 for image in images])
        checker_log = logging.getLogger("diffusers.pipelines.stable_diffusion.safety_checker")
        level = checker_log.level
        checker_log.setLevel(logging.ERROR)  # its "a black image will be returned" is not true here
        try:
            _, flags = self._checker(images=scratch, clip_input=pixels)
        finally:
            checker_log.setLevel(level)
        return [bool(flag) for flag in flags]


def load_checkpoint_checker(folder: Path, device: str, dtype: torch.dtype) -> Optional[CheckpointSafetyChecker]:
    """The safety checker saved in a diffusers folder, or None when the folder has none."""
    index_file = folder / "model_index.json"
    if not index_file.is_file():
        return None
    index = json.loads(index_file.read_text(encoding="utf-8"))
    entry = index.get("safety_checker")
    checker_dir, extractor_dir = folder / "safety_checker", folder / "feature_extractor"
    if not entry or entry[0] is None or not (checker_dir / "config.json").is_file():
        return None
    if not any(checker_dir.glob("*.safetensors")) and not any(checker_dir.glob("*.bin")):
        log.warning("%s names a safety checker but holds no weights for it; not used", folder)
        return None
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPImageProcessor

    checker = StableDiffusionSafetyChecker.from_pretrained(checker_dir, local_files_only=True)
    extractor = CLIPImageProcessor.from_pretrained(extractor_dir, local_files_only=True)
    return CheckpointSafetyChecker(checker, extractor, device, dtype)


def load_hook(dotted: str) -> SafetyCheck:
    """Import "package.module:function" (or "package.module.function"): images -> list of flags."""
    module_name, sep, attribute = dotted.partition(":")
    if not sep:
        module_name, _, attribute = dotted.rpartition(".")
    if not module_name or not attribute:
        raise SDConfigError(f"safety hook {dotted!r} must look like 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SDConfigError(f"safety hook module {module_name!r} cannot be imported: {exc}") from exc
    hook = getattr(module, attribute, None)
    if not callable(hook):
        raise SDConfigError(f"safety hook {dotted!r}: {module_name} has no callable {attribute!r}")
    return hook


def combine(checks: Sequence[SafetyCheck]) -> Optional[SafetyCheck]:
    """One check that flags an image when any of `checks` does; None when there are none."""
    if not checks:
        return None

    def run_all(images: Sequence[Image.Image]) -> list[bool]:
        flags = [False] * len(images)
        for check in checks:
            verdicts = list(check(images))
            if len(verdicts) != len(images):
                raise SDConfigError(f"safety check {check!r} returned {len(verdicts)} flags for {len(images)} images")
            flags = [old or bool(new) for old, new in zip(flags, verdicts, strict=True)]
        return flags

    return run_all
