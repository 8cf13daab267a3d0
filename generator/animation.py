"""An animation job in the worker: its frame requests (one per distinct amount of the plan, drawn
in the same batch as the rest) and, from the drawings, the looping animated PNG that is stored.

The plan (which expression, which amounts, how long each frame shows) is core.export.animation's,
so the bot refuses what cannot be drawn before a job exists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

from core.export.animation import bounce_frames, plain_background, plan_animation
from core.export.compose import cut_out
from core.export.encode import encode_apng
from core.export.matte import estimate_background
from core.spec import AvatarSpec
from generator.backends.base import MixSource, RenderRequest


def animation_requests(spec: AvatarSpec, seed: int, motion: str) -> list[RenderRequest]:
    """What the backend draws for one animation: the avatar (amount 0) and each distinct amount
    towards the target expression (InvalidAnimation when the motion cannot be drawn)."""
    plan = plan_animation(motion, spec)
    if plan.target_expression is None:
        return [RenderRequest(spec=spec, seed=seed, kind="create")]
    target = MixSource(spec=spec.replace(expression=plan.target_expression), seed=seed)
    return [
        RenderRequest(spec=spec, seed=seed, kind="frame", mix_with=target, mix_ratio=amount) for amount in plan.drawn
    ]


def animation_frames(
    drawings: Sequence[Image.Image], spec: AvatarSpec, motion: str
) -> tuple[list[Image.Image], list[int]]:
    """The frames of the loop and their durations (ms), from the drawings animation_requests asked for."""
    plan = plan_animation(motion, spec)
    if plan.target_expression is None:
        avatar = drawings[0].convert("RGB")
        colour = estimate_background(np.asarray(avatar))
        frames = bounce_frames(cut_out(avatar), plain_background(avatar, colour))
    else:
        frames = [drawings[i].convert("RGB") for i in plan.frame_sources()]
    return frames, list(plan.durations_ms)


def animation_png(drawings: Sequence[Image.Image], spec: AvatarSpec, motion: str, metadata: Mapping[str, str]) -> bytes:
    frames, durations = animation_frames(drawings, spec, motion)
    return encode_apng(frames, durations, {**metadata, "motion": motion, "frames": str(len(frames))})
