"""A real S3-compatible server for the tests: moto's standalone server (HTTP, in a thread of the test
process, on a free port), and a fresh bucket per test. Worker subprocesses reach it by its URL.

The fixtures are imported by tests/conftest.py, so every room's tests can use them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.image_stores import make_image_store
from core.s3_images import S3ImageStore
from core.settings import Settings

# moto accepts any credentials; giving them keeps boto3 away from the machine's own.
ACCESS_KEY_ID = "avatarbot-test"
SECRET_ACCESS_KEY = "avatarbot-test-secret"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """`http://127.0.0.1:<port>` of a moto S3 server that lives for the test session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_values(endpoint: str, bucket: str, *, prefix: str = "") -> dict[str, str]:
    """The AVATARBOT_* variables of an S3 image store (for Settings or a subprocess's environment)."""
    return {
        "AVATARBOT_IMAGE_BACKEND": "s3",
        "AVATARBOT_S3_BUCKET": bucket,
        "AVATARBOT_S3_ENDPOINT_URL": endpoint,
        "AVATARBOT_S3_REGION": REGION,
        "AVATARBOT_S3_PREFIX": prefix,
        "AVATARBOT_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AVATARBOT_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
    }


def s3_settings_for(endpoint: str, bucket: str, data_dir: Path, *, prefix: str = "") -> Settings:
    values = s3_values(endpoint, bucket, prefix=prefix)
    return Settings(data_dir=data_dir, **{k.removeprefix("AVATARBOT_").lower(): v for k, v in values.items()})


def new_bucket(endpoint: str) -> str:
    """Create a bucket with a fresh name on the server; returns the name."""
    name = f"avatars-{uuid.uuid4().hex[:16]}"
    store = make_image_store(s3_settings_for(endpoint, name, Path("unused")))
    assert isinstance(store, S3ImageStore)
    store.client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_settings(s3_endpoint: str, tmp_path: Path) -> Settings:
    """Settings of an S3 image store on its own new bucket (the rest is the embedded default)."""
    return s3_settings_for(s3_endpoint, new_bucket(s3_endpoint), tmp_path)


@pytest.fixture
def s3_image_store(s3_settings: Settings) -> S3ImageStore:
    store = make_image_store(s3_settings)
    assert isinstance(store, S3ImageStore)
    return store
