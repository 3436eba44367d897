"""What only a verifiable log does: full verification, and inclusion and consistency proofs.

Proofs are timed through the public :class:`habeas.ledger.log.Ledger` calls a server would make (each opens a
connection, reads the head, then one tile per tile level), warm: the database is hot and a first round of
proofs at other random indexes has run. A sample of the proofs is checked against the roots, so a fast wrong
answer cannot pass.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from benchmarks.measure import PeakMemory, percentile
from habeas.ledger import merkle
from habeas.ledger.log import Ledger
from habeas.ledger.note import Signer
from habeas.ledger.verify import verify_log

CHECKED = 20  # proofs per kind and size verified against the roots


def time_verify(ledger: Ledger, signer: Signer, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    with PeakMemory() as mem, ledger.engine.connect() as conn:
        started = time.perf_counter()
        report = verify_log(conn, signer.verifier(), origin=signer.name, progress=progress)
        seconds = time.perf_counter() - started
    if not report.ok:
        raise AssertionError(f"the benchmark log does not verify: {report.problems[:3]}")
    return {
        "entries": report.entries_checked,
        "checkpoints": report.checkpoints_checked,
        "seconds": seconds,
        "entries_per_s": report.entries_checked / seconds,
        "peak_rss_mib": mem.peak_mib,
        "rss_growth_mib": mem.growth_mib,
    }


def time_proofs(ledger: Ledger, size: int, count: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed + size)
    out: dict[str, Any] = {"size": size, "proofs": count}
    _check(ledger, size, rng)
    # Warm-up: other random indexes, so the timed round is warm but not a replay of cached tiles.
    for _ in range(max(100, count // 5)):
        ledger.inclusion_proof(rng.randrange(size), size)
        ledger.consistency_proof(rng.randrange(1, size), size)
    for kind, prove in (
        ("inclusion", lambda: ledger.inclusion_proof(rng.randrange(size), size)),
        ("consistency", lambda: ledger.consistency_proof(rng.randrange(1, size), size)),
    ):
        lat = []
        clock = time.perf_counter
        for _ in range(count):
            t = clock()
            prove()
            lat.append((clock() - t) * 1e3)
        out[kind] = {
            "median_ms": percentile(lat, 50),
            "p99_ms": percentile(lat, 99),
            "max_ms": max(lat),
            "mean_ms": sum(lat) / len(lat),
        }
    return out


def _check(ledger: Ledger, size: int, rng: random.Random) -> None:
    root = ledger.root(size)
    for _ in range(CHECKED):
        i = rng.randrange(size)
        proof = ledger.inclusion_proof(i, size)
        merkle.verify_inclusion(i, size, merkle.leaf_hash(ledger.leaf(i)), proof, root)
        old = rng.randrange(1, size)
        merkle.verify_consistency(old, size, ledger.root(old), root, ledger.consistency_proof(old, size))
