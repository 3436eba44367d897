"""Gate clearance and the whole demo (issue #4, "Benchmark").

1. **Pure evaluation**: :func:`habeas.gates.evaluate.evaluate_manifest` over synthetic ``PersonLegalState`` values
   built in memory, every gate of ``us-federal`` (fitness and an agreement included, so all ten gates run to the
   end). This is the raw limit: no database, no ledger.
2. **Clearance through the services**: N fully documented people (registered with a passport, a final removal
   order to SV, a notice in Spanish copied to counsel, the consular right offered) on **one manifest of N**,
   then ``ClearManifest`` through :meth:`Services.execute` (load the manifest and everyone's legal state,
   evaluate, record ``gate.evaluated`` for each person and ``manifest.cleared``, one transaction). The setup is
   batched (``Ledger.write`` jobs of many commands, as ``habeas.demo.runner.Runner.batch``) and not timed.
   One instrumented run then splits the time into loading, evaluating and recording; one cProfile run gives
   the hotspots (``profile-gates-<backend>-<n>.txt``).
3. **The demo**: ``python -m habeas demo --dir <tmp>`` as a subprocess, wall time, median of the runs.

Issue 12's targets (``ClearManifest`` of 261 people ≤ 50 ms, of 10,000 ≤ 2 s) are printed with PASS/FAIL beside
the pure evaluation of as many people measured in the same run (the limit: no database, no ledger). Run alone
with ``python -m benchmarks.gates [--quick] [--sizes 261,10000] [--backends sqlite,postgres]``, or as part of
``python -m benchmarks --only gates``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from benchmarks.measure import median
from benchmarks.profile import write_report
from habeas.bootstrap import Settings, init, open_services
from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.actors import SYSTEM, Actor, Caller
from habeas.domain.agreements import Agreement, RecordAgreement
from habeas.domain.court_orders import (
    ClassCriteria,
    CourtOrderDirective,
    CourtOrderScope,
    OrderForm,
    PersonFacts,
)
from habeas.domain.legal import NoticeContent
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Identifier, IdentifierKind
from habeas.domain.periods import Period
from habeas.gates.evaluate import evaluate_manifest
from habeas.gates.policy import load_pack
from habeas.gates.state import (
    AgreementRecord,
    CapacitySnapshot,
    ConsularRecord,
    CounselRecord,
    CourtOrderRecord,
    DestinationState,
    MedicalClearance,
    NoticeRecord,
    PersonLegalState,
    RemovalOrderRecord,
)
from habeas.services import clearance, legal_state
from habeas.services.clearance import Clearance
from habeas.services.door import Services
from habeas.services.unit_of_work import UnitOfWork
from habeas.wiring import HANDLERS

PACKS = Path(legal_state.__file__).parents[1] / "gates" / "packs"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
DEPARTS = datetime(2025, 3, 15, 9, 0, tzinfo=UTC)
YEAR = Period(active_from=T0 - timedelta(days=30), active_to=T0 + timedelta(days=365))
SETUP_BATCH = 100  # people per setup transaction
DEMO_TARGET_S = 60.0
# Issue 12: people on one manifest -> the most a ClearManifest may take, in seconds.
CLEARANCE_TARGETS_S = {261: 0.050, 10_000: 2.0}
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _leg() -> Leg:
    return Leg(
        leg_id="l-bench",
        mode=TransportMode.AIR,
        carrier="GlobalX",
        vehicle="GXA-6143",
        origin="KHRL",
        origin_country="US",
        destination="MSLP",
        destination_country="SV",
        scheduled_departure=DEPARTS,
        scheduled_arrival=DEPARTS + timedelta(hours=4),
        destination_facility_id="f-bench",
    )


def _has_fitness_command() -> bool:
    """Another change adds the command; until it is in, the bench pack leaves ``fit_to_travel`` out."""
    return getattr(c, "RecordFitnessToTravel", None) in HANDLERS


# --- 1. pure evaluation ---------------------------------------------------------------------------------------


def synthetic_states(n: int) -> dict[str, PersonLegalState]:
    """N people who pass every gate of us-federal, with a class order in force that covers none of them."""
    at = T0 + timedelta(hours=1)
    orders = (
        CourtOrderRecord(
            order_id="co-class",
            issued_at=T0,
            form=OrderForm.ORAL,
            period=Period(active_from=T0, active_to=None),
            scope=CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",), legal_basis_in=("aea_designation",))),
            seq=1,
        ),
    )
    dest = DestinationState(
        country="SV",
        agreement=AgreementRecord(
            agreement_id="ag-1",
            parties=("US", "SV"),
            period=YEAR,
            categories=("ina_241",),
            quota_remaining=None,
            seq=2,
        ),
        capacity=CapacitySnapshot(facility_id="f-bench", floor_area_m2=Decimal(n * 10), occupancy=0, seq=3),
        incoming=n,
    )
    out = {}
    for i in range(n):
        pid = f"p-{i:06d}"
        nat = "VE" if i % 10 else "SV"
        seq = 10 + 6 * i
        out[pid] = PersonLegalState(
            person_id=pid,
            facts=PersonFacts(
                person_id=pid, nationalities=frozenset({nat}), legal_bases=frozenset({"ina_241"}), facility_id="f-1"
            ),
            languages=frozenset({"es"}),
            categories=frozenset({"ina_241"}),
            identity_verified=True,
            identity_seq=seq,
            removal_orders=(
                RemovalOrderRecord(
                    order_id=f"ro-{pid}",
                    destination_country="SV",
                    legal_basis="ina_241",
                    final=True,
                    period=YEAR,
                    seq=seq + 1,
                ),
            ),
            protections=(),
            stays=(),
            court_orders=orders,
            notices=(
                NoticeRecord(
                    notice_id=f"n-{pid}",
                    served_at=at,
                    language="es",
                    content_type=NoticeContent.REMOVAL_ORDER,
                    copy_to_counsel=True,
                    seq=seq + 2,
                ),
            ),
            counsel=(CounselRecord(counsel_id=f"c-{pid}", period=YEAR, seq=seq + 3),),
            consular=(
                ConsularRecord(
                    notification_id=f"cn-{pid}",
                    country=nat,
                    offered_at=at,
                    requested_at=None,
                    sent_at=None,
                    seq=seq + 4,
                ),
            ),
            medical=MedicalClearance(fit=True, assessed_at=at, seq=seq + 5),
            destination=dest,
        )
    return out


def bench_pure(sizes: Sequence[int], reps: int, console: Console) -> list[dict[str, Any]]:
    policy = load_pack("us-federal")
    leg = _leg()
    rows = []
    for n in sizes:
        states = synthetic_states(n)
        evaluate_manifest(states, leg, policy, DEPARTS)  # warm-up
        times = []
        for _ in range(max(reps, 5)):
            started = time.perf_counter()
            checks = evaluate_manifest(states, leg, policy, DEPARTS)
            times.append(time.perf_counter() - started)
        blocked = sum(1 for cs in checks.values() if any(x.outcome.value != "pass" for x in cs))
        assert blocked == 0, f"{blocked} synthetic people blocked"
        s = median(times)
        row = {
            "people": n,
            "gates": len(policy.gates),
            "seconds": s,
            "people_per_s": n / s,
            "us_per_person": s / n * 1e6,
            "runs": len(times),
        }
        rows.append(row)
        console.log(
            f"gates pure   {n:>7,} people: {row['people_per_s']:>10,.0f} people/s, {row['us_per_person']:.1f} µs/person"
        )
    return rows


# --- 2. clearance through the services ------------------------------------------------------------------------


def bench_pack(folder: Path) -> tuple[str, list[str]]:
    """us-federal, minus ``fit_to_travel`` while the ledger has no record of fitness (it would block everyone)."""
    data = yaml.safe_load((PACKS / "us-federal.yaml").read_text(encoding="utf-8"))
    dropped = [] if _has_fitness_command() else ["fit_to_travel"]
    data["name"] = "bench-pack"
    data["gates"] = [g for g in data["gates"] if g not in dropped]
    path = folder / "bench-pack.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    load_pack(str(path))
    return str(path), dropped


def _batch(services: Services, commands: Sequence[c.Command], actor: Actor = SYSTEM) -> None:
    services.execute_many(commands, Caller.of(actor))


def _person_commands(i: int) -> list[c.Command]:
    pid = f"p-{i:06d}"
    nat = "VE" if i % 10 else "SV"
    at = T0 + timedelta(hours=1)
    cmds: list[c.Command] = [
        c.RegisterPerson(
            person_id=pid,
            occurred_at=T0,
            nationalities=(nat,),
            languages=("es",),
            identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=f"X{i:09d}", country=nat),),
        ),
        c.RecordRemovalOrder(
            order_id=f"ro-{pid}",
            person_id=pid,
            occurred_at=T0,
            authority="DHS",
            legal_basis="ina_241",
            destination_country="SV",
            final=True,
            period=YEAR,
        ),
        c.RecordNotice(
            notice_id=f"n-{pid}",
            person_id=pid,
            served_at=at,
            language="es",
            content_type=NoticeContent.REMOVAL_ORDER,
            copy_to_counsel=True,
        ),
        c.RecordConsularNotification(notification_id=f"cn-{pid}", person_id=pid, country=nat, offered_at=at),
    ]
    if _has_fitness_command():
        fitness = c.RecordFitnessToTravel  # type: ignore[attr-defined,unused-ignore]
        cmds.append(fitness(assessment_id=f"fit-{pid}", person_id=pid, occurred_at=at, fit=True, assessed_by="dr-1"))
    return cmds


def setup_world(services: Services, n: int, manifests: int) -> list[str]:
    """The facility, the agreement, a class order covering none of them, N people, ``manifests`` manifests of N."""
    _batch(
        services,
        [
            c.RegisterFacility(
                facility_id="f-bench",
                occurred_at=T0,
                name="Bench prison",
                country="SV",
                facility_type="prison",
                declared_capacity=n * 2,
            ),
            c.RegisterUnit(
                unit_id="b-1",
                facility_id="f-bench",
                occurred_at=T0,
                label="Block 1",
                floor_area_m2=Decimal(n * 10),
                declared_beds=n * 2,
            ),
            RecordAgreement(
                agreement=Agreement(
                    agreement_id="ag-bench",
                    sending_state="US",
                    receiving_state="SV",
                    term=YEAR,
                    categories=("ina_241",),
                    per_diem=Decimal("20.00"),
                    currency="USD",
                ),
                occurred_at=T0,
            ),
            c.RecordCourtOrder(
                order_id="co-class",
                issued_at=T0,
                court="D.D.C.",
                docket="25-cv-766",
                form=OrderForm.ORAL,
                directive=CourtOrderDirective.HALT_REMOVAL,
                scope=CourtOrderScope(
                    criteria=ClassCriteria(nationality_in=("VE",), legal_basis_in=("aea_designation",))
                ),
                period=Period(active_from=T0, active_to=None),
            ),
        ],
    )
    for first in range(0, n, SETUP_BATCH):
        _batch(services, [cmd for i in range(first, min(n, first + SETUP_BATCH)) for cmd in _person_commands(i)])
    people = tuple(f"p-{i:06d}" for i in range(n))
    ids = [f"m-{k}" for k in range(manifests)]
    for m in ids:
        _batch(
            services,
            [
                mf.CreateManifest(
                    manifest_id=m,
                    occurred_at=T0 + timedelta(hours=3),
                    journey_id=f"j-{m}",
                    leg_index=0,
                    leg=_leg(),
                    people=people,
                )
            ],
        )
    return ids


def _clear(services: Services, manifest_id: str) -> Clearance:
    result = services.execute(mf.ClearManifest(manifest_id=manifest_id, occurred_at=T0 + timedelta(hours=4)))
    assert isinstance(result.value, Clearance)
    return result.value


@contextmanager
def _timed_parts() -> Iterator[dict[str, float]]:
    """Wall time spent in each part of ``clear_manifest`` (patched for one run, restored after)."""
    parts: dict[str, float] = {
        "load manifest": 0.0,
        "load legal state": 0.0,
        "evaluate": 0.0,
        "decide": 0.0,
        "record (log + projections)": 0.0,
    }
    saved: list[tuple[Any, str, Any]] = []

    def wrap(owner: Any, name: str, part: str) -> None:
        fn = getattr(owner, name)

        def timed(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                parts[part] += time.perf_counter() - started

        saved.append((owner, name, fn))
        setattr(owner, name, timed)

    wrap(clearance, "manifest_state", "load manifest")
    wrap(legal_state, "manifest_legal_states", "load legal state")
    wrap(clearance, "evaluate_people", "evaluate")
    wrap(clearance, "_checks", "evaluate")
    wrap(mf, "clear_manifest", "decide")
    wrap(UnitOfWork, "record", "record (log + projections)")
    try:
        yield parts
    finally:
        for owner, name, fn in reversed(saved):
            setattr(owner, name, fn)


def _hotspots(prof: cProfile.Profile, path: Path, top: int = 6) -> list[str]:
    stats = write_report(prof, path)
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    total = sum(v[2] for _, v in rows) or 1.0
    return [f"{fn}:{line} {name} {v[2] / total:.0%} ({v[1]:,} calls)" for (fn, line, name), v in rows[:top]]


def bench_clearance(
    backend: str, n: int, *, reps: int, settings: Settings, schema: str | None, out_dir: Path, console: Console
) -> dict[str, Any]:
    init(settings, "bench.habeas/gates", schema=schema)
    pack, dropped = bench_pack(settings.key_path.parent)
    services = open_services(settings, schema=schema, pack=pack)  # the deployment's pack, chosen at start-up
    try:
        started = time.perf_counter()
        manifests = setup_world(services, n, reps + 2)
        setup_s = time.perf_counter() - started
        console.log(f"gates {backend:8} {n:>7,} people: set up in {setup_s:.1f} s ({n / setup_s:,.0f} people/s)")
        times = []
        loads = []
        for m in manifests[:reps]:
            t = time.perf_counter()
            got = _clear(services, m)
            times.append(time.perf_counter() - t)
            loads.append(os.getloadavg()[0])
            assert got.cleared, got.blocked[:5]
            assert len(got.results) == n
        gates = len(next(iter(got.results.values())))
        with _timed_parts() as parts:
            t = time.perf_counter()
            _clear(services, manifests[reps])
            instrumented = time.perf_counter() - t
        parts["commit, checkpoint and the rest"] = max(0.0, instrumented - sum(parts.values()))
        prof = cProfile.Profile()
        prof.enable()
        _clear(services, manifests[reps + 1])
        prof.disable()
        hot = _hotspots(prof, out_dir / f"profile-gates-{backend}-{n}.txt")
        s = median(times)
        row = {
            "backend": backend,
            "people": n,
            "manifests": "one manifest of N",
            "gates": gates,
            "dropped_gates": dropped,
            "setup_seconds": setup_s,
            "seconds": s,
            "min_seconds": min(times),
            "max_seconds": max(times),
            "people_per_s": n / s,
            "us_per_person": s / n * 1e6,
            "reps": len(times),
            "loadavg_1m": median(loads),
            "parts_seconds": parts,
            "instrumented_seconds": instrumented,
            "hotspots": hot,
        }
        share = ", ".join(f"{k} {v / instrumented:.0%}" for k, v in parts.items())
        console.log(
            f"gates {backend:8} {n:>7,} people: ClearManifest {s:.2f} s ({row['people_per_s']:,.0f} people/s); {share}"
        )
        return row
    finally:
        services.ledger.engine.dispose()


# --- 3. the demo ----------------------------------------------------------------------------------------------


def bench_demo(runs: int, root: Path, console: Console) -> dict[str, Any]:
    times, loads = [], []
    tail = ""
    for k in range(runs):
        folder = root / f"demo-{k}"
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "habeas", "demo", "--dir", str(folder)], capture_output=True, text=True, check=False
        )
        times.append(time.perf_counter() - t)
        loads.append(os.getloadavg()[0])
        if proc.returncode != 0:
            raise RuntimeError(f"habeas demo failed ({proc.returncode}): {proc.stderr[-2000:]}")
        tail = next((line for line in reversed(proc.stdout.splitlines()) if line.startswith("verified:")), "")
        shutil.rmtree(folder, ignore_errors=True)
        console.log(f"demo run {k + 1}/{runs}: {times[-1]:.1f} s")
    return {
        "backend": "sqlite",
        "runs": runs,
        "seconds": median(times),
        "min_seconds": min(times),
        "max_seconds": max(times),
        "loadavg_1m": median(loads),
        "summary": tail,
    }


# --- the section ----------------------------------------------------------------------------------------------


def _pg(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


def run_gates(
    *,
    sizes: Sequence[int],
    reps: int,
    demo_runs: int,
    backends: Sequence[str],
    pg_url: str,
    out_dir: Path,
    workdir: Path | None,
    console: Console,
) -> dict[str, Any]:
    out: dict[str, Any] = {"sizes": list(sizes), "pure": bench_pure(sizes, reps, console), "clearance": []}
    root = Path(tempfile.mkdtemp(prefix="habeas-bench-gates-", dir=workdir))
    try:
        for backend in backends:
            for n in sizes:
                folder = root / f"{backend}-{n}"
                folder.mkdir()
                schema = None
                if backend == "postgres":
                    schema = f"bench_gates_{os.getpid()}_{n}"
                    _pg(pg_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
                    settings = Settings(db_url=pg_url, key_path=folder / "habeas.key")
                else:
                    settings = Settings(db_url=f"sqlite:///{folder / 'habeas.db'}", key_path=folder / "habeas.key")
                try:
                    out["clearance"].append(
                        bench_clearance(
                            backend, n, reps=reps, settings=settings, schema=schema, out_dir=out_dir, console=console
                        )
                    )
                finally:
                    if schema is not None:
                        _pg(pg_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                    shutil.rmtree(folder, ignore_errors=True)
        out["demo"] = bench_demo(demo_runs, root, console) if demo_runs else None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out["targets"] = clearance_targets(out)
    return out


def clearance_targets(gates: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 12's ClearManifest targets, each beside the pure evaluation of as many people in the same run; a
    size the run did not measure (``--quick``) is listed as not measured rather than left out."""
    pure = {r["people"]: r for r in gates["pure"]}
    out = []
    for backend in dict.fromkeys(r["backend"] for r in gates["clearance"]):
        for n, limit in CLEARANCE_TARGETS_S.items():
            row = next((r for r in gates["clearance"] if r["backend"] == backend and r["people"] == n), None)
            p = pure.get(n)
            out.append({
                "target": f"ClearManifest of {n:,} people",
                "backend": backend,
                "value": None if row is None else row["seconds"],
                "unit": " s",
                "required": f"≤ {limit:g} s",
                "result": "NOT RUN" if row is None else "PASS" if row["seconds"] <= limit else "FAIL",
                "pure_seconds": None if p is None else p["seconds"],
                "pure_us_per_person": None if p is None else p["us_per_person"],
                "times_pure": None if row is None or p is None else row["seconds"] / p["seconds"],
                "loadavg_1m": None if row is None else row["loadavg_1m"],
            })
    return out


