"""The Stable Diffusion prompt builder: vocabulary -> fragments, frame, negative prompt, banned words."""

from __future__ import annotations

import pytest

from core.errors import InvalidSpec
from core.spec import parse_spec
from core.vocabulary import ATTRIBUTES, VALUES
from generator.backends.stable_diffusion.prompt import (
    BACKGROUND_UNSET,
    FRAGMENTS,
    STYLE_UNSET,
    build_prompt,
    clean_details,
    fragment,
)

EVERY_VALUE = [(attribute, value) for attribute in ATTRIBUTES for value in VALUES[attribute]]


@pytest.mark.parametrize(("attribute", "value"), EVERY_VALUE)
def test_every_vocabulary_value_has_a_fragment(attribute: str, value: str) -> None:
    text = fragment(attribute, value)
    assert text.strip() and text == text.strip()


def test_no_fragment_for_values_outside_the_vocabulary() -> None:
    assert {a: set(v) for a, v in FRAGMENTS.items()} == {a: set(VALUES[a]) for a in ATTRIBUTES}


@pytest.mark.parametrize(("attribute", "value"), [("hair", "mohawk"), ("colour", "red"), ("style", "")])
def test_unknown_values_raise(attribute: str, value: str) -> None:
    with pytest.raises(InvalidSpec, match="unknown"):
        fragment(attribute, value)


def test_full_spec_prompt_has_frame_every_choice_and_negative() -> None:
    spec = parse_spec(
        {
            "style": "adventurer",
            "hair": "long",
            "hair_color": "pink",
            "skin": "tan",
            "expression": "wink",
            "glasses": "glasses",
            "accessory": "flowers",
            "background": "mint",
        }
    )
    prompt = build_prompt(spec)
    assert prompt.positive.startswith("cute chibi avatar, head and shoulders portrait")
    for attribute in ATTRIBUTES:
        assert fragment(attribute, getattr(spec, attribute)) in prompt.positive
    assert "flat pastel mint green background" in prompt.positive
    assert "nsfw" in prompt.negative and "full body" in prompt.negative
    assert prompt.removed_words == ()


def test_unset_attributes_add_nothing_but_the_frame_stays() -> None:
    prompt = build_prompt(parse_spec({}))
    assert STYLE_UNSET in prompt.positive and BACKGROUND_UNSET in prompt.positive
    assert "hair" not in prompt.positive


def test_none_values_go_to_the_negative_prompt_not_the_positive() -> None:
    prompt = build_prompt(parse_spec({"glasses": "none", "accessory": "none"}))
    assert "glasses" not in prompt.positive and "earrings" not in prompt.positive
    assert "glasses" in prompt.negative and "earrings" in prompt.negative


def test_details_are_kept_before_the_generic_tail() -> None:
    prompt = build_prompt(parse_spec({"hair": "bun", "details": "holding a tiny teacup"}))
    assert "holding a tiny teacup" in prompt.positive
    assert prompt.positive.index("teacup") < prompt.positive.index("high quality")


def test_banned_words_are_removed_and_reported() -> None:
    prompt = build_prompt(parse_spec({"details": "a NUDE cat, (nsfw:1.4), holding Guns and a flower"}))
    assert prompt.removed_words == ("nude", "nsfw", "guns")
    positive = prompt.positive.lower()
    assert "nude" not in positive and "nsfw" not in positive and "gun" not in positive
    assert "a cat" in positive and "holding and a flower" in positive


@pytest.mark.parametrize(
    "text", ["classic sussex scarf", "a gunmetal necklace", "bloodhound plush", "deadpan face", "skill badge"]
)
def test_only_whole_banned_words_are_removed(text: str) -> None:
    assert clean_details(text) == (text, ())


def test_extra_banned_words_from_settings() -> None:
    cleaned, removed = clean_details("a pumpkin hat and a pumpkins scarf", extra_banned=["Pumpkin"])
    assert cleaned == "a hat and a scarf"
    assert removed == ("pumpkin", "pumpkins")


def test_details_of_banned_words_only_leave_nothing() -> None:
    prompt = build_prompt(parse_spec({"details": "nude, gore"}))
    assert prompt.removed_words == ("nude", "gore")
    assert not prompt.positive.rstrip().endswith(",")
    assert "gore" not in prompt.positive
