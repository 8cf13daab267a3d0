"""Talks to `render.mjs`: one long-lived node process renders many DiceBear SVGs."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from core.errors import AvatarError

TOOL_DIR = Path(__file__).resolve().parent
RENDER_SCRIPT = TOOL_DIR / "render.mjs"


class NodeUnavailable(AvatarError):
    """Node.js or the pinned DiceBear packages are missing."""


def ensure_node_modules(tool_dir: Path = TOOL_DIR) -> None:
    """Install the pinned DiceBear packages (`npm ci`) when node_modules is missing."""
    if shutil.which("node") is None:
        raise NodeUnavailable("Node.js 20 is needed to render DiceBear avatars; it is not on PATH")
    if (tool_dir / "node_modules" / "@dicebear" / "collection").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise NodeUnavailable("npm is needed to install the DiceBear packages; it is not on PATH")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=tool_dir, check=True)


def dicebear_schemas(styles: Iterable[str], tool_dir: Path = TOOL_DIR) -> dict[str, dict[str, Any]]:
    """Each style's option schema (JSON schema `properties`), straight from the installed packages."""
    ensure_node_modules(tool_dir)
    out = subprocess.run(
        ["node", str(tool_dir / "render.mjs"), "schema", *styles],
        cwd=tool_dir, check=True, capture_output=True, text=True,
    )
    return {style: schema["properties"] for style, schema in json.loads(out.stdout).items()}


def render_svgs(
    requests: Iterable[tuple[int, str, Mapping[str, Any]]], tool_dir: Path = TOOL_DIR
) -> Iterator[tuple[int, str]]:
    """Render (id, style, options) requests in one node process; yields (id, svg) in request order."""
    ensure_node_modules(tool_dir)
    proc = subprocess.Popen(
        ["node", str(tool_dir / "render.mjs")],
        cwd=tool_dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", bufsize=1 << 16,
    )
    if proc.stdin is None or proc.stdout is None:  # never with PIPE; narrows the types
        raise RuntimeError("could not open pipes to the DiceBear renderer")

    def feed() -> None:
        # A separate writer thread: node answers while we are still sending, so neither pipe fills up.
        try:
            for sample_id, style, options in requests:
                proc.stdin.write(json.dumps({"id": sample_id, "style": style, "options": options}) + "\n")
        except BrokenPipeError:
            pass  # node died; the reader reports its stderr
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for line in proc.stdout:
            reply = json.loads(line)
            if "error" in reply:
                raise RuntimeError(f"DiceBear could not render sample {reply['id']}: {reply['error']}")
            yield reply["id"], reply["svg"]
    finally:
        writer.join(timeout=5)
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        stderr = proc.stderr.read() if proc.stderr else ""
        if code not in (0, -9) and stderr:
            raise RuntimeError(f"the DiceBear renderer failed (exit {code}): {stderr.strip()[-2000:]}")
