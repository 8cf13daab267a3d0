# syntax=docker/dockerfile:1
# One image for every avatarbot service: `avatarbot worker`, `avatarbot bot`, `avatarbot db upgrade`.
#
# The build arg TORCH_INDEX_URL picks the torch build (the version is always 2.13.0):
#   CPU  (default)  https://download.pytorch.org/whl/cpu     small image, CPU workers, bot, migrate
#   CUDA            https://pypi.org/simple                  PyPI's Linux wheel is the CUDA build
#                   https://download.pytorch.org/whl/cuXXX   or a specific CUDA build
#   docker build -t avatarbot:cpu .
#   docker build -t avatarbot:gpu --build-arg TORCH_INDEX_URL=https://pypi.org/simple .
FROM python:3.11-slim

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1

# 1. torch first, pinned, from the chosen index, so nothing below pulls a different build.
RUN pip install --index-url "${TORCH_INDEX_URL}" torch==2.13.0

# 2. The locked dependencies: this layer is rebuilt only when the lock file changes.
COPY requirements.lock /tmp/requirements.lock
RUN pip install -r /tmp/requirements.lock && rm /tmp/requirements.lock

# 3. The project itself (with its shipped weights and migrations), leaving the dependencies alone.
COPY . /tmp/src
RUN pip install --no-deps /tmp/src && rm -rf /tmp/src

# Run as an unprivileged user. /data is created here, owned by that user, so a named volume
# mounted on /data/images starts out writable by it.
RUN useradd --create-home --uid 10001 --user-group avatarbot \
    && mkdir -p /data/images \
    && chown -R avatarbot:avatarbot /data
USER avatarbot
WORKDIR /home/avatarbot
ENV AVATARBOT_DATA_DIR=/data

# Fail the build, not the first render, when the CLI or the shipped weights are missing.
RUN avatarbot --help > /dev/null \
    && python -c "import sys; from core.settings import Settings; w = Settings().builtin_weights; \
sys.exit(0 if w.is_dir() else f'shipped weights are missing from the image: {w}')"

ENTRYPOINT ["avatarbot"]
CMD ["--help"]
