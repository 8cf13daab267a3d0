"""Errors of the command line itself."""

from __future__ import annotations


class UsageError(Exception):
    """Bad command-line input (exit code 2); the message is shown as one line."""