def demo_target(gates: dict[str, Any]) -> dict[str, Any] | None:
    d = gates.get("demo")
    if not d:
        return None
    ok = d["seconds"] < DEMO_TARGET_S
    return {
        "target": f"the whole demo (median of {d['runs']})",
        "backend": "sqlite",
        "value": d["seconds"],
        "unit": " s",
        "required": f"< {DEMO_TARGET_S:.0f} s",
        "result": "PASS" if ok else "FAIL",
    }


def print_gate_tables(gates: dict[str, Any], console: Console) -> None:
    t = Table(title="Gates, pure evaluate_manifest (no database; all 10 us-federal gates)", title_justify="left")
    for col in ("people", "seconds", "people/s", "µs/person"):
        t.add_column(col, justify="right")
    for r in gates["pure"]:
        t.add_row(f"{r['people']:,}", f"{r['seconds']:.4f}", f"{r['people_per_s']:,.0f}", f"{r['us_per_person']:.1f}")
    console.print(t)

    ct = Table(title="ClearManifest through the services (one manifest of N, one transaction)", title_justify="left")
    for col in (
        "backend",
        "people",
        "gates",
        "seconds (median)",
        "min–max",
        "people/s",
        "µs/person",
        "÷ pure",
        "setup s",
        "load 1m",
    ):
        ct.add_column(col, justify="left" if col == "backend" else "right")
    pure = {r["people"]: r for r in gates["pure"]}
    for r in gates["clearance"]:
        p = pure.get(r["people"])
        ct.add_row(
            r["backend"],
            f"{r['people']:,}",
            str(r["gates"]),
            f"{r['seconds']:.2f}",
            f"{r['min_seconds']:.2f}–{r['max_seconds']:.2f}",
            f"{r['people_per_s']:,.0f}",
            f"{r['us_per_person']:.0f}",
            f"{r['seconds'] / p['seconds']:.0f}×" if p else "—",
            f"{r['setup_seconds']:.1f}",
            f"{r['loadavg_1m']:.1f}",
        )
    console.print(ct)

    st = Table(title="Where a clearance's time goes (one instrumented run)", title_justify="left")
    parts = list(gates["clearance"][0]["parts_seconds"]) if gates["clearance"] else []
    for col in ("backend", "people", *parts):
        st.add_column(col, justify="left" if col == "backend" else "right")
    for r in gates["clearance"]:
        total = r["instrumented_seconds"]
        st.add_row(r["backend"], f"{r['people']:,}", *(f"{r['parts_seconds'][k] / total:.0%}" for k in parts))
    console.print(st)
    for r in gates["clearance"]:
        console.print(
            f"[bold]{r['backend']} {r['people']:,}[/] hotspots (cProfile, tottime share): "
            + "; ".join(r["hotspots"][:4])
        )
    _print_clearance_targets(gates, console)
    d = gates.get("demo")
    if d:
        console.print(
            f"[bold]habeas demo[/] (SQLite, subprocess): median {d['seconds']:.1f} s of {d['runs']} "
            f"(min {d['min_seconds']:.1f}, max {d['max_seconds']:.1f}), load {d['loadavg_1m']:.1f}. {d['summary']}"
        )


