"""Statistics more than one package reports with (standard library only, so any layer may use it)."""

from __future__ import annotations

import math

__all__ = ["wilson"]


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion: `successes` out of `n` at `z` (1.96: 95 %).
    Good at 0, 1 and small n, where the normal interval is not; (0, 1) when n <= 0. The demo's
    before/after pass rates and the benchmark's leaderboard both use this one."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)
