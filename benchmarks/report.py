"""The machine, the issue's targets judged from the figures, and the tables.

A target is PASS or FAIL from the measured medians, nothing else: the thresholds are the issue's.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from collections import defaultdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.measure import MODES, median

VERIFY_TARGET = 200_000  # entries/s
PROOF_TARGET_MS = 1.0


def version(package: str) -> str | None:
    """An installed package's version; None when it is not installed (eventsourcing is a `bench` extra)."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine(pg_url: str | None) -> dict[str, Any]:
    cpu = "unknown"
    ram = "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    pg = None
    if pg_url:
        import psycopg

        with psycopg.connect(pg_url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            pg = row[0] if row else None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram": ram,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "habeas": version("habeas"),
        "eventsourcing": version("eventsourcing"),
        "sqlalchemy": version("sqlalchemy"),
        "psycopg": version("psycopg"),
        "git_commit": commit,
        "loadavg": os.getloadavg(),
    }


def medians(results: dict[str, Any]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """(backend, system, mode, point) -> median entries/s over the runs, log size, latencies, memory."""
    groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in results["appends"]:
        groups[(row["backend"], row["system"], row["mode"], row["point"])].append(row)
    out = {}
    for key, rows in groups.items():
        out[key] = {
            "entries_per_s": median([r["entries_per_s"] for r in rows]),
            "log_size": rows[0]["log_size"],
            "reps": len(rows),
            "latency_ms_p50": median([r.get("latency_ms_p50", float("nan")) for r in rows]),
            "latency_ms_p99": median([r.get("latency_ms_p99", float("nan")) for r in rows]),
            "rss_growth_mib": max(r["rss_growth_mib"] for r in rows),
            "min_entries_per_s": min(r["entries_per_s"] for r in rows),
            "max_entries_per_s": max(r["entries_per_s"] for r in rows),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in rows),
        }
    return out


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    m = medians(results)
    targets: list[dict[str, Any]] = []

    def add(name: str, backend: str, value: float, required: str, *, ok: bool, unit: str = "") -> None:
        targets.append(
            {
                "target": name,
                "backend": backend,
                "value": value,
                "unit": unit,
                "required": required,
                "result": "PASS" if ok else "FAIL",
            }
        )

    def rate(backend: str, system: str, mode: str, point: str) -> float | None:
        got = m.get((backend, system, mode, point))
        return None if got is None else float(got["entries_per_s"])

    cfg = results["config"]
    for backend in cfg["backends"] if results["appends"] else ():
        for point, n in (("small", cfg["small"]), ("big", cfg["big"])):
            at = f"at {n:,}"
            hb, eb, rb = (rate(backend, s, "batched", point) for s in ("habeas", "eventsourcing", "raw"))
            if hb and eb:
                add(
                    f"batched habeas ÷ eventsourcing batched, {at}",
                    backend,
                    hb / eb,
                    "≥ 5×",
                    ok=hb / eb >= 5,
                    unit="×",
                )
            if hb and rb:
                add(f"batched habeas ÷ raw batched, {at}", backend, hb / rb, "≥ 0.60", ok=hb / rb >= 0.6)
            hc = rate(backend, "habeas", "concurrent", point)
            es = rate(backend, "eventsourcing", "single", point)
            if hc and es:
                add(
                    f"32-producer habeas ÷ eventsourcing one-at-a-time, {at}",
                    backend,
                    hc / es,
                    "≥ 4×",
                    ok=hc / es >= 4,
                    unit="×",
                )
        for mode in MODES:
            small, big = rate(backend, "habeas", mode, "small"), rate(backend, "habeas", mode, "big")
            if small and big:
                growth = small / big  # cost per entry at big ÷ cost at small
                add(
                    f"habeas {mode} cost at {cfg['big']:,} ÷ at {cfg['small']:,}",
                    backend,
                    growth,
                    "≤ 1.2×",
                    ok=growth <= 1.2,
                    unit="×",
                )
    for v in results["verify"]:
        add(
            f"verification of {v['entries']:,} entries",
            v["backend"],
            v["entries_per_s"],
            f"≥ {VERIFY_TARGET:,}/s",
            ok=v["entries_per_s"] >= VERIFY_TARGET,
            unit="/s",
        )
    if results.get("gates"):
        from benchmarks.gates import demo_target

        demo = demo_target(results["gates"])
        if demo is not None:
            targets.append(demo)
    biggest = max((p["size"] for p in results["proofs"]), default=None)
    for p in results["proofs"]:
        if p["size"] != biggest:
            continue
        for kind in ("inclusion", "consistency"):
            for stat in ("median_ms", "p99_ms"):
                value = p[kind][stat]
                add(
                    f"{kind} proof at {p['size']:,}, {stat.removesuffix('_ms')}",
                    p["backend"],
                    value,
                    f"≤ {PROOF_TARGET_MS} ms",
                    ok=value <= PROOF_TARGET_MS,
                    unit=" ms",
                )
    return targets


