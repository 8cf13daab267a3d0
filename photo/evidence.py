"""What every reader returns: a value (or None when it cannot tell), a confidence, and the
measurements behind it, so a wrong reading can be explained and the thresholds can be checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class AttributeReading:
    """One attribute read from a photo. `confidence` is in [0, 1]; 0 means "no idea"."""

    value: Optional[str]
    confidence: float
    evidence: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], not {self.confidence}")


def ramp(value: float, low: float, high: float) -> float:
    """0 at `low`, 1 at `high`, linear between (either direction), clipped to [0, 1]."""
    if high == low:
        return 1.0 if value >= high else 0.0
    return float(min(1.0, max(0.0, (value - low) / (high - low))))


def margin_confidence(distance: float, scale: float) -> float:
    """Confidence of a threshold decision from how far the measurement lies from the threshold:
    0.5 on the threshold, approaching 1 at `scale` or more away."""
    return float(min(1.0, 0.5 + 0.5 * abs(distance) / scale))


UNKNOWN = AttributeReading(None, 0.0)
