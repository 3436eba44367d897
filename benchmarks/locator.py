"""The public locator under load (issues 5 and 12): wrk against ``habeas serve`` on loopback, judged against the
same server's ``/healthz``.

For each backend: a ledger of N synthetic people (100,000; ``--quick`` 5,000; ``python -m benchmarks.locator
--people N``), each registered with a name, a date and country of birth and an A-number, and admitted to one of
four facilities, through ``Services.execute_many`` in batches of 500 people. It is seeded once per database
(``bench-out/locator-N.db``; the PostgreSQL schema ``bench_locator_N``) and reused while it holds N people in
custody (``--reseed`` starts again). Then ``habeas serve`` runs as a subprocess, with one worker and with
``--workers N`` (default: as many as CPUs; the quick run one worker only), the locator's rate limit lifted
(``HABEAS_LOCATOR_RATE=1000000/1000000``: all the load comes from one client address), and wrk (without it, the
same closed loop in Python, benchmarks/loadgen.py) sends, after a warm-up, with 50 connections and then one:

1. **the locator**: every request a path drawn at random (benchmarks/locator.lua) from precomputed queries: by
   A-number written in different forms, by exact name with accents and case folded differently, and 10% that
   match nobody (an unused A-number, or a real name with the wrong date of birth);
2. **the raw limit**: ``GET /healthz`` on the same server, the HTTP stack with no database work.

p50 / p99 and requests/s come from wrk's report; every answer's status is counted (all must be 2xx). Issue 12's
targets are judged from each server's own runs (:func:`judge`): requests/s at least half of ``/healthz``'s, p99 at
most twice ``/healthz``'s, one connection's p50 at most 2 ms; beside the last, what a durable commit alone takes on
the same backend (every lookup that finds someone is logged, durably, before it is answered). ``--profile`` (with
``python -m benchmarks.locator``) adds one run against a server under yappi and prints where its CPU goes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from benchmarks.loadgen import (
    CONNECTIONS,
    INSTALL_WRK,
    WRK_THREADS,
    Server,
    WrkMissing,  # noqa: F401 (benchmarks/__main__.py catches it from here; no longer raised: see loadgen.load)
    commit_latency_postgres,
    commit_latency_sqlite,
    get,
    load,
    machine,
    postgres_answers,
    profile_summary,
)
from habeas.bootstrap import Settings, init, open_services
from habeas.demo.synthetic import PeopleFactory, SyntheticPerson
from habeas.domain import commands as c
from habeas.domain.actors import Actor, Caller
from habeas.domain.custody import Authority, Custodian
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.services.door import Services
from habeas.storage.engine import make_engine, sqlite_path

FULL_PEOPLE, QUICK_PEOPLE = 100_000, 5_000
FULL_SECONDS, QUICK_SECONDS = 30, 5
SOLO_SECONDS, QUICK_SOLO_SECONDS = 10, 3  # the single-connection runs
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
SEED_BATCH = 500  # people a Services.execute_many (register + admit each): one transaction, one checkpoint
QUERIES = 20_000  # precomputed locator paths wrk draws from
NO_MATCH = 0.10
SEED = 2025
RATE_ENV = {"HABEAS_LOCATOR_RATE": "1000000/1000000"}
LOCATOR = "/public/locator"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
AGENCY, OFFICER = "bench-ice", "bench-officer-1"
ACTOR = Actor(officer=OFFICER, agency=AGENCY)
CUSTODIAN = Custodian(agency_id=AGENCY, officer_id=OFFICER)
AUTHORITY = Authority(agency_id=AGENCY, legal_basis="ina_236")
FACILITIES = tuple(
    (f"bench-f{k}", f"SYNTHETIC detention facility {k}", f"+1 555 010 {k:04d} (synthetic)") for k in range(1, 5)
)


@dataclass(frozen=True)
class Target:
    backend: str
    people: int
    settings: Settings
    schema: str | None
    meta: Path  # what the seeding left: its time, so a rerun that reuses the database still reports it

    def env(self) -> dict[str, str]:
        """The server's environment (as tests/conftest.py's ``Db.env``), with the locator's limit lifted."""
        env = dict(os.environ, **RATE_ENV)
        env["HABEAS_DATABASE_URL"] = self.settings.db_url
        env["HABEAS_SIGNING_KEY"] = str(self.settings.key_path)
        if self.schema:
            env["PGOPTIONS"] = f"-csearch_path={self.schema}"
        return env


