"""Domain errors: each carries a sentence a user can read as it is.

Edges (Discord reply, Celery task, CLI) show `str(error)` for these and log
anything else with an id.
"""

from __future__ import annotations


class AvatarError(Exception):
    """Base of every error whose message is meant for the person who caused it."""


class InvalidSpec(AvatarError, ValueError):
    """A requested avatar cannot be made as asked (unknown or unoffered value, bad range)."""


class NotFound(AvatarError, LookupError):
    """A job, avatar or user that was named does not exist (or is not yours)."""


class InvalidImageKey(AvatarError, ValueError):
    """An image key that is not a sha256 hex digest (and so could name a path outside the store)."""


class GenerationFailed(AvatarError, RuntimeError):
    """The generator could not make an image; the message says why."""


class TransientGenerationError(GenerationFailed):
    """A failure worth retrying (device busy, out of memory, lost connection)."""


class JobStateConflict(AvatarError, RuntimeError):
    """A job is not in the state an operation needs (e.g. marking done a job that is no longer running)."""


class UserForgotten(AvatarError, LookupError):
    """The user's data was deleted (forget-me) while something of theirs was being added."""


class BrokerUnavailable(AvatarError, ConnectionError):
    """The queue's broker could not be reached; jobs already committed are re-sent by the reconciler."""


class ImageStoreUnavailable(AvatarError, ConnectionError):
    """The image store cannot be reached or used (bucket missing, endpoint down, credentials refused)."""


class ImageStoreMisconfigured(AvatarError, ValueError):
    """The settings do not describe a usable image store (e.g. the S3 backend without a bucket)."""


class InvalidExport(AvatarError, ValueError):
    """An export cannot be made as asked (unknown frame or shape, size out of range, unreadable picture)."""


class InvalidAnimation(AvatarError, ValueError):
    """An animation cannot be made as asked (unknown motion, an expression the style cannot draw)."""
