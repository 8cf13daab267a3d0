"""Export files: PNG or WebP bytes of one picture, animations as WebP and APNG, within Discord's limits."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

from core.errors import InvalidExport
from core.export.options import ExportOptions
from core.images import encode_png, png_info

# Discord's limits: an attachment of a bot's message, and a server sticker (APNG, 320 x 320, 5 s).
ATTACHMENT_LIMIT_BYTES = 10 * 2**20
STICKER_LIMIT_BYTES = 512 * 2**10
STICKER_EDGE = 320
STICKER_MAX_SECONDS = 5.0


def encode_export(picture: Image.Image, options: ExportOptions, metadata: Mapping[str, Any]) -> bytes:
    """The file of one export; PNG keeps the avatar's story (spec, seed, model) in its text chunks."""
    if options.format == "png":
        data = encode_png(picture, metadata)
    else:
        buffer = io.BytesIO()
        picture.save(buffer, format="WEBP", lossless=True, quality=80, method=4)
        data = buffer.getvalue()
    check_attachment(data)
    return data


def check_attachment(data: bytes) -> None:
    if len(data) > ATTACHMENT_LIMIT_BYTES:
        raise InvalidExport(
            f"the file would be {len(data) / 2**20:.1f} MiB, over Discord's 10 MiB; choose a smaller size or WebP"
        )


def encode_apng(frames: Sequence[Image.Image], durations_ms: Sequence[int], metadata: Mapping[str, Any]) -> bytes:
    """A looping animated PNG (what the image store keeps of an animation), metadata in text chunks."""
    buffer = io.BytesIO()
    _save_apng(buffer, frames, durations_ms, pnginfo=png_info(metadata))
    return buffer.getvalue()


def _save_apng(buffer: io.BytesIO, frames: Sequence[Image.Image], durations_ms: Sequence[int], **options: Any) -> None:
    """Every frame kept. Pillow merges a frame equal to the one before into it; alternating the
    blend (opaque frames: "source" and "over" draw the same) or, with transparency, the disposal
    keeps the frame count the file promises. Opaque frames are stored as the changed region only."""
    opaque = all(_opaque(frame) for frame in frames)
    alternate = [i % 2 for i in range(len(frames))]
    frames[0].save(
        buffer,
        format="PNG",
        save_all=True,
        append_images=list(frames[1:]),
        duration=list(durations_ms),
        loop=0,
        disposal=0 if opaque else alternate,
        blend=alternate if opaque else 0,
        **options,
    )


def _opaque(frame: Image.Image) -> bool:
    if frame.mode == "RGB" or frame.mode == "L":
        return True
    if frame.mode == "P":
        return "transparency" not in frame.info
    alpha = frame.getchannel("A") if "A" in frame.getbands() else None
    return alpha is None or alpha.getextrema() == (255, 255)


def encode_animated_webp(frames: Sequence[Image.Image], durations_ms: Sequence[int]) -> bytes:
    """The animation shown inline in Discord: a looping animated WebP."""
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=list(frames[1:]),
        duration=list(durations_ms),
        loop=0,
        quality=85,
        method=4,
    )
    data = buffer.getvalue()
    check_attachment(data)
    return data


def encode_sticker(frames: Sequence[Image.Image], durations_ms: Sequence[int]) -> bytes:
    """An APNG a Discord server sticker accepts: 320 x 320, at most 5 s and 512 KiB (colours reduced
    to a palette when full colour does not fit)."""
    total_s = sum(durations_ms) / 1000
    if total_s > STICKER_MAX_SECONDS:
        raise InvalidExport(f"a sticker may last {STICKER_MAX_SECONDS:g} s at most, not {total_s:.1f} s")
    scaled = [f.resize((STICKER_EDGE, STICKER_EDGE), Image.Resampling.LANCZOS) for f in frames]
    if all(_opaque(f) for f in scaled):
        scaled = [f.convert("RGB") for f in scaled]
    for colours in (None, 256, 128, 64):
        if colours is None:
            candidates = scaled
        else:
            # One palette for every frame, so unchanged pixels stay equal and only changes are stored.
            palette = scaled[0].quantize(
                colours, method=Image.Quantize.FASTOCTREE if scaled[0].mode == "RGBA" else Image.Quantize.MEDIANCUT
            )
            candidates = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in scaled]
        buffer = io.BytesIO()
        _save_apng(buffer, candidates, durations_ms, optimize=True)
        if buffer.tell() <= STICKER_LIMIT_BYTES:
            return buffer.getvalue()
    raise InvalidExport("the animation does not fit in a 512 KiB sticker")


def read_animation(data: bytes) -> tuple[list[Image.Image], list[int]]:
    """The frames (RGB or RGBA) and durations (ms) of a stored animated PNG."""
    frames, durations = [], []
    with Image.open(io.BytesIO(data)) as animation:
        for index in range(getattr(animation, "n_frames", 1)):
            animation.seek(index)
            frames.append(animation.convert("RGBA" if "A" in animation.getbands() else "RGB"))
            durations.append(int(animation.info.get("duration", 100)))
    return frames, durations
