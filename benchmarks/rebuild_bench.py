"""`habeas rebuild --check` and `--apply` beside the raw read of the same log (issue 12).

``python -m benchmarks --only rebuild [--entries N] [--backend sqlite|postgres] [--quick] [--profile]``

1. **The log**: cohorts of 100 synthetic people (SYNTHETIC: generated names and documents, no real person) go
   through :meth:`Services.execute_many` as an operation would record them: registered with a name, birth date
   and passport; an allegation, a removal order, a notice and a consular notification; a fitness assessment;
   admitted (custody) with an admission record; rehoused; put on a manifest of the cohort and cleared (one
   ``gate.evaluated`` a person). About 12 entries a person, until the log holds ``--entries``.
2. **Timed on that database, in one run**: the raw read of the same entries (every leaf, read from the driver:
   the limit of any replay), ``Services.verify()``, ``Services.rebuild_check()`` and ``Services.rebuild_apply()``.
   Entries/s of each, rebuild's ratio to the raw read, PASS/FAIL for the targets: rebuild ``--check`` >= 20,000
   entries/s on SQLite, and 10^6 entries under a minute (extrapolated from this size at the rate measured: the
   replay reads and writes a page at a time, so its rate holds as the log grows; the note says so).
3. Afterwards ``verify`` and ``rebuild_check`` must pass (``--apply`` replaced the projections with its rebuild).

``--quick`` builds one cohort, about 1,000 entries (a smoke run: fixed costs weigh on its rates); the default
is 100,000. ``--workdir DIR --keep`` keeps the built log (SQLite file, PostgreSQL schema) and reuses it on the
next run of the same size. Results go to ``--out`` (``results-rebuild.json``); ``--profile`` writes
``profile-rebuild-<backend>.txt`` and prints its top lines. Everything after ``--only rebuild`` is this
module's command line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from habeas.bootstrap import Settings, init, open_services
from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.actors import SYSTEM, Caller
from habeas.domain.custody import Authority, Custodian
from habeas.domain.legal import NoticeContent
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.domain.periods import Period
from habeas.services.door import Services
from habeas.storage import ledger_store

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATE = 20_000  # rebuild --check entries/s on SQLite
MILLION, MINUTE = 1_000_000, 60.0
FULL_ENTRIES, QUICK_ENTRIES = 100_000, 800
COHORT = 100  # people a manifest, and a transaction of the setup
T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
YEAR = Period(active_from=T0 - timedelta(days=30), active_to=T0 + timedelta(days=730))
ICE = Custodian(agency_id="ice", officer_id="officer-1")
DHS = Authority(agency_id="dhs", legal_basis="ina_241")
# SYNTHETIC names: combinations of common given names and surnames, numbered, never a real person's record.
GIVEN = ("José", "María", "Luis", "Ana", "Carlos", "Rosa", "Jorge", "Elena", "Miguel", "Lucía", "Pedro", "Sofía")
SURNAMES = ("García", "Hernández", "López", "Martínez", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Flores")


def _world(services: Services, facilities: int, people: int) -> None:
    """Agencies, an officer, facilities of two units each, large enough for everyone the log will hold (no one
    leaves custody here: capacity is invariant 6, checked on every admission)."""
    cmds: list[Any] = [
        c.RegisterAgency(agency_id="ice", occurred_at=T0, name="ICE", country="US", kind="immigration"),
        c.RegisterAgency(agency_id="dhs", occurred_at=T0, name="DHS", country="US", kind="immigration"),
        c.RegisterOfficer(officer_id="officer-1", agency_id="ice", occurred_at=T0, name="Officer One (synthetic)",
                          role="escort", public_key=bytes(range(32))),
    ]
    for f in range(facilities):
        cmds.append(c.RegisterFacility(facility_id=f"f-{f}", occurred_at=T0, name=f"Facility {f}", country="US",
                                       facility_type="spc"))
        cmds.extend(
            c.RegisterUnit(unit_id=f"u-{u}", facility_id=f"f-{f}", occurred_at=T0, label=f"Unit {u}",
                           floor_area_m2=Decimal(4 * people), declared_beds=people)
            for u in range(2)
        )
    services.execute_many(cmds, Caller.of(SYSTEM))


def _person(i: int) -> list[Any]:
    pid, nat = f"p-{i:07d}", "VE" if i % 10 else "SV"
    at = T0 + timedelta(minutes=i % 1000)
    given, surname = GIVEN[i % len(GIVEN)], SURNAMES[(i // len(GIVEN)) % len(SURNAMES)]
    return [
        c.RegisterPerson(
            person_id=pid, occurred_at=at, sex=Sex.MALE if i % 3 else Sex.FEMALE, nationalities=(nat,),
            country_of_birth=nat, languages=("es",),
            name=PersonName(given_names=(f"{given}{i}",), surnames=(surname, SURNAMES[i % len(SURNAMES)])),
            date_of_birth=PartialDate(year=1960 + i % 40, month=1 + i % 12, day=1 + i % 28),
            identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=f"X{i:09d}", country=nat),),
        ),
        c.RecordAllegation(allegation_id=f"al-{pid}", person_id=pid, occurred_at=at, organisation="TdA",
                           source="field report (synthetic)"),
        c.RecordRemovalOrder(order_id=f"ro-{pid}", person_id=pid, occurred_at=at, authority="DHS",
                             legal_basis="ina_241", destination_country="SV", final=True, period=YEAR),
        c.RecordNotice(notice_id=f"n-{pid}", person_id=pid, served_at=at + timedelta(days=1), language="es",
                       content_type=NoticeContent.REMOVAL_ORDER, copy_to_counsel=True),
        c.RecordConsularNotification(notification_id=f"cn-{pid}", person_id=pid, country=nat,
                                     offered_at=at + timedelta(days=1)),
        c.RecordFitnessToTravel(assessment_id=f"fit-{pid}", person_id=pid, occurred_at=at + timedelta(days=1),
                                fit=True, assessed_by="dr-1"),
    ]


def _cohort(services: Services, k: int) -> None:
    first = k * COHORT
    ids = [f"p-{i:07d}" for i in range(first, first + COHORT)]
    facility, day = f"f-{k % 4}", T0 + timedelta(days=2, hours=k)
    caller = Caller.of(SYSTEM)
    services.execute_many([cmd for i in range(first, first + COHORT) for cmd in _person(i)], caller)
    services.execute_many(
        [cmd for n, p in enumerate(ids) for cmd in (
            c.AdmitToCustody(person_id=p, occurred_at=day, facility_id=facility, unit_id=f"u-{n % 2}",
                             custodian=ICE, authority=DHS),
            c.RecordAdmission(person_id=p, admission_id=f"adm-{p}", facility_id=facility, occurred_at=day,
                              commitment_authority="DHS"),
        )],
        caller,
    )
    services.execute_many(
        [c.Rehouse(person_id=p, occurred_at=day + timedelta(hours=1), unit_id=f"u-{(n + 1) % 2}")
         for n, p in enumerate(ids)],
        caller,
    )
    leg = Leg(
        leg_id=f"l-{k}", mode=TransportMode.AIR, carrier="GlobalX", vehicle=f"GXA-{k}", origin="KHRL",
        origin_country="US", destination="MSLP", destination_country="SV", scheduled_departure=day + timedelta(days=9),
        scheduled_arrival=day + timedelta(days=9, hours=4),
    )
    services.execute(mf.CreateManifest(manifest_id=f"m-{k}", occurred_at=day + timedelta(hours=2),
                                       journey_id=f"j-{k}", leg_index=0, leg=leg, people=tuple(ids)))
    services.execute(mf.ClearManifest(manifest_id=f"m-{k}", occurred_at=day + timedelta(days=8)))


def build_log(services: Services, entries: int, console: Console) -> float:
    """Append cohorts until the log holds at least ``entries``; returns the seconds it took."""
    started = time.perf_counter()
    if services.size() == 0:
        _world(services, facilities=4, people=entries // 8 + COHORT)
    k = 0
    while services.size() < entries:
        if not _cohort_done(services, k):
            _cohort(services, k)
            if k % 10 == 9:
                console.log(f"  built {services.size():,} entries")
        k += 1
    return time.perf_counter() - started


def _cohort_done(services: Services, k: int) -> bool:
    with services.ledger.engine.connect() as conn:
        return bool(ledger_store.stream_seqs(conn, f"m-{k}"))


@contextmanager
def _place(backend: str, entries: int, pg_url: str, workdir: Path | None, keep: bool) -> Iterator[Services]:
    root = workdir or Path(tempfile.mkdtemp(prefix="habeas-bench-rebuild-"))
    folder = root / f"rebuild-{backend}-{entries}"
    folder.mkdir(parents=True, exist_ok=True)
    schema = None
    if backend == "postgres":
        import psycopg

        schema = f"bench_rebuild_{entries}"
        settings = Settings(db_url=pg_url, key_path=folder / "habeas.key")
        with psycopg.connect(pg_url, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
            if found is None or not keep or not settings.key_path.exists():
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[arg-type]
                conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
                settings.key_path.unlink(missing_ok=True)
    else:
        db = folder / "habeas.db"
        settings = Settings(db_url=f"sqlite:///{db}", key_path=folder / "habeas.key")
        if not keep:
            for leftover in folder.iterdir():
                leftover.unlink()
    if not settings.key_path.exists():
        init(settings, "bench.habeas/rebuild", schema=schema)
    services = open_services(settings, schema=schema)
    try:
        yield services
    finally:
        services.ledger.engine.dispose()
        if not keep:
            if schema is not None:
                import psycopg

                with psycopg.connect(pg_url, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[arg-type]
            shutil.rmtree(folder, ignore_errors=True)
            if workdir is None:
                shutil.rmtree(root, ignore_errors=True)


def _raw_read(services: Services) -> tuple[int, float]:
    """Every leaf of the log, read from the driver a page at a time: what any replay must at least do."""
    t = time.perf_counter()
    n = 0
    with services.ledger.engine.connect() as conn:
        for rows in ledger_store.iter_entries(conn):
            n += len(rows)
    return n, time.perf_counter() - t


def _timed(fn: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _cpu_timed(fn: Any) -> tuple[Any, float, float]:
    """The result, wall seconds, and this process's CPU seconds: on a shared machine the run queue stretches the
    wall time, while CPU time is what the work itself cost (all of it for SQLite, the client's for PostgreSQL)."""
    c = time.process_time()
    out, wall = _timed(fn)
    return out, wall, time.process_time() - c


def _profile(services: Services, out_dir: Path, backend: str, top: int = 14) -> list[str]:
    prof = cProfile.Profile()
    prof.enable()
    services.rebuild_check()
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(40)
    (out_dir / f"profile-rebuild-{backend}.txt").write_text(text.getvalue())
    lines = [ln for ln in text.getvalue().splitlines() if ln.strip() and ln.strip()[0].isdigit()]
    return lines[:top]


def bench(backend: str, entries: int, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    with _place(backend, entries, args.pg_url, args.workdir, args.keep) as services:
        had = services.size()
        build_s = build_log(services, entries, console)
        n = services.size()
        console.log(f"{backend}: log of {n:,} entries ({'reused ' + format(had, ',') if had else 'built'}"
                    f" in {build_s:.1f} s)")
        loads = [os.getloadavg()[0]]
        raw_n, raw_s = _raw_read(services)
        verified, verify_s = _timed(services.verify)
        loads.append(os.getloadavg()[0])
        check, check_s, check_cpu = _cpu_timed(services.rebuild_check)
        loads.append(os.getloadavg()[0])
        raw_again_n, raw_again_s = _raw_read(services)  # the peer again, after: the load moves
        applied, apply_s, apply_cpu = _cpu_timed(services.rebuild_apply)
        loads.append(os.getloadavg()[0])
        after_verify, after_check = services.verify(), services.rebuild_check()
        assert raw_n == raw_again_n == n == check.entries == applied.entries
        ok = bool(verified.ok and check.ok and after_verify.ok and after_check.ok)
        raw_rate = n / min(raw_s, raw_again_s)
        row: dict[str, Any] = {
            "backend": backend,
            "entries": n,
            "build_seconds": build_s if not had else None,
            "raw_read_per_s": raw_rate,
            "verify_per_s": n / verify_s,
            "check_seconds": check_s,
            "check_per_s": n / check_s,
            "check_per_cpu_s": n / check_cpu,
            "apply_seconds": apply_s,
            "apply_per_s": n / apply_s,
            "apply_per_cpu_s": n / apply_cpu,
            "check_to_raw": (n / check_s) / raw_rate,
            "million_check_seconds": MILLION / (n / check_s),
            "verified_and_rebuilt_after": ok,
            "differences": [str(d) for d in (check.differences + after_check.differences)[:10]],
            "loadavg_1m": loads,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "cpus": os.cpu_count(),
        }
        if args.profile:
            row["profile_top"] = _profile(services, args.out, backend)
        console.log(
            f"{backend}: raw read {raw_rate:,.0f}/s, verify {row['verify_per_s']:,.0f}/s, rebuild --check "
            f"{row['check_per_s']:,.0f}/s, --apply {row['apply_per_s']:,.0f}/s (load {max(loads):.1f})"
        )
        return row


def _targets(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [{
        "target": f"rebuild --check >= {TARGET_RATE:,} entries/s ({row['backend']})",
        "measured": f"{row['check_per_s']:,.0f}/s; raw read {row['raw_read_per_s']:,.0f}/s "
                    f"(ratio {row['check_to_raw']:.3f})",
        "pass": row["check_per_s"] >= TARGET_RATE,
        "applies": row["backend"] == "sqlite",
    }, {
        "target": f"rebuild --check >= {TARGET_RATE:,} entries per CPU-second ({row['backend']}; the load removed)",
        "measured": f"{row['check_per_cpu_s']:,.0f} per CPU-s"
                    + ("" if row["backend"] == "sqlite" else " (the client's CPU only: the server's is not counted)"),
        "pass": row["check_per_cpu_s"] >= TARGET_RATE,
        "applies": row["backend"] == "sqlite",
    }, {
        "target": f"rebuild --check of 10^6 entries < {MINUTE:.0f} s ({row['backend']}, extrapolated)",
        "measured": f"{row['million_check_seconds']:.0f} s at the rate of {row['entries']:,} entries",
        "pass": row["million_check_seconds"] < MINUTE,
        "applies": True,
    }, {
        "target": f"verify and rebuild --check pass after the runs ({row['backend']})",
        "measured": "pass" if row["verified_and_rebuilt_after"] else f"FAIL {row['differences'][:3]}",
        "pass": row["verified_and_rebuilt_after"],
        "applies": True,
    }]


def print_rebuild(results: dict[str, Any], console: Console) -> None:
    table = Table(title="rebuild beside the raw read of the same log (entries/s)")
    for col in ("backend", "entries", "raw read", "verify", "rebuild --check", "check/raw", "check per CPU-s",
                "rebuild --apply", "apply per CPU-s", "10^6 check (s)", "load"):
        table.add_column(col, justify="right")
    for r in results["runs"]:
        table.add_row(r["backend"], f"{r['entries']:,}", f"{r['raw_read_per_s']:,.0f}", f"{r['verify_per_s']:,.0f}",
                      f"{r['check_per_s']:,.0f}", f"{r['check_to_raw']:.3f}", f"{r['check_per_cpu_s']:,.0f}",
                      f"{r['apply_per_s']:,.0f}", f"{r['apply_per_cpu_s']:,.0f}", f"{r['million_check_seconds']:.0f}",
                      f"{max(r['loadavg_1m']):.1f}")
    console.print(table)
    targets = Table(title="targets")
    for col in ("target", "measured", "result"):
        targets.add_column(col)
    for t in results["targets"]:
        verdict = "PASS" if t["pass"] else ("FAIL" if t["applies"] else "FAIL (not a target on this backend)")
        targets.add_row(t["target"], t["measured"], verdict)
    console.print(targets)
    for r in results["runs"]:
        for line in r.get("profile_top", []):
            console.print(f"  {r['backend']} profile: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks --only rebuild", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ENTRIES:,} entries (default {FULL_ENTRIES:,})")
    parser.add_argument("--entries", type=int, help="the log's size (entries)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), help="one backend (default: both if reachable)")
    parser.add_argument("--pg-url", default=os.environ.get("HABEAS_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--workdir", type=Path, help="where the SQLite file goes (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the built log and reuse it next time")
    parser.add_argument("--profile", action="store_true", help="profile one more rebuild --check")
    args = parser.parse_args(argv)
    entries = args.entries or (QUICK_ENTRIES if args.quick else FULL_ENTRIES)
    out = Console() if sys.stdout.isatty() else Console(width=160)
    log = Console(stderr=True)
    backends = [args.backend] if args.backend else ["sqlite", "postgres"]
    if "postgres" in backends:
        why = _postgres_problem(args.pg_url)
        if why is not None:
            if args.backend == "postgres":
                log.print(f"error: PostgreSQL at {args.pg_url} is not reachable: {why}")
                return 2
            log.print(f"[yellow]PostgreSQL not reachable ({why}); SQLite only[/]")
            backends = ["sqlite"]
    args.out.mkdir(parents=True, exist_ok=True)
    runs = [bench(b, entries, args, log) for b in backends]
    results = {"entries": entries, "runs": runs, "targets": [t for r in runs for t in _targets(r)]}
    path = args.out / "results-rebuild.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print_rebuild(results, out)
    out.print(f"results written to {path}")
    return 0 if all(r["verified_and_rebuilt_after"] for r in runs) else 1


def _postgres_problem(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return " ".join(str(e).split())[:200] or type(e).__name__


if __name__ == "__main__":
    sys.exit(main())
