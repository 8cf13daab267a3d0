"""Colour arithmetic in CIE Lab (L 0..100), where distances roughly match what people see."""

from __future__ import annotations

import math

import cv2
import numpy as np


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """Lab values of uint8 RGB pixels, any shape (..., 3), as float32."""
    pixels = np.asarray(rgb, dtype=np.float32).reshape(-1, 1, 3) / 255.0
    if pixels.size == 0:
        return np.zeros((*np.shape(rgb)[:-1], 3), np.float32)
    lab = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB)
    return lab.reshape(*np.shape(rgb)[:-1], 3)


def hex_to_lab(hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.uint8)
    return to_lab(rgb[None, :])[0]


def chroma(lab: np.ndarray) -> float:
    return float(math.hypot(lab[1], lab[2]))


def hue_degrees(lab: np.ndarray) -> float:
    """Hue angle in 0..360: ~0-50 red/pink, ~50-100 orange/yellow, ~130-200 green, ~230-300 blue/purple."""
    return float(math.degrees(math.atan2(lab[2], lab[1])) % 360)


def delta_e(lab: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distance (CIE76) from each Lab pixel to `reference`."""
    return np.linalg.norm(np.asarray(lab, dtype=np.float32) - np.asarray(reference, dtype=np.float32), axis=-1)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """uint8 RGB of one Lab colour."""
    pixel = np.asarray(lab, dtype=np.float32).reshape(1, 1, 3)
    return np.clip(cv2.cvtColor(pixel, cv2.COLOR_LAB2RGB).reshape(3) * 255 + 0.5, 0, 255).astype(np.uint8)


def rgb_hue_degrees(rgb: np.ndarray) -> float:
    """The HSV hue (0..360) of one RGB colour: the colour-wheel angle people name colours by
    (Lab hue bends: a saturated blue sits near Lab's purple)."""
    hsv = cv2.cvtColor(np.asarray(rgb, dtype=np.uint8).reshape(1, 1, 3), cv2.COLOR_RGB2HSV_FULL)
    return float(hsv.reshape(3)[0]) * 360.0 / 256.0
