"""The command path beside eventsourcing's application path (issue 12): register + admit a person.

``python -m benchmarks --only commands [--backend sqlite|postgres] [--quick] [--profile]``

For each backend, in one run, on fresh databases (PostgreSQL: a fresh schema a system, dropped after), both systems
(benchmarks/command_systems.py) run the same synthetic people through three modes, habeas first then
eventsourcing in each, so the load on this shared machine is as alike as it can be:

1. **one caller**: register, then admit, one command at a time (habeas: ``Services.execute``; eventsourcing: one
   ``Application.save`` a command, the admit loading its aggregate from the repository);
2. **32 threads**: the same from 32 threads at once (habeas groups their commits);
3. **batches of 100**: 100 commands (50 people) a transaction (``Services.execute_many``; ``save(*aggregates)``).

Commands/s and habeas's ratio to eventsourcing's, PASS at >= 1x. Then **seeding**: 100,000 people (``--quick``:
5,000, the rate extrapolated) registered and admitted with ``execute_many`` in batches of 1,000 commands, PASS at
<= 60 s for 100,000. After the habeas runs, ``Services.verify()`` and ``Services.rebuild_check()`` must pass.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import event

from benchmarks.command_systems import EventsourcingCommands, HabeasCommands, Person, System, people, threaded
from benchmarks.report import machine
from benchmarks.systems import Place, new_place

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
MODES = ("one caller", "32 threads", "batches of 100")
THREADS, BATCH, SEED_BATCH = 32, 100, 1000
SEED_TARGET_PEOPLE, SEED_TARGET_SECONDS = 100_000, 60.0
FULL = {"one caller": 1500, "32 threads": 32 * 60, "batches of 100": 3000, "seed": SEED_TARGET_PEOPLE}
QUICK = {"one caller": 250, "32 threads": 32 * 8, "batches of 100": 1000, "seed": 5_000}


def _postgres_reachable(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return " ".join(str(e).split())[:200] or type(e).__name__


@contextmanager
def statements(services: Any) -> Iterator[list[int]]:
    """Counts the SQL statements habeas's engine executes inside the block (executemany counts once)."""
    count = [0]

    def seen(*_args: Any) -> None:
        count[0] += 1

    event.listen(services.engine, "before_cursor_execute", seen)
    try:
        yield count
    finally:
        event.remove(services.engine, "before_cursor_execute", seen)


