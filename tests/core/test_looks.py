"""Edits and packs: which spec each new look has, and the names Discord accepts."""

from __future__ import annotations

import pytest

from core.errors import InvalidSpec
from core.looks import (
    EMOJI_NAME,
    EXPRESSION_EMOJI,
    InvalidLook,
    clean_name_base,
    emoji_names,
    look_params,
    pack_expressions,
    plan_edit,
    plan_pack,
    sticker_name,
)
from core.spec import parse_spec
from core.vocabulary import VOCABULARY

ORIGINAL = parse_spec(
    {"style": "micah", "hair": "long", "hair_color": "black", "expression": "happy", "seed": 42, "count": 2}
)


def test_an_edit_changes_only_what_was_named_and_drops_seed_and_count() -> None:
    plan = plan_edit(ORIGINAL, {"hair_color": "blue", "glasses": None})
    assert plan.changed == {"hair_color": "blue"}
    assert plan.edited == parse_spec({"style": "micah", "hair": "long", "hair_color": "blue", "expression": "happy"})
    assert plan.source.seed is None and plan.source.count == 1
    assert not plan.redraw and plan.describe() == "hair colour blue"


def test_an_edit_that_changes_nothing_is_refused() -> None:
    with pytest.raises(InvalidLook, match="nothing to change"):
        plan_edit(ORIGINAL, {"hair_color": "black"})
    with pytest.raises(InvalidLook, match="nothing to change"):
        plan_edit(ORIGINAL, {})


def test_unknown_attributes_and_values_are_refused_with_a_sentence() -> None:
    with pytest.raises(InvalidLook, match="'hat' is not something an avatar has"):
        plan_edit(ORIGINAL, {"hat": "red"})
    with pytest.raises(InvalidSpec, match="unknown hair colour 'plaid'"):
        plan_edit(ORIGINAL, {"hair_color": "plaid"})
    with pytest.raises(InvalidSpec, match="style 'micah' has no expression 'wink'"):
        plan_edit(ORIGINAL, {"expression": "wink"})


def test_a_new_style_redraws_and_leaves_open_what_it_cannot_draw() -> None:
    plan = plan_edit(ORIGINAL, {"style": "miniavs"})
    assert plan.redraw
    assert plan.edited.style == "miniavs" and plan.edited.hair == "long"
    assert plan.edited.expression == "happy"  # miniavs draws happy
    flowers = parse_spec({"style": "adventurer", "accessory": "flowers", "expression": "wink"})
    plan = plan_edit(flowers, {"style": "micah"})
    assert plan.dropped == ("expression", "accessory")
    assert plan.edited == parse_spec({"style": "micah"})


def test_a_new_style_must_draw_what_was_asked_with_it() -> None:
    with pytest.raises(InvalidSpec, match="toon-head"):
        plan_edit(ORIGINAL, {"style": "toon-head", "glasses": "glasses"})


def test_a_pack_has_every_expression_its_style_offers() -> None:
    pack = plan_pack(ORIGINAL)
    assert pack.expressions == VOCABULARY.offered("micah", "expression") == ("happy", "sad", "surprised")
    assert all(spec.hair_color == "black" and spec.hair == "long" for spec in pack.members.values())
    assert pack.members["sad"].expression == "sad"


def test_a_pack_without_a_style_offers_what_its_candidate_styles_draw() -> None:
    assert pack_expressions(parse_spec({"hair": "ponytail"})) == VOCABULARY.values["expression"]
    assert pack_expressions(parse_spec({"hair": "long", "glasses": "glasses"})) == VOCABULARY.values["expression"]
    # adventurer draws everything, so an open style always offers all five.
    assert pack_expressions(parse_spec({"accessory": "blush"})) == VOCABULARY.values["expression"]


def test_a_style_with_one_expression_has_no_pack() -> None:
    with pytest.raises(InvalidLook, match="only one expression"):
        plan_pack(parse_spec({"style": "miniavs"}))


def test_emoji_names_follow_discords_rules() -> None:
    names = emoji_names("  Mochi the cat! ", ("happy", "surprised"))
    assert names == {"happy": "Mochi_the_cat_happy", "surprised": "Mochi_the_cat_surprised"}
    assert all(EMOJI_NAME.fullmatch(n) for n in names.values())
    assert clean_name_base("ä-ö__x") == "x"
    with pytest.raises(InvalidLook, match="no letters or digits"):
        emoji_names("!!!", ("happy",))
    with pytest.raises(InvalidLook, match="at most 22"):
        emoji_names("a" * 23, ("surprised",))
    assert len(emoji_names("a" * 22, ("surprised",))["surprised"]) == 32


def test_sticker_names_and_tags() -> None:
    assert sticker_name("Mochi", "sad") == "Mochi sad"
    assert len(sticker_name("x" * 40, "surprised")) <= 30
    assert set(EXPRESSION_EMOJI) == set(VOCABULARY.values["expression"])


def test_look_params_keep_the_original_without_seed() -> None:
    assert look_params(ORIGINAL) == {
        "source_spec": {"style": "micah", "hair": "long", "hair_color": "black", "expression": "happy"}
    }