def _print_clearance_targets(gates: dict[str, Any], console: Console) -> None:
    targets = gates.get("targets") or clearance_targets(gates)
    if not targets:
        return
    t = Table(title="Targets (issue 12): ClearManifest beside pure evaluation, same run", title_justify="left")
    for col in ("target", "backend", "measured", "required", "result", "pure evaluation (limit)", "÷ pure", "load 1m"):
        t.add_column(col, justify="left" if col in ("target", "backend", "result") else "right")
    for r in targets:
        colour = {"PASS": "green", "FAIL": "red"}.get(r["result"], "yellow")
        pure = (
            "—" if r["pure_seconds"] is None
            else f"{r['pure_seconds']:.3f} s ({r['pure_us_per_person']:.0f} µs/person)"
        )
        t.add_row(
            r["target"],
            r["backend"],
            "—" if r["value"] is None else f"{r['value']:.3f} s",
            r["required"],
            f"[{colour}]{r['result']}[/]",
            pure,
            "—" if r["times_pure"] is None else f"{r['times_pure']:.1f}×",
            "—" if r["loadavg_1m"] is None else f"{r['loadavg_1m']:.1f}",
        )
    console.print(t)


def main(argv: list[str] | None = None) -> int:
    """The gates section alone: pure evaluation, ClearManifest on each backend, the targets; no demo unless
    ``--demo-runs``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gates", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="261 people on SQLite only, one repetition")
    parser.add_argument("--sizes", help="people on one manifest, comma-separated (default 261,10000)")
    parser.add_argument("--backends", help="comma-separated: sqlite,postgres (default both)")
    parser.add_argument("--reps", type=int, help="timed clearances a size (default 3; 1 with --quick)")
    parser.add_argument("--demo-runs", type=int, default=0, help="`habeas demo` runs as well (default none)")
    parser.add_argument("--pg-url", default=os.environ.get("HABEAS_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="where results-gates-only.json goes")
    parser.add_argument("--workdir", type=Path, default=None, help="SQLite files go here (default: temp)")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else [261] if args.quick else [261, 10_000]
    default_backends = "sqlite" if args.quick else "sqlite,postgres"
    backends = (args.backends or default_backends).split(",")
    reps = args.reps or (1 if args.quick else 3)
    args.out.mkdir(parents=True, exist_ok=True)
    log = Console(stderr=True)
    started = os.getloadavg()[0]
    gates = run_gates(
        sizes=sizes, reps=reps, demo_runs=args.demo_runs, backends=backends, pg_url=args.pg_url, out_dir=args.out,
        workdir=args.workdir, console=log,
    )
    gates["loadavg_1m_at_start"] = started
    path = args.out / "results-gates-only.json"
    path.write_text(json.dumps(gates, indent=2, default=str) + "\n")
    print_gate_tables(gates, Console() if sys.stdout.isatty() else Console(width=160))
    log.print(f"results written to {path}; 1-minute load at start {started:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
