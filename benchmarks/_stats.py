"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def summary_ms(xs: list[float]) -> str:
    return f"p50 {pct(xs, .5) * 1000:7.2f} ms  p95 {pct(xs, .95) * 1000:7.2f} ms  mean {statistics.mean(xs) * 1000:7.2f} ms"
