"""The matte the exports use (chosen in the entry points and passed in)."""

from __future__ import annotations

from core.export.compose import Matter
from core.export.matte import classical_matte


def default_matter() -> Matter:
    """The best matte available: the classical colour-key matte."""
    return classical_matte
