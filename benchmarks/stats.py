"""Summaries of repeated measurements: median and spread, and ratios of interleaved pairs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def summary(samples: Sequence[float], digits: int = 4) -> dict[str, Any]:
    """Median, min, max and the relative spread ((max - min) / median) of ``samples``."""
    values = sorted(samples)
    median = statistics.median(values)
    return {
        "median": round(median, digits),
        "min": round(values[0], digits),
        "max": round(values[-1], digits),
        "spread": round((values[-1] - values[0]) / median, 3) if median else None,
        "n": len(values),
        "samples": [round(value, digits) for value in samples],
    }


def ratio(ours: Sequence[float], baseline: Sequence[float]) -> dict[str, Any]:
    """Ratio of medians, and the median and range of the per-round ratios (rounds are interleaved pairs)."""
    pairs = [a / b for a, b in zip(ours, baseline, strict=True) if b]
    return {
        "of_medians": round(statistics.median(ours) / statistics.median(baseline), 3),
        "median_of_rounds": round(statistics.median(pairs), 3),
        "min": round(min(pairs), 3),
        "max": round(max(pairs), 3),
    }


def interleaved(
    variants: dict[str, Callable[[], Any]], rounds: int, measure: Callable[[Any, float], float] | None = None
) -> dict[str, list[float]]:
    """Run every variant once per round, alternating the order each round; return each one's samples.

    ``measure(result, seconds)`` turns a variant's return value and wall time into the sample
    (default: the wall time).
    """
    names = list(variants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            started = time.perf_counter()
            result = variants[name]()
            seconds = time.perf_counter() - started
            samples[name].append(seconds if measure is None else measure(result, seconds))
    return samples


def timed(func: Callable[[], Any]) -> tuple[Any, float]:
    """``func()`` and its wall time in seconds."""
    started = time.perf_counter()
    result = func()
    return result, time.perf_counter() - started


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> dict[str, float]:
    """Least-squares ``y = intercept + slope * x`` and its R^2 (how straight the growth is)."""
    fit = statistics.linear_regression(xs, ys)
    mean = statistics.fmean(ys)
    total = sum((y - mean) ** 2 for y in ys)
    residual = sum((y - (fit.intercept + fit.slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    return {
        "slope_us_per_record": round(fit.slope * 1e6, 3),
        "intercept_ms": round(fit.intercept * 1e3, 3),
        "r2": round(1 - residual / total, 5) if total else 1.0,
    }
