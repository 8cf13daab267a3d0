"""One character, many looks: what an edit and an expression pack are, checked against the vocabulary.

An edit keeps an avatar's seed and spec and changes only the attributes a person named; a pack is
the same character in every expression its style offers. Both are drawn from the original's seed
(the generator keeps the character), so the only thing decided here is *which spec* each new look
has, and whether it can be drawn at all. Emoji and sticker names follow Discord's rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from core.errors import InvalidSpec
from core.spec import AvatarSpec, parse_spec
from core.vocabulary import ATTRIBUTE_LABELS, ATTRIBUTES, VOCABULARY

# A unicode emoji per expression: a guild sticker needs one as its tag (its "related emoji").
EXPRESSION_EMOJI: Mapping[str, str] = {
    "happy": "\N{SMILING FACE WITH OPEN MOUTH AND SMILING EYES}",
    "neutral": "\N{NEUTRAL FACE}",
    "sad": "\N{CRYING FACE}",
    "surprised": "\N{FACE WITH OPEN MOUTH}",
    "wink": "\N{WINKING FACE}",
}

# Discord: custom emoji names are 2-32 characters of letters, digits and underscores;
# guild sticker names are 2-30 characters (any text).
EMOJI_NAME = re.compile(r"[A-Za-z0-9_]{2,32}")
EMOJI_NAME_MAX = 32
STICKER_NAME_MAX = 30


class InvalidLook(InvalidSpec):
    """An edit or pack that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class EditPlan:
    """The edited avatar's spec, next to the original it keeps.

    `changed`: the attributes given a new value; `dropped`: attributes the original had that the new
    style does not offer (left open); `redraw`: the style changed, so the character is drawn anew
    from the same seed rather than kept (a style is a different drawing, not a different detail).
    """

    source: AvatarSpec
    edited: AvatarSpec
    changed: dict[str, str]
    dropped: tuple[str, ...] = ()

    @property
    def redraw(self) -> bool:
        return "style" in self.changed

    def describe(self) -> str:
        return ", ".join(f"{ATTRIBUTE_LABELS[a]} {v}" for a, v in self.changed.items())


def look_of(spec: AvatarSpec) -> dict[str, Any]:
    """The spec's chosen attributes (style included), without seed, count and details."""
    return {a: getattr(spec, a) for a in ATTRIBUTES if getattr(spec, a) is not None}


def plan_edit(source: AvatarSpec, changes: Mapping[str, Optional[str]]) -> EditPlan:
    """The original's spec with `changes` applied (None values ignored: "keep it").

    Raises InvalidLook for an unknown attribute, nothing changed, or a value the style cannot draw.
    """
    unknown = [name for name in changes if name not in ATTRIBUTES]
    if unknown:
        names = ", ".join(ATTRIBUTE_LABELS[a] for a in ATTRIBUTES)
        raise InvalidLook(f"{unknown[0]!r} is not something an avatar has; you can change: {names}")
    wanted = {a: str(v).strip().lower() for a, v in changes.items() if v is not None and str(v).strip()}
    current = look_of(source)
    changed = {a: v for a, v in wanted.items() if current.get(a) != v}
    if not changed:
        raise InvalidLook("nothing to change: pick at least one attribute with a new value")
    look = {**current, **changed}
    dropped: list[str] = []
    if "style" in changed:
        style = changed["style"]
        if style not in VOCABULARY.styles:
            raise InvalidLook(f"unknown style {style!r}; choose one of: {', '.join(VOCABULARY.styles)}")
        # A kept value the new style cannot draw is left open; one the person asked for must fit.
        for attribute, value in list(look.items()):
            if attribute in ("style", *changed) or value in VOCABULARY.offered(style, attribute):
                continue
            del look[attribute]
            dropped.append(attribute)
    try:
        edited = parse_spec(look)
    except InvalidSpec as exc:
        raise InvalidLook(str(exc)) from exc
    return EditPlan(source=_plain(source), edited=edited, changed=changed, dropped=tuple(dropped))


def pack_expressions(spec: AvatarSpec) -> tuple[str, ...]:
    """The expressions the character's style offers (in vocabulary order). With no style chosen, those
    any style that could have drawn it offers."""
    open_expression = parse_spec({k: v for k, v in look_of(spec).items() if k != "expression"})
    styles = open_expression.candidate_styles()
    offered = {e for s in styles for e in VOCABULARY.offered(s, "expression")}
    return tuple(e for e in VOCABULARY.values["expression"] if e in offered)


@dataclass(frozen=True)
class PackPlan:
    """One spec per expression of the original's style; the original's own expression included."""

    source: AvatarSpec
    members: dict[str, AvatarSpec] = field(default_factory=dict)

    @property
    def expressions(self) -> tuple[str, ...]:
        return tuple(self.members)


def plan_pack(source: AvatarSpec) -> PackPlan:
    """Raises InvalidLook when the style has a single expression (a pack of one is no pack)."""
    expressions = pack_expressions(source)
    if len(expressions) < 2:
        style = source.style or "this avatar's style"
        raise InvalidLook(f"{style} draws only one expression ({', '.join(expressions)}), so it has no pack")
    base = look_of(source)
    members = {e: parse_spec({**base, "expression": e}) for e in expressions}
    return PackPlan(source=_plain(source), members=members)


def _plain(spec: AvatarSpec) -> AvatarSpec:
    return parse_spec(look_of(spec))


# -- names ---------------------------------------------------------------------


def clean_name_base(text: str) -> str:
    """The user's choice reduced to Discord's emoji alphabet: other characters become '_'."""
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", text.strip())
    return re.sub(r"_+", "_", cleaned).strip("_")


def emoji_names(base: str, expressions: Sequence[str]) -> dict[str, str]:
    """`<base>_<expression>` per expression, checked against Discord's rules (2-32 of [A-Za-z0-9_]).

    Raises InvalidLook with the reason when the base leaves no valid name.
    """
    cleaned = clean_name_base(base)
    if not cleaned:
        raise InvalidLook(
            f"{base!r} has no letters or digits; emoji names may use only letters, digits and underscores"
        )
    longest = max((len(e) for e in expressions), default=0)
    room = EMOJI_NAME_MAX - longest - 1
    if len(cleaned) > room:
        raise InvalidLook(
            f"the name {cleaned!r} is too long: with the expression added, emoji names must stay within "
            f"{EMOJI_NAME_MAX} characters, so use at most {room}"
        )
    names = {e: f"{cleaned}_{e}" for e in expressions}
    for name in names.values():
        if not EMOJI_NAME.fullmatch(name):  # defensive: the cleaning above should make this impossible
            raise InvalidLook(f"{name!r} is not a valid emoji name (2-32 letters, digits or underscores)")
    return names


def sticker_name(base: str, expression: str) -> str:
    """A sticker's name: `<base> <expression>`, at most 30 characters (the base is shortened)."""
    cleaned = " ".join(base.split()) or "avatar"
    suffix = f" {expression}"
    return (cleaned[: STICKER_NAME_MAX - len(suffix)].rstrip() + suffix).strip()


# -- jobs ------------------------------------------------------------------------


def look_params(source: AvatarSpec) -> dict[str, Any]:
    """What an edit or pack job keeps besides its spec and seed: the original's spec, so the worker can
    keep the character even after the original is deleted."""
    return {"source_spec": look_of(source)}
