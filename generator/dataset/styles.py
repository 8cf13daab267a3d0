"""How each vocabulary value is drawn in each DiceBear style.

The groups below were made by looking at contact sheets of every variant
(`python -m generator.dataset variants STYLE OPTION`). Variants that are not
cute (angry brows and eyes, sunglasses, monocles, drool, bald heads, beards,
moustaches) are left out of every group, so they never appear in the data.

Rules the sampler applies (see sampler.py):
- `values[attribute][value]` maps a label to DiceBear options, each a tuple of
  allowed variants; the labels of one sample are combined by intersecting the
  variant tuples of an option named by several labels (an empty intersection
  means the combination cannot be drawn and the sampler draws again);
- `base` holds curated defaults for options no label names (e.g. brows without
  the angry ones); a label naming the same option replaces the default;
- `reserved` variants appear only with one label (adventurer's flower-crown
  hair only with accessory=flowers, personas' glasses-eyes only with glasses);
- `optional` lists options gated by an `<option>Probability`: it is 100 when a
  label names the option and 0 otherwise, so nothing unlabelled pops up;
- `colours` names the options that take each colour attribute's hex value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

Variants = tuple[str, ...]
OptionSet = Mapping[str, Variants]


@dataclass(frozen=True)
class StyleMapping:
    """Vocabulary -> DiceBear options for one style."""

    package: str
    values: Mapping[str, Mapping[str, OptionSet]]
    colours: Mapping[str, tuple[str, ...]]
    optional: tuple[str, ...] = ()
    base: OptionSet = field(default_factory=dict)
    reserved: Mapping[str, Mapping[str, tuple[str, str]]] = field(default_factory=dict)
    fixed: Mapping[str, object] = field(default_factory=dict)


def v(*numbers: int, prefix: str = "variant", width: int = 2) -> Variants:
    """variant names from numbers: v(1, 12) -> ("variant01", "variant12")."""
    return tuple(f"{prefix}{n:0{width}d}" for n in numbers)


def span(first: int, last: int, prefix: str = "variant", width: int = 2) -> Variants:
    return v(*range(first, last + 1), prefix=prefix, width=width)


NONE: OptionSet = MappingProxyType({})

# -- adventurer (Lisa Wischofsky, CC BY 4.0) ----------------------------------

_ADV_OPEN_EYES = v(1, 2, 3, 6, 7, 9, 10, 11, 12, 13, 24, 25, 26)
_ADV_HAPPY_MOUTHS = v(1, 22, 23, 25, 26, 27, 28, 29, 30)
_ADV_FLOWER_HAIR = ("long03", "long08", "long18")

ADVENTURER = StyleMapping(
    package="@dicebear/adventurer",
    values={
        "hair": {
            "short": v(1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 16, prefix="short"),
            "long": v(1, 2, 4, 5, 7, 8, 9, 16, 20, 21, 25, 26, prefix="long"),
            "curly": v(3, 6, 17, 18, 22, 24, prefix="long") + v(3, 17, 18, prefix="short"),
            "bun": v(10, 11, 12, 13, 23, prefix="long"),
            "ponytail": v(14, 15, 19, prefix="long"),
        },
        "expression": {
            "happy": {"eyes": _ADV_OPEN_EYES + v(19, 23), "mouth": _ADV_HAPPY_MOUTHS},
            "neutral": {"eyes": _ADV_OPEN_EYES, "mouth": v(2, 9, 19)},
            "sad": {"eyes": v(15, 16), "mouth": v(4, 14)},
            "surprised": {"eyes": v(1, 2, 3, 8, 24, 25, 26), "mouth": v(3, 7, 15, 18)},
            "wink": {"eyes": v(21, 22), "mouth": _ADV_HAPPY_MOUTHS},
        },
        "glasses": {"none": NONE, "glasses": {"glasses": v(2, 4, 5)}},
        "accessory": {
            "none": NONE,
            "earrings": {"earrings": span(1, 6)},
            "flowers": {"hair": _ADV_FLOWER_HAIR},
            "blush": {"features": ("blush",)},
            "freckles": {"features": ("freckles",)},
        },
    },
    colours={"hair_color": ("hairColor",), "skin": ("skinColor",)},
    optional=("earrings", "features", "glasses", "hair"),
    base={"eyebrows": span(3, 15)},
    reserved={"hair": {h: ("accessory", "flowers") for h in _ADV_FLOWER_HAIR}},
)

# -- lorelei (Lisa Wischofsky, CC0 1.0) --------------------------------------

_LOR_OPEN_EYES = v(2, 4, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 20, 21, 23, 24)
_LOR_HAPPY_MOUTHS = v(1, 2, 3, 4, 5, 6, 8, 13, prefix="happy")

LORELEI = StyleMapping(
    package="@dicebear/lorelei",
    values={
        "hair": {
            "short": v(1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 20, 22, 27, 30, 43, 47),
            "long": v(13, 15, 16, 17, 19, 21, 23, 33, 40, 41),
            "curly": v(5, 18, 24, 32, 35, 37, 39),
            "bun": v(14, 26, 36, 38, 45, 46),
            "ponytail": v(29, 31, 42, 48),
        },
        "expression": {
            "happy": {"eyes": _LOR_OPEN_EYES + v(9, 19), "mouth": _LOR_HAPPY_MOUTHS},
            "neutral": {"eyes": _LOR_OPEN_EYES, "mouth": v(3, 5, 9, prefix="sad") + ("happy14",)},
            "sad": {"eyes": _LOR_OPEN_EYES, "eyebrows": v(1), "mouth": ("sad04",)},
            "surprised": {"eyes": _LOR_OPEN_EYES, "mouth": v(1, 2, prefix="sad")},
            "wink": {"eyes": v(1, 15, 18, 22), "mouth": _LOR_HAPPY_MOUTHS},
        },
        "glasses": {"none": NONE, "glasses": {"glasses": v(1, 3, 4, 5)}},
        "accessory": {
            "none": NONE,
            "earrings": {"earrings": span(1, 3)},
            "flowers": {"hairAccessories": ("flowers",)},
            "freckles": {"freckles": v(1)},
        },
    },
    colours={"hair_color": ("hairColor",), "skin": ("skinColor",)},
    optional=("beard", "earrings", "freckles", "glasses", "hairAccessories"),
    base={"eyebrows": v(2, 3, 5, 6, 7, 8, 9, 10, 11, 12)},
)

# -- big-smile (Ashley Seo, CC BY 4.0) ---------------------------------------
# Rosy cheeks are part of every big-smile face, so it offers no blush label.

_BS_HAPPY_MOUTHS = ("openedSmile", "teethSmile", "kawaii", "gapSmile", "braces")

BIG_SMILE = StyleMapping(
    package="@dicebear/big-smile",
    values={
        "hair": {
            "short": ("shortHair", "bowlCutHair"),
            "long": ("straightHair", "bangs", "braids", "wavyBob"),
            "curly": ("curlyBob", "curlyShortHair"),
            "bun": ("bunHair", "froBun"),
        },
        "expression": {
            "happy": {"eyes": ("cheery", "normal", "starstruck"), "mouth": _BS_HAPPY_MOUTHS},
            "neutral": {"eyes": ("normal",), "mouth": ("unimpressed",)},
            "sad": {"eyes": ("sad",), "mouth": ("openSad",)},
            "wink": {"eyes": ("winking",), "mouth": _BS_HAPPY_MOUTHS},
        },
        "glasses": {"none": NONE, "glasses": {"accessories": ("glasses",)}},
        "accessory": {"none": NONE},
    },
    colours={"hair_color": ("hairColor",), "skin": ("skinColor",)},
    optional=("accessories",),
)

# -- micah (Micah Lanier, CC BY 4.0) -----------------------------------------

_MICAH_OPEN_EYES = ("eyes", "round", "eyesShadow")

MICAH = StyleMapping(
    package="@dicebear/micah",
    values={
        "hair": {"short": ("dannyPhantom", "fonze", "pixie"), "long": ("full",)},
        "expression": {
            "happy": {"eyes": _MICAH_OPEN_EYES + ("smiling", "smilingShadow"), "mouth": ("laughing", "smile", "smirk")},
            "sad": {"eyes": _MICAH_OPEN_EYES, "eyebrows": ("down",), "mouth": ("frown", "sad")},
            "surprised": {"eyes": ("eyes", "round"), "mouth": ("surprised",)},
        },
        "glasses": {"none": NONE, "glasses": {"glasses": ("round", "square")}},
        "accessory": {"none": NONE, "earrings": {"earrings": ("hoop", "stud")}},
    },
    colours={"hair_color": ("hairColor",), "skin": ("baseColor",)},
    optional=("earrings", "facialHair", "glasses", "hair"),
    base={"eyebrows": ("up", "eyelashesUp", "eyelashesDown")},
    # Micah's default glasses palette has near-white frames that vanish on pale faces.
    fixed={"glassesColor": ["1f1b1b", "5a3621", "3f6cc4"]},
)

# -- miniavs (Webpixels, CC BY 4.0) -------------------------------------------
# Every miniavs mouth smiles, so the only expression it can show is happy. Its eyes
# take the hair colour, so white and blonde hair (pale, ghostly eyes) are not offered.

MINIAVS = StyleMapping(
    package="@dicebear/miniavs",
    values={
        "hair": {
            "short": ("classic01", "classic02", "elvis", "stylish"),
            "long": ("long",),
            "ponytail": ("ponyTail",),
            "curly": ("curly",),
        },
        "expression": {"happy": {"eyes": ("normal", "happy"), "mouth": ("default", "missingTooth")}},
        "glasses": {"none": NONE, "glasses": {"glasses": ("normal",)}},
        "accessory": {"none": NONE, "blush": {"blushes": ("default",)}},
    },
    colours={"hair_color": ("hairColor",), "skin": ("skinColor",)},
    optional=("blushes", "glasses", "mustache"),
)

# -- toon-head (Johan Melin, CC BY 4.0) ---------------------------------------
# Long hair is the short front hair plus a rear-hair layer.

TOON_HEAD = StyleMapping(
    package="@dicebear/toon-head",
    values={
        "hair": {
            "short": {"hair": ("sideComed", "spiky", "undercut")},
            "long": {"hair": ("sideComed", "undercut"), "rearHair": ("longStraight", "longWavy", "shoulderHigh")},
            "bun": {"hair": ("bun",)},
        },
        "expression": {
            "happy": {"eyes": ("happy", "bow", "humble"), "mouth": ("laugh", "smile")},
            "sad": {"eyes": ("happy", "humble"), "eyebrows": ("sad",), "mouth": ("sad",)},
            "surprised": {"eyes": ("wide",), "eyebrows": ("raised",), "mouth": ("agape",)},
            "wink": {"eyes": ("wink",), "mouth": ("laugh", "smile")},
        },
        "glasses": {"none": NONE},
        "accessory": {"none": NONE},
    },
    colours={"hair_color": ("hairColor",), "skin": ("skinColor",)},
    optional=("beard", "hair", "rearHair"),
    base={"eyebrows": ("happy", "neutral", "raised")},
)

# -- big-ears (The Visual Team, CC BY 4.0) -----------------------------------

_BE_NORMAL_EYES = v(2, 3, 4, 5, 8, 9, 23, 27, 28, 29, 30)
_BE_WIDE_EYES = v(14, 15, 19, 20, 21, 22, 24, 26)
_BE_CLOSED_HAPPY_EYES = v(10, 11, 12, 13, 31, 32)

BIG_EARS = StyleMapping(
    package="@dicebear/big-ears",
    values={
        "hair": {
            "short": v(1, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, prefix="short"),
            "long": v(1, 4, 7, 8, 9, 10, 12, 14, 15, 17, 18, 19, 20, prefix="long") + ("short09",),
            "curly": v(2, 3, 11, 13, prefix="long") + v(6, 18, prefix="short"),
            "bun": v(5, 6, prefix="long"),
            "ponytail": ("long16",),
        },
        "expression": {
            "happy": {
                "eyes": _BE_NORMAL_EYES + _BE_WIDE_EYES + _BE_CLOSED_HAPPY_EYES,
                "mouth": span(201, 205, width=4) + span(301, 305, width=4) + v(701, 702, 703, 707, width=4),
            },
            "sad": {"eyes": _BE_NORMAL_EYES, "mouth": span(401, 405, width=4) + v(704, 705, width=4)},
            "surprised": {"eyes": _BE_WIDE_EYES, "mouth": span(101, 105, width=4)},
        },
        "glasses": {"none": NONE},
        "accessory": {
            "none": NONE,
            "blush": {"cheek": v(3, 4, 5, 6)},
            "freckles": {"cheek": v(1, 2)},
        },
    },
    colours={"hair_color": ("hairColor",), "skin": ("skinColor",)},
    optional=("cheek",),
)

# -- personas (Draftbit, CC BY 4.0) -------------------------------------------
# Personas draws glasses as an eye variant, so that variant is kept for glasses=glasses.

PERSONAS = StyleMapping(
    package="@dicebear/personas",
    values={
        "hair": {
            "short": ("shortCombover", "shortComboverChops", "fade", "sideShave"),
            "long": ("long", "extraLong", "bobBangs", "bobCut"),
            "curly": ("curly", "curlyHighTop"),
            "bun": ("curlyBun", "straightBun", "bunUndercut"),
            "ponytail": ("pigtails",),
        },
        "expression": {
            "happy": {"eyes": ("open", "happy", "glasses"), "mouth": ("smile", "bigSmile")},
            "neutral": {"eyes": ("open", "glasses"), "mouth": ("lips", "smirk")},
            "sad": {"eyes": ("open", "glasses"), "mouth": ("frown",)},
            "surprised": {"eyes": ("open", "glasses"), "mouth": ("surprise",)},
            "wink": {"eyes": ("wink",), "mouth": ("smile", "bigSmile")},
        },
        "glasses": {"none": NONE, "glasses": {"eyes": ("glasses",)}},
        "accessory": {"none": NONE},
    },
    colours={"hair_color": ("hairColor",), "skin": ("skinColor",)},
    optional=("facialHair",),
    base={"nose": ("mediumRound", "smallRound")},
    reserved={"eyes": {"glasses": ("glasses", "glasses")}},
)


def _normalise(mapping: StyleMapping) -> StyleMapping:
    # Hair groups given as a bare tuple mean "the `hair` option"; spell them out once here.
    values = {
        attribute: {
            value: MappingProxyType({"hair": opts} if attribute == "hair" and isinstance(opts, tuple) else dict(opts))
            for value, opts in per_value.items()
        }
        for attribute, per_value in mapping.values.items()
    }
    return StyleMapping(
        package=mapping.package,
        values=MappingProxyType(values),
        colours=MappingProxyType(dict(mapping.colours)),
        optional=mapping.optional,
        base=MappingProxyType(dict(mapping.base)),
        reserved=MappingProxyType(dict(mapping.reserved)),
        fixed=MappingProxyType(dict(mapping.fixed)),
    )


STYLES: Mapping[str, StyleMapping] = MappingProxyType(
    {
        name: _normalise(mapping)
        for name, mapping in {
            "adventurer": ADVENTURER,
            "lorelei": LORELEI,
            "big-smile": BIG_SMILE,
            "micah": MICAH,
            "miniavs": MINIAVS,
            "toon-head": TOON_HEAD,
            "big-ears": BIG_EARS,
            "personas": PERSONAS,
        }.items()
    }
)
