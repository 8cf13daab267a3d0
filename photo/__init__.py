"""Photo -> avatar: read what an avatar can show from a photo (hair, skin, glasses, smile, a
backdrop) and turn it into an ordinary AvatarSpec. The photo itself is never kept: callers pass
an image in and get attributes out.

    reader = PhotoReader()                       # once per process: loads the bundled cascades
    reading = reader.read(load_photo(path))      # NoFace / SeveralFaces / UnreadableImage
    spec = reading_to_spec(reading, {"style": "lorelei"})
    describe(reading)                            # "black long hair, glasses, smiling, ..."
"""

from photo.errors import NoFace, PhotoError, SeveralFaces, UnreadableImage
from photo.image import load_photo
from photo.reading import PhotoReader, PhotoReading, read_photo
from photo.spec import describe, describe_read, reading_to_spec

__all__ = [
    "NoFace",
    "PhotoError",
    "PhotoReader",
    "PhotoReading",
    "SeveralFaces",
    "UnreadableImage",
    "describe",
    "describe_read",
    "load_photo",
    "read_photo",
    "reading_to_spec",
]