def target(backend: str, people: int, out_dir: Path, pg_url: str) -> Target:
    key = out_dir / f"locator-{backend}-{people}.key"
    meta = out_dir / f"locator-{backend}-{people}.json"
    if backend == "postgres":
        return Target(backend, people, Settings(db_url=pg_url, key_path=key), f"bench_locator_{people}", meta)
    db = out_dir / f"locator-{people}.db"
    return Target(backend, people, Settings(db_url=f"sqlite:///{db.resolve()}", key_path=key), None, meta)


# --- the people -------------------------------------------------------------------------------------------------


def synthetic_people(n: int) -> list[SyntheticPerson]:
    """The same N invented people on every run (the factory is seeded), with unique A-numbers."""
    factory = PeopleFactory(SEED)
    seen: set[str] = set()
    people = []
    for i in range(n):
        p = factory.person("SV" if i % 10 == 0 else "VE")
        number = int(p.a_number[1:])
        while f"A{number}" in seen:
            number += 1
        seen.add(f"A{number}")
        people.append(replace(p, a_number=f"A{number}"))
    return people


def facility_of(i: int) -> str:
    return FACILITIES[i % len(FACILITIES)][0]


def _register(p: SyntheticPerson) -> c.RegisterPerson:
    dob = p.date_of_birth
    return c.RegisterPerson(
        person_id=p.person_id,
        occurred_at=T0,
        name=PersonName(given_names=tuple(p.given_names.split()), surnames=p.surnames),
        date_of_birth=PartialDate(year=dob.year, month=dob.month, day=dob.day),
        sex=Sex.MALE,
        nationalities=(p.nationality,),
        country_of_birth=p.nationality,
        languages=p.languages,
        identifiers=(Identifier(kind=IdentifierKind.A_NUMBER, value=p.a_number, country="US"),),
    )


def _world(services: Services, people: int) -> None:
    # The agency and its officer are the deployment operator's to register (the door's default caller); the
    # facilities and units, the agency's own.
    services.execute_many([
        c.RegisterAgency(agency_id=AGENCY, occurred_at=T0, name="SYNTHETIC agency", country="US", kind="immigration"),
        c.RegisterOfficer(
            officer_id=OFFICER, agency_id=AGENCY, occurred_at=T0, name="SYNTHETIC officer", role="intake",
            public_key=bytes(range(32)),
        ),
    ])
    places: list[c.Command] = []
    for facility_id, name, contact in FACILITIES:
        places.append(c.RegisterFacility(
            facility_id=facility_id, occurred_at=T0, name=name, country="US", facility_type="spc",
            operating_agency_id=AGENCY, declared_capacity=people, contact=contact,
        ))
        places.append(c.RegisterUnit(
            unit_id="u-1", facility_id=facility_id, occurred_at=T0, label="Housing 1",
            floor_area_m2=Decimal(people * 10), declared_beds=people,
        ))
    services.execute_many(places, Caller.of(ACTOR))


def _seed_commands(i: int, p: SyntheticPerson) -> list[c.Command]:
    admit = c.AdmitToCustody(
        person_id=p.person_id, occurred_at=T0 + timedelta(hours=1), facility_id=facility_of(i), unit_id="u-1",
        custodian=CUSTODIAN, authority=AUTHORITY,
    )
    return [_register(p), admit]


