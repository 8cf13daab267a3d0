"""The attribute vocabulary: the one list of what an avatar can be asked for.

Everything else derives from it: the bot's option choices, the generator's
conditioning tokens and the data set's labels. Keep values short, lowercase and
stable: they are stored in job rows and baked into trained weights (the token
order below is the embedding order, so only ever append values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# The attributes a spec can set, in conditioning-token order.
ATTRIBUTES: tuple[str, ...] = (
    "style",
    "hair",
    "hair_color",
    "skin",
    "expression",
    "glasses",
    "accessory",
    "background",
)

# Every value of every attribute, in token order (token 0 of each attribute is
# the "not chosen" null token, so value i has token i + 1).
VALUES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "style": ("adventurer", "lorelei", "big-smile", "micah", "miniavs", "toon-head", "big-ears", "personas"),
        "hair": ("short", "long", "bun", "ponytail", "curly"),
        "hair_color": ("black", "brown", "blonde", "red", "pink", "blue", "purple", "green", "white"),
        "skin": ("light", "fair", "tan", "brown", "dark"),
        "expression": ("happy", "neutral", "sad", "surprised", "wink"),
        "glasses": ("none", "glasses"),
        "accessory": ("none", "earrings", "flowers", "blush", "freckles"),
        "background": ("pink", "peach", "lemon", "mint", "sky", "lavender"),
    }
)

# Which values each style offers, per attribute. An attribute missing from a
# style's entry means the style offers every value of it. These follow what the
# DiceBear styles can really draw (generator/dataset/styles.py maps every value
# to the style's options, and tests/generator/test_dataset.py checks they agree):
# e.g. every miniavs mouth smiles (and its eyes take the hair colour, so no pale
# hair), big-smile cheeks are always rosy, toon-head and big-ears have no glasses.
_STYLE_OFFERS: dict[str, dict[str, tuple[str, ...]]] = {
    "adventurer": {},
    "lorelei": {
        "accessory": ("none", "earrings", "flowers", "freckles"),
    },
    "big-smile": {
        "hair": ("short", "long", "bun", "curly"),
        "expression": ("happy", "neutral", "sad", "wink"),
        "accessory": ("none",),
    },
    "micah": {
        "hair": ("short", "long"),
        "expression": ("happy", "sad", "surprised"),
        "accessory": ("none", "earrings"),
    },
    "miniavs": {
        "hair": ("short", "long", "ponytail", "curly"),
        "hair_color": ("black", "brown", "red", "pink", "blue", "purple", "green"),
        "expression": ("happy",),
        "accessory": ("none", "blush"),
    },
    "toon-head": {
        "hair": ("short", "long", "bun"),
        "expression": ("happy", "sad", "surprised", "wink"),
        "glasses": ("none",),
        "accessory": ("none",),
    },
    "big-ears": {
        "expression": ("happy", "sad", "surprised"),
        "glasses": ("none",),
        "accessory": ("none", "blush", "freckles"),
    },
    "personas": {
        "accessory": ("none",),
    },
}

# Human-readable labels for choices and error messages.
ATTRIBUTE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "style": "style",
        "hair": "hair",
        "hair_color": "hair colour",
        "skin": "skin",
        "expression": "expression",
        "glasses": "glasses",
        "accessory": "accessory",
        "background": "background",
    }
)


@dataclass(frozen=True)
class Vocabulary:
    """Read-only view over the vocabulary with the look-ups the rooms need."""

    attributes: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]]
    style_offers: Mapping[str, Mapping[str, tuple[str, ...]]]

    @property
    def styles(self) -> tuple[str, ...]:
        return self.values["style"]

    def offered(self, style: str, attribute: str) -> tuple[str, ...]:
        """Values of `attribute` that `style` can draw."""
        if attribute == "style":
            return (style,)
        return tuple(self.style_offers[style].get(attribute, self.values[attribute]))

    def styles_offering(self, attribute: str, value: str) -> tuple[str, ...]:
        return tuple(s for s in self.styles if value in self.offered(s, attribute))

    def token(self, attribute: str, value: str | None) -> int:
        """Conditioning token of a value within its attribute; 0 is 'not chosen'."""
        if value is None:
            return 0
        return self.values[attribute].index(value) + 1

    def tokens(self, chosen: Mapping[str, str | None]) -> tuple[int, ...]:
        return tuple(self.token(a, chosen.get(a)) for a in self.attributes)

    def value_of(self, attribute: str, token: int) -> str | None:
        return None if token == 0 else self.values[attribute][token - 1]

    def sizes(self) -> tuple[int, ...]:
        """Number of tokens per attribute, null token included."""
        return tuple(len(self.values[a]) + 1 for a in self.attributes)


def _check(values: Mapping[str, tuple[str, ...]], offers: Mapping[str, Mapping[str, tuple[str, ...]]]) -> None:
    # Runs once at import on constant data: a typo here must stop everything.
    if set(offers) != set(values["style"]):
        raise RuntimeError(f"style offers {sorted(offers)} do not match styles {values['style']}")
    for style, per_attr in offers.items():
        for attribute, allowed in per_attr.items():
            unknown = set(allowed) - set(values[attribute])
            if unknown:
                raise RuntimeError(f"style {style!r} offers unknown {attribute} values {sorted(unknown)}")
    for attribute in ATTRIBUTES[1:]:
        for value in values[attribute]:
            if not any(value in offers[s].get(attribute, values[attribute]) for s in offers):
                raise RuntimeError(f"no style offers {attribute}={value!r}")


_check(VALUES, _STYLE_OFFERS)

VOCABULARY = Vocabulary(
    attributes=ATTRIBUTES,
    values=VALUES,
    style_offers=MappingProxyType({s: MappingProxyType(o) for s, o in _STYLE_OFFERS.items()}),
)
