"""`avatarbot export`: a stored or saved avatar PNG -> a profile-ready file (no model needed).

The export runs here, in the command's process: it is image work (matte, resize, shape, frame),
the same code the bot runs, and needs no queue or worker.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import TextIO

from PIL import Image, UnidentifiedImageError

from avatarbot.errors import UsageError
from avatarbot.output import OutputFolder
from core.export import ExportOptions, compose, encode_export
from core.export.compose import Matter


def read_avatar(path: Path) -> tuple[Image.Image, dict[str, str]]:
    """The picture and its PNG text chunks; UsageError with a sentence when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            metadata = {str(k): str(v) for k, v in getattr(image, "text", {}).items()}
            return image.copy(), metadata
    except (UnidentifiedImageError, OSError) as exc:
        raise UsageError(f"{path} is not a picture Pillow can read (PNG, JPEG or WebP)") from exc


def run_export_command(image_path: Path, options: ExportOptions, out: Path, *, matter: Matter, stdout: TextIO) -> int:
    image, metadata = read_avatar(image_path)  # before the folder: bad input writes nothing
    output = OutputFolder.prepare(out)
    try:
        started = time.monotonic()
        picture = compose(image, options, metadata=metadata, matter=matter)
        data = encode_export(picture, options, metadata)
        name = f"{image_path.stem}-{options.size}{'-transparent' if options.background == 'transparent' else ''}"
        name += f"{'' if options.shape == 'square' else '-' + options.shape}"
        name += f"{'' if options.frame == 'none' else '-' + options.frame}.{options.extension}"
        output.path(name).write_bytes(data)
        (written,) = output.commit()
    except BaseException:
        output.discard()
        raise
    elapsed = time.monotonic() - started
    print(f"{written}  ({options.describe()}, {len(data) / 1024:.0f} KiB, {elapsed:.2f} s)", file=stdout)
    return 0
