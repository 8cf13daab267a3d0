"""Hair colour and length.

Colour: from the forehead we walk up each column of the face until the skin ends (the hairline)
and take the pixels just above it. Starting from skin, not from a fixed box above the head, keeps
the background out: most portraits crop the top of the head, and the hairline is the one place
that is hair in almost every photo. Length: long hair is hair-coloured pixels beside the jaw and
below the chin, where short hair never reaches.
"""

from __future__ import annotations

import cv2
import numpy as np

from photo.colour import chroma, delta_e, hue_degrees, to_lab
from photo.detector import FaceBox
from photo.evidence import UNKNOWN, AttributeReading, margin_confidence, ramp
from photo.regions import BELOW_CHIN, BESIDE_JAW, pixels_of

# Where the scan starts (forehead, in face-box heights from its top), how far from the skin a pixel
# must be to count as "not skin", and the part of the hair above the hairline we sample.
SCAN_FROM = 0.12
NOT_SKIN_DELTA_E = 18.0
SAMPLE_SKIP = 0.04  # the hairline itself mixes skin and hair
SAMPLE_SPAN = 0.15
MIN_HAIR_COLUMNS = 8
# A hair-coloured pixel is within this distance of the hair colour.
HAIR_LIKE_DELTA_E = 15.0
# Share of the jaw's sides that is hair-coloured at which hair counts as long.
LONG_HAIR_SCORE = 0.2


def hairline_sample(image: np.ndarray, face: FaceBox, skin: np.ndarray) -> tuple[np.ndarray, float]:
    """Lab pixels just above the hairline, and the share of scanned columns that found hair."""
    lab = to_lab(cv2.GaussianBlur(image, (3, 3), 0))
    start_row = int(face.y + SCAN_FROM * face.h)
    skip = max(2, int(SAMPLE_SKIP * face.h))
    span = max(4, int(SAMPLE_SPAN * face.h))
    columns = range(max(0, int(face.x + 0.3 * face.w)), min(image.shape[1], int(face.x + 0.7 * face.w)))
    if start_row <= 0 or len(columns) == 0:
        return np.empty((0, 3), np.float32), 0.0
    samples = []
    for x in columns:
        upward = lab[: start_row + 1, x][::-1]
        not_skin = delta_e(upward, skin) > NOT_SKIN_DELTA_E
        # Three non-skin pixels in a row: one dark pore or highlight does not end the forehead.
        run = np.convolve(not_skin.astype(np.int8), np.ones(3, np.int8), "valid") >= 3
        if not run.any():
            continue
        edge = int(np.argmax(run))
        sample = upward[edge + skip : edge + span]
        if len(sample) >= max(2, (span - skip) // 3):
            samples.append(sample)
    if not samples:
        return np.empty((0, 3), np.float32), 0.0
    return np.concatenate(samples), len(samples) / len(columns)


def name_hair_colour(lab: np.ndarray) -> tuple[str, float]:
    """The vocabulary's name for a photo's hair colour, and how sure the naming is.

    Lightness and chroma separate natural colours (black < brown < blonde, and white as light hair
    with little colour); strong chroma away from the golden hues means dyed hair. The boundaries
    were set by eye on photographs (see eval_photos.json), not learned.
    """
    lightness, colourfulness, hue = float(lab[0]), chroma(lab), hue_degrees(lab)
    if colourfulness >= 28 and not 40 <= hue <= 100:
        dyed = _dyed_name(lightness, hue)
        return dyed, margin_confidence(colourfulness - 28, 12)
    golden = colourfulness >= 22 and 45 <= hue <= 95 and lightness >= 25
    if lightness < 15 or (lightness < 24 and colourfulness < 8):
        sure = max(15 - lightness, min(24 - lightness, 8 - colourfulness))
        return "black", margin_confidence(sure, 6)
    if lightness >= 35 and colourfulness < 0.25 * lightness:
        return "white", margin_confidence(min(lightness - 35, 0.25 * lightness - colourfulness), 6)
    if lightness >= 38 or golden:
        sure = max(lightness - 38, colourfulness - 22 if golden else -99)
        return "blonde", margin_confidence(sure, 8)
    return "brown", margin_confidence(min(lightness - 15, 38 - lightness), 8)


def _dyed_name(lightness: float, hue: float) -> str:
    if hue < 40 or hue >= 330:
        return "pink" if lightness >= 55 else "red"
    if hue < 200:
        return "green"
    if hue < 290:
        return "blue"
    return "purple"


def read_hair_colour(image: np.ndarray, face: FaceBox, skin: np.ndarray) -> tuple[AttributeReading, np.ndarray]:
    """The hair colour reading and the hair's Lab colour (None-like NaNs when no hair was seen)."""
    sample, found_share = hairline_sample(image, face, skin)
    if len(sample) < MIN_HAIR_COLUMNS:
        return UNKNOWN, np.full(3, np.nan, np.float32)
    hair = np.median(sample, axis=0)
    name, sureness = name_hair_colour(hair)
    confidence = sureness * ramp(found_share, 0.2, 0.6)
    evidence = {
        "L": round(float(hair[0]), 1),
        "chroma": round(chroma(hair), 1),
        "hue": round(hue_degrees(hair)),
        "columns": round(found_share, 2),
    }
    return AttributeReading(name, confidence, evidence), hair


def read_hair_length(image: np.ndarray, face: FaceBox, hair: np.ndarray, background: np.ndarray) -> AttributeReading:
    """Long when hair-coloured pixels fill the sides of the jaw, else short.

    Pixels that match the background as well as the hair (a dark wall behind dark hair) do not count.
    Below the chin is measured too but not used: dark suits and shirts look like dark hair there.
    """
    if np.isnan(hair).any():
        return UNKNOWN
    shares = []
    for regions in (BESIDE_JAW, BELOW_CHIN):
        pixels = to_lab(pixels_of(regions, image, face))
        if len(pixels) == 0:
            shares.append(0.0)
            continue
        hair_like = delta_e(pixels, hair) < HAIR_LIKE_DELTA_E
        if len(background):
            hair_like &= _nearest(pixels, background) > HAIR_LIKE_DELTA_E / 2
        shares.append(float(hair_like.mean()))
    jaw, chin = shares
    score = jaw
    value = "long" if score >= LONG_HAIR_SCORE else "short"
    return AttributeReading(
        value,
        margin_confidence(score - LONG_HAIR_SCORE, 0.15),
        {"beside_jaw": round(jaw, 2), "below_chin": round(chin, 2)},
    )


def _nearest(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Distance from each pixel to its nearest colour in `palette` (a few Lab colours)."""
    return np.min(np.linalg.norm(pixels[:, None, :] - palette[None, :, :], axis=-1), axis=1)
