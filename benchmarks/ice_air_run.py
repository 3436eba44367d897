"""One replay on one backend: a new database, the world set up, every mission date of the selection replayed
(:mod:`benchmarks.ice_air_replay`), then the whole log verified and the projections rebuilt and compared.

What is timed: each step of each date (the profile), each date end to end (the sum of its steps), and the
verification and the rebuild check. The world's setup (agencies, officers, facilities, agreements: one
transaction) and the warm-up (the date before the slice, a few route-days of two people, recorded and left
before timing starts: imports and statement caches are warm in any deployment) are not part of any step; they
are reported beside.
"""

from __future__ import annotations

import cProfile
import pstats
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import ice_air_people as ip
from benchmarks import ice_air_world as iw
from benchmarks.ice_air_data import RouteDay, by_date, load_airports, peaks
from benchmarks.ice_air_limits import MemorySampler, rss_mib
from benchmarks.ice_air_replay import Replay
from habeas.bootstrap import Settings, init, load_packs, open_services, wire
from habeas.services.door import Services

ORIGIN = "bench.habeas/ice-air"


@dataclass
class DateTime:
    """One mission date: how many route-days and people, its seconds end to end, entries, RSS after it."""

    date: str
    route_days: int
    people: int
    seconds: float
    cpu_seconds: float
    entries: int
    rss_mib: float


@contextmanager
def database(backend: str, pg_url: str, workdir: Path | None) -> Iterator[tuple[Settings, str | None, Path]]:
    """A new, empty database (a SQLite file, or a PostgreSQL schema) and a folder for the key and the packs."""
    folder = Path(tempfile.mkdtemp(prefix=f"ice-air-{backend}-", dir=workdir))
    schema = None
    try:
        if backend == "sqlite":
            settings = Settings(db_url=f"sqlite:///{folder / 'habeas.db'}", key_path=folder / "habeas.key")
        else:
            schema = f"iceair_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            settings = Settings(db_url=pg_url, key_path=folder / "habeas.key")
        yield settings, schema, folder
    finally:
        if schema is not None:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        shutil.rmtree(folder, ignore_errors=True)


def open_doors(settings: Settings, schema: str | None, folder: Path, world: iw.World) -> tuple[Services, Services]:
    """The deployment's door (us-federal, and the returns pack when a leg departs from abroad) and the domestic
    door over the same ledger (see :mod:`benchmarks.ice_air_world` for why there are two)."""
    foreign = sorted({world.airports[a].country for a in world.peaks.staged} - {iw.US})
    domestic_pack, returns_pack = iw.write_packs(folder, foreign)
    init(settings, ORIGIN, schema=schema)
    extra = [str(returns_pack)] if returns_pack is not None else []
    services = open_services(settings, schema=schema, pack="us-federal", extra_packs=extra)
    policy, packs = load_packs(str(domestic_pack))
    domestic = wire(services.ledger, services.clock, policy, packs, settings)
    return services, domestic


def replay(
    days: list[RouteDay],
    *,
    warm_up: list[RouteDay] | None = None,
    backend: str,
    pg_url: str,
    workdir: Path | None = None,
    seed: int = 2012,
    profile: Path | None = None,
    check: bool = True,
    on_date: Callable[[DateTime], None] | None = None,
) -> dict[str, Any]:
    """Replay ``days`` on a new database of ``backend``; the figures (see :func:`benchmarks.ice_air.main`)."""
    airports = load_airports()
    world = iw.make_world(airports, peaks([*days, *(warm_up or [])]))
    out: dict[str, Any] = {"backend": backend, "rss_start_mib": rss_mib()}
    with database(backend, pg_url, workdir) as (settings, schema, folder):
        services, domestic = open_doors(settings, schema, folder, world)
        try:
            started = time.perf_counter()
            services.execute_many(iw.setup_commands(world))
            out["setup_seconds"] = time.perf_counter() - started
            out["setup_entries"] = services.size()
            roster = ip.Roster(seed)
            run = Replay(services, domestic, world, roster, profile=profile is not None)
            if warm_up:
                started = time.perf_counter()
                run.warm_up(warm_up)
                out["warm_up_seconds"] = time.perf_counter() - started
            dates: list[DateTime] = []
            with MemorySampler() as memory:
                for group in by_date(days):
                    before, t0, cpu = services.size(), time.perf_counter(), time.process_time()
                    run.date(group)
                    done = DateTime(group[0].date.isoformat(), len(group), sum(d.people for d in group),
                                    time.perf_counter() - t0, time.process_time() - cpu, services.size() - before,
                                    rss_mib())
                    dates.append(done)
                    if on_date is not None:
                        on_date(done)
            out["replay_seconds"] = run.profile.seconds
            out["replay_cpu_seconds"] = run.profile.cpu_seconds
            out["people"] = run.people
            out["route_days"] = run.route_days
            out["entries"] = run.profile.entries
            out["steps"] = {k: asdict(v) for k, v in run.profile.steps.items()}
            out["dates"] = [asdict(d) for d in dates]
            out["rss_peak_mib"] = memory.peak_mib
            out["rss_samples"] = len(memory.samples)
            out["log_size"] = services.size()
            if run.profilers is not None and profile is not None:
                stats = [pstats.Stats(p) for p in run.profilers.values() if p.getstats()]
                if stats:
                    stats[0].add(*stats[1:])
                    stats[0].dump_stats(profile)  # every step together, for `python -m pstats` or snakeviz
                out["cprofile"] = str(profile)
                out["step_profile"] = {step: _top(p) for step, p in run.profilers.items() if p.getstats()}
            if check:
                out.update(_checks(services))
        finally:
            services.close()
    return out


# The door and the write path every command goes through: their time is everyone's, so a step's profile skips them.
_PLUMBING = {"execute_many", "job", "decide", "write", "_run_batch", "<lambda>", "execute_batch", "register_people",
             "heard"}


def _top(profiler: cProfile.Profile, lines: int = 8) -> list[dict[str, Any]]:
    """The services functions a step spent most time in (cumulative: with what they called, decoding and SQL
    included), under the door: which handler, check or query to speed up."""
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        if "/habeas/services/" in path and name not in _PLUMBING:
            where = path.split("/habeas/", 1)[1]
            rows.append({"function": f"{where}:{line}({name})", "calls": calls, "cumulative_s": cumulative,
                         "own_s": own})
    rows.sort(key=lambda r: -r["cumulative_s"])
    return rows[:lines]


def _checks(services: Services) -> dict[str, Any]:
    """The whole log verified with its own key, and every projection rebuilt from it and compared. A check that
    raises is reported as failed, with its error, so the figures of the replay are not lost with it."""
    out: dict[str, Any] = {"verify_ok": False, "rebuild_ok": False}
    started = time.perf_counter()
    try:
        report = services.verify()
        out["verify_ok"] = bool(report.ok)
    except Exception as e:  # reported as a failed check beside the figures
        out["verify_error"] = f"{type(e).__name__}: {e}"
    out["verify_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    try:
        rebuilt = services.rebuild_check()
        out["rebuild_ok"] = bool(rebuilt.ok)
        out["rebuild_differences"] = [str(d) for d in rebuilt.differences][:10]
    except Exception as e:
        out["rebuild_error"] = f"{type(e).__name__}: {e}"
    out["rebuild_seconds"] = time.perf_counter() - started
    return out
