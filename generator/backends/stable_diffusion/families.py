"""Model families and their defaults (steps, guidance, image size); detection from a diffusers folder."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from generator.backends.stable_diffusion.errors import UnknownModelType

Family = Literal["sd15", "sdxl", "sd-turbo", "sdxl-turbo"]


@dataclass(frozen=True)
class FamilyDefaults:
    label: str
    xl: bool  # SDXL architecture (two text encoders, pooled embeddings)
    steps: int
    guidance: float  # <= 1 turns classifier-free guidance (and the negative prompt) off
    size: int


FAMILIES: Mapping[str, FamilyDefaults] = {
    "sd15": FamilyDefaults("SD 1.5", xl=False, steps=25, guidance=7.0, size=512),
    "sdxl": FamilyDefaults("SDXL", xl=True, steps=30, guidance=6.0, size=1024),
    # Turbo models are distilled for 1-4 steps without guidance; SDXL-Turbo was trained at 512 px.
    "sd-turbo": FamilyDefaults("SD-Turbo", xl=False, steps=4, guidance=0.0, size=512),
    "sdxl-turbo": FamilyDefaults("SDXL-Turbo", xl=True, steps=4, guidance=0.0, size=512),
}

# Pipeline classes (model_index.json "_class_name") -> whether the model is SDXL.
_PIPELINE_CLASSES: Mapping[str, bool] = {
    "StableDiffusionPipeline": False,
    "StableDiffusionImg2ImgPipeline": False,
    "StableDiffusionXLPipeline": True,
    "StableDiffusionXLImg2ImgPipeline": True,
}

# Width of the UNet's text conditioning -> the model line that has it (for error messages).
CROSS_ATTENTION_FAMILIES: Mapping[int, str] = {768: "SD 1.x", 1024: "SD 2.x / SD-Turbo", 2048: "SDXL / SDXL-Turbo"}


def read_model_index(folder: Path) -> dict:
    index_file = folder / "model_index.json"
    if not index_file.is_file():
        raise UnknownModelType(
            f"{folder} has no model_index.json, so it is not a diffusers pipeline folder "
            "(save one with save_pretrained, or point at a .safetensors/.ckpt file and a config folder)"
        )
    try:
        return json.loads(index_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UnknownModelType(f"{index_file} cannot be read as JSON: {exc}") from exc


def detect_family(index: Mapping, names: Iterable[str], override: Optional[str] = None) -> Family:
    """The family of a pipeline folder: from settings, else its pipeline class and "turbo" in its names."""
    class_name = str(index.get("_class_name", ""))
    if class_name not in _PIPELINE_CLASSES:
        supported = ", ".join(sorted(_PIPELINE_CLASSES))
        raise UnknownModelType(f"model type {class_name or '(none)'!r} is not supported; supported: {supported}")
    xl = _PIPELINE_CLASSES[class_name]
    if override is not None:
        if override not in FAMILIES:
            raise UnknownModelType(f"unknown model family {override!r}; choose one of: {', '.join(FAMILIES)}")
        if FAMILIES[override].xl != xl:
            raise UnknownModelType(
                f"the checkpoint is a {class_name} but the family setting says {FAMILIES[override].label}"
            )
        return override  # type: ignore[return-value]
    turbo = any("turbo" in name.lower() for name in names)
    if xl:
        return "sdxl-turbo" if turbo else "sdxl"
    return "sd-turbo" if turbo else "sd15"
