"""From a reading to what the rest of the system understands: an AvatarSpec, and a short phrase
that tells the person what was read (so they can correct it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from core.errors import InvalidSpec
from core.spec import AvatarSpec, parse_spec
from photo.reading import PhotoReading

_EXPRESSION_WORDS = {"happy": "smiling", "neutral": "not smiling", "sad": "sad", "surprised": "surprised"}


def reading_to_spec(reading: PhotoReading, overrides: Optional[Mapping[str, Any]] = None) -> AvatarSpec:
    """The attributes read, overridden by what the person chose.

    The person's choices are checked as they are (InvalidSpec for a bad one). A read attribute that
    the chosen style cannot draw, or that no style can draw together with the rest, is left open:
    what the person asked for wins over what we guessed. Surer readings are kept first.
    """
    chosen = {k: v for k, v in (overrides or {}).items() if v is not None}
    spec = parse_spec(chosen)
    for attribute in sorted(reading.read, key=lambda a: -reading.confidence.get(a, 0.0)):
        if attribute in chosen:
            continue
        try:
            spec = spec.replace(**{attribute: reading.read[attribute]})
        except InvalidSpec:
            continue  # e.g. glasses read, but the chosen style draws none
    return spec


NOTHING_READ = "nothing I could read with confidence"


def describe(reading: PhotoReading) -> str:
    """A short English phrase of what was read, e.g. "black long hair, glasses, smiling"."""
    return describe_read(reading.read) or NOTHING_READ


def describe_read(read: Mapping[str, str]) -> str:
    """The phrase for read attributes (a PhotoReading's `read`, or what a job kept of it); "" for none."""
    parts = []
    hair_words = [w for w in (read.get("hair_color"), read.get("hair")) if w]
    if hair_words:
        parts.append(" ".join(hair_words) + " hair")
    if "glasses" in read:
        parts.append("glasses" if read["glasses"] == "glasses" else "no glasses")
    if "expression" in read:
        parts.append(_EXPRESSION_WORDS.get(read["expression"], read["expression"]))
    if "skin" in read:
        parts.append(f"{read['skin']} skin")
    if "background" in read:
        parts.append(f"{read['background']} backdrop")
    return ", ".join(parts)
