#!/usr/bin/env bash
# Creates .venv in the checkout if it is missing and installs the pinned dependencies.
# torch goes first and pinned: 2.13.0 is the CPU build; an unpinned torch pulls CUDA wheels.
# Re-runs are instant: a stamp holds the hash of what was installed.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv

want=$(cat requirements.lock pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.setup-stamp 2>/dev/null)" != "$want" ]; then
    echo "setup: installing pinned dependencies into .venv (first run takes a few minutes)" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
    echo "$want" > .venv/.setup-stamp
fi

# The data-set tool renders DiceBear avatars with node; its tests need the pinned npm packages.
if [ -f generator/dataset/package-lock.json ] && [ ! -d generator/dataset/node_modules ] && command -v npm >/dev/null; then
    (cd generator/dataset && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
