"""Latency summaries and rates from raw samples, with the standard library's `statistics` only."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """Count, p50, p90, p99, mean, min and max of latency samples, in milliseconds."""
    if not seconds:
        return {"n": 0}
    ms = [s * 1000.0 for s in seconds]
    if len(ms) == 1:
        p50 = p90 = p99 = ms[0]
    else:
        # 99 cut points: index 49 is the median, 89 the 90th and 98 the 99th percentile.
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        p50, p90, p99 = cuts[49], cuts[89], cuts[98]
    return {
        "n": len(ms),
        "p50_ms": round(p50, 3),
        "p90_ms": round(p90, 3),
        "p99_ms": round(p99, 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def size_summary(sizes: Sequence[int]) -> dict[str, Any]:
    """How many batches, and their mean, median and largest size."""
    if not sizes:
        return {"batches": 0}
    return {
        "batches": len(sizes),
        "mean": round(statistics.fmean(sizes), 1),
        "p50": statistics.median(sizes),
        "max": max(sizes),
    }


def rate(count: int, seconds: float) -> float:
    """Items per second, rounded for display."""
    return round(count / seconds, 1) if seconds > 0 else 0.0


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """ours / baseline, or None when either is missing or the baseline is zero."""
    if ours is None or baseline is None or baseline == 0:
        return None
    return round(ours / baseline, 4)
