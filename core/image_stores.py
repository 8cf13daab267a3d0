"""The one place that turns settings into an image store (AVATARBOT_IMAGE_BACKEND=local|s3).
Entry points, the bot, the worker and the CLI call it; nothing else constructs a store."""

from __future__ import annotations

from typing import Optional

from pydantic import SecretStr

from core.errors import ImageStoreMisconfigured
from core.images import ImageStore
from core.local_images import LocalImageStore
from core.settings import Settings

DEFAULT_S3_REGION = "us-east-1"


def make_image_store(settings: Settings) -> ImageStore:
    """The store the settings choose; raises ImageStoreMisconfigured with what to set when they cannot."""
    if settings.image_backend == "local":
        return LocalImageStore(settings.resolved_image_dir)
    return _s3_store(settings)


def _s3_store(settings: Settings) -> ImageStore:
    if not settings.s3_bucket or not settings.s3_bucket.strip():
        raise ImageStoreMisconfigured(
            "AVATARBOT_IMAGE_BACKEND=s3 needs a bucket: set AVATARBOT_S3_BUCKET "
            "(and AVATARBOT_S3_ENDPOINT_URL for a server other than AWS S3)"
        )
    key_id, secret = _given(settings.s3_access_key_id), _given(settings.s3_secret_access_key)
    if (key_id is None) != (secret is None):
        raise ImageStoreMisconfigured(
            "set both AVATARBOT_S3_ACCESS_KEY_ID and AVATARBOT_S3_SECRET_ACCESS_KEY, or neither "
            "(boto3 then finds credentials itself)"
        )
    import boto3  # only S3 deployments need it loaded
    from botocore.config import Config

    from core.s3_images import S3ImageStore

    config = Config(
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
        # Path-style addressing: MinIO and most self-hosted servers have no per-bucket DNS names.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        # Checksums only where S3 requires them: older S3-compatible servers refuse the new defaults.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    credentials = {}
    if key_id is not None and secret is not None:
        credentials = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        region_name=settings.s3_region or DEFAULT_S3_REGION,
        config=config,
        **credentials,
    )
    return S3ImageStore(
        client, settings.s3_bucket.strip(), prefix=settings.s3_prefix, endpoint=settings.s3_endpoint_url
    )


def _given(value: Optional[SecretStr]) -> Optional[str]:
    """A secret that was set to something (compose passes unset ones as empty strings)."""
    if value is None or not value.get_secret_value().strip():
        return None
    return value.get_secret_value().strip()
