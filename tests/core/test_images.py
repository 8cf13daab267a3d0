"""The image store: content-addressed PNGs with metadata, and keys that cannot escape the folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from core.errors import InvalidImageKey, NotFound
from core.images import check_key
from core.local_images import LocalImageStore as ImageStore

METADATA = {"spec": '{"style":"lorelei"}', "seed": "42", "model": "builtin chibi-v1", "details": "猫耳 ✿"}


def picture(colour: tuple[int, int, int] = (255, 182, 193)) -> Image.Image:
    image = Image.new("RGB", (16, 16), colour)
    image.putpixel((3, 4), (0, 0, 0))
    return image


def test_put_and_read_back_with_metadata(image_store: ImageStore) -> None:
    key = image_store.put_image(picture(), METADATA)

    data = image_store.read_bytes(key)
    assert key == hashlib.sha256(data).hexdigest()
    assert image_store.path(key) == image_store.root / key[:2] / key[2:4] / f"{key}.png"
    assert image_store.exists(key)
    assert data.startswith(b"\x89PNG")
    assert image_store.open(key).tobytes() == picture().tobytes()
    meta = image_store.read_metadata(key)
    assert {k: meta[k] for k in METADATA} == METADATA
    assert meta["ai_generated"] == "true" and meta["Software"].startswith("avatarbot")


def test_same_picture_same_key_one_file(image_store: ImageStore) -> None:
    first = image_store.put_image(picture(), METADATA)
    assert image_store.put_image(picture(), METADATA) == first
    assert image_store.put_image(picture((1, 2, 3)), METADATA) != first
    assert image_store.put_image(picture(), {**METADATA, "seed": "43"}) != first
    files = [p for p in image_store.root.rglob("*") if p.is_file()]
    assert len(files) == 3 and not [p for p in files if p.name.startswith(".tmp")]


def test_callers_cannot_unmark_ai_images_but_uploads_carry_no_marker(image_store: ImageStore) -> None:
    generated = image_store.put_image(picture(), {"ai_generated": "false", "seed": 7})
    assert image_store.read_metadata(generated)["ai_generated"] == "true"
    assert image_store.read_metadata(generated)["seed"] == "7"
    upload = image_store.put_image(picture(), {"source": "upload"}, ai_generated=False)
    assert "ai_generated" not in image_store.read_metadata(upload)


def test_other_modes_are_stored(image_store: ImageStore) -> None:
    rgba = image_store.put_image(Image.new("RGBA", (4, 4), (1, 2, 3, 4)), {})
    cmyk = image_store.put_image(Image.new("CMYK", (4, 4)), {})
    assert image_store.open(rgba).mode == "RGBA" and image_store.open(cmyk).mode == "RGB"


def test_delete(image_store: ImageStore) -> None:
    key = image_store.put_image(picture(), METADATA)
    assert image_store.delete(key) is True
    assert not image_store.exists(key) and image_store.delete(key) is False
    with pytest.raises(NotFound):
        image_store.read_bytes(key)


BAD_KEYS = [
    "../" * 10 + "etc/passwd",
    "../../../../../../../../../../../../../../../../../../../../etc/x",
    "/etc/passwd",
    "/" + "a" * 63,
    "a" * 63 + "/",
    "..%2f" + "a" * 59,
    "A" * 64,  # upper case: one picture must have one key
    "a" * 63,
    "a" * 65,
    "a" * 64 + "\n",
    "a" * 32 + "\x00" + "a" * 31,
    "g" * 64,
    "",
    None,
    64,
]


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_malformed_keys_are_refused_everywhere(image_store: ImageStore, bad: object, tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"secret")
    for use in (image_store.path, image_store.read_bytes, image_store.exists, image_store.delete, check_key):
        with pytest.raises(InvalidImageKey):
            use(bad)  # type: ignore[arg-type]
    assert outside.read_bytes() == b"secret"
