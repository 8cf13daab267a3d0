"""Errors of loading a Stable Diffusion checkpoint; each message says what is wrong and where."""

from __future__ import annotations

from core.errors import AvatarError


class CheckpointError(AvatarError):
    """The configured checkpoint cannot be used."""


class CheckpointNotFound(CheckpointError, FileNotFoundError):
    """The checkpoint (or a LoRA, or a config folder) path does not exist."""


class NotACheckpoint(CheckpointError, ValueError):
    """The path exists but is not a Stable Diffusion checkpoint (wrong kind of file, damaged, a LoRA...)."""


class UnknownModelType(CheckpointError, ValueError):
    """A checkpoint of a model type this backend does not run, or whose family cannot be told."""


class SDConfigError(AvatarError, ValueError):
    """A Stable Diffusion setting that cannot work (scheduler name, image size, safety hook...)."""
