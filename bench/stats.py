"""What every benchmark reports: percentiles and a median/min/max table."""

from __future__ import annotations

import statistics


def percentile(values, pct: float) -> float:
    """The PCT-th percentile of VALUES (nearest rank); NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def print_timings(timings: dict, first_column: str = "case") -> None:
    """One line per case: median, min and max seconds."""
    print(f"{first_column:<14}{'median s':>10}{'min s':>10}{'max s':>10}")
    for name, values in timings.items():
        print(f"{name:<14}{statistics.median(values):>10.3f}{min(values):>10.3f}{max(values):>10.3f}")
