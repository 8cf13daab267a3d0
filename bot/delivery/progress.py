"""What a waiting reply says: a first line naming what is being made, then where it is.

The same words serve the first answer of a command and the progress edits that follow it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Optional

import discord

from bot import i18n
from core.spec import AvatarSpec
from core.vocabulary import ATTRIBUTE_LABELS

Locale = discord.Locale | str | None


def eta_seconds(ahead: int, workers: int, mean_render_s: Optional[float]) -> Optional[float]:
    """About how long until a job with `ahead` jobs before it is done (None: no workers or no data)."""
    if workers < 1 or mean_render_s is None:
        return None
    return (ahead + 1) * mean_render_s / workers


def summary_text(
    locale: Locale,
    kind: str,
    *,
    spec: Optional[AvatarSpec] = None,
    count: int = 1,
    parent_id: Optional[int] = None,
    other_id: Optional[int] = None,
    strength: Optional[float] = None,
    motion: Optional[str] = None,
) -> str:
    """The first line: what this request makes."""
    described = i18n.describe_spec(spec, locale) if spec is not None else ""
    if kind == "create":
        return i18n.text(locale, "summary.create", count=count, spec=described)
    if kind == "reroll":
        return i18n.text(locale, "summary.reroll", parent=parent_id, spec=described)
    if kind == "variation":
        if strength is None:  # the backend's default: not the bot's to name
            return i18n.text(locale, "summary.variation_default", parent=parent_id)
        return i18n.text(locale, "summary.variation", parent=parent_id, strength=f"{strength:.2f}")
    if kind == "mix":
        return i18n.text(locale, "summary.mix", a=parent_id, b=other_id)
    if kind == "animation":
        return i18n.text(locale, "summary.animation", parent=parent_id, motion=i18n.choice_label(locale, motion or ""))
    raise ValueError(f"unknown job kind {kind!r}")


def photo_summary_text(locale: Locale, spec: AvatarSpec, read: Mapping[str, str], *, repaint: bool) -> str:
    """The first lines of /avatar photo: what will be drawn, what was read, and what became of the
    photo (deleted after reading; or, for a backend that repaints it, deleted once drawn)."""
    forgotten = "photo.deleted_after_drawing" if repaint else "photo.deleted"
    return "\n".join(
        (
            i18n.text(locale, "summary.photo", spec=i18n.describe_spec(spec, locale)),
            i18n.text(locale, "photo.read", described=i18n.describe_reading(read, locale))
            + " "
            + i18n.text(locale, forgotten),
        )
    )


def photo_fix_summary_text(locale: Locale, parent_id: int, attribute: str, value: str) -> str:
    """The first line of "Edit what was read": the photo avatar drawn again with one attribute changed."""
    label = i18n.attribute_label(locale, attribute, ATTRIBUTE_LABELS[attribute])
    return i18n.text(
        locale, "summary.photo_fix", parent=parent_id, attribute=label, value=i18n.choice_label(locale, value)
    )


def edit_summary_text(
    locale: Locale, parent_id: int, changed: Mapping[str, str], *, redraw: bool, dropped: tuple[str, ...] = ()
) -> str:
    """The first line of an edit: avatar #N again with the changed values (same seed)."""
    changes = ", ".join(
        f"{i18n.attribute_label(locale, a, ATTRIBUTE_LABELS[a])} {i18n.choice_label(locale, v)}"
        for a, v in changed.items()
    )
    line = i18n.text(locale, "summary.edit_redraw" if redraw else "summary.edit", parent=parent_id, changes=changes)
    if dropped:
        left = ", ".join(i18n.attribute_label(locale, a, ATTRIBUTE_LABELS[a]) for a in dropped)
        line += " " + i18n.text(locale, "summary.edit_left_open", attributes=left)
    return line


def pack_summary_text(locale: Locale, parent_id: int, expressions: tuple[str, ...]) -> str:
    shown = ", ".join(i18n.choice_label(locale, e) for e in expressions)
    return i18n.text(locale, "summary.pack", parent=parent_id, count=len(expressions), expressions=shown)


def status_text(
    locale: Locale,
    *,
    ahead: Optional[int],
    workers: int,
    eta_s: Optional[float],
    done: int = 0,
    count: int = 1,
) -> str:
    """Where the request is: its place in the queue (`ahead` None: all started), the wait, the workers."""
    if ahead is None:
        line = i18n.text(locale, "progress.drawing", done=done, count=count)
    else:
        line = i18n.text(locale, "progress.queued", place=ahead + 1)
    if eta_s is not None:
        line += " " + i18n.text(locale, "progress.eta", seconds=max(1, math.ceil(eta_s)))
    if workers == 0:
        line += "\n" + i18n.text(locale, "progress.no_workers")
    return line
