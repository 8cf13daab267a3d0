"""The `avatarbot` command line: one-line errors with exit code 2 for bad input, and a real run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from avatarbot import cli
from avatarbot.generate import example_specs
from core.vocabulary import VOCABULARY
from tests.integration.conftest import stack_env


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded-default environment in a temporary folder; returns the data folder."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith("AVATARBOT_")]:
        monkeypatch.delenv(name)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("AVATARBOT_DATA_DIR", str(data_dir))
    return data_dir


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["generate", "--hair", "purple"], "unknown hair 'purple'; choose one of: short, long"),
        (["generate", "--style", "micah", "--hair", "bun"], "style 'micah' has no hair 'bun'; it offers: short, long"),
        (["generate", "--count", "9"], "count must be a whole number from 1 to 4, not '9'"),
        (["generate", "--count", "0"], "count must be a whole number from 1 to 4, not '0'"),
        (["generate", "--seed", "abc"], "seed must be a whole number from 0 to 4294967295, not 'abc'"),
        (["generate", "--seed", "-1"], "seed must be a whole number from 0 to 4294967295, not '-1'"),
        (["generate", "--hat", "red"], "unrecognized arguments: --hat red"),
        (["generate", "--examples", "--hair", "long"], "--examples makes its own specs; leave out --hair"),
        (["paint"], "invalid choice: 'paint'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    argv: list[str], expected: str, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("avatarbot")
    assert expected in err
    assert not cli_env.exists()  # nothing written, not even a log


@pytest.mark.parametrize("problem", ["file", "under-a-file", "proc"])
def test_an_output_folder_that_cannot_be_written_is_refused_before_any_job(
    problem: str, cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    out = {"file": blocker, "under-a-file": blocker / "out", "proc": Path("/proc/avatarbot-out")}[problem]

    code, _, err = run_main(["generate", "--hair", "long", "--out", str(out)], capsys)

    assert code == 2 and err.count("\n") == 1
    assert f"output folder {out}" in err
    assert not (cli_env / "avatarbot.sqlite3").exists()  # no database, so no job
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "data"]  # only the log folder


def test_an_s3_image_store_without_a_bucket_is_refused_before_any_job(
    cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AVATARBOT_IMAGE_BACKEND", "s3")

    code, _, err = run_main(["generate", "--hair", "long", "--out", str(tmp_path / "out")], capsys)

    assert code == 2 and err.count("\n") == 1
    assert "AVATARBOT_IMAGE_BACKEND=s3 needs a bucket: set AVATARBOT_S3_BUCKET" in err
    assert not (cli_env / "avatarbot.sqlite3").exists()  # no database, so no job


def test_unexpected_errors_show_an_id_and_log_the_traceback(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_run", explode)
    code, _, err = run_main(["db", "upgrade"], capsys)
    assert code == 1
    assert err.startswith("avatarbot: internal error (id ") and err.count("\n") == 1
    error_id = err.strip().removeprefix("avatarbot: internal error (id ").rstrip(")")
    log_text = (cli_env / "logs" / "avatarbot.log").read_text()
    assert f"internal error {error_id}" in log_text and "RuntimeError: boom" in log_text


def test_bot_without_a_token_says_what_to_set(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["bot"], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "AVATARBOT_DISCORD_TOKEN" in err


def test_db_upgrade_creates_the_embedded_database(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["db", "upgrade"], capsys)
    assert code == 0 and "newest schema" in out
    assert (cli_env / "avatarbot.sqlite3").is_file()


def test_examples_cover_every_style_and_leave_one_open() -> None:
    specs = example_specs()
    assert [s.style for s in specs[:-1]] == list(VOCABULARY.styles)
    assert specs[-1].style is None
    assert len({s.to_json() for s in specs}) == len(specs)


@pytest.mark.integration
@pytest.mark.slow
def test_generate_starts_a_worker_and_writes_avatars_and_a_contact_sheet(tmp_path: Path, tiny_weights: Path) -> None:
    env = stack_env(
        {
            "AVATARBOT_DATA_DIR": str(tmp_path / "data"),
            "AVATARBOT_BUILTIN_WEIGHTS": str(tiny_weights),
            "AVATARBOT_NUM_INFERENCE_STEPS": "2",
            "AVATARBOT_TORCH_THREADS": "1",
        }
    )
    out = tmp_path / "results" / "run1"

    result = subprocess.run(
        [sys.executable, "-m", "avatarbot", "generate", "--hair", "long", "--count", "2", "--seed", "5",
         "--out", str(out)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["avatar-1.png", "avatar-2.png", "contact-sheet.png"]
    assert "starting one" in result.stdout and "enqueue->start" in result.stdout
    assert f"contact sheet: {out / 'contact-sheet.png'}" in result.stdout
    assert str(out / "avatar-1.png") in result.stdout
    # No staging folder left behind, and the worker it started is gone again.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "results"]
    assert list((tmp_path / "results").iterdir()) == [out]
    check = subprocess.run(
        [sys.executable, "-c",
         "from core.db.engine import make_engine, make_session_factory; from core.db.repositories import live_workers; "
         "from core.settings import Settings; s = Settings(); "
         "f = make_session_factory(make_engine(s.resolved_database_url)); "
         "print(len(live_workers(f(), dead_after_s=3600)))"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert check.stdout.strip() == "0", check.stderr


@pytest.mark.integration
@pytest.mark.slow
def test_generate_reports_failed_jobs_and_writes_nothing_when_none_succeeded(tmp_path: Path) -> None:
    env = stack_env({"AVATARBOT_DATA_DIR": str(tmp_path / "data"),
                     "AVATARBOT_BUILTIN_WEIGHTS": str(tmp_path / "no-weights-here")})
    out = tmp_path / "out"

    result = subprocess.run(
        [sys.executable, "-m", "avatarbot", "generate", "--seed", "1", "--out", str(out)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )

    assert result.returncode == 1
    assert "failed" in result.stdout and "the built-in model's weights are missing" in result.stdout
    assert f"nothing was written to {out}" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_reconcile_now_is_an_option_of_reconcile() -> None:
    from avatarbot.cli import build_parser

    assert build_parser().parse_args(["reconcile", "--now"]).now is True
    assert build_parser().parse_args(["reconcile"]).now is False
