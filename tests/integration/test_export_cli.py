"""`avatarbot export`: a file with the promised mode and size, one-line refusals that write nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from avatarbot import cli
from core.images import encode_png
from tests.core.export.drawn_avatar import drawn_avatar
from tests.integration.conftest import stack_env


@pytest.fixture
def avatar_png(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith("AVATARBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AVATARBOT_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "avatar.png"
    avatar, _ = drawn_avatar()
    path.write_bytes(encode_png(avatar, {"spec": '{"background":"mint"}', "seed": "3"}))
    return path


def test_export_writes_a_transparent_framed_circle(avatar_png: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = avatar_png.parent / "exports"
    code = cli.main(
        [
            "export",
            str(avatar_png),
            "--transparent",
            "--shape",
            "circle",
            "--frame",
            "hearts",
            "--size",
            "512",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    (written,) = out.iterdir()
    assert written.name == "avatar-512-transparent-circle-hearts.png" and str(written) in printed
    with Image.open(written) as image:
        assert image.mode == "RGBA" and image.size == (512, 512)
        assert np.asarray(image.getchannel("A"))[0, 0] == 0


def test_export_webp(avatar_png: Path) -> None:
    out = avatar_png.parent / "exports"
    assert cli.main(["export", str(avatar_png), "--webp", "--size", "1024", "--out", str(out)]) == 0
    with Image.open(out / "avatar-1024.webp") as image:
        assert image.format == "WEBP" and image.size == (1024, 1024)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--frame", "sparkle"], "avatarbot: unknown frame 'sparkle'; choose one of: none, hearts"),
        (["--size", "2048"], "avatarbot: size 2048 is not offered; choose one of: 128, 256, 512, 1024 px"),
        (["--shape", "star"], "avatarbot: unknown shape 'star'"),
    ],
)
def test_bad_export_options_exit_2_and_write_nothing(
    avatar_png: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out = avatar_png.parent / "exports"
    assert cli.main(["export", str(avatar_png), *extra, "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(message)
    assert not out.exists()


def test_a_file_that_is_not_a_picture_is_one_line(avatar_png: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = avatar_png.parent / "notes.png"
    bad.write_text("hello")
    assert cli.main(["export", str(bad), "--out", str(avatar_png.parent / "x")]) == 2
    assert "is not a picture Pillow can read" in capsys.readouterr().err
    assert not (avatar_png.parent / "x").exists()


def test_animate_refuses_a_picture_without_a_spec_or_an_undrawable_motion(
    avatar_png: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = avatar_png.parent / "plain.png"
    Image.new("RGB", (64, 64), "pink").save(plain)
    out = avatar_png.parent / "anim"
    assert cli.main(["animate", str(plain), "--out", str(out)]) == 2
    assert "carries no avatar spec and seed" in capsys.readouterr().err
    micah = avatar_png.parent / "micah.png"
    micah.write_bytes(encode_png(Image.new("RGB", (64, 64)), {"spec": '{"style":"micah"}', "seed": "1"}))
    assert cli.main(["animate", str(micah), "--motion", "blink", "--out", str(out)]) == 2
    assert "micah style cannot draw the wink expression" in capsys.readouterr().err
    assert cli.main(["animate", str(avatar_png), "--motion", "dance", "--out", str(out)]) == 2
    assert "unknown motion 'dance'; choose one of: blink, smile, bounce" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.integration
@pytest.mark.slow
def test_animate_goes_through_the_queue_and_a_worker(tmp_path: Path, tiny_weights: Path) -> None:
    env = stack_env(
        {
            "AVATARBOT_DATA_DIR": str(tmp_path / "data"),
            "AVATARBOT_BUILTIN_WEIGHTS": str(tiny_weights),
            "AVATARBOT_NUM_INFERENCE_STEPS": "2",
            "AVATARBOT_TORCH_THREADS": "1",
        }
    )
    source = tmp_path / "me.png"
    source.write_bytes(encode_png(Image.new("RGB", (64, 64)), {"spec": '{"style":"lorelei"}', "seed": "9"}))
    out = tmp_path / "anim"
    result = subprocess.run(
        [sys.executable, "-m", "avatarbot", "animate", str(source), "--motion", "smile", "--out", str(out)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["me-smile-sticker.png", "me-smile.png", "me-smile.webp"]
    assert "16 frames, 2.4 s loop" in result.stdout
    for name in ("me-smile.png", "me-smile-sticker.png"):
        with Image.open(out / name) as animation:
            assert animation.format == "PNG" and animation.n_frames == 16
    with Image.open(out / "me-smile.webp") as inline:
        # libwebp merges a frame equal to the one before into it: the same 2.4 s loop, maybe fewer frames.
        assert inline.format == "WEBP" and inline.is_animated
        durations = []
        for index in range(inline.n_frames):
            inline.seek(index)
            inline.load()  # the frame's duration is read with its data
            durations.append(inline.info["duration"])
        assert sum(durations) == 2400