def _timed(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _run_mode(mode: str, system: System, crowd: list[Person]) -> float:
    if mode == "one caller":
        return _timed(lambda: system.one(crowd))
    if mode == "32 threads":
        return _timed(lambda: threaded(system.one, crowd, THREADS))
    return _timed(lambda: system.batches(crowd, BATCH))


def _profile(path: Path, fn: Callable[[], None]) -> None:
    import cProfile

    from benchmarks.profile import write_report

    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    write_report(prof, path)


def run_backend(backend: str, sizes: dict[str, int], root: Path, *, pg_url: str, out: Path, profile: bool,
                log: Console) -> dict[str, Any]:
    places: list[Place] = []

    def place(label: str) -> Place:
        places.append(new_place(backend, root, pg_url, f"{label}_{os.getpid()}"))
        return places[-1]

    result: dict[str, Any] = {"backend": backend, "modes": {}, "loadavg_before": os.getloadavg()}
    habeas = HabeasCommands(place("cmd_habeas"))
    es = EventsourcingCommands(place("cmd_es"))
    try:
        start = 0
        for mode in MODES:
            crowd = people(sizes[mode], start=start)
            start += len(crowd)
            warm = people(20, start=start)
            start += len(warm)
            figures: dict[str, Any] = {"commands": 2 * len(crowd)}
            for system in (habeas, es):
                system.prepare(warm + crowd)
                _run_mode(mode, system, warm)  # first statements compiled, caches filled, connections opened
                if system is habeas and mode == "one caller":
                    with statements(habeas.services) as count:
                        seconds = _run_mode(mode, system, crowd)
                    figures["habeas_statements_a_command"] = round(count[0] / (2 * len(crowd)), 2)
                else:
                    seconds = _run_mode(mode, system, crowd)
                figures[system.name] = round(2 * len(crowd) / seconds, 1)
            figures["ratio"] = round(figures["habeas"] / figures["eventsourcing"], 3)
            figures["pass"] = figures["ratio"] >= 1.0
            result["modes"][mode] = figures
            log.log(f"{backend} {mode}: habeas {figures['habeas']:,.0f}/s, eventsourcing "
                    f"{figures['eventsourcing']:,.0f}/s, ratio {figures['ratio']:.2f}")
        if profile:
            one, many = people(200, start=start), people(1000, start=start + 200)
            start += 1200
            habeas.prepare(one + many)
            _profile(out / f"profile-commands-{backend}-one.txt", lambda: habeas.one(one))
            _profile(out / f"profile-commands-{backend}-batched.txt", lambda: habeas.batches(many, BATCH))
            log.log(f"profiles written to {out}/profile-commands-{backend}-*.txt")
        result["checks"] = [_checks(habeas, "the three modes", log)]
    finally:
        habeas.close()
        es.close()
    seeder = HabeasCommands(place("seed_habeas"))
    try:
        crowd = people(sizes["seed"])
        seeder.prepare(crowd)
        seconds = _timed(lambda: seeder.batches(crowd, SEED_BATCH))
        rate = len(crowd) / seconds
        at_target = SEED_TARGET_PEOPLE / rate
        result["seed"] = {"people": len(crowd), "seconds": round(seconds, 2), "people_per_s": round(rate, 1),
                          "seconds_for_100k": round(at_target, 1), "pass": at_target <= SEED_TARGET_SECONDS,
                          "extrapolated": len(crowd) != SEED_TARGET_PEOPLE}
        log.log(f"{backend} seeding: {len(crowd):,} people in {seconds:.1f} s ({rate:,.0f} people/s)")
        result["checks"].append(_checks(seeder, "the seeded ledger", log))
    finally:
        seeder.close()
        for p in places:
            p.destroy()
    result["loadavg_after"] = os.getloadavg()
    return result


def _checks(system: HabeasCommands, what: str, log: Console) -> dict[str, Any]:
    """``log verify`` and ``rebuild --check`` on what the runs recorded; an error in either is a failure, reported
    beside the figures rather than losing them."""
    out: dict[str, Any] = {"what": what}
    for name, check in (("verify", system.services.verify), ("rebuild_check", system.services.rebuild_check)):
        started = time.perf_counter()
        try:
            report = check()
        except Exception as e:  # reported as the check's failure, with its reason
            out[name], out[f"{name}_error"] = False, f"{type(e).__name__}: {e}"
        else:
            out[name] = bool(report.ok)
            if name == "verify":
                out["entries"] = report.size
        out[f"{name}_s"] = round(time.perf_counter() - started, 2)
    log.log(f"{what}: log verify {'passed' if out['verify'] else 'FAILED'} ({out.get('entries', 0):,} entries, "
            f"{out['verify_s']:.1f} s); rebuild --check {'passed' if out['rebuild_check'] else 'FAILED'} "
            f"({out['rebuild_check_s']:.1f} s){''.join(f'; {out[k]}' for k in out if k.endswith('_error'))}")
    return out


def _ok(passed: bool) -> str:
    return "ok" if passed else "FAILED"


def print_tables(results: dict[str, Any], out: Console) -> None:
    table = Table(title="register + admit through the door, beside eventsourcing's application path (commands/s)")
    for col in ("backend", "mode", "habeas", "eventsourcing", "ratio", "target >= 1x"):
        table.add_column(col, justify="left" if col in ("backend", "mode") else "right")
    for r in results["runs"]:
        for mode, f in r["modes"].items():
            table.add_row(r["backend"], mode, f"{f['habeas']:,.0f}", f"{f['eventsourcing']:,.0f}",
                          f"{f['ratio']:.2f}x", "PASS" if f["pass"] else "FAIL")
    out.print(table)
    seed = Table(title=f"seeding {SEED_TARGET_PEOPLE:,} people (register + admit, execute_many of {SEED_BATCH:,})")
    for col in ("backend", "people", "seconds", "people/s", "s for 100,000", "target <= 60 s"):
        seed.add_column(col, justify="left" if col == "backend" else "right")
    for r in results["runs"]:
        s = r["seed"]
        seed.add_row(r["backend"], f"{s['people']:,}", f"{s['seconds']:.1f}", f"{s['people_per_s']:,.0f}",
                     f"{s['seconds_for_100k']:.0f}{' (extrapolated)' if s['extrapolated'] else ''}",
                     "PASS" if s["pass"] else "FAIL")
    out.print(seed)
    for r in results["runs"]:
        stmts = r["modes"]["one caller"].get("habeas_statements_a_command")
        checks = ", ".join(
            f"{c['what']}: verify {_ok(c['verify'])}, rebuild --check {_ok(c['rebuild_check'])}" for c in r["checks"])
        out.print(f"{r['backend']}: {stmts} SQL statements a command (one caller); {checks}; load average "
                  f"{r['loadavg_before'][0]:.2f} before, {r['loadavg_after'][0]:.2f} after")


def _swallowed(argv: list[str] | None) -> list[str]:
    """Options ``python -m benchmarks`` parses itself and does not hand on to a section (``--backend``, ``--pg-url``,
    ``--workdir``, ``--profile``), taken from the command line when the section was called from it without them."""
    if argv is None or Path(sys.argv[0]).name != "__main__.py" or Path(sys.argv[0]).parent.name != "benchmarks":
        return []
    wanted, out, words = ("--backend", "--pg-url", "--workdir"), [], sys.argv[1:]
    for i, word in enumerate(words):
        name = word.split("=", 1)[0]
        if name in wanted and name not in argv:
            out += [word] if "=" in word else words[i : i + 2]
        elif word == "--profile" and word not in argv:
            out.append(word)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks --only commands", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"smaller sizes; seeding {QUICK['seed']:,} people")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), help="one backend only (default: both)")
    parser.add_argument("--pg-url", default=os.environ.get("HABEAS_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="where results-commands.json goes")
    parser.add_argument("--workdir", type=Path, default=None, help="SQLite files go here (default: temp)")
    parser.add_argument("--seed", type=int, help="people to seed (default 100,000; 5,000 with --quick)")
    parser.add_argument("--profile", action="store_true", help="cProfile habeas's one-caller and batched paths")
    args = parser.parse_args([*(argv if argv is not None else sys.argv[1:]), *_swallowed(argv)])
    log = Console(stderr=True)
    out = Console() if sys.stdout.isatty() else Console(width=160)
    sizes = dict(QUICK if args.quick else FULL)
    if args.seed is not None:
        sizes["seed"] = args.seed
    backends = [args.backend] if args.backend else ["sqlite", "postgres"]
    if "postgres" in backends and (why := _postgres_reachable(args.pg_url)) is not None:
        if args.backend == "postgres":
            log.print(f"error: PostgreSQL at {args.pg_url} is not reachable: {why}")
            return 2
        log.print(f"[yellow]PostgreSQL at {args.pg_url} is not reachable ({why}); SQLite only[/]")
        backends = ["sqlite"]
    args.out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="habeas-commands-", dir=args.workdir))
    try:
        runs = [run_backend(b, sizes, root, pg_url=args.pg_url, out=args.out, profile=args.profile, log=log)
                for b in backends]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results = {"machine": machine(args.pg_url if "postgres" in backends else None),
               "config": {"quick": args.quick, "sizes": sizes, "threads": THREADS, "batch": BATCH,
                          "seed_batch": SEED_BATCH},
               "runs": runs}
    path = args.out / "results-commands.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print_tables(results, out)
    out.print(f"results written to {path}")
    failed_checks = [c for r in runs for c in r["checks"] if not (c["verify"] and c["rebuild_check"])]
    return 1 if failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())
