"""The S3 image store against a real S3-compatible server (moto's, tests/s3_server.py): the same
content-addressed keys and byte-for-byte PNGs as the local store, and readable errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from PIL import Image
from prometheus_client import CollectorRegistry

from core.db.engine import make_engine
from core.errors import ImageStoreMisconfigured, ImageStoreUnavailable, InvalidImageKey, NotFound
from core.health import image_store_check, process_checks
from core.image_stores import make_image_store
from core.images import key_of
from core.local_images import LocalImageStore
from core.ops_server import OpsServer, health_report
from core.s3_images import S3ImageStore
from core.settings import Settings
from tests.core.test_images import BAD_KEYS, METADATA, picture
from tests.s3_server import new_bucket, s3_settings_for


def objects(store: S3ImageStore) -> list[str]:
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_put_get_exists_delete(s3_image_store: S3ImageStore) -> None:
    key = s3_image_store.put_image(picture(), METADATA)

    data = s3_image_store.read_bytes(key)
    assert key == key_of(data) and data.startswith(b"\x89PNG")
    assert objects(s3_image_store) == [f"{key[:2]}/{key[2:4]}/{key}.png"]
    assert s3_image_store.exists(key)
    assert s3_image_store.open(key).tobytes() == picture().tobytes()
    assert s3_image_store.delete(key) is True
    assert not s3_image_store.exists(key) and s3_image_store.delete(key) is False
    assert objects(s3_image_store) == []


def test_metadata_round_trips_byte_for_byte(s3_image_store: S3ImageStore, image_store: LocalImageStore) -> None:
    in_s3 = s3_image_store.put_image(picture(), METADATA)
    on_disk = image_store.put_image(picture(), METADATA)

    assert in_s3 == on_disk  # one picture, one key, wherever it is kept
    assert s3_image_store.read_bytes(in_s3) == image_store.path(on_disk).read_bytes()
    meta = s3_image_store.read_metadata(in_s3)
    assert {k: meta[k] for k in METADATA} == METADATA  # unicode details included (iTXt)
    assert meta["ai_generated"] == "true" and meta["Software"] == "avatarbot"
    upload = s3_image_store.put_image(picture(), {"source": "upload"}, ai_generated=False)
    assert "ai_generated" not in s3_image_store.read_metadata(upload)
    head = s3_image_store.client.head_object(Bucket=s3_image_store.bucket, Key=s3_image_store.object_name(in_s3))
    assert head["ContentType"] == "image/png"


def test_same_picture_same_key_one_object_under_the_prefix(s3_endpoint: str, tmp_path: Path) -> None:
    store = make_image_store(s3_settings_for(s3_endpoint, new_bucket(s3_endpoint), tmp_path, prefix="/prod/images/"))
    assert isinstance(store, S3ImageStore)
    first = store.put_image(picture(), METADATA)
    assert store.put_image(picture(), METADATA) == first
    second = store.put_image(Image.new("RGBA", (4, 4), (1, 2, 3, 4)), {})
    assert objects(store) == sorted(f"prod/images/{k[:2]}/{k[2:4]}/{k}.png" for k in (first, second))


def test_a_missing_key_is_not_found(s3_image_store: S3ImageStore) -> None:
    gone = key_of(b"never stored")
    with pytest.raises(NotFound, match="is not in the store"):
        s3_image_store.read_bytes(gone)
    with pytest.raises(NotFound):
        s3_image_store.open(gone)
    assert s3_image_store.exists(gone) is False and s3_image_store.delete(gone) is False


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_malformed_keys_are_refused_before_any_request(s3_image_store: S3ImageStore, bad: object) -> None:
    for use in (s3_image_store.object_name, s3_image_store.read_bytes, s3_image_store.exists, s3_image_store.delete):
        with pytest.raises(InvalidImageKey):
            use(bad)  # type: ignore[arg-type]


def test_a_missing_bucket_is_a_readable_error_and_an_unhealthy_store(s3_endpoint: str, tmp_path: Path) -> None:
    store = make_image_store(s3_settings_for(s3_endpoint, "no-such-bucket", tmp_path))
    sentence = "the image bucket 'no-such-bucket' does not exist at http://127.0.0.1"

    with pytest.raises(ImageStoreUnavailable, match=sentence):
        store.put_image(picture(), METADATA)
    with pytest.raises(ImageStoreUnavailable, match=sentence):
        store.read_bytes(key_of(b"x"))
    with pytest.raises(ImageStoreUnavailable, match=sentence):
        store.check()
    healthy, report = health_report([image_store_check(store)])
    assert not healthy and report.startswith("images: unreachable (ImageStoreUnavailable: the image bucket")


def test_an_endpoint_that_is_down_is_a_readable_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = make_image_store(s3_settings_for(f"http://127.0.0.1:{port}", "avatars", tmp_path))
    with pytest.raises(
        ImageStoreUnavailable,
        match=f"could not reach the image store: the image bucket 'avatars' at http://127.0.0.1:{port} cannot be",
    ):
        store.check()
    with pytest.raises(ImageStoreUnavailable):
        store.read_bytes(key_of(b"x"))


def test_healthy_stores_pass_the_health_check(s3_image_store: S3ImageStore, image_store: LocalImageStore) -> None:
    healthy, report = health_report([image_store_check(s3_image_store), image_store_check(image_store)])
    assert healthy and report == "images: ok\nimages: ok\n"


def test_settings_choose_the_store(tmp_path: Path) -> None:
    local = make_image_store(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalImageStore) and local.root == (tmp_path / "images").resolve()
    with pytest.raises(
        ImageStoreMisconfigured, match="AVATARBOT_IMAGE_BACKEND=s3 needs a bucket: set AVATARBOT_S3_BUCKET"
    ):
        make_image_store(Settings(data_dir=tmp_path, image_backend="s3"))
    with pytest.raises(ImageStoreMisconfigured, match="needs a bucket"):
        make_image_store(Settings(data_dir=tmp_path, image_backend="s3", s3_bucket="  "))
    with pytest.raises(ImageStoreMisconfigured, match="set both AVATARBOT_S3_ACCESS_KEY_ID and"):
        make_image_store(Settings(data_dir=tmp_path, image_backend="s3", s3_bucket="b", s3_access_key_id="k"))


def test_the_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AVATARBOT_IMAGE_BACKEND", "s3")
    monkeypatch.setenv("AVATARBOT_S3_BUCKET", "avatars")
    monkeypatch.setenv("AVATARBOT_S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("AVATARBOT_S3_PREFIX", "prod")
    store = make_image_store(Settings(data_dir=tmp_path))
    assert isinstance(store, S3ImageStore)
    assert store.bucket == "avatars" and store.prefix == "prod/" and store.endpoint == "http://minio:9000"
    assert store.object_name("a" * 64) == "prod/aa/aa/" + "a" * 64 + ".png"


def test_healthz_answers_for_the_images(s3_endpoint: str, migrated_sqlite_url: str, tmp_path: Path) -> None:
    from tests.core.test_ops_server import _get

    engine = make_engine(migrated_sqlite_url)
    (tmp_path / "broker" / "queue").mkdir(parents=True)
    settings = s3_settings_for(s3_endpoint, "gone-bucket", tmp_path)
    checks = process_checks(settings, engine, make_image_store(settings))
    server = OpsServer(CollectorRegistry(), checks, 0, host="127.0.0.1").start()
    try:
        status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
        assert status == 503
        assert body.startswith("database: ok\nbroker: ok\nimages: unreachable (ImageStoreUnavailable: the image bucket")
        make_image_store(settings).client.create_bucket(Bucket="gone-bucket")  # type: ignore[attr-defined]
        assert _get(f"http://127.0.0.1:{server.port}/healthz") == (200, "database: ok\nbroker: ok\nimages: ok\n")
    finally:
        server.stop()
        engine.dispose()
