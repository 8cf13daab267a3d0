"""`avatarbot edit` and `avatarbot pack`: a PNG the project made -> its spec and seed -> edit or pack
jobs -> the same queue and worker as `generate`.

The PNG's text chunks (written by the image store) carry the spec and seed it was drawn from; the
picture itself is only shown beside the results in the sheet.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session, sessionmaker

from avatarbot.errors import UsageError
from avatarbot.generate import CLI_USER_ID, SHEET_NAME, JobResult, run_jobs_command
from avatarbot.output import OutputFolder
from core.contact_sheet import SheetTile, contact_sheet
from core.db import repositories as repo
from core.errors import InvalidSpec
from core.images import ImageStore
from core.looks import EditPlan, PackPlan, clean_name_base, emoji_names, look_params, plan_edit, plan_pack
from core.pack_images import EMOJI, STICKER, fit_png
from core.settings import Settings
from core.spec import MAX_SEED, AvatarSpec
from core.vocabulary import ATTRIBUTES


@dataclass(frozen=True)
class SourceAvatar:
    """What a project PNG says about itself: the spec and seed it was drawn from."""

    path: Path
    spec: AvatarSpec
    seed: int
    image: Image.Image


def read_source(path: Path) -> SourceAvatar:
    """UsageError with the reason when `path` is not a readable PNG the project made."""
    try:
        with Image.open(path) as image:
            image.load()
            text = dict(getattr(image, "text", {}) or {})
            picture = image.convert("RGB")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise UsageError(f"{path}: not an image this command can read ({exc})") from None
    if "spec" not in text or "seed" not in text:
        raise UsageError(
            f"{path} carries no avatar spec and seed in its text chunks; only PNGs avatarbot or the bot made will do"
        )
    try:
        spec = AvatarSpec.from_json(text["spec"])
        seed = int(text["seed"])
    except (InvalidSpec, ValueError) as exc:
        raise UsageError(f"{path}: its avatar spec cannot be read ({exc})") from None
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"{path}: its seed {seed} is out of range")
    return SourceAvatar(path=path, spec=spec, seed=seed, image=picture)


def parse_changes(items: Sequence[str]) -> dict[str, str]:
    """`--set hair_color=blue` (or hair-color=blue) items -> {attribute: value}; UsageError if malformed."""
    changes: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not value.strip():
            raise UsageError(f"--set {item!r}: write it as ATTRIBUTE=VALUE, e.g. --set hair_color=blue")
        if name not in ATTRIBUTES:
            raise UsageError(f"--set {item!r}: {name!r} is not an attribute; choose one of: {', '.join(ATTRIBUTES)}")
        changes[name] = value.strip()
    return changes


def _create(
    session_factory: sessionmaker[Session], backend: str, source: SourceAvatar, specs: Sequence[AvatarSpec], kind: str
) -> list[int]:
    with session_factory() as session:
        repo.ensure_user(session, CLI_USER_ID)
        request_id = str(uuid.uuid4())
        ids: list[int] = []
        for spec in specs:
            [row] = repo.create_jobs(
                session,
                owner_id=CLI_USER_ID,
                spec=spec,
                seeds=[source.seed],
                backend=backend,
                kind=kind,
                params=look_params(source.spec),
                visibility="private",
                request_id=request_id,
            )
            ids.append(row.id)
        session.commit()
    return ids


def run_edit_command(
    settings: Settings, source: SourceAvatar, plan: EditPlan, out: Path, *, timeout_s: float, stdout: TextIO
) -> int:
    print(
        json.dumps(
            {
                "source": str(source.path),
                "seed": source.seed,
                "changed": plan.changed,
                "left_open": list(plan.dropped),
                "redraw": plan.redraw,
                "spec": json.loads(plan.edited.to_json()),
            }
        ),
        file=stdout,
    )
    if plan.redraw:
        print("a new style draws the character anew from the same seed; it will not look the same", file=stdout)

    def write(results: Sequence[JobResult], store: ImageStore, output: OutputFolder) -> dict[int, Path]:
        paths: dict[int, Path] = {}
        tiles = [SheetTile(source.image, f"original: {source.spec.describe()}")]
        for result in results:
            if result.image_key is None:
                tiles.append(SheetTile(None, f"#{result.job_id} [{result.status}: {result.error}]"))
                continue
            name = f"edit-{result.job_id}.png"
            output.path(name).write_bytes(store.read_bytes(result.image_key))
            paths[result.job_id] = output.target / name
            tiles.append(SheetTile(store.open(result.image_key), f"#{result.job_id} {plan.describe()}"))
        contact_sheet(tiles, columns=2).save(output.path(SHEET_NAME), format="PNG")
        output.commit()
        return paths

    return run_jobs_command(
        settings,
        out,
        lambda sf: _create(sf, settings.backend, source, [plan.edited], "edit"),
        write=write,
        timeout_s=timeout_s,
        stdout=stdout,
    )


def run_pack_command(
    settings: Settings,
    source: SourceAvatar,
    plan: PackPlan,
    name: str,
    out: Path,
    *,
    timeout_s: float,
    stdout: TextIO,
) -> int:
    """One PNG per expression, its emoji (128 px) and sticker (320 px) versions, and a sheet."""
    names = emoji_names(name, plan.expressions)
    print(
        json.dumps(
            {
                "source": str(source.path),
                "seed": source.seed,
                "expressions": list(plan.expressions),
                "emoji_names": names,
            }
        ),
        file=stdout,
    )
    expression_of: dict[int, str] = {}

    def create(session_factory: sessionmaker[Session]) -> list[int]:
        ids = _create(session_factory, settings.backend, source, list(plan.members.values()), "pack")
        expression_of.update(zip(ids, plan.expressions, strict=True))
        return ids

    def write(results: Sequence[JobResult], store: ImageStore, output: OutputFolder) -> dict[int, Path]:
        paths: dict[int, Path] = {}
        tiles = [SheetTile(source.image, "original")]
        for result in results:
            expression = expression_of[result.job_id]
            if result.image_key is None:
                tiles.append(SheetTile(None, f"{expression} [{result.status}: {result.error}]"))
                continue
            base = names[expression]
            output.path(f"{base}.png").write_bytes(store.read_bytes(result.image_key))
            picture = store.open(result.image_key)
            output.path(f"{base}-emoji.png").write_bytes(fit_png(picture, EMOJI))
            output.path(f"{base}-sticker.png").write_bytes(fit_png(picture, STICKER))
            paths[result.job_id] = output.target / f"{base}.png"
            tiles.append(SheetTile(picture, f":{base}:"))
        contact_sheet(tiles, columns=len(tiles)).save(output.path(SHEET_NAME), format="PNG")
        output.commit()
        return paths

    return run_jobs_command(settings, out, create, write=write, timeout_s=timeout_s, stdout=stdout)


def edit_plan_from_args(source: SourceAvatar, changes: Mapping[str, str]) -> EditPlan:
    if not changes:
        raise UsageError("say what to change with --set ATTRIBUTE=VALUE (e.g. --set hair_color=blue)")
    return plan_edit(source.spec, changes)


def pack_plan_from_args(source: SourceAvatar, name: str) -> PackPlan:
    plan = plan_pack(source.spec)
    emoji_names(name, plan.expressions)  # a bad name is refused before any job exists
    return plan


def default_name(source: SourceAvatar) -> str:
    return clean_name_base(source.path.stem)[:20] or "avatar"
