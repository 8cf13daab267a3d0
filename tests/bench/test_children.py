"""Benchmarks stop the processes they start, however they end (bench/children.py, bench_bot, bench_queue)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bench.children import ChildProcesses

REPO = Path(__file__).resolve().parent.parent.parent

# A child that starts a grandchild, writes both pids to `pids.json` in its working folder, and waits.
CHILD = textwrap.dedent(
    """
    import json, subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open("pids.json.tmp", "w") as f:
        json.dump({"child": __import__("os").getpid(), "grandchild": grandchild.pid}, f)
    __import__("os").replace("pids.json.tmp", "pids.json")
    time.sleep(120)
    """
)

# A benchmark in miniature: one child, then it waits for a signal or crashes.
PARENT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {repo!r})
    from bench.children import ChildProcesses
    with ChildProcesses(grace_s=5) as children:
        children.start([sys.executable, "child.py"])
        while True:
            time.sleep(0.05)
            if sys.argv[1] == "crash" and __import__("os").path.exists("pids.json"):
                raise RuntimeError("the benchmark broke")
    """
)


def gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for a parent that is not ours to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def wait_for_pids(folder: Path, process: subprocess.Popen[bytes], timeout_s: float = 15.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (folder / "pids.json").is_file():
            return json.loads((folder / "pids.json").read_text())
        if process.poll() is not None:
            raise AssertionError(f"the parent exited early ({process.returncode}): {process.communicate()}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"no child started within {timeout_s} s: {process.communicate()}")


def assert_all_gone(pids: dict[str, int], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not all(gone(pid) for pid in pids.values()):
        time.sleep(0.05)
    left = {name: pid for name, pid in pids.items() if not gone(pid)}
    for pid in left.values():  # do not leave them behind for the next test
        subprocess.run(["kill", "-9", str(pid)], check=False)
    assert not left, f"still running after the parent ended: {left}"


@pytest.mark.parametrize("ending", ["sigterm", "sigint", "crash"])
def test_children_and_their_children_stop_however_the_parent_ends(tmp_path: Path, ending: str) -> None:
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "parent.py").write_text(PARENT.format(repo=str(REPO)))
    parent = subprocess.Popen(
        [sys.executable, "parent.py", ending], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    pids = wait_for_pids(tmp_path, parent)

    if ending != "crash":
        parent.send_signal(signal.SIGTERM if ending == "sigterm" else signal.SIGINT)
    _, stderr = parent.communicate(timeout=15)

    assert_all_gone(pids)
    # Python ends an unhandled KeyboardInterrupt by dying of SIGINT, as a shell expects.
    expected = {"sigterm": 128 + signal.SIGTERM, "sigint": -signal.SIGINT, "crash": 1}[ending]
    assert parent.returncode == expected, stderr.decode()


def write_stand_ins(folder: Path) -> None:
    """Stand-ins for `python -m avatarbot worker` and the tiny-weights maker: `-m` looks in the
    working folder first, the benchmark's own imports do not."""
    stand_ins = {
        "avatarbot/__init__.py": "",
        "avatarbot/__main__.py": CHILD,
        "tests/__init__.py": "",
        "tests/generator/__init__.py": "",
        "tests/generator/tiny_chibi.py": "import os, sys; os.makedirs(sys.argv[1])\n",
    }
    for name, text in stand_ins.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_bench_bot_stops_its_worker_when_terminated(tmp_path: Path) -> None:
    write_stand_ins(tmp_path)  # the tiny-weights maker runs only when no shipped weights exist
    bench = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "bench_bot.py"), "--commands", "1", "--timeout", "5"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    pids = wait_for_pids(tmp_path, bench)  # the bench now waits for the stand-in to report for work

    bench.send_signal(signal.SIGTERM)
    _, stderr = bench.communicate(timeout=15)

    assert_all_gone(pids)
    assert bench.returncode == 128 + signal.SIGTERM, stderr.decode()[-2000:]


def test_bench_queue_stops_its_worker_when_terminated(tmp_path: Path) -> None:
    write_stand_ins(tmp_path)
    bench = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "bench_queue.py"), "--only", "embedded", "--jobs", "1"],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # its scratch folder too
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    pids = wait_for_pids(tmp_path, bench, timeout_s=60)  # it now waits for the stand-in's first job

    bench.send_signal(signal.SIGTERM)
    _, stderr = bench.communicate(timeout=15)

    assert_all_gone(pids)
    assert bench.returncode == 128 + signal.SIGTERM, stderr.decode()[-2000:]
    assert [p.name for p in tmp_path.glob("bench-queue-*")] == []  # its scratch folder is gone


def test_stopped_children_are_forgotten() -> None:
    # bench_queue stops each deployment's worker before the next: a later stop() must not signal
    # the old pids, which the system may have given to someone else by then.
    with ChildProcesses(grace_s=5) as children:
        child = children.start([sys.executable, "-c", "import time; time.sleep(60)"])
        children.stop()
        assert children.pids == [] and child.returncode is not None


# The signal lands inside __set_name__ (as it did once inside an import): Python 3.11 wraps the
# handler's SystemExit in a RuntimeError, and the parent must still end as SIGTERM asked.
WRAPPED = textwrap.dedent(
    """
    import os, signal, sys, time
    sys.path.insert(0, {repo!r})
    from bench.children import ChildProcesses
    with ChildProcesses(grace_s=5) as children:
        children.start([sys.executable, "child.py"])
        while not os.path.exists("pids.json"):
            time.sleep(0.05)
        class Descriptor:
            def __set_name__(self, owner, name):
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
        class Owner:
            field = Descriptor()
    """
)


def test_a_signal_whose_exception_is_wrapped_still_ends_the_parent_as_asked(tmp_path: Path) -> None:
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "parent.py").write_text(WRAPPED.format(repo=str(REPO)))
    parent = subprocess.Popen([sys.executable, "parent.py"], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    pids = wait_for_pids(tmp_path, parent)
    _, stderr = parent.communicate(timeout=15)
    assert_all_gone(pids)
    assert parent.returncode == 128 + signal.SIGTERM, stderr.decode()[-2000:]
