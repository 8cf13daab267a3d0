"""The shard benchmark in miniature: 20 interactions from 10 guilds through 2 bot processes and
2 CPU workers on PostgreSQL and Redis, each result delivered once, half by each process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_service

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent.parent


def test_the_shard_benchmark_delivers_every_result_once(tmp_path: Path) -> None:
    require_service("postgres")
    require_service("redis")
    out = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "bench/bench_shards.py",
            "--model",
            "tiny",
            "--interactions",
            "20",
            "--guilds",
            "10",
            "--timeout",
            "180",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "delivered twice             0" in run.stdout
    figures = json.loads(out.read_text())["tiny"]
    assert figures["delivered"] == figures["interactions"] == figures["acknowledged"] == 20
    assert figures["duplicates"] == 0
    assert figures["per_process"] == {"shards 0 of 2": 10, "shards 1 of 2": 10}
