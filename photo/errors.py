"""Why a photo could not be read, each as a sentence the person who sent it can act on."""

from __future__ import annotations

from core.errors import AvatarError


class PhotoError(AvatarError):
    """A photo that cannot become an avatar; no job is made for it."""


class UnreadableImage(PhotoError, ValueError):
    """Not an image, a damaged file, or one too large to read safely."""


class NoFace(PhotoError, LookupError):
    """No face was found in the photo."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "I could not find a face in this photo; try one where your face is clearly visible, "
            "facing the camera and not too small."
        )


class SeveralFaces(PhotoError, ValueError):
    """More than one face of similar size: we cannot tell whose avatar is wanted."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(
            f"I found {count} faces of similar size in this photo and cannot tell which one is you; "
            "try a photo with only your face, or crop it."
        )