def _fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def print_tables(results: dict[str, Any], console: Console) -> None:
    if results["appends"]:
        _print_ledger_tables(results, console)
    if results.get("gates"):
        from benchmarks.gates import print_gate_tables

        print_gate_tables(results["gates"], console)
    _print_targets(results, console)


def _print_ledger_tables(results: dict[str, Any], console: Console) -> None:
    m = medians(results)
    cfg = results["config"]
    p = results["prepare"]
    console.print(
        f"[bold]prepare_entry[/]: {p['us_per_entry']:.1f} µs/entry "
        f"(leaf head {p['head_bytes_min']}–{p['head_bytes_max']} bytes, median {p['head_bytes_median']})"
    )
    t = Table(title=f"Appends, entries/s (median of {cfg['reps']} runs)", title_justify="left")
    columns = (
        "backend",
        "mode",
        "log size",
        "habeas",
        "eventsourcing",
        "raw",
        "habeas ÷ es",
        "habeas ÷ raw",
        "habeas p50 / p99 ms",
        "habeas min–max",
        "habeas +RSS MiB",
    )
    for col in columns:
        t.add_column(col, justify="left" if col in ("backend", "mode") else "right")
    for backend in cfg["backends"]:
        for mode in MODES:
            for point in ("small", "big"):
                row = {s: m.get((backend, s, mode, point)) for s in ("habeas", "eventsourcing", "raw")}
                h = row["habeas"]
                if h is None:
                    continue
                rates = {s: (r["entries_per_s"] if r else None) for s, r in row.items()}
                hr = rates["habeas"] or 0.0
                es, raw = rates["eventsourcing"], rates["raw"]
                t.add_row(
                    backend,
                    mode,
                    f"{h['log_size']:,}",
                    _fmt(hr),
                    _fmt(es),
                    _fmt(raw),
                    _fmt(hr / es if es else None, 2),
                    _fmt(hr / raw if raw else None, 2),
                    f"{h['latency_ms_p50']:.2f} / {h['latency_ms_p99']:.2f}",
                    f"{h['min_entries_per_s']:,.0f}–{h['max_entries_per_s']:,.0f}",
                    _fmt(h["rss_growth_mib"]),
                )
        t.add_section()
    console.print(t)

    v = Table(title="Verification (habeas verify_log; raw: read every row, hash it)", title_justify="left")
    columns = (
        "backend",
        "entries",
        "checkpoints",
        "seconds",
        "entries/s",
        "raw scan entries/s",
        "peak RSS MiB",
        "+RSS MiB",
    )
    for col in columns:
        v.add_column(col, justify="left" if col == "backend" else "right")
    for r in results["verify"]:
        v.add_row(
            r["backend"],
            f"{r['entries']:,}",
            f"{r['checkpoints']:,}",
            f"{r['seconds']:.1f}",
            _fmt(r["entries_per_s"]),
            _fmt(r["raw_scan_entries_per_s"]),
            _fmt(r["peak_rss_mib"]),
            _fmt(r["rss_growth_mib"]),
        )
    console.print(v)

    pt = Table(title=f"Proofs, ms (over {cfg['proofs']:,} random proofs, warm)", title_justify="left")
    for col in (
        "backend",
        "tree size",
        "inclusion median",
        "inclusion p99",
        "consistency median",
        "consistency p99",
    ):
        pt.add_column(col, justify="left" if col == "backend" else "right")
    for r in results["proofs"]:
        pt.add_row(
            r["backend"],
            f"{r['size']:,}",
            *(f"{r[k][s]:.3f}" for k in ("inclusion", "consistency") for s in ("median_ms", "p99_ms")),
        )
    console.print(pt)


def _print_targets(results: dict[str, Any], console: Console) -> None:
    tt = Table(title="Targets (issues #2 and #4)", title_justify="left")
    for col in ("target", "backend", "measured", "required", "result"):
        tt.add_column(col, justify="right" if col == "measured" else "left")
    for r in results["targets"]:
        colour = "green" if r["result"] == "PASS" else "red"
        digits = 0 if r["unit"] == "/s" else 3 if r["unit"] == " ms" else 1 if r["unit"] == " s" else 2
        tt.add_row(
            r["target"],
            r["backend"],
            f"{r['value']:,.{digits}f}{r['unit']}",
            r["required"],
            f"[{colour}]{r['result']}[/]",
        )
    console.print(tt)
    loads = [r["loadavg_1m"] for r in results["appends"] if "loadavg_1m" in r]
    if loads:
        console.print(
            f"1-minute load average during the append runs: median {median(loads):.1f}, max {max(loads):.1f} "
            f"on {results['machine']['nproc']} CPUs (above the CPU count, other work shared the machine)"
        )
