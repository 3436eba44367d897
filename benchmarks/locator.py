"""The public locator under load (issue #5, "Benchmark"): wrk against ``habeas serve`` on loopback.

For each backend: a ledger of N synthetic people (100,000; ``--quick`` 5,000), each registered with a name, a
date and country of birth and an A-number, and admitted to one of four facilities. It is seeded once per database
(``bench-out/locator-N.db``; the PostgreSQL schema ``bench_locator_N``) and reused while it holds N people in
custody (``--reseed`` starts again). Then ``habeas serve`` runs as a subprocess, with the locator's rate limit
lifted (``HABEAS_LOCATOR_RATE=1000000/1000000``: all the load comes from one client address), and wrk with 50
connections (``wrk --latency -t2 -c50``) sends, after a warm-up:

1. **the locator**: every request a path drawn at random (benchmarks/locator.lua) from precomputed queries: by
   A-number written in different forms, by exact name with accents and case folded differently, and 10% that
   match nobody (an unused A-number, or a real name with the wrong date of birth);
2. **the raw limit**: ``GET /healthz`` on the same server, the HTTP stack with no database work.

p50 / p99 and requests/s come from wrk's report; every answer's status is counted (all must be 2xx).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor, as_completed
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

from benchmarks.loadgen import CONNECTIONS, INSTALL_WRK, WRK_THREADS, Server, WrkMissing, get, machine, wrk
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
SOLO_SECONDS = 10  # the single-connection locator run
SEED_THREADS = 32  # concurrent Services.execute callers: the ledger groups their commits
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
    def run(cmd: c.Command) -> None:
        services.execute(cmd, Caller.of(ACTOR))

    run(c.RegisterAgency(agency_id=AGENCY, occurred_at=T0, name="SYNTHETIC agency", country="US", kind="immigration"))
    run(
        c.RegisterOfficer(
            officer_id=OFFICER,
            agency_id=AGENCY,
            occurred_at=T0,
            name="SYNTHETIC officer",
            role="intake",
            public_key=bytes(range(32)),
        )
    )
    for facility_id, name, contact in FACILITIES:
        run(
            c.RegisterFacility(
                facility_id=facility_id,
                occurred_at=T0,
                name=name,
                country="US",
                facility_type="spc",
                operating_agency_id=AGENCY,
                declared_capacity=people,
                contact=contact,
            )
        )
        run(
            c.RegisterUnit(
                unit_id="u-1",
                facility_id=facility_id,
                occurred_at=T0,
                label="Housing 1",
                floor_area_m2=Decimal(people * 10),
                declared_beds=people,
            )
        )


def _seed_one(services: Services, i: int, p: SyntheticPerson) -> None:
    services.execute(_register(p), Caller.of(ACTOR))
    services.execute(
        c.AdmitToCustody(
            person_id=p.person_id,
            occurred_at=T0 + timedelta(hours=1),
            facility_id=facility_of(i),
            unit_id="u-1",
            custodian=CUSTODIAN,
            authority=AUTHORITY,
        ),
        Caller.of(ACTOR),
    )


def _pg(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


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
        with (
            ThreadPoolExecutor(SEED_THREADS) as pool,
            console.status(f"locator {t.backend}: seeding {t.people:,} people") as status,
        ):
            futures = [pool.submit(_seed_one, services, i, p) for i, p in enumerate(people)]
            for f in as_completed(futures):
                if f.exception() is not None:
                    pool.shutdown(wait=True, cancel_futures=True)
                    f.result()
                done += 1
                if done % 500 == 0:
                    rate = done / (time.perf_counter() - started)
                    line = (
                        f"locator {t.backend}: seeded {done:,} / {t.people:,} people ({rate:,.0f} people/s, "
                        f"ETA {(t.people - done) / rate:.0f} s)"
                    )
                    status.update(line)
                    # Without a terminal the status line is not drawn: log every tenth instead.
                    if not console.is_terminal and done % max(500, t.people // 10 // 500 * 500) == 0:
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
        "seed_threads": SEED_THREADS,
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


def bench_backend(
    t: Target, qs: list[Query], *, seconds: int, warmup: int, workers: int | None, out_dir: Path, console: Console
) -> dict[str, Any]:
    paths = out_dir / f"locator-{t.backend}-paths.txt"
    paths.write_text("".join(q.path + "\n" for q in qs))
    health = out_dir / "locator-healthz-path.txt"
    health.write_text("/healthz\n")
    row: dict[str, Any] = {"backend": t.backend, "people": t.people, "workers": workers or 1}
    with Server(t.env(), workers, out_dir / f"locator-{t.backend}-server.log") as server:
        row["server"] = " ".join(["habeas", *server.command[3:]])
        if _locator_served(server.base):
            row["answers"] = check_answers(server.base, qs)
            console.log(f"locator {t.backend}: sample answers {row['answers']}")
            wrk(server.base, paths, warmup)
            row["locator"] = wrk(server.base, paths, seconds, server)
            _log_run(console, t.backend, "locator", row["locator"])
            # One client alone: the time a lookup takes when it does not queue behind 49 others.
            row["locator_1"] = wrk(server.base, paths, min(seconds, SOLO_SECONDS), server, connections=1)
            _log_run(console, t.backend, "locator_1", row["locator_1"])
        else:
            console.log(f"[yellow]locator {t.backend}: {LOCATOR} is not served yet; /healthz only[/]")
            row["locator"] = row["locator_1"] = None
        wrk(server.base, health, warmup)
        row["healthz"] = wrk(server.base, health, seconds, server)
        _log_run(console, t.backend, "healthz", row["healthz"])
    if row["locator"]:
        row["ratio_rps"] = row["locator"]["requests_per_s"] / row["healthz"]["requests_per_s"]
    return row


def _log_run(console: Console, backend: str, what: str, r: dict[str, Any]) -> None:
    console.log(
        f"locator {backend} {what:9}: {r['requests_per_s']:>9,.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
        f"p99 {r['p99_ms']:.2f} ms, {r['requests']:,} requests, non-2xx {r['non_2xx']}, "
        f"server {r['server_cpu_cores']:.2f} cores ({r['server_cpu_ms_per_request']:.2f} ms CPU a request), "
        f"machine {r['machine_busy']:.0%} busy, load {r['load_before'][0]:.2f} → {r['load_after'][0]:.2f}"
    )


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
) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise WrkMissing(INSTALL_WRK)
    n = QUICK_PEOPLE if quick else FULL_PEOPLE
    seconds = seconds or (QUICK_SECONDS if quick else FULL_SECONDS)
    warmup = 2 if quick else 5
    people = synthetic_people(n)
    qs = queries(people, QUERIES)
    results: dict[str, Any] = {
        "machine": machine(pg_url if "postgres" in backends else None),
        "config": {
            "name": "quick" if quick else "full",
            "people": n,
            "seconds": seconds,
            "warmup_seconds": warmup,
            "connections": CONNECTIONS,
            "wrk_threads": WRK_THREADS,
            "queries": len(qs),
            "mix": {k: sum(q.kind == k for q in qs) for k in ("a_number", "name", "no_match")},
            "server_env": RATE_ENV,
            "seed_threads": SEED_THREADS,
        },
        "runs": [],
    }
    for backend in backends:
        t = target(backend, n, out_dir, pg_url)
        seeded = seed(t, people, reseed=reseed, console=console)
        row = bench_backend(t, qs, seconds=seconds, warmup=warmup, workers=workers, out_dir=out_dir, console=console)
        row["seed"] = seeded
        results["runs"].append(row)
    results["machine"]["loadavg_after"] = os.getloadavg()
    return results


def print_locator_tables(results: dict[str, Any], console: Console) -> None:
    cfg = results["config"]
    t = Table(
        title=f"Public locator under wrk over {cfg['people']:,} people: {cfg['seconds']} s a run "
        f"(the one-connection run {min(cfg['seconds'], SOLO_SECONDS)} s), after {cfg['warmup_seconds']} s of warm-up",
        title_justify="left",
    )
    cols = ("backend", "target", "conns", "req/s", "p50 ms", "p99 ms", "max ms", "requests", "non-2xx", "÷ healthz")
    for col in (*cols, "server cores", "CPU ms/req", "machine busy", "load 1m"):
        t.add_column(col, justify="left" if col in ("backend", "target") else "right")
    for run in results["runs"]:
        for what, label in (("locator", "locator"), ("locator_1", "locator"), ("healthz", "/healthz")):
            r = run.get(what)
            if r is None:
                t.add_row(run["backend"], label, *(["—"] * 12))
                continue
            ratio = f"{run['ratio_rps']:.2f}" if what == "locator" and run.get("ratio_rps") else ""
            t.add_row(
                run["backend"],
                label,
                str(r["connections"]),
                f"{r['requests_per_s']:,.0f}",
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                f"{r['max_ms']:.1f}",
                f"{r['requests']:,}",
                str(r["non_2xx"]),
                ratio,
                f"{r['server_cpu_cores']:.2f}",
                f"{r['server_cpu_ms_per_request']:.2f}",
                f"{r['machine_busy']:.0%}",
                f"{r['load_before'][0]:.1f}–{r['load_after'][0]:.1f}",
            )
    console.print(t)
    for run in results["runs"]:
        s = run["seed"]
        how = "reused" if s["reused"] else "seeded now"
        console.print(
            f"[bold]{run['backend']}[/]: {run['people']:,} people ({how}; seeded in {s['seed_seconds']:.0f} s, "
            f"{s['people_per_s']:,.0f} people/s); server `{run['server']}`; sample answers {run.get('answers')}"
        )
