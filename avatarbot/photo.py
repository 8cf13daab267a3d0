"""`avatarbot photo`: photos -> what each shows -> specs -> the same queue and worker as `generate`.

Each photo is read here, in this process, and dropped as soon as its attributes are read: it is
never copied into the output folder or the image store, never put on the queue, and never logged.
Only the spec built from the reading travels on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, TextIO

from avatarbot.generate import run_generate_command
from avatarbot.output import OutputFolder
from core.settings import Settings
from core.spec import AvatarSpec
from photo import PhotoError, PhotoReader, describe, load_photo, reading_to_spec

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREADABLE_PHOTO = 2


def read_photos(
    paths: Sequence[Path], overrides: Mapping[str, Any], reader: PhotoReader, stdout: TextIO
) -> tuple[list[AvatarSpec], int]:
    """One JSON line per photo; returns the specs of the photos that could be read and how many could not."""
    specs: list[AvatarSpec] = []
    unreadable = 0
    for path in paths:
        line: dict[str, Any] = {"path": str(path)}
        try:
            reading = reader.read(load_photo(path))
        except PhotoError as exc:
            unreadable += 1
            line.update({"face": False, "error": str(exc)})
        else:
            spec = reading_to_spec(reading, overrides)
            line.update(reading.to_json_dict())
            line.update({"described": describe(reading), "spec": json.loads(spec.to_json())})
            specs.append(spec)
        print(json.dumps(line, sort_keys=False), file=stdout, flush=True)
    return specs, unreadable


def run_photo_command(
    settings: Settings,
    paths: Sequence[Path],
    overrides: Mapping[str, Any],
    out: Path,
    *,
    timeout_s: float,
    stdout: TextIO,
    reader: Optional[PhotoReader] = None,
) -> int:
    """0 when every photo became an avatar; 2 when some photo had no readable face (the others
    are still made); 1 when the worker failed an avatar."""
    OutputFolder.prepare(out).discard()  # a folder we cannot write is refused before any photo is read
    specs, unreadable = read_photos(paths, overrides, reader or PhotoReader(), stdout)
    code = EXIT_OK
    if specs:
        code = run_generate_command(settings, specs, out, timeout_s=timeout_s, stdout=stdout)
    if code != EXIT_OK:
        return EXIT_FAILED
    return EXIT_UNREADABLE_PHOTO if unreadable else EXIT_OK
