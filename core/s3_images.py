"""The image store on an S3-compatible object store (AWS S3, MinIO, Ceph, R2, ...), so workers on other
hosts hand their pictures to the bot. Objects are `<prefix>ab/cd/<key>.png` holding the PNG bytes as
they are (content-addressed keys, PNG text metadata byte for byte). boto3 clients are thread-safe, so
one store serves the bot's threads and a worker's heartbeat and tasks alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

from botocore.exceptions import BotoCoreError, ClientError

from core.errors import ImageStoreUnavailable, NotFound
from core.images import ImageStore, sharded_name

_MISSING_KEY = {"NoSuchKey", "404", "NotFound"}
_MISSING_BUCKET = {"NoSuchBucket"}


class S3ImageStore(ImageStore):
    """PNG objects in `bucket` under `prefix`, named by the sha256 of their bytes."""

    def __init__(self, client: Any, bucket: str, *, prefix: str = "", endpoint: Optional[str] = None) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint = endpoint or "AWS S3"

    def __repr__(self) -> str:
        return f"S3ImageStore(bucket={self.bucket!r}, prefix={self.prefix!r}, endpoint={self.endpoint!r})"

    def object_name(self, key: str) -> str:
        """The object's name in the bucket. Raises InvalidImageKey for a malformed key."""
        return self.prefix + sharded_name(key)

    def _write_new(self, key: str, data: bytes) -> None:
        name = self.object_name(key)
        with self._translated(f"store image {key}"):
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType="image/png")

    def read_bytes(self, key: str) -> bytes:
        name = self.object_name(key)
        with self._translated(f"read image {key}", missing=key):
            response = self.client.get_object(Bucket=self.bucket, Key=name)
            return bytes(response["Body"].read())

    def exists(self, key: str) -> bool:
        name = self.object_name(key)
        try:
            with self._translated(f"look up image {key}", missing=key):
                self.client.head_object(Bucket=self.bucket, Key=name)
        except NotFound:
            return False
        return True

    def delete(self, key: str) -> bool:
        # S3's DELETE answers the same whether the object was there or not: look first.
        if not self.exists(key):
            return False
        with self._translated(f"delete image {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))
        return True

    def check(self) -> None:
        with self._translated("reach the image store"):
            self.client.head_bucket(Bucket=self.bucket)

    @contextmanager
    def _translated(self, action: str, *, missing: Optional[str] = None) -> Iterator[None]:
        """botocore's errors as domain errors with a sentence an operator can act on."""
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING_BUCKET or (missing is None and code in {"404", "NotFound"}):
                raise ImageStoreUnavailable(
                    f"the image bucket {self.bucket!r} does not exist at {self.endpoint}: create it, "
                    "or set AVATARBOT_S3_BUCKET to one that exists"
                ) from None
            if missing is not None and code in _MISSING_KEY:
                raise NotFound(f"image {missing} is not in the store (it may have been deleted)") from None
            message = exc.response.get("Error", {}).get("Message") or code
            raise ImageStoreUnavailable(
                f"could not {action}: the image bucket {self.bucket!r} at {self.endpoint} answered {code} {message}"
            ) from exc
        except BotoCoreError as exc:  # endpoint down, no credentials, timeouts
            raise ImageStoreUnavailable(
                f"could not {action}: the image bucket {self.bucket!r} at {self.endpoint} cannot be reached ({exc})"
            ) from exc
