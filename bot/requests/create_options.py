"""The options of `/avatar create`, derived from core.vocabulary, and their parsing into an AvatarSpec.

An attribute whose values are the same for every style is offered as fixed choices; one whose
values depend on the style (or that has more than Discord's 25 choices) is offered through
autocomplete, filtered by the style chosen so far.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot import i18n
from core.spec import AvatarSpec, parse_spec
from core.vocabulary import ATTRIBUTE_LABELS, VOCABULARY, Vocabulary

# Discord's limits for one option.
MAX_CHOICES = 25

# English descriptions of the attribute options (zh-CN in bot.i18n).
_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "style": "Drawing style",
        "hair": "Hair style",
        "hair_color": "Hair colour",
        "skin": "Skin tone",
        "expression": "Facial expression",
        "glasses": "Glasses or not",
        "accessory": "An accessory or a mark",
        "background": "Background colour",
    }
)

# Options of /avatar create that are not attributes, and whether they reach the spec.
NON_SPEC_OPTIONS = ("private",)


@dataclass(frozen=True)
class AttributeOption:
    """How one vocabulary attribute appears as an option of /avatar create."""

    attribute: str
    description: str
    values: tuple[str, ...]
    autocomplete: bool

    def choices(self) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=locale_str(v), value=v) for v in self.values]


def attribute_options(vocabulary: Vocabulary = VOCABULARY) -> tuple[AttributeOption, ...]:
    options = []
    for attribute in vocabulary.attributes:
        values = vocabulary.values[attribute]
        depends_on_style = attribute != "style" and any(
            vocabulary.offered(style, attribute) != values for style in vocabulary.styles
        )
        options.append(
            AttributeOption(
                attribute=attribute,
                description=_DESCRIPTIONS.get(attribute, ATTRIBUTE_LABELS[attribute].capitalize()),
                values=values,
                autocomplete=depends_on_style or len(values) > MAX_CHOICES,
            )
        )
    return tuple(options)


def _candidate_styles(chosen: Mapping[str, Any], vocabulary: Vocabulary) -> tuple[str, ...]:
    """Styles that can still draw what was chosen so far (the chosen style alone, if any)."""
    style = chosen.get("style")
    if isinstance(style, str) and style in vocabulary.styles:
        return (style,)
    picked = {
        a: v
        for a, v in chosen.items()
        if a in vocabulary.attributes and a != "style" and isinstance(v, str) and v in vocabulary.values[a]
    }
    fitting = tuple(s for s in vocabulary.styles if all(v in vocabulary.offered(s, a) for a, v in picked.items()))
    return fitting or vocabulary.styles


def suggest_values(
    attribute: str,
    chosen: Mapping[str, Any],
    current: str,
    locale: discord.Locale | str | None,
    vocabulary: Vocabulary = VOCABULARY,
) -> list[app_commands.Choice[str]]:
    """Autocomplete for one attribute: values the candidate styles offer that match what was typed."""
    others = {a: v for a, v in chosen.items() if a != attribute}
    styles = _candidate_styles(others, vocabulary)
    offered = {v for s in styles for v in vocabulary.offered(s, attribute)}
    needle = current.strip().lower()
    matches = [
        v
        for v in vocabulary.values[attribute]
        if v in offered and (not needle or needle in v or needle in i18n.choice_label(locale, v).lower())
    ]
    return [app_commands.Choice(name=locale_str(v), value=v) for v in matches[:MAX_CHOICES]]


@dataclass(frozen=True)
class CreateRequest:
    """What /avatar create was asked: the validated spec and how to show the result."""

    spec: AvatarSpec
    private: bool


def parse_create_options(options: Mapping[str, Any]) -> CreateRequest:
    """Options as discord.py passes them (None where not given) -> a validated request.

    Raises InvalidSpec, with a readable message, for values the vocabulary does not allow
    (together). (`details` is only an option where the generator reads text.)
    """
    data = {k: v for k, v in options.items() if v is not None and k not in NON_SPEC_OPTIONS}
    return CreateRequest(spec=parse_spec(data), private=bool(options.get("private") or False))
