"""Timing the three ways of appending, and peak memory around a piece of work.

- ``single``: one caller appends one entry at a time, one transaction each.
- ``concurrent``: 32 producer threads each append one entry at a time (habeas groups them into shared
  transactions; eventsourcing and the raw limit get the same threads and do what they do).
- ``batched``: one caller appends batches of 1,000 entries, one transaction a batch.

Peak memory is the resident set's high-water mark (``VmHWM``), reset before the work through
``/proc/self/clear_refs`` (Linux): it counts what SQLite, psycopg and the interpreter really hold, which
tracemalloc would miss, and does not slow the timed code down. Elsewhere it falls back to ``ru_maxrss``.
"""

from __future__ import annotations

import resource
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MODES = ("single", "concurrent", "batched")
PRODUCERS = 32
BATCH = 1_000


def status_kib(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """``with PeakMemory() as m: work()``; then ``m.peak_mib`` and ``m.growth_mib`` (peak minus start)."""

    def __enter__(self) -> PeakMemory:
        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset the high-water mark
            self.resettable = True
        except OSError:
            self.resettable = False
        self.start_kib = status_kib("VmRSS") or 0
        return self

    def __exit__(self, *exc: object) -> None:
        peak = status_kib("VmHWM") if self.resettable else None
        if peak is None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.peak_kib = peak

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024

    @property
    def growth_mib(self) -> float:
        return max(0, self.peak_kib - self.start_kib) / 1024


@dataclass
class Run:
    mode: str
    entries: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    peak_rss_mib: float = 0.0
    rss_growth_mib: float = 0.0

    @property
    def rate(self) -> float:
        return self.entries / self.seconds

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        out["entries_per_s"] = self.rate
        if self.latencies_ms:
            out["latency_ms_p50"] = percentile(self.latencies_ms, 50)
            out["latency_ms_p99"] = percentile(self.latencies_ms, 99)
        return out


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    at = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[at]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def run_mode(mode: str, append: Callable[[Sequence[Any]], None], items: Sequence[Any]) -> Run:
    with PeakMemory() as mem:
        if mode == "single":
            run = _single(append, items)
        elif mode == "concurrent":
            run = _concurrent(append, items, PRODUCERS)
        elif mode == "batched":
            run = _batched(append, items, BATCH)
        else:
            raise ValueError(f"no mode {mode!r}")
    run.peak_rss_mib, run.rss_growth_mib = mem.peak_mib, mem.growth_mib
    return run


def _single(append: Callable[[Sequence[Any]], None], items: Sequence[Any]) -> Run:
    clock = time.perf_counter
    lat = []
    started = clock()
    for item in items:
        t = clock()
        append((item,))
        lat.append((clock() - t) * 1e3)
    return Run("single", len(items), clock() - started, lat)


def _batched(append: Callable[[Sequence[Any]], None], items: Sequence[Any], size: int) -> Run:
    clock = time.perf_counter
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    lat = []
    started = clock()
    for batch in batches:
        t = clock()
        append(batch)
        lat.append((clock() - t) * 1e3)
    return Run("batched", len(items), clock() - started, lat)


def _concurrent(append: Callable[[Sequence[Any]], None], items: Sequence[Any], threads: int) -> Run:
    clock = time.perf_counter
    shares = [items[i::threads] for i in range(threads)]
    lats: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    gate = threading.Barrier(threads + 1)

    def produce(i: int) -> None:
        gate.wait()
        lat = lats[i]
        try:
            for item in shares[i]:
                t = clock()
                append((item,))
                lat.append((clock() - t) * 1e3)
        except BaseException as e:  # reported after the join
            errors.append(e)

    workers = [threading.Thread(target=produce, args=(i,), name=f"producer-{i}") for i in range(threads)]
    for w in workers:
        w.start()
    gate.wait()
    started = clock()
    for w in workers:
        w.join()
    seconds = clock() - started
    if errors:
        raise errors[0]
    return Run("concurrent", len(items), seconds, [x for lat in lats for x in lat])
