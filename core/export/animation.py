"""Looping animations of one avatar: which motion moves towards which expression, the frame
schedule, and the bounce (drawn on the matte, no model needed).

blink and smile interpolate the conditioning from the avatar's own expression towards a target
expression and back, with the avatar's seed (its noise) fixed, so only the face moves; each frame
is an amount 0..1 of the target. The schedule starts and ends at 0, and equal amounts reuse one
drawing, so the first and last frames are the same picture (a seamless loop) and each distinct
amount is drawn once. bounce moves the cut-out character up and down with a small squash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
from PIL import Image

from core.errors import InvalidAnimation
from core.spec import AvatarSpec
from core.vocabulary import VOCABULARY

MOTIONS = ("blink", "smile", "bounce")
FRAME_COUNT = 16
FRAME_MS = 150  # 16 x 150 ms = 2.4 s: inside Discord's 5 s for stickers
# Target expression of each model-drawn motion ("wink" is the vocabulary's closed eye).
TARGET_EXPRESSION = {"blink": "wink", "smile": "happy"}
# Kinds of avatar whose picture is its spec and seed alone (a variation's or mix's noise is not),
# so the animation's first frame is the avatar itself.
ANIMATABLE_KINDS = ("create", "reroll", "photo", "edit")
BOUNCE_HEIGHT = 0.06  # of the edge
BOUNCE_SQUASH = 0.06


@dataclass(frozen=True)
class AnimationPlan:
    """`amounts[i]`: how far frame i moves towards `target_expression` (0 = the avatar as it is);
    `drawn`: the distinct amounts, each drawn once; `durations_ms` per frame."""

    motion: str
    target_expression: Optional[str]
    amounts: tuple[float, ...]
    durations_ms: tuple[int, ...]

    @property
    def drawn(self) -> tuple[float, ...]:
        return tuple(sorted(set(self.amounts)))

    def frame_sources(self) -> list[int]:
        """For each frame, the index into `drawn` of the drawing it shows."""
        index = {amount: i for i, amount in enumerate(self.drawn)}
        return [index[a] for a in self.amounts]


def check_motion(motion: str, spec: AvatarSpec) -> Optional[str]:
    """The target expression of `motion` for this avatar; InvalidAnimation with a sentence when the
    avatar's style cannot draw it, or when it already shows it."""
    if motion not in MOTIONS:
        raise InvalidAnimation(f"unknown motion {motion!r}; choose one of: {', '.join(MOTIONS)}")
    target = TARGET_EXPRESSION.get(motion)
    if target is None:
        return None
    if spec.expression == target:
        raise InvalidAnimation(f"this avatar already shows the {target} expression; try another motion")
    if spec.style is not None and target not in VOCABULARY.offered(spec.style, "expression"):
        raise InvalidAnimation(
            f"the {spec.style} style cannot draw the {target} expression that {motion} needs; try "
            + " or ".join(m for m in MOTIONS if m != motion and _can(m, spec))
        )
    return target


def _can(motion: str, spec: AvatarSpec) -> bool:
    try:
        check_motion(motion, spec)
    except InvalidAnimation:
        return False
    return True


def plan_animation(motion: str, spec: AvatarSpec) -> AnimationPlan:
    target = check_motion(motion, spec)
    durations = (FRAME_MS,) * FRAME_COUNT
    if motion == "bounce":
        return AnimationPlan(motion, None, (0.0,) * FRAME_COUNT, durations)
    if motion == "blink":
        # Open for most of the loop, a quick close and open: eased in 3 frames each way.
        ease = (0.35, 0.75, 1.0)
        amounts = (0.0,) * 6 + ease + (1.0,) + tuple(reversed(ease)) + (0.0,) * 3
    else:
        # A slow smile and back: a raised cosine, symmetric, so frame i and 16 - i share a drawing.
        amounts = tuple(round((1 - math.cos(2 * math.pi * i / FRAME_COUNT)) / 2, 4) for i in range(FRAME_COUNT))
        amounts = amounts[:-1] + (0.0,)
    assert len(amounts) == FRAME_COUNT and amounts[0] == amounts[-1] == 0.0
    return AnimationPlan(motion, target, amounts, durations)


def bounce_frames(cut_out: Image.Image, background: Image.Image, count: int = FRAME_COUNT) -> list[Image.Image]:
    """The cut-out character (RGBA) hopping on an opaque `background` of the same size: up in a sine
    arc, squashed a little as it leaves and lands. The first and last frames are the avatar at rest."""
    size = cut_out.width
    frames = []
    for i in range(count):
        phase = i / (count - 1)  # the last frame is the first again: a seamless loop
        lift = math.sin(math.pi * phase)
        # Squashed as it pushes off and as it lands; the rest pose (first and last frames) is not.
        squash = BOUNCE_SQUASH if i in (1, count - 2) else 0.0
        body = cut_out
        if squash:
            body = cut_out.resize((round(size * (1 + squash / 2)), round(size * (1 - squash))), Image.LANCZOS)
            left = (body.width - size) // 2
            body = body.crop((left, 0, left + size, body.height))
        frame = background.convert("RGB")
        top = size - body.height - round(BOUNCE_HEIGHT * size * lift)
        frame.paste(body, (0, top), body)  # an opaque background: pasting through the alpha is compositing
        frames.append(frame)
    return frames


def plain_background(picture: Image.Image, colour: np.ndarray) -> Image.Image:
    """A flat picture of the avatar's background colour, for the bounce to move on."""
    return Image.new("RGB", picture.size, tuple(int(round(c)) for c in colour))
