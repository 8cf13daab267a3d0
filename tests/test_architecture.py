"""The rooms' import rules (DESIGN.md) and lint, checked by the test command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    result = subprocess.run([BIN / "lint-imports", "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [BIN / "ruff", "check", "core", "generator", "bot", "avatarbot", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_rooms_builds_nothing_heavy() -> None:
    # No settings, engine, model or Celery app at import time: importing the contract and the
    # bot must not pull torch in.
    code = "import sys, core.spec, core.settings, bot.app; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_product_ships_no_test_fixtures() -> None:
    # Tiny random models are test fixtures: they live in tests/, which no package includes.
    rooms = ("core", "generator", "bot", "avatarbot")
    shipped = [path for room in rooms for path in (ROOT / room).rglob("*.py") if "node_modules" not in path.parts]
    assert shipped and not [path for path in shipped if path.stem.startswith("tiny")]
