"""Spec -> text prompt for Stable Diffusion (no torch here).

Every vocabulary value has a short fragment; the fragments sit inside a fixed
frame that asks for a cute chibi head-and-shoulders avatar on a flat pastel
background. An attribute the user did not choose adds nothing, so the model
varies it. Free-text `details` follow the attributes, after banned words are
taken out; the words taken out are returned so the person can be told.

The frame is kept short: CLIP reads 77 tokens, and details must still fit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from core.errors import InvalidSpec
from core.spec import AvatarSpec
from core.vocabulary import ATTRIBUTE_LABELS, ATTRIBUTES, VALUES

FRAME_START = "cute chibi avatar, head and shoulders portrait, big head, big sparkling eyes"
FRAME_END = "centered, clean lineart, soft shading, high quality"
STYLE_UNSET = "kawaii cartoon style"
BACKGROUND_UNSET = "flat pastel background"

NEGATIVE = (
    "photo, realistic, 3d render, full body, multiple people, text, watermark, signature, logo, frame, "
    "lowres, blurry, jpeg artifacts, deformed, bad anatomy, extra fingers, cropped head, "
    "busy background, scenery, dark, nsfw, nude, suggestive"
)

# What each vocabulary value looks like, per attribute. Style values are DiceBear
# style names, so their fragments describe the look rather than repeat the name.
FRAGMENTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "style": MappingProxyType(
            {
                "adventurer": "adventurer cartoon style, bold outlines, playful",
                "lorelei": "delicate minimalist line art, elegant thin lines",
                "big-smile": "bubbly rounded cartoon shapes",
                "micah": "flat vector illustration, clean geometric shapes",
                "miniavs": "tiny minimal avatar, very simple flat shapes",
                "toon-head": "toon style, thick cartoon outlines, cel shading",
                "big-ears": "storybook cartoon, big round ears",
                "personas": "modern flat character illustration, friendly",
            }
        ),
        "hair": MappingProxyType(
            {
                "short": "short hair",
                "long": "long flowing hair",
                "bun": "hair in a bun",
                "ponytail": "ponytail",
                "curly": "curly hair",
            }
        ),
        "hair_color": MappingProxyType(
            {
                "black": "black hair",
                "brown": "brown hair",
                "blonde": "blonde hair",
                "red": "red hair",
                "pink": "pink hair",
                "blue": "blue hair",
                "purple": "purple hair",
                "green": "green hair",
                "white": "silver white hair",
            }
        ),
        "skin": MappingProxyType(
            {
                "light": "light skin",
                "fair": "fair skin",
                "tan": "tan skin",
                "brown": "brown skin",
                "dark": "dark skin",
            }
        ),
        "expression": MappingProxyType(
            {
                "happy": "happy smile",
                "neutral": "calm neutral expression",
                "sad": "sad teary eyes",
                "surprised": "surprised face, open mouth",
                "wink": "winking, playful",
            }
        ),
        # "none" must not name the thing: SD draws what a prompt mentions, "no glasses" included.
        "glasses": MappingProxyType({"none": "bright clear eyes", "glasses": "wearing round glasses"}),
        "accessory": MappingProxyType(
            {
                "none": "simple clean look",
                "earrings": "small earrings",
                "flowers": "flowers in hair",
                "blush": "rosy blushing cheeks",
                "freckles": "cute freckles",
            }
        ),
        "background": MappingProxyType(
            {
                "pink": "flat pastel pink background",
                "peach": "flat pastel peach background",
                "lemon": "flat pastel lemon yellow background",
                "mint": "flat pastel mint green background",
                "sky": "flat pastel sky blue background",
                "lavender": "flat pastel lavender background",
            }
        ),
    }
)

# Things a value rules out, said in the negative prompt instead.
NEGATIVE_FRAGMENTS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("glasses", "none"): "glasses, eyewear",
        ("accessory", "none"): "jewelry, earrings, hat",
    }
)

# Words never passed on from free-text details (whole words, any case, plural too).
BANNED_WORDS: frozenset[str] = frozenset(
    {
        "nsfw", "nude", "nudity", "naked", "topless", "bottomless", "nipple", "breast", "boob", "genital",
        "sex", "sexy", "sexual", "porn", "porno", "pornographic", "erotic", "lewd", "hentai", "ecchi",
        "fetish", "bdsm", "lingerie", "underwear", "bikini", "cleavage", "seductive", "loli", "shota",
        "gore", "gory", "blood", "bloody", "corpse", "dead", "decapitated", "violence", "violent",
        "kill", "murder", "suicide", "weapon", "gun", "knife", "drug", "cocaine", "nazi", "swastika",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Prompt:
    """The text given to the model for one spec, and what was removed from the person's details."""

    positive: str
    negative: str
    removed_words: tuple[str, ...] = ()


def fragment(attribute: str, value: str) -> str:
    """The prompt fragment of one vocabulary value; unknown attributes or values raise InvalidSpec."""
    per_attribute = FRAGMENTS.get(attribute)
    if per_attribute is None:
        raise InvalidSpec(f"unknown attribute {attribute!r}; attributes are: {', '.join(ATTRIBUTES)}")
    text = per_attribute.get(value)
    if text is None:
        allowed = ", ".join(VALUES.get(attribute, ()))
        raise InvalidSpec(f"unknown {ATTRIBUTE_LABELS.get(attribute, attribute)} {value!r}; choose one of: {allowed}")
    return text


def _banned_pattern(words: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(w) for w in alternatives)
    # Whole words only ("class" keeps its "ass"); an s/es plural counts as the word.
    return re.compile(rf"(?<![\w])({body})(?:e?s)?(?![\w])", re.IGNORECASE)


def clean_details(text: str, extra_banned: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
    """Details with banned words removed, and the removed words (lower case, first-seen order)."""
    pattern = _banned_pattern([*BANNED_WORDS, *extra_banned])
    removed: list[str] = []

    def drop(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if word not in removed:
            removed.append(word)
        return " "

    cleaned = pattern.sub(drop, text)
    # Tidy what removal leaves behind: doubled spaces, empty list items, stray weights like "(:1.4)".
    cleaned = re.sub(r"[(\[{]\s*(?::\s*[\d.]+)?\s*[)\]}]", " ", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned)
    cleaned = re.sub(r"\s*,(\s*,)+", ",", cleaned)
    cleaned = cleaned.strip(" ,;")
    return cleaned, tuple(removed)


def build_prompt(spec: AvatarSpec, extra_banned: Iterable[str] = ()) -> Prompt:
    """The positive and negative prompt for a spec."""
    parts = [FRAME_START, fragment("style", spec.style) if spec.style else STYLE_UNSET]
    negatives = [NEGATIVE]
    for attribute in ATTRIBUTES[1:]:
        value = getattr(spec, attribute)
        if value is None or attribute == "background":
            continue
        parts.append(fragment(attribute, value))
        if (attribute, value) in NEGATIVE_FRAGMENTS:
            negatives.append(NEGATIVE_FRAGMENTS[(attribute, value)])
    parts.append(fragment("background", spec.background) if spec.background else BACKGROUND_UNSET)
    removed: tuple[str, ...] = ()
    if spec.details:
        details, removed = clean_details(spec.details, extra_banned)
        if details:
            parts.append(details)
    parts.append(FRAME_END)  # last, so that CLIP's 77-token cut takes generic words before the person's
    return Prompt(positive=", ".join(parts), negative=", ".join(negatives), removed_words=removed)
