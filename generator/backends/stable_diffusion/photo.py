"""An uploaded photo -> the square init image of image-to-image, after the shared upload checks."""

from __future__ import annotations

from PIL import Image, ImageOps

from core.uploads import UploadLimits, clean_image


def prepare_photo(picture: Image.Image, size: int, limits: UploadLimits = UploadLimits()) -> Image.Image:
    """Check and clean the photo (core.uploads), then centre-crop it to a `size` x `size` square."""
    clean = clean_image(picture, limits)
    # Head-and-shoulders avatars are square; cropping keeps the face's proportions, padding would not.
    return ImageOps.fit(clean, (size, size), method=Image.Resampling.LANCZOS, centering=(0.5, 0.4))
