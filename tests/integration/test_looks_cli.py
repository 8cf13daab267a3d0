"""`avatarbot edit` and `avatarbot pack`: bad input refused before any job, and real runs through the
queue and a worker on a PNG the project made."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from avatarbot import cli
from core.images import encode_png
from tests.integration.conftest import stack_env

SPEC = '{"expression":"happy","hair":"long","hair_color":"black","style":"micah"}'


def project_png(folder: Path, spec: str = SPEC, seed: str = "1234", name: str = "mochi.png") -> Path:
    path = folder / name
    path.write_bytes(encode_png(Image.new("RGB", (64, 64), (240, 200, 220)), {"spec": spec, "seed": seed}))
    return path


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith("AVATARBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AVATARBOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["edit", "{png}"], "say what to change with --set ATTRIBUTE=VALUE"),
        (["edit", "{png}", "--set", "hat=red"], "'hat' is not an attribute"),
        (["edit", "{png}", "--set", "hair_color"], "write it as ATTRIBUTE=VALUE"),
        (["edit", "{png}", "--set", "hair-color=plaid"], "unknown hair colour 'plaid'"),
        (["edit", "{png}", "--set", "expression=wink"], "style 'micah' has no expression 'wink'"),
        (["edit", "{png}", "--set", "hair_color=black"], "nothing to change"),
        (["edit", "{plain}", "--set", "hair_color=blue"], "carries no avatar spec and seed"),
        (["edit", "{missing}", "--set", "hair_color=blue"], "no such file"),
        (["pack", "{png}", "--name", "!!!"], "has no letters or digits"),
        (["pack", "{png}", "--name", "x" * 30], "too long"),
        (["pack", "{miniavs}"], "draws only one expression"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_any_job(
    argv: list[str], expected: str, cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    paths = {
        "{png}": str(project_png(tmp_path)),
        "{plain}": str(plain),
        "{missing}": str(tmp_path / "missing.png"),
        "{miniavs}": str(project_png(tmp_path, '{"style":"miniavs"}', name="m.png")),
    }
    code = cli.main([paths.get(a, a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1
    assert expected in err
    assert not cli_env.exists()


def _env(tmp_path: Path, tiny_weights: Path) -> dict[str, str]:
    return stack_env(
        {
            "AVATARBOT_DATA_DIR": str(tmp_path / "data"),
            "AVATARBOT_BUILTIN_WEIGHTS": str(tiny_weights),
            "AVATARBOT_NUM_INFERENCE_STEPS": "2",
            "AVATARBOT_TORCH_THREADS": "1",
        }
    )


@pytest.mark.integration
@pytest.mark.slow
def test_pack_writes_each_expression_as_emoji_and_sticker_and_a_sheet(tmp_path: Path, tiny_weights: Path) -> None:
    source = project_png(tmp_path)
    out = tmp_path / "pack"

    result = subprocess.run(
        [sys.executable, "-m", "avatarbot", "pack", str(source), "--out", str(out)],
        env=_env(tmp_path, tiny_weights),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    first = json.loads(result.stdout.splitlines()[0])
    assert first["expressions"] == ["happy", "sad", "surprised"] and first["seed"] == 1234
    names = sorted(p.name for p in out.iterdir())
    expected = sorted(
        [f"mochi_{e}{suffix}.png" for e in first["expressions"] for suffix in ("", "-emoji", "-sticker")]
        + ["contact-sheet.png"]
    )
    assert names == expected
    for expression in first["expressions"]:
        with Image.open(out / f"mochi_{expression}-emoji.png") as emoji:
            assert emoji.size == (128, 128)
        with Image.open(out / f"mochi_{expression}-sticker.png") as sticker:
            assert sticker.size == (320, 320)
        with Image.open(out / f"mochi_{expression}.png") as member:
            assert json.loads(member.text["spec"])["expression"] == expression
            assert member.text["seed"] == "1234" and member.text["kind"] == "pack"
    assert (out / "mochi_sad-emoji.png").stat().st_size < 256 * 1024


@pytest.mark.integration
@pytest.mark.slow
def test_edit_keeps_the_seed_and_changes_what_was_set(tmp_path: Path, tiny_weights: Path) -> None:
    source = project_png(tmp_path)
    out = tmp_path / "edit"

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "avatarbot",
            "edit",
            str(source),
            "--set",
            "hair_color=blue",
            "--set",
            "background=mint",
            "--out",
            str(out),
        ],
        env=_env(tmp_path, tiny_weights),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    first = json.loads(result.stdout.splitlines()[0])
    assert first["changed"] == {"hair_color": "blue", "background": "mint"} and first["redraw"] is False
    [edited] = [p for p in out.iterdir() if p.name.startswith("edit-")]
    with Image.open(edited) as image:
        spec = json.loads(image.text["spec"])
        assert (spec["hair_color"], spec["background"], spec["hair"]) == ("blue", "mint", "long")
        assert image.text["seed"] == "1234" and image.text["kind"] == "edit"
    assert (out / "contact-sheet.png").is_file()
