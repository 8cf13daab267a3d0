"""Invariants of the attribute vocabulary (the contract between bot, worker and data set)."""

from __future__ import annotations

import pytest

from core.vocabulary import _STYLE_OFFERS, ATTRIBUTE_LABELS, ATTRIBUTES, VALUES, VOCABULARY, _check


def test_attributes_are_the_conditioning_order() -> None:
    assert ATTRIBUTES[0] == "style"
    assert tuple(VALUES) == ATTRIBUTES
    assert set(ATTRIBUTE_LABELS) == set(ATTRIBUTES)
    assert len(set(ATTRIBUTES)) == len(ATTRIBUTES)


@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_values_are_short_stable_names(attribute: str) -> None:
    values = VALUES[attribute]
    assert values, attribute
    assert len(set(values)) == len(values), f"duplicate {attribute} value"
    for value in values:
        assert value == value.strip().lower() and value, value
    # Discord allows at most 25 choices per option.
    assert len(values) <= 25


def test_at_least_five_styles_each_with_an_offer_entry() -> None:
    assert len(VOCABULARY.styles) >= 5
    assert set(_STYLE_OFFERS) == set(VOCABULARY.styles)


@pytest.mark.parametrize("style", VALUES["style"])
def test_each_style_offers_known_values_and_something_of_each_attribute(style: str) -> None:
    for attribute in ATTRIBUTES[1:]:
        offered = VOCABULARY.offered(style, attribute)
        assert offered, f"{style} offers no {attribute}"
        assert set(offered) <= set(VALUES[attribute])
        # Offers keep vocabulary order, so choices list the same way everywhere.
        assert list(offered) == [v for v in VALUES[attribute] if v in offered]
    assert VOCABULARY.offered(style, "style") == (style,)


@pytest.mark.parametrize("attribute", ATTRIBUTES[1:])
def test_every_value_is_offered_by_some_style(attribute: str) -> None:
    for value in VALUES[attribute]:
        assert VOCABULARY.styles_offering(attribute, value), f"{attribute}={value}"


def test_tokens_round_trip_with_zero_as_not_chosen() -> None:
    for attribute in ATTRIBUTES:
        assert VOCABULARY.token(attribute, None) == 0
        assert VOCABULARY.value_of(attribute, 0) is None
        for index, value in enumerate(VALUES[attribute]):
            token = VOCABULARY.token(attribute, value)
            assert token == index + 1
            assert VOCABULARY.value_of(attribute, token) == value
    assert VOCABULARY.sizes() == tuple(len(VALUES[a]) + 1 for a in ATTRIBUTES)


def test_tokens_follow_attribute_order() -> None:
    chosen = {"background": "mint", "style": "lorelei"}
    tokens = VOCABULARY.tokens(chosen)
    assert len(tokens) == len(ATTRIBUTES)
    assert tokens[ATTRIBUTES.index("style")] == VALUES["style"].index("lorelei") + 1
    assert tokens[ATTRIBUTES.index("background")] == VALUES["background"].index("mint") + 1
    assert sum(t != 0 for t in tokens) == 2


def test_unknown_value_has_no_token() -> None:
    with pytest.raises(ValueError):
        VOCABULARY.token("hair", "mohawk")


def test_import_check_rejects_broken_offers() -> None:
    with pytest.raises(RuntimeError, match="do not match styles"):
        _check(VALUES, {s: o for s, o in _STYLE_OFFERS.items() if s != "lorelei"})
    with pytest.raises(RuntimeError, match="unknown hair values"):
        _check(VALUES, {**_STYLE_OFFERS, "lorelei": {"hair": ("short", "mohawk")}})
    only_plain_faces = {s: {**o, "accessory": ("none",)} for s, o in _STYLE_OFFERS.items()}
    with pytest.raises(RuntimeError, match="no style offers accessory="):
        _check(VALUES, only_plain_faces)
