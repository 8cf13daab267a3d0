"""AvatarSpec validation against the vocabulary, and its canonical JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from core.errors import InvalidSpec
from core.spec import MAX_SEED, AvatarSpec, parse_spec, seeds_for
from core.vocabulary import ATTRIBUTE_LABELS, ATTRIBUTES, VOCABULARY


@st.composite
def valid_specs(draw: st.DrawFn) -> dict:
    """A random partial spec that some style can draw."""
    style = draw(st.sampled_from(VOCABULARY.styles))
    data: dict = {}
    if draw(st.booleans()):
        data["style"] = style
    for attribute in ATTRIBUTES[1:]:
        if draw(st.booleans()):
            data[attribute] = draw(st.sampled_from(VOCABULARY.offered(style, attribute)))
    if draw(st.booleans()):
        data["seed"] = draw(st.integers(0, MAX_SEED))
    data["count"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        data["details"] = draw(st.text(min_size=1, max_size=200).filter(str.strip))
    return data


@settings(deadline=None)
@given(valid_specs())
def test_valid_specs_parse_and_round_trip(data: dict) -> None:
    spec = parse_spec(data)
    assert AvatarSpec.from_json(spec.to_json()) == spec
    # Canonical: the same spec always serialises to the same text.
    assert parse_spec(json.loads(spec.to_json())).to_json() == spec.to_json()
    assert spec.candidate_styles(), "a valid spec must be drawable by some style"
    for style in spec.candidate_styles():
        for attribute, value in spec.attributes().items():
            assert value in VOCABULARY.offered(style, attribute)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*ATTRIBUTES, "seed", "count", "details", "colour", "Style"]),
        st.one_of(st.text(max_size=30), st.integers(-5, 2**33), st.none(), st.floats(allow_nan=True)),
        max_size=6,
    )
)
def test_any_input_parses_or_gives_a_readable_error(data: dict) -> None:
    try:
        spec = parse_spec(data)
    except InvalidSpec as exc:
        message = str(exc)
        assert message and "\n" not in message and "pydantic" not in message.lower()
    else:
        assert AvatarSpec.from_json(spec.to_json()) == spec


def test_unset_spec_means_anything() -> None:
    spec = parse_spec({})
    assert spec.tokens() == (0,) * len(ATTRIBUTES)
    assert spec.to_json() == "{}"
    assert set(spec.candidate_styles()) == set(VOCABULARY.styles)


def test_input_is_normalised() -> None:
    spec = parse_spec({"style": " Lorelei ", "hair_color": "PINK", "details": "   "})
    assert spec.style == "lorelei" and spec.hair_color == "pink" and spec.details is None


def test_value_a_style_does_not_offer_names_style_attribute_and_offers() -> None:
    # Find a (style, attribute, value) that the vocabulary excludes.
    for style in VOCABULARY.styles:
        for attribute in ATTRIBUTES[1:]:
            missing = [v for v in VOCABULARY.values[attribute] if v not in VOCABULARY.offered(style, attribute)]
            if missing:
                with pytest.raises(InvalidSpec) as err:
                    parse_spec({"style": style, attribute: missing[0]})
                text = str(err.value)
                assert style in text and ATTRIBUTE_LABELS[attribute] in text and missing[0] in text
                for offered in VOCABULARY.offered(style, attribute):
                    assert offered in text
                return
    pytest.skip("every style offers every value")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"hair": "mohawk"}, "unknown hair 'mohawk'"),
        ({"count": 5}, "count must be a whole number from 1 to 4"),
        ({"count": 0}, "count must be a whole number from 1 to 4"),
        ({"seed": -1}, "seed must be a whole number"),
        ({"seed": 2**32}, "seed must be a whole number"),
        ({"seed": "lucky"}, "seed must be a whole number"),
        ({"details": "x" * 201}, "at most 200 characters"),
        ({"colour": "red"}, "unknown option 'colour'"),
    ],
)
def test_bad_input_messages(data: dict, fragment: str) -> None:
    with pytest.raises(InvalidSpec, match=fragment):
        parse_spec(data)


def test_spec_is_frozen() -> None:
    spec = parse_spec({"style": VOCABULARY.styles[0]})
    with pytest.raises(ValidationError, match="frozen"):
        spec.style = VOCABULARY.styles[1]  # type: ignore[misc]


def test_from_json_rejects_garbage() -> None:
    with pytest.raises(InvalidSpec, match="not valid JSON"):
        AvatarSpec.from_json("{nope")
    with pytest.raises(InvalidSpec, match="must be an object"):
        AvatarSpec.from_json("[1, 2]")


def test_tokens_follow_vocabulary_order() -> None:
    style = VOCABULARY.styles[-1]
    spec = parse_spec({"style": style})
    assert spec.tokens()[0] == len(VOCABULARY.styles)
    assert all(t == 0 for t in spec.tokens()[1:])


def test_seeds_are_consecutive_from_the_given_one_and_wrap() -> None:
    assert seeds_for(parse_spec({"seed": MAX_SEED, "count": 2})) == [MAX_SEED, 0]
    assert len(set(seeds_for(parse_spec({"count": 4})))) == 4
