"""``--profile``: cProfile habeas's hot paths after the timed runs (never during them), one text file each.

The 32-producer mode is not profiled: cProfile sees one thread, and the leader's work is the batched path.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import random
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from benchmarks import workload
from benchmarks.measure import BATCH
from benchmarks.systems import HabeasLog
from habeas.ledger.verify import verify_log


def write_report(prof: cProfile.Profile, path: Path, lines: int = 30) -> pstats.Stats:
    """The profile as the benchmarks keep it: its top ``lines`` by own time, then by cumulative time, in one text
    file; the stats, for a caller that summarises them too."""
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text).strip_dirs()
    for order in ("tottime", "cumulative"):
        text.write(f"==== sorted by {order} ====\n")
        stats.sort_stats(order).print_stats(lines)
    path.write_text(text.getvalue())
    return stats


def _profile(name: str, fn: Callable[[], object], out_dir: Path, console: Console) -> None:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    path = out_dir / f"profile-{name}.txt"
    write_report(prof, path, 25)
    console.log(f"profile written to {path}")


def profile_habeas(backend: str, log: HabeasLog, size: int, out_dir: Path, console: Console) -> None:
    ledger = log.ledger
    single = workload.entries(size, 500)
    batched = workload.entries(size + len(single), 20 * BATCH)

    def appends_single() -> None:
        for p in single:
            ledger.append([p])

    def appends_batched() -> None:
        for i in range(0, len(batched), BATCH):
            ledger.append(batched[i : i + BATCH])

    def verify() -> None:
        with ledger.engine.connect() as conn:
            verify_log(conn, log.signer.verifier(), origin=log.signer.name)

    rng = random.Random(3)
    top = size + len(single) + len(batched)

    def proofs() -> None:
        for _ in range(500):
            ledger.inclusion_proof(rng.randrange(min(top, 1_000_000)), min(top, 1_000_000))
            ledger.consistency_proof(rng.randrange(1, min(top, 1_000_000)), min(top, 1_000_000))

    _profile(f"{backend}-single", appends_single, out_dir, console)
    _profile(f"{backend}-batched", appends_batched, out_dir, console)
    _profile(f"{backend}-verify", verify, out_dir, console)
    _profile(f"{backend}-proofs", proofs, out_dir, console)
