"""What the ICE Air replay is measured against, in the same run: the ledger's raw append limit, and the resident
memory sampled through the run.

- Raw limit: a plain ``executemany`` of the same number of ~200-byte rows with one SHA-256 each, in batches of
  1,000 (:class:`benchmarks.systems.RawLog`), and habeas's own ledger appending prepared entries in the same
  batches (:class:`benchmarks.systems.HabeasLog`): what the entries the replay writes would cost with nothing
  deciding them.
- Memory: ``VmRSS`` from ``/proc/self/status``, read by a thread every quarter second and after every mission
  date, so a curve from the first route-day to the last shows whether it stays flat.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.measure import status_kib
from benchmarks.systems import HabeasLog, RawLog, new_place
from benchmarks.workload import chunks

BATCH = 1_000


def rss_mib() -> float:
    """The resident set now, in MiB (0 where there is no /proc)."""
    return (status_kib("VmRSS") or 0) / 1024


@dataclass
class MemorySampler:
    """``with MemorySampler() as m: ...``: the peak of the samples, and every sample with its time."""

    interval: float = 0.25
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MiB)

    def __enter__(self) -> MemorySampler:
        self._stop = threading.Event()
        self._start = time.perf_counter()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - self._start, rss_mib()))
            self._stop.wait(self.interval)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter() - self._start, rss_mib()))

    @property
    def peak_mib(self) -> float:
        return max((m for _, m in self.samples), default=0.0)


def raw_limits(backend: str, pg_url: str, entries: int, workdir: Path | None = None) -> dict[str, Any]:
    """Entries/s of the raw append and of habeas's ledger alone, ``entries`` of each, in batches of 1,000."""
    out: dict[str, Any] = {"entries": entries, "batch": BATCH}
    with tempfile.TemporaryDirectory(prefix="ice-air-raw-", dir=workdir) as tmp:
        root = Path(tmp)
        for name, make in (("raw", RawLog), ("ledger", HabeasLog)):
            place = new_place(backend, root, pg_url, f"iceair_{name}_{int(time.time() * 1000) % 10**9}")
            system: Any = make(place)
            try:
                seconds = 0.0
                for first, prepared in chunks(0, entries, BATCH):
                    rows = system.convert(prepared, first)
                    started = time.perf_counter()
                    system.append(rows)
                    seconds += time.perf_counter() - started
                out[f"{name}_entries_per_s"] = entries / seconds
            finally:
                system.close()
                place.destroy()
    return out
