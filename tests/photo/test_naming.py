"""Naming colours: hair colours from Lab, skin tones by ITA, and the vocabulary they must land in."""

from __future__ import annotations

import numpy as np
import pytest

from core.palette import SKIN_TONES
from core.vocabulary import VALUES
from photo.colour import hex_to_lab
from photo.hair import name_hair_colour
from photo.skin import ITA_BANDS, ita_degrees


@pytest.mark.parametrize(
    ("lab", "name"),
    [
        ((6, 1, 1), "black"),  # jet black
        ((20, 2, 3), "black"),  # black with a sheen: dark and colourless
        ((28, 7, 12), "brown"),
        ((55, 8, 28), "blonde"),
        ((32, 12, 22), "blonde"),  # golden hair in shadow: dark but clearly golden
        ((70, 1, 4), "white"),
        ((48, 2, 4), "white"),  # grey counts as white
        ((40, 45, 30), "red"),
        ((65, 45, -5), "pink"),
        ((45, 10, -50), "blue"),
        ((40, 45, -45), "purple"),
        ((50, -45, 20), "green"),
    ],
)
def test_hair_colours_are_named_from_the_vocabulary(lab: tuple[float, float, float], name: str) -> None:
    named, confidence = name_hair_colour(np.array(lab, np.float32))
    assert named == name
    assert named in VALUES["hair_color"]
    assert 0.5 <= confidence <= 1.0


def test_a_colour_on_a_boundary_is_named_without_confidence() -> None:
    _, on_edge = name_hair_colour(np.array((15.0, 5.0, 9.0), np.float32))
    _, clear = name_hair_colour(np.array((3.0, 1.0, 1.0), np.float32))
    assert on_edge < 0.6 < clear


def test_skin_bands_are_vocabulary_tones_from_light_to_dark() -> None:
    assert [tone for _, tone in ITA_BANDS] == list(VALUES["skin"])
    assert [edge for edge, _ in ITA_BANDS] == sorted((edge for edge, _ in ITA_BANDS), reverse=True)


def test_the_palette_skin_tones_get_darker_in_ita_order() -> None:
    # The avatar palette's own swatches must read back in the same order (light ... dark).
    itas = [ita_degrees(hex_to_lab(SKIN_TONES[tone][0])) for tone in VALUES["skin"]]
    assert itas == sorted(itas, reverse=True)
    tone_of = {
        tone: next(name for edge, name in ITA_BANDS if ita >= edge)
        for tone, ita in zip(VALUES["skin"], itas, strict=True)
    }
    assert tone_of["light"] == "light" and tone_of["dark"] == "dark"
