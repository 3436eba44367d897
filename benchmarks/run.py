"""The whole run: for each backend, small logs then one big log per system, then verification and proofs."""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import ledger as ledger_bench
from benchmarks import workload
from benchmarks.config import Config
from benchmarks.measure import BATCH, MODES, run_mode
from benchmarks.systems import SYSTEMS, HabeasLog, Place, RawLog, System, new_place, open_system

_labels = itertools.count()


def _label(backend: str, what: str) -> str:
    return f"{os.getpid()}_{next(_labels)}_{backend[:2]}_{what}"


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )


@contextmanager
def _opened(names: tuple[str, ...], backend: str, root: Path, pg_url: str, what: str) -> Iterator[dict[str, Any]]:
    places: list[Place] = []
    systems: dict[str, System] = {}
    try:
        for name in names:
            place = new_place(backend, root, pg_url, _label(backend, f"{name[:3]}_{what}"))
            places.append(place)
            systems[name] = open_system(name, place)
        yield systems
    finally:
        for system in systems.values():
            system.close()
        for place in places:
            place.destroy()


def _prefill(systems: dict[str, System], count: int, console: Console, title: str) -> None:
    """Fill every log with the same entries, in batches of 1,000 (how a bulk load would do it)."""
    with _progress(console) as progress:
        task = progress.add_task(title, total=count * len(systems))
        for first, chunk in workload.chunks(0, count, BATCH):
            for system in systems.values():
                system.append(system.convert(chunk, first))
                progress.advance(task, len(chunk))


def _amount(cfg: Config, mode: str) -> int:
    return {"single": cfg.single, "concurrent": cfg.concurrent, "batched": cfg.batched}[mode]


def bench_backend(
    backend: str, *, cfg: Config, pg_url: str, root: Path, console: Console, results: dict[str, Any]
) -> None:
    appends: list[dict[str, Any]] = results["appends"]

    def record(system: str, mode: str, point: str, before: int, *, rep: int, run: Any) -> None:
        row = {"backend": backend, "system": system, "point": point, "log_size": before, "rep": rep}
        # Other work on the machine shows here: a 1-minute load above the core count means we shared the CPUs.
        row["loadavg_1m"] = os.getloadavg()[0]
        row.update(run.summary())
        appends.append(row)
        console.log(
            f"{backend:8} {system:13} {mode:10} log {before:>9,}  rep {rep}: "
            f"{run.rate:>10,.0f} entries/s  (peak RSS +{run.rss_growth_mib:.0f} MiB)"
        )

    # Small point: a fresh log of cfg.small entries for every measurement, so each starts at that size.
    small_fill = workload.entries(0, cfg.small)
    for rep in range(cfg.reps):
        for mode in MODES:
            items = workload.entries(cfg.small, _amount(cfg, mode))
            for name in SYSTEMS:
                with _opened((name,), backend, root, pg_url, "small") as systems:
                    system = systems[name]
                    for first in range(0, cfg.small, BATCH):
                        system.append(system.convert(small_fill[first : first + BATCH], first))
                    run = run_mode(mode, system.append, system.convert(items, cfg.small))
                    record(name, mode, "small", cfg.small, rep=rep, run=run)
    del small_fill

    # Big point: one log per system, filled once, verified, then measured in turn (each run adds a little).
    with _opened(SYSTEMS, backend, root, pg_url, "big") as systems:
        _prefill(systems, cfg.big, console, f"{backend}: filling {len(systems)} logs to {cfg.big:,}")
        # Verification first, on exactly cfg.big entries signed in batches of 1,000.
        habeas = systems["habeas"]
        raw = systems["raw"]
        assert isinstance(habeas, HabeasLog)
        assert isinstance(raw, RawLog)
        with _progress(console) as progress:
            task = progress.add_task(f"{backend}: verifying {cfg.big:,} entries", total=cfg.big)
            verified = ledger_bench.time_verify(
                habeas.ledger, habeas.signer, lambda n: progress.update(task, completed=n)
            )
        verified["backend"] = backend
        raw_scan = _time_raw_scan(raw)
        verified["raw_scan_entries_per_s"] = raw_scan
        results["verify"].append(verified)
        console.log(
            f"{backend:8} verify {verified['entries']:,} entries: {verified['entries_per_s']:,.0f}/s "
            f"(raw scan+hash {raw_scan:,.0f}/s), peak RSS +{verified['rss_growth_mib']:.0f} MiB"
        )

        size = cfg.big
        for rep in range(cfg.reps):
            for mode in MODES:
                items = workload.entries(size, _amount(cfg, mode))
                for name, system in systems.items():
                    run = run_mode(mode, system.append, system.convert(items, size))
                    record(name, mode, "big", size, rep=rep, run=run)
                size += len(items)

        for n in cfg.proof_sizes:
            if n > size:
                continue
            proofs = ledger_bench.time_proofs(habeas.ledger, n, cfg.proofs)
            proofs["backend"] = backend
            results["proofs"].append(proofs)
            console.log(
                f"{backend:8} proofs at {n:>9,}: inclusion {proofs['inclusion']['median_ms']:.3f} ms median, "
                f"{proofs['inclusion']['p99_ms']:.3f} ms p99; consistency "
                f"{proofs['consistency']['median_ms']:.3f} / {proofs['consistency']['p99_ms']:.3f} ms"
            )

        if results["config"].get("profile"):
            from benchmarks.profile import profile_habeas

            profile_habeas(backend, habeas, size, Path(results["config"]["out_dir"]), console)


def _time_raw_scan(raw: RawLog) -> float:
    started = time.perf_counter()
    n = raw.scan()
    return n / (time.perf_counter() - started)


def run_all(
    cfg: Config,
    *,
    backends: list[str],
    pg_url: str,
    out_dir: Path,
    workdir: Path | None,
    profile: bool,
    console: Console,
) -> dict[str, Any]:
    from benchmarks.report import machine

    results: dict[str, Any] = {
        "machine": machine(pg_url if "postgres" in backends else None),
        "config": {
            **asdict(cfg),
            "name": cfg.name,
            "backends": backends,
            "producers": 32,
            "batch": BATCH,
            "profile": profile,
            "out_dir": str(out_dir),
        },
        "prepare": workload.time_prepare(cfg.prepare),
        "appends": [],
        "verify": [],
        "proofs": [],
    }
    p = results["prepare"]
    console.log(
        f"prepare_entry: {p['us_per_entry']:.1f} µs/entry, "
        f"head {p['head_bytes_min']}-{p['head_bytes_max']} bytes (median {p['head_bytes_median']})"
    )
    root = Path(tempfile.mkdtemp(prefix="habeas-bench-", dir=workdir))
    try:
        for backend in backends:
            bench_backend(backend, cfg=cfg, pg_url=pg_url, root=root, console=console, results=results)
            # Kept as it goes, so a failure in the second backend does not lose the first.
            (out_dir / "results.partial.json").write_text(json.dumps(results, indent=2) + "\n")
    finally:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return results
