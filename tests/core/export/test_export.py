"""Exports: every file opens with the promised mode, size and frame count; transparent corners and
an opaque face; Discord's limits; readable refusals."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from core.errors import InvalidExport
from core.export import FRAMES, SHAPES, SIZES, ExportOptions, compose, encode_export, parse_export_options
from core.export.encode import (
    ATTACHMENT_LIMIT_BYTES,
    STICKER_EDGE,
    STICKER_LIMIT_BYTES,
    encode_animated_webp,
    encode_apng,
    encode_sticker,
)
from core.export.frames import frame_overlay
from core.export.learned_matte import CombinedMatte, LearnedMatte, default_matter
from core.export.matte import classical_matte
from core.export.preview import frames_sheet
from core.export.shapes import shape_mask
from core.export.upscale import crisp_upscale
from tests.core.export.drawn_avatar import BACKGROUND, drawn_avatar

METADATA = {"spec": json.dumps({"style": "lorelei", "background": "mint"}), "seed": "7"}


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# -- options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"frame": "sparkle"}, "unknown frame 'sparkle'; choose one of: none, hearts"),
        ({"shape": "star"}, "unknown shape 'star'; choose one of: square, circle, rounded"),
        ({"size": 2048}, "size 2048 is not offered; choose one of: 128, 256, 512, 1024 px"),
        ({"size": "big"}, "size 'big' is not a number of pixels"),
        ({"background": "blur"}, "unknown background 'blur'"),
        ({"format": "gif"}, "unknown format 'gif'; choose one of: png, webp"),
        ({"colour": "red"}, "unknown export option 'colour'"),
    ],
)
def test_bad_options_are_refused_with_a_sentence(given: dict, message: str) -> None:
    with pytest.raises(InvalidExport, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_export_options(given)


def test_loose_options_are_normalised() -> None:
    options = parse_export_options({"size": "512px", "frame": " Hearts ", "shape": None})
    assert options == ExportOptions(size=512, frame="hearts")


# -- files -----------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_transparent_export_has_clear_corners_and_an_opaque_face(size: int, fmt: str) -> None:
    avatar, _ = drawn_avatar()
    options = ExportOptions(background="transparent", size=size, format=fmt)
    data = encode_export(compose(avatar, options, metadata=METADATA), options, METADATA)
    image = _open(data)
    assert image.format == fmt.upper()
    assert image.mode == "RGBA"
    assert image.size == (size, size)
    alpha = np.asarray(image.getchannel("A"))
    last = size - 1
    assert [alpha[0, 0], alpha[0, last], alpha[last, 0], alpha[last, last]] == [0, 0, 0, 0]
    assert alpha[size * 410 // 1024, size // 2] == 255  # the face's centre
    assert len(data) <= ATTACHMENT_LIMIT_BYTES


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("frame", FRAMES)
def test_every_shape_and_frame_opens_with_the_promised_mode(shape: str, frame: str) -> None:
    avatar, _ = drawn_avatar()
    options = ExportOptions(shape=shape, frame=frame, size=256)
    image = _open(encode_export(compose(avatar, options), options, METADATA))
    assert image.size == (256, 256)
    assert image.mode == ("RGB" if shape == "square" else "RGBA")
    if shape != "square":
        alpha = np.asarray(image.getchannel("A"))
        assert alpha[0, 0] == 0 and alpha[128, 128] == 255


def test_a_kept_background_stays_opaque_rgb_with_its_metadata() -> None:
    avatar, _ = drawn_avatar()
    options = ExportOptions(size=512)
    image = _open(encode_export(compose(avatar, options), options, METADATA))
    assert image.mode == "RGB" and image.size == (512, 512)
    assert image.text["seed"] == "7" and image.text["ai_generated"] == "true"


# -- matte -------------------------------------------------------------------------


def test_matte_matches_the_exact_alpha_without_a_halo() -> None:
    avatar, exact = drawn_avatar()
    matte = classical_matte(np.asarray(avatar))
    alpha = matte.alpha / 255
    iou = np.minimum(alpha, exact).sum() / np.maximum(alpha, exact).sum()
    assert iou > 0.97
    # No halo: where the matte is partly transparent, the colour is not the old background's.
    soft = (matte.alpha > 0) & (matte.alpha < 255)
    assert soft.any()
    distance = np.linalg.norm(matte.rgb[soft].astype(float) - BACKGROUND, axis=1)
    assert np.median(distance) > 60


def test_matte_keeps_a_face_as_pale_as_the_background_inside_its_outline() -> None:
    avatar, _ = drawn_avatar(background=(253, 231, 214))  # the background is the skin's colour
    matte = classical_matte(np.asarray(avatar))
    assert matte.alpha[105, 128] == 255
    assert matte.alpha[5, 5] == 0


class _FixedLearned:
    """A stand-in for LearnedMatte whose alpha is given (0..1), to test how CombinedMatte uses it."""

    pool = 4

    def __init__(self, alpha: np.ndarray) -> None:
        self._alpha = alpha

    def alpha(self, features: np.ndarray) -> np.ndarray:
        return self._alpha


def test_combined_matte_never_cuts_into_what_the_classical_one_keeps() -> None:
    avatar, _ = drawn_avatar(background=(253, 231, 214))
    rgb = np.asarray(avatar)
    classical = classical_matte(rgb)
    combined = CombinedMatte(_FixedLearned(np.zeros(rgb.shape[:2])))(rgb)  # a learned matte that sees nothing
    assert np.array_equal(combined.alpha, classical.alpha)


def test_combined_matte_rescues_a_large_region_the_key_took_for_background() -> None:
    avatar, _ = drawn_avatar()
    rgb = np.asarray(avatar)
    classical = classical_matte(rgb)
    learned = (classical.alpha / 255).astype(float)
    learned[10:40, 10:40] = 1.0  # a large region (900 px) the key removed: rescued
    learned[0:3, 250:253] = 1.0  # a speck (9 px): ignored
    combined = CombinedMatte(_FixedLearned(learned))(rgb)
    assert (combined.alpha[12:38, 12:38] == 255).all()
    assert (combined.alpha[0:3, 250:253] == classical.alpha[0:3, 250:253]).all()
    assert (combined.alpha >= classical.alpha).all()


def test_exports_use_the_combined_matte_with_the_shipped_weights() -> None:
    matter = default_matter()
    assert isinstance(matter, CombinedMatte) and isinstance(matter.learned, LearnedMatte)
    avatar, _ = drawn_avatar(background=(253, 231, 214))
    alpha = matter(np.asarray(avatar)).alpha
    assert alpha[105, 128] == 255 and alpha[5, 5] == 0  # the pale face stays whole


# -- shapes, frames, sizes -----------------------------------------------------------


def test_shape_masks_are_antialiased() -> None:
    circle = np.asarray(shape_mask("circle", 128))
    assert circle[0, 0] == 0 and circle[64, 64] == 255
    assert ((circle > 0) & (circle < 255)).sum() > 100  # a soft rim, not stairs
    rounded = np.asarray(shape_mask("rounded", 128))
    assert rounded[0, 0] == 0 and rounded[0, 64] == 255


@pytest.mark.parametrize("frame", [f for f in FRAMES if f != "none"])
def test_frames_draw_along_the_edge_and_leave_the_middle_clear(frame: str) -> None:
    layer = np.asarray(frame_overlay(frame, "circle", 256))
    assert layer[128, 128, 3] == 0
    assert (layer[..., 3] > 0).mean() > 0.05


def test_frames_sheet_shows_every_design() -> None:
    avatar, _ = drawn_avatar()
    sheet = frames_sheet(avatar)
    assert sheet.width > 4 * 160 and sheet.height > 3 * 160


def test_crisp_upscale_keeps_edges_narrower_than_lanczos() -> None:
    avatar, _ = drawn_avatar()

    def rise(image: Image.Image) -> int:
        # Width of the ramp from the hair to the face's dark outline (x = 335 of 1024), in pixels.
        row = np.asarray(image.convert("L"), dtype=float)[410]
        left = row[318:345]
        low, high = left.min(), left.max()
        p = (left - low) / (high - low)
        return int(((p > 0.1) & (p < 0.9)).sum())

    crisp = crisp_upscale(avatar, 1024)
    lanczos = avatar.resize((1024, 1024), Image.Resampling.LANCZOS)
    assert crisp.size == (1024, 1024)
    assert rise(crisp) < 0.6 * rise(lanczos)


# -- animations ------------------------------------------------------------------------


def _frames(n: int = 16) -> list[Image.Image]:
    avatar, _ = drawn_avatar()
    return [avatar.rotate(3 * np.sin(2 * np.pi * i / n)) for i in range(n)]


def test_animation_files_have_every_frame() -> None:
    frames, durations = _frames(), [150] * 16
    webp = _open(encode_animated_webp(frames, durations))
    assert webp.format == "WEBP" and webp.n_frames == 16 and webp.is_animated
    apng = _open(encode_apng(frames, durations, METADATA))
    assert apng.format == "PNG" and apng.n_frames == 16 and apng.text["seed"] == "7"


def test_sticker_fits_discords_limits() -> None:
    data = encode_sticker(_frames(), [150] * 16)
    sticker = _open(data)
    assert len(data) <= STICKER_LIMIT_BYTES
    assert sticker.size == (STICKER_EDGE, STICKER_EDGE) and sticker.n_frames == 16


def test_a_sticker_longer_than_five_seconds_is_refused() -> None:
    with pytest.raises(InvalidExport, match="5 s at most"):
        encode_sticker(_frames(), [400] * 16)
