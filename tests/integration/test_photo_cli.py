"""`avatarbot photo`: bad options refused before any photo is read; a real run reads each photo,
prints one JSON line per photo, renders through the queue and worker, and keeps no photo."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from avatarbot import cli
from avatarbot.photo import read_photos
from photo import PhotoReader
from tests.integration.conftest import stack_env


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    """The astronaut (scikit-image's bundled sample photo) and a blank picture, written as files."""
    skimage_data = pytest.importorskip("skimage.data")
    folder = tmp_path / "photos"
    folder.mkdir()
    astronaut = folder / "astronaut.jpg"
    Image.fromarray(skimage_data.astronaut()).save(astronaut, quality=92)
    blank = folder / "blank.png"
    Image.new("RGB", (320, 240), (210, 225, 240)).save(blank)
    return {"astronaut": astronaut, "blank": blank}


def test_a_bad_option_is_one_line_and_exit_2_before_any_photo_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AVATARBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(PhotoReader, "read", lambda *a: pytest.fail("a photo was read"))

    code = cli.main(["photo", "missing.jpg", "--style", "micah", "--hair", "bun"])

    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "style 'micah' has no hair 'bun'" in err
    assert not (tmp_path / "data").exists()


def test_each_photo_gets_one_json_line_and_a_faceless_one_says_why(photos: dict[str, Path]) -> None:
    stdout = io.StringIO()
    paths = [photos["astronaut"], photos["blank"]]

    specs, unreadable = read_photos(paths, {"style": "lorelei", "hair_color": "red"}, PhotoReader(), stdout)

    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [line["path"] for line in lines] == [str(p) for p in paths]
    first, second = lines
    assert first["face"] is True and first["read"]["expression"] == "happy"
    assert set(first["confidence"]) >= set(first["read"])
    assert first["spec"]["style"] == "lorelei" and first["spec"]["hair_color"] == "red"  # the option wins
    assert second == {"path": str(photos["blank"]), "face": False, "error": second["error"]}
    assert "could not find a face" in second["error"]
    assert unreadable == 1 and len(specs) == 1 and specs[0].hair_color == "red"


@pytest.mark.integration
@pytest.mark.slow
def test_photo_renders_through_the_worker_and_keeps_no_photo(
    tmp_path: Path, tiny_weights: Path, photos: dict[str, Path]
) -> None:
    data = tmp_path / "data"
    env = stack_env(
        {
            "AVATARBOT_DATA_DIR": str(data),
            "AVATARBOT_BUILTIN_WEIGHTS": str(tiny_weights),
            "AVATARBOT_NUM_INFERENCE_STEPS": "2",
            "AVATARBOT_TORCH_THREADS": "1",
        }
    )
    out = tmp_path / "out"

    result = subprocess.run(
        [sys.executable, "-m", "avatarbot", "photo", str(photos["astronaut"]), str(photos["blank"]),
         "--style", "adventurer", "--seed", "3", "--out", str(out)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert result.returncode == 2, result.stdout + result.stderr  # one photo had no face; the other was made
    lines = result.stdout.splitlines()
    first, second = json.loads(lines[0]), json.loads(lines[1])
    assert first["face"] is True and first["spec"]["style"] == "adventurer"
    assert second["face"] is False
    assert sorted(p.name for p in out.iterdir()) == ["avatar-1.png", "contact-sheet.png"]
    # The photo is nowhere: not in the output, not in the image store, not in the logs.
    photo_hash = hashlib.sha256(photos["astronaut"].read_bytes()).hexdigest()
    kept = [p for p in [*out.rglob("*"), *data.rglob("*")] if p.is_file()]
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() != photo_hash for p in kept)
    stored = [p for p in (data / "images").rglob("*") if p.is_file()]
    assert len(stored) == 1  # the avatar only
    for log in (data / "logs").glob("*.log"):
        assert "astronaut" not in log.read_text(errors="replace")
