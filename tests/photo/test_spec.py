"""From a reading to a spec and a phrase: the person's options win, impossible readings stay open."""

from __future__ import annotations

import pytest

from core.errors import InvalidSpec
from photo.reading import PhotoReading
from photo.spec import describe, reading_to_spec


def reading(read: dict[str, str], confidence: dict[str, float] | None = None) -> PhotoReading:
    return PhotoReading(face=True, read=read, confidence=confidence or dict.fromkeys(read, 0.9), faces_found=1)


def test_the_reading_becomes_the_spec() -> None:
    spec = reading_to_spec(reading({"hair": "long", "hair_color": "black", "glasses": "glasses", "skin": "tan"}))
    assert spec.attributes() == {"hair": "long", "hair_color": "black", "skin": "tan", "glasses": "glasses"}
    assert spec.style is None


def test_the_persons_options_override_the_reading() -> None:
    spec = reading_to_spec(reading({"hair": "long", "hair_color": "black"}), {"hair_color": "pink", "style": "lorelei"})
    assert (spec.style, spec.hair, spec.hair_color) == ("lorelei", "long", "pink")


def test_a_read_attribute_the_chosen_style_cannot_draw_is_left_open() -> None:
    # toon-head draws no glasses, miniavs no white hair: the person's style choice wins.
    spec = reading_to_spec(reading({"glasses": "glasses", "expression": "happy"}), {"style": "toon-head"})
    assert spec.glasses is None and spec.expression == "happy"
    spec = reading_to_spec(reading({"hair_color": "white", "hair": "short"}), {"style": "miniavs"})
    assert spec.hair_color is None and spec.hair == "short"


def test_readings_a_style_cannot_draw_are_dropped_one_by_one() -> None:
    # micah draws neither a bun nor a neutral face, but does draw long... and black hair.
    read = reading({"hair": "bun", "expression": "neutral", "hair_color": "black"})
    spec = reading_to_spec(read, {"style": "micah"})
    assert (spec.hair, spec.expression, spec.hair_color) == (None, None, "black")
    assert reading_to_spec(read).hair == "bun"  # with no style chosen, a style that draws it all is found


def test_a_bad_option_is_the_persons_error() -> None:
    with pytest.raises(InvalidSpec, match="unknown hair colour 'plaid'"):
        reading_to_spec(reading({"hair": "long"}), {"hair_color": "plaid"})


@pytest.mark.parametrize(
    ("read", "phrase"),
    [
        (
            {"hair_color": "black", "hair": "curly", "glasses": "glasses", "expression": "happy"},
            "black curly hair, glasses, smiling",
        ),
        ({"hair": "long", "glasses": "none", "expression": "neutral"}, "long hair, no glasses, not smiling"),
        ({"hair_color": "white", "skin": "fair", "background": "mint"}, "white hair, fair skin, mint backdrop"),
        ({}, "nothing I could read with confidence"),
    ],
)
def test_describe_says_what_was_read(read: dict[str, str], phrase: str) -> None:
    assert describe(reading(read)) == phrase
