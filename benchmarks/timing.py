"""How the benchmarks time a piece of work: the median of several runs (this machine is shared)."""

from __future__ import annotations

import statistics
import time


def timed(work, times: int = 3, warm_up: bool = False) -> tuple[float, object]:
    """The median seconds of `times` calls of `work`, and what the last call returned. `warm_up`
    calls it once before, untimed: for work whose first call traces a graph or fills a cache."""
    if warm_up:
        work()
    seconds, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def median_seconds(work, times: int = 3, warm_up: bool = False) -> float:
    """The median seconds of `times` calls of `work` (see `timed`)."""
    return timed(work, times, warm_up)[0]
