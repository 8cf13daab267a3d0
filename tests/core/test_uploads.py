"""Photo upload checks (core.uploads): accepted formats, limits, bomb guard, EXIF orientation and stripping."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from core.errors import AvatarError
from core.uploads import (
    MAX_UPLOAD_BYTES,
    InvalidUpload,
    UploadLimits,
    clean_image,
    encode_png,
    mebibytes,
    open_upload,
)

EXIF_ORIENTATION = 0x0112
EXIF_MAKE = 0x010F


def _encode(picture: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _marked(width: int = 40, height: int = 20) -> Image.Image:
    """A picture whose top-left corner is red and the rest blue, so rotations can be seen."""
    picture = Image.new("RGB", (width, height), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, 10, 10))
    return picture


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_accepted_formats_come_back_as_plain_rgb(fmt: str) -> None:
    picture = open_upload(_encode(_marked(), fmt))
    assert picture.mode == "RGB" and picture.size == (40, 20)
    assert picture.getpixel((2, 2))[0] > 200  # red corner survives (JPEG/WebP are lossy)


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF")])
def test_other_image_formats_are_refused_by_name(fmt: str, name: str) -> None:
    with pytest.raises(InvalidUpload, match=rf"{name} images are not accepted; send a PNG, JPEG or WebP"):
        open_upload(_encode(_marked(), fmt))


def test_refusals_are_avatar_errors_a_user_can_read() -> None:
    with pytest.raises(AvatarError, match="not an image we can read"):
        open_upload(b"%PDF-1.4 definitely not a picture")
    with pytest.raises(InvalidUpload, match="empty"):
        open_upload(b"")


def test_files_over_the_byte_limit_are_refused_before_decoding() -> None:
    data = _encode(_marked(), "PNG")
    with pytest.raises(InvalidUpload, match=r"The photo is .* MiB; the limit is .* MiB"):
        open_upload(data, UploadLimits(max_bytes=len(data) - 1))
    with pytest.raises(InvalidUpload, match=r"^The photo is 10\.1 MiB; the limit is 10 MiB\.$"):
        open_upload(b"\x89PNG" + bytes(10 * 1024 * 1024))


def test_sizes_are_counted_and_shown_in_one_unit_mib() -> None:
    # 10 MiB is 10,485,760 bytes; a file of 10,400,000 bytes (10.4 MB, 9.92 MiB) is under the limit.
    assert MAX_UPLOAD_BYTES == 10 * 2**20
    assert mebibytes(MAX_UPLOAD_BYTES) == "10 MiB" and mebibytes(10_400_000) == "10.0 MiB"
    with pytest.raises(InvalidUpload, match=r"is 10\.5 MiB; the limit is 10 MiB"):
        open_upload(bytes(11_000_000))


def test_more_than_4096_px_a_side_is_refused() -> None:
    data = _encode(Image.new("L", (4097, 8)), "PNG")
    with pytest.raises(InvalidUpload, match=r"4097 × 8 px; at most 4096 px a side"):
        open_upload(data)
    open_upload(_encode(Image.new("L", (4096, 8)), "PNG"))


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: what a decompression bomb looks like from outside."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [4097, 60000])
def test_decompression_bombs_are_refused_from_the_header(side: int) -> None:
    # 60000 x 60000 would be 3.6 GB of pixels; the refusal must come without decoding any.
    with pytest.raises(InvalidUpload, match="px a side|too much memory"):
        open_upload(_png_header_only(side, side))


class _PixelBudget(UploadLimits):
    @property
    def max_pixels(self) -> int:
        return 1000


def test_pixel_budget_guard_within_the_side_limit() -> None:
    with pytest.raises(InvalidUpload, match="too much memory"):
        open_upload(_encode(Image.new("L", (64, 64)), "PNG"), _PixelBudget())


def test_truncated_files_are_reported_as_damaged() -> None:
    data = _encode(_marked(200, 200).resize((400, 400)), "JPEG")
    with pytest.raises(InvalidUpload, match="damaged or incomplete"):
        open_upload(data[: len(data) // 2])


def test_exif_orientation_is_applied_and_exif_stripped() -> None:
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # "rotate 90° clockwise to display"
    exif[EXIF_MAKE] = "SecretPhone"
    data = _encode(_marked(40, 20), "JPEG", exif=exif.tobytes(), quality=95)
    assert Image.open(io.BytesIO(data)).getexif()[EXIF_MAKE] == "SecretPhone"

    picture = open_upload(data)
    assert picture.size == (20, 40)  # turned upright
    assert picture.getpixel((17, 2))[0] > 200  # the red corner is now top-right
    assert not picture.getexif() and "exif" not in picture.info
    stored = Image.open(io.BytesIO(encode_png(picture)))
    assert not stored.getexif() and "exif" not in stored.info


def test_png_text_metadata_is_dropped_and_transparency_becomes_white() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address")
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    picture = open_upload(_encode(rgba, "PNG", pnginfo=info))
    assert picture.info == {}
    assert picture.getpixel((4, 4)) == (255, 255, 255)


def test_clean_image_checks_size_of_images_made_elsewhere() -> None:
    with pytest.raises(InvalidUpload, match="at most 4096 px"):
        clean_image(Image.new("RGB", (5000, 10)))
    assert clean_image(Image.new("L", (5, 5))).mode == "RGB"
