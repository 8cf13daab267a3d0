"""Parsing /avatar create's options and suggesting values: pure functions, no Discord."""

from __future__ import annotations

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.replies.errors import describe_error
from bot.requests.create_options import attribute_options, parse_create_options, suggest_values
from core.errors import AvatarError, InvalidSpec
from core.vocabulary import VOCABULARY


def test_options_follow_the_vocabulary() -> None:
    options = {o.attribute: o for o in attribute_options()}
    assert tuple(options) == VOCABULARY.attributes
    for attribute, option in options.items():
        varies = any(VOCABULARY.offered(s, attribute) != VOCABULARY.values[attribute] for s in VOCABULARY.styles)
        assert option.autocomplete == (attribute != "style" and varies)
        assert len(option.choices()) <= 25


def test_a_full_request_becomes_a_spec() -> None:
    request = parse_create_options(
        {"style": "Micah", "hair": "long", "expression": None, "seed": 7, "count": 3, "private": True}
    )
    assert request.private is True
    assert request.spec.to_json() == '{"count":3,"hair":"long","seed":7,"style":"micah"}'


def test_nothing_chosen_is_a_valid_request() -> None:
    request = parse_create_options({"style": None, "private": None})
    assert request.private is False and request.spec.attributes() == {}


def test_an_unoffered_combination_is_explained() -> None:
    with pytest.raises(InvalidSpec, match=r"style 'miniavs' has no expression 'sad'; it offers: happy"):
        parse_create_options({"style": "miniavs", "expression": "sad"})


def test_suggestions_without_a_style_narrow_by_other_choices() -> None:
    # With no style chosen, only the styles that can draw a ponytail count.
    chosen = {"hair": "ponytail"}
    styles = VOCABULARY.styles_offering("hair", "ponytail")
    expected = [
        v for v in VOCABULARY.values["expression"] if any(v in VOCABULARY.offered(s, "expression") for s in styles)
    ]
    assert [c.value for c in suggest_values("expression", chosen, "", "en-US")] == expected


def test_a_style_that_is_not_in_the_vocabulary_does_not_narrow() -> None:
    values = [c.value for c in suggest_values("hair", {"style": "cubism"}, "", "en-US")]
    assert values == list(VOCABULARY.values["hair"])


def test_typed_text_matches_chinese_labels() -> None:
    assert [c.value for c in suggest_values("hair", {}, "发", discord.Locale.chinese)] == ["short", "long", "curly"]


_loose = st.one_of(st.none(), st.text(max_size=12), st.integers(-(2**40), 2**40), st.booleans())
_option_values = st.fixed_dictionaries(
    {a: st.one_of(_loose, st.sampled_from(VOCABULARY.values[a])) for a in VOCABULARY.attributes}
    | {"seed": _loose, "count": _loose, "private": st.one_of(st.none(), st.booleans())}
)


@settings(max_examples=300, deadline=None)
@given(_option_values)
def test_fuzzed_options_give_a_spec_or_a_readable_refusal(options) -> None:
    try:
        parse_create_options(options)
    except AvatarError as exc:
        message = describe_error(exc, "en-US")
        assert message and "error id" not in message and "Traceback" not in message
        assert len(message) < 2000  # fits in one Discord message
