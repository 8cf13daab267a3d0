"""The export feature's database and image work: load one of the person's own avatars, make the
file, or queue its animation. Synchronous; handlers run it in a thread. Nothing is stored for an
export: the file is made from the stored avatar and sent."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from PIL import Image
from sqlalchemy.orm import Session

from bot.common.services import BotServices
from bot.replies.errors import Refusal, not_configured
from core.db.models import Job, JobKind, JobStatus, ReviewState
from core.db.repositories import find_job
from core.export import ExportOptions, compose, encode_export
from core.export.compose import Matter
from core.export.matte import classical_matte
from core.export.preview import frames_sheet
from core.images import ImageStore
from core.settings import Settings


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    filename: str
    description: str  # "512 px, PNG, transparent background"


@dataclass(frozen=True)
class OwnAvatar:
    id: int
    kind: str
    spec: dict[str, Any]
    seed: int
    image_key: str


class Exporter:
    def __init__(
        self,
        settings: Settings,
        session_factory: Callable[[], Session],
        image_store: ImageStore,
        matter: Matter = classical_matte,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.image_store = image_store
        self.matter = matter

    def own_avatar(self, user_id: int, avatar_id: int, *, still: bool = True) -> OwnAvatar:
        """One of the person's finished avatars; a readable refusal for anything else."""
        with self.session_factory() as session:
            job = find_job(session, avatar_id)
            return _checked(job, user_id, avatar_id, still=still)

    def export(self, user_id: int, avatar_id: int, options: ExportOptions) -> ExportFile:
        avatar = self.own_avatar(user_id, avatar_id)
        image, metadata = self._picture(avatar)
        picture = compose(image, options, metadata=metadata, matter=self.matter)
        data = encode_export(picture, options, metadata)
        return ExportFile(data, _filename(avatar.id, options), options.describe())

    def frames_sheet(self, user_id: int, avatar_id: int) -> bytes:
        avatar = self.own_avatar(user_id, avatar_id)
        image, metadata = self._picture(avatar)
        buffer = io.BytesIO()
        frames_sheet(image, metadata).save(buffer, format="PNG")
        return buffer.getvalue()

    def _picture(self, avatar: OwnAvatar) -> tuple[Image.Image, dict[str, str]]:
        with Image.open(io.BytesIO(self.image_store.read_bytes(avatar.image_key))) as image:
            image.load()
            metadata = {str(k): str(v) for k, v in getattr(image, "text", {}).items()}
            return image.convert("RGB"), metadata


def _checked(job: Optional[Job], user_id: int, avatar_id: int, *, still: bool) -> OwnAvatar:
    if job is None or job.owner_id != user_id:
        raise Refusal("export.not_yours", id=avatar_id)
    if job.review_state in (ReviewState.PENDING, ReviewState.REJECTED) or job.status == JobStatus.FLAGGED:
        raise Refusal("export.under_review", id=avatar_id)
    if job.status != JobStatus.DONE or job.image_key is None:
        raise Refusal("error.no_picture", id=avatar_id)
    if still and job.kind == JobKind.ANIMATION:
        raise Refusal("export.animation", id=avatar_id)
    return OwnAvatar(job.id, str(job.kind), dict(job.spec), int(job.seed), job.image_key)


def _filename(avatar_id: int, options: ExportOptions) -> str:
    parts = [f"avatar-{avatar_id}", str(options.size)]
    if options.background == "transparent":
        parts.append("transparent")
    if options.shape != "square":
        parts.append(options.shape)
    if options.frame != "none":
        parts.append(options.frame)
    return "-".join(parts) + f".{options.extension}"


def exporter_of(services: BotServices) -> Exporter:
    """This bot's exporter; "not available" when it was built without a database or image store."""
    if services.session_factory is None or services.image_store is None:
        raise not_configured()
    return Exporter(services.settings, services.session_factory, services.image_store, services.matter)