def _pg(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def _in_custody(t: Target) -> int:
    """People in custody in the target's database; 0 when there is none yet."""
    if t.schema is None:
        path = sqlite_path(t.settings.db_url)
        if path is None or not path.exists():
            return 0
    engine = make_engine(t.settings.db_url, schema=t.schema)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM p_custody WHERE facility_id IS NOT NULL")).scalar_one())
    except DBAPIError:  # no such table (or schema): nothing seeded
        return 0
    finally:
        engine.dispose()


def _wipe(t: Target) -> None:
    if t.schema is not None:
        _pg(t.settings.db_url, f'DROP SCHEMA IF EXISTS "{t.schema}" CASCADE', f'CREATE SCHEMA "{t.schema}"')
    elif (db := sqlite_path(t.settings.db_url)) is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    for path in (t.settings.key_path, t.settings.key_path.with_name(t.settings.key_path.name + ".vkey"), t.meta):
        path.unlink(missing_ok=True)


def seed(t: Target, people: list[SyntheticPerson], *, reseed: bool, console: Console) -> dict[str, Any]:
    """Seed the target unless it already holds everyone; what the seeding took either way."""
    if not reseed and t.meta.exists() and _in_custody(t) == t.people:
        meta: dict[str, Any] = json.loads(t.meta.read_text())
        console.log(
            f"locator {t.backend}: reusing {t.people:,} people seeded on {meta['seeded_at']} "
            f"in {meta['seed_seconds']:.0f} s (--reseed to start again)"
        )
        return {**meta, "reused": True}
    _wipe(t)
    init(t.settings, "bench.habeas/locator", schema=t.schema)
    services = open_services(t.settings, schema=t.schema)
    try:
        _world(services, t.people)
        started = time.perf_counter()
        done = 0
        caller = Caller.of(ACTOR)
        with console.status(f"locator {t.backend}: seeding {t.people:,} people") as status:
            for start in range(0, len(people), SEED_BATCH):
                chunk = people[start : start + SEED_BATCH]
                services.execute_many(
                    [cmd for i, p in enumerate(chunk, start) for cmd in _seed_commands(i, p)], caller
                )
                done += len(chunk)
                rate = done / (time.perf_counter() - started)
                line = (
                    f"locator {t.backend}: seeded {done:,} / {t.people:,} people ({rate:,.0f} people/s, "
                    f"ETA {(t.people - done) / rate:.0f} s)"
                )
                status.update(line)
                # Without a terminal the status line is not drawn: log every tenth instead.
                if not console.is_terminal and done % max(SEED_BATCH, t.people // 10 // SEED_BATCH * SEED_BATCH) == 0:
                    console.log(line)
        seconds = time.perf_counter() - started
        entries = services.ledger.size()
    finally:
        services.ledger.engine.dispose()
    meta = {
        "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed_seconds": seconds,
        "people_per_s": t.people / seconds,
        "entries": entries,
        "seed_batch": SEED_BATCH,
        "loadavg_after": os.getloadavg(),
    }
    t.meta.write_text(json.dumps(meta, indent=2) + "\n")
    console.log(
        f"locator {t.backend}: seeded {t.people:,} people in {seconds:.1f} s ({meta['people_per_s']:,.0f} people/s, "
        f"{entries:,} log entries)"
    )
    return {**meta, "reused": False}


# --- the queries ------------------------------------------------------------------------------------------------


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _a_number_forms(number: str) -> list[str]:
    d = number[1:]
    return [number, number.lower(), f"A-{d[:3]}-{d[3:6]}-{d[6:]}", f"A {d[:3]} {d[3:6]} {d[6:]}"]


def _name_forms(text: str) -> list[str]:
    """As registered, without accents, in capitals (accents kept), in lower case without accents."""
    return [text, _strip_accents(text), text.upper(), _strip_accents(text).lower()]


def _by_a_number(number: str, country: str) -> str:
    return f"{LOCATOR}?{urlencode({'a_number': number, 'country_of_birth': country})}"


def _by_name(given: str, surnames: str, born: str, country: str) -> str:
    q = {"given_names": given, "surnames": surnames, "date_of_birth": born, "country_of_birth": country}
    return f"{LOCATOR}?{urlencode(q)}"


@dataclass(frozen=True)
class Query:
    path: str
    kind: str  # "a_number" | "name" | "no_match"
    facility_id: str | None  # where the person is; None for no match


def queries(people: list[SyntheticPerson], count: int) -> list[Query]:
    """The mix: 45% by A-number, 45% by exact name, 10% nobody (half an unused A-number, half a near miss)."""
    rng = random.Random(SEED)
    out = []
    for _ in range(count):
        i = rng.randrange(len(people))
        p = people[i]
        draw = rng.random()
        if draw < NO_MATCH / 2:
            # Assigned numbers are A200000000 and up: below that nobody has one.
            out.append(Query(_by_a_number(f"A1{rng.randrange(10**8):08d}", p.nationality), "no_match", None))
        elif draw < NO_MATCH:
            wrong = (p.date_of_birth + timedelta(days=rng.choice((-1, 1)))).isoformat()
            out.append(Query(_by_name(p.given_names, " ".join(p.surnames), wrong, p.nationality), "no_match", None))
        elif draw < (1 + NO_MATCH) / 2:
            form = rng.choice(_a_number_forms(p.a_number))
            out.append(Query(_by_a_number(form, p.nationality), "a_number", facility_of(i)))
        else:
            k = rng.randrange(4)
            given, surnames = _name_forms(p.given_names)[k], _name_forms(" ".join(p.surnames))[k]
            path = _by_name(given, surnames, p.date_of_birth.isoformat(), p.nationality)
            out.append(Query(path, "name", facility_of(i)))
    return out


# --- the section ------------------------------------------------------------------------------------------------


def check_answers(base: str, qs: list[Query], per_kind: int = 100) -> dict[str, dict[str, int]]:
    """A sample of each kind, one at a time: a match must name the person's facility, a miss no facility at all."""
    names = [f for f, _, _ in FACILITIES]
    out: dict[str, dict[str, int]] = {}
    for kind in ("a_number", "name", "no_match"):
        sample = [q for q in qs if q.kind == kind][:per_kind]
        right = ok = 0
        for q in sample:
            status, body = get(base + q.path)
            ok += 200 <= status < 300
            named = [f for f in names if f in body]
            right += named == [q.facility_id] if q.facility_id else not named
        out[kind] = {"checked": len(sample), "2xx": ok, "right": right}
    return out


def _locator_served(base: str) -> bool:
    status, body = get(base + "/openapi.json")
    return status == 200 and LOCATOR in json.loads(body).get("paths", {})


@dataclass(frozen=True)
class Timing:
    seconds: int  # each 50-connection run
    solo: int  # each one-connection run
    warmup: int
    checks: int  # sample answers checked of each kind, one at a time


def bench_server(
    t: Target, qs: list[Query], *, timing: Timing, workers: int, out_dir: Path, console: Console
) -> dict[str, Any]:
    """One server (``workers`` processes): the locator with 50 connections and with one, then `/healthz` the same
    way, each after a warm-up; every figure the targets are judged by comes from this one server."""
    paths = out_dir / f"locator-{t.backend}-paths.txt"
    paths.write_text("".join(q.path + "\n" for q in qs))
    health = out_dir / "locator-healthz-path.txt"
    health.write_text("/healthz\n")
    row: dict[str, Any] = {"backend": t.backend, "people": t.people, "workers": workers}
    with Server(t.env(), workers, out_dir / f"locator-{t.backend}-w{workers}-server.log") as server:
        row["server"] = " ".join(["habeas", *server.command[3:]])
        if not _locator_served(server.base):
            console.log(f"[yellow]locator {t.backend}: {LOCATOR} is not served yet; /healthz only[/]")
            row["locator"] = row["locator_1"] = None
        else:
            row["answers"] = check_answers(server.base, qs, timing.checks)
            console.log(f"locator {t.backend} w{workers}: sample answers {row['answers']}")
            load(server.base, paths, timing.warmup)
            row["locator"] = load(server.base, paths, timing.seconds, server)
            _log_run(console, t, workers, "locator", row["locator"])
            # One client alone: the time a lookup takes when it does not queue behind 49 others.
            row["locator_1"] = load(server.base, paths, timing.solo, server, connections=1)
            _log_run(console, t, workers, "locator_1", row["locator_1"])
        load(server.base, health, timing.warmup)
        row["healthz"] = load(server.base, health, timing.seconds, server)
        _log_run(console, t, workers, "healthz", row["healthz"])
        row["healthz_1"] = load(server.base, health, timing.solo, server, connections=1)
        _log_run(console, t, workers, "healthz_1", row["healthz_1"])
    if row["locator"]:
        row["ratio_rps"] = row["locator"]["requests_per_s"] / row["healthz"]["requests_per_s"]
        row["ratio_p99"] = row["locator"]["p99_ms"] / row["healthz"]["p99_ms"]
    return row


def _log_run(console: Console, t: Target, workers: int, what: str, r: dict[str, Any]) -> None:
    console.log(
        f"locator {t.backend} w{workers} {what:9}: {r['requests_per_s']:>9,.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
        f"p99 {r['p99_ms']:.2f} ms, {r['requests']:,} requests, non-2xx {r['non_2xx']}, "
        f"server {r['server_cpu_cores']:.2f} cores ({r['server_cpu_ms_per_request']:.2f} ms CPU a request), "
        f"machine {r['machine_busy']:.0%} busy, load {r['load_before'][0]:.2f} → {r['load_after'][0]:.2f}"
    )


# --- the targets (issue 12) -------------------------------------------------------------------------------------

RPS_SHARE = 0.5  # the locator's requests/s at 50 connections, as a share of /healthz's on the same server
P99_TIMES = 2.0  # the locator's p99 at 50 connections, at most this many times /healthz's
SOLO_P50_MS = 2.0  # one connection's p50


def judge(row: dict[str, Any], floor: dict[str, float] | None) -> list[dict[str, Any]]:
    """Each target of one server's run, PASS or FAIL from the figures measured in it, with the peer beside it."""
    loc, one, health, health_1 = row["locator"], row["locator_1"], row["healthz"], row["healthz_1"]
    commit = f"; a durable commit alone: p50 {floor['p50_ms']:.2f} ms" if floor else ""
    return [
        {
            "target": f"50 connections: requests/s >= {RPS_SHARE:.0%} of /healthz's",
            "measured": f"{loc['requests_per_s']:,.0f} req/s = {row['ratio_rps']:.2f} of /healthz",
            "peer": f"/healthz {health['requests_per_s']:,.0f} req/s",
            "pass": row["ratio_rps"] >= RPS_SHARE,
        },
        {
            "target": f"50 connections: p99 <= {P99_TIMES:g}x /healthz's",
            "measured": f"p99 {loc['p99_ms']:.1f} ms = {row['ratio_p99']:.2f}x /healthz",
            "peer": f"/healthz p99 {health['p99_ms']:.1f} ms",
            "pass": row["ratio_p99"] <= P99_TIMES,
        },
        {
            "target": f"one connection: p50 <= {SOLO_P50_MS:g} ms",
            "measured": f"p50 {one['p50_ms']:.2f} ms",
            "peer": f"/healthz alone p50 {health_1['p50_ms']:.2f} ms{commit}",
            "pass": one["p50_ms"] <= SOLO_P50_MS,
        },
    ]


# --- the section ------------------------------------------------------------------------------------------------


def run_locator(
    *,
    quick: bool,
    backends: list[str],
    pg_url: str,
    out_dir: Path,
    reseed: bool,
    seconds: int | None,
    workers: int | None,
    console: Console,
    people: int | None = None,
    profile: bool = False,
) -> dict[str, Any]:
    """Every backend with one worker, and with ``workers`` (default: as many as CPUs; the quick run one only)."""
    if shutil.which("wrk") is None:
        console.log(f"[yellow]{INSTALL_WRK}; the load comes from benchmarks/loadgen.py instead (Python)[/]")
    n = people or (QUICK_PEOPLE if quick else FULL_PEOPLE)
    timing = Timing(
        seconds=seconds or (QUICK_SECONDS if quick else FULL_SECONDS),
        solo=min(seconds or SOLO_SECONDS, QUICK_SOLO_SECONDS if quick else SOLO_SECONDS),
        warmup=2 if quick else 5,
        checks=20 if quick else 100,
    )
    several = workers if workers is not None else (None if quick else os.cpu_count() or 1)
    worker_counts = sorted({1, *([several] if several else [])})
    sample = synthetic_people(n)
    qs = queries(sample, QUERIES)
    results: dict[str, Any] = {
        "machine": machine(pg_url if "postgres" in backends else None),
        "config": {
            "name": "quick" if quick else "full",
            "people": n,
            "seconds": timing.seconds,
            "solo_seconds": timing.solo,
            "warmup_seconds": timing.warmup,
            "connections": CONNECTIONS,
            "wrk_threads": WRK_THREADS,
            "workers": worker_counts,
            "queries": len(qs),
            "mix": {k: sum(q.kind == k for q in qs) for k in ("a_number", "name", "no_match")},
            "server_env": RATE_ENV,
            "seed_batch": SEED_BATCH,
        },
        "runs": [],
        "targets": [],
    }
    for backend in backends:
        t = target(backend, n, out_dir, pg_url)
        seeded = seed(t, sample, reseed=reseed, console=console)
        floor = durable_commit(t, out_dir)
        console.log(f"locator {backend}: a durable commit alone takes p50 {floor['p50_ms']:.2f} ms, "
                    f"p99 {floor['p99_ms']:.2f} ms ({floor['commits']} commits)")
        for w in worker_counts:
            row = bench_server(t, qs, timing=timing, workers=w, out_dir=out_dir, console=console)
            row["seed"] = seeded
            row["durable_commit"] = floor
            results["runs"].append(row)
            if row["locator"]:
                results["targets"] += [{"backend": backend, "workers": w, **j} for j in judge(row, floor)]
        if profile:
            results.setdefault("profiles", {})[backend] = profile_locator(t, qs, timing, out_dir, console)
    results["machine"]["loadavg_after"] = os.getloadavg()
    return results


def durable_commit(t: Target, out_dir: Path, commits: int = 200) -> dict[str, float]:
    """The floor under a lookup that is logged: one small write made durable, alone, on the same backend (SQLite: a
    file beside the benchmark's, WAL and synchronous=FULL as habeas opens it; PostgreSQL: a table on the same
    server, committed with its default synchronous_commit)."""
    if t.schema is None:
        return commit_latency_sqlite(out_dir / "locator-commit-floor.db", commits)
    return commit_latency_postgres(t.settings.db_url, "bench_locator_floor", commits)


def profile_locator(t: Target, qs: list[Query], timing: Timing, out_dir: Path, console: Console) -> list[str]:
    """The locator at 50 connections against one worker under yappi: where its CPU goes, by package and by
    function (own time). yappi slows every Python call, so the shares count, not the times."""
    paths = out_dir / f"locator-{t.backend}-paths.txt"
    stats = out_dir / f"locator-{t.backend}-profile.pstat"
    with Server(t.env(), 1, out_dir / f"locator-{t.backend}-profile.log", profile=stats) as server:
        load(server.base, paths, timing.warmup)
        load(server.base, paths, timing.seconds, server)
    lines = profile_summary(stats, "routes_public.py", "locate")
    for line in lines:
        console.log(f"profile {t.backend}: {line}")
    return lines


def print_locator_tables(results: dict[str, Any], console: Console) -> None:
    cfg = results["config"]
    t = Table(
        title=f"Public locator over {cfg['people']:,} people: {cfg['seconds']} s a run at 50 connections, "
        f"{cfg['solo_seconds']} s at one, after {cfg['warmup_seconds']} s of warm-up ({results['machine']['wrk']})",
        title_justify="left",
    )
    cols = ("backend", "workers", "target", "conns", "req/s", "p50 ms", "p99 ms", "max ms", "requests", "non-2xx")
    for col in (*cols, "÷ healthz", "server cores", "CPU ms/req", "machine busy", "load 1m"):
        t.add_column(col, justify="left" if col in ("backend", "target") else "right")
    for run in results["runs"]:
        for what, label in (("locator", "locator"), ("locator_1", "locator"), ("healthz", "/healthz"),
                            ("healthz_1", "/healthz")):
            r = run.get(what)
            if r is None:
                t.add_row(run["backend"], str(run["workers"]), label, *(["—"] * 12))
                continue
            ratio = f"{run['ratio_rps']:.2f}" if what == "locator" and run.get("ratio_rps") else ""
            t.add_row(
                run["backend"], str(run["workers"]), label, str(r["connections"]), f"{r['requests_per_s']:,.0f}",
                f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}", f"{r['max_ms']:.1f}", f"{r['requests']:,}",
                str(r["non_2xx"]), ratio, f"{r['server_cpu_cores']:.2f}", f"{r['server_cpu_ms_per_request']:.2f}",
                f"{r['machine_busy']:.0%}", f"{r['load_before'][0]:.1f}–{r['load_after'][0]:.1f}",
            )
    console.print(t)
    verdicts = Table(title="Issue 12's locator targets, judged from the runs above", title_justify="left")
    for col in ("backend", "workers", "target", "measured", "beside it, same server and run", "verdict"):
        verdicts.add_column(col)
    for v in results.get("targets", []):
        verdicts.add_row(v["backend"], str(v["workers"]), v["target"], v["measured"], v["peer"],
                         "[green]PASS[/]" if v["pass"] else "[red]FAIL[/]")
    console.print(verdicts)
    for run in results["runs"]:
        s = run["seed"]
        how = "reused" if s["reused"] else "seeded now"
        console.print(
            f"[bold]{run['backend']}[/] (workers {run['workers']}): {run['people']:,} people ({how}; seeded in "
            f"{s['seed_seconds']:.0f} s, {s['people_per_s']:,.0f} people/s); server `{run['server']}`; sample "
            f"answers {run.get('answers')}"
        )
    for backend, lines in results.get("profiles", {}).items():
        console.print(f"[bold]profile, {backend}[/] (yappi, CPU clock; one worker, 50 connections):")
        for line in lines:
            console.print(f"  {line}")


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.locator``: the section with the options ``--only locator`` does not pass on."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.locator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PEOPLE:,} people, {QUICK_SECONDS} s runs")
    parser.add_argument("--people", type=int, help="people to seed and search (default 100,000; quick 5,000)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), action="append",
                        help="one backend (repeat for both; default both when PostgreSQL answers)")
    parser.add_argument("--workers", type=int, help="also measure `habeas serve --workers N` (default: CPUs)")
    parser.add_argument("--seconds", type=int, help="each 50-connection run (default 30; quick 5)")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the database holds everyone")
    parser.add_argument("--profile", action="store_true", help="then one run under yappi (pip install yappi)")
    parser.add_argument("--pg-url", default=os.environ.get("HABEAS_BENCH_POSTGRES_URL", DEFAULT_PG))
    args = parser.parse_args(argv)
    backends = args.backend or ["sqlite", "postgres"]
    if "postgres" in backends and not postgres_answers(args.pg_url):
        if args.backend:
            print(f"error: PostgreSQL at {args.pg_url} does not answer", file=sys.stderr)
            return 2
        backends = ["sqlite"]
    args.out.mkdir(parents=True, exist_ok=True)
    log, out = Console(stderr=True), Console() if sys.stdout.isatty() else Console(width=200)
    results = run_locator(
        quick=args.quick, backends=backends, pg_url=args.pg_url, out_dir=args.out, reseed=args.reseed,
        seconds=args.seconds, workers=args.workers, console=log, people=args.people, profile=args.profile,
    )
    path = args.out / "results-locator.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print_locator_tables(results, out)
    out.print(f"results written to {path}")
    bad = [r["backend"] for r in results["runs"] if r["locator"] is None
           or any(r[k]["non_2xx"] for k in ("locator", "locator_1", "healthz"))
           or any(a["right"] != a["checked"] for a in r["answers"].values())]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
