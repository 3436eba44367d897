"""A real year of ICE Air replayed through the door: ``python -m benchmarks --only ice-air [options]``.

Every route-day of ``data/ice-air-2010-2018/flights.csv`` (ICE's ARTS records, aggregated by UWCHR; see its
SOURCE.md) becomes one manifest of that many synthetic people: each registered with the records the pack needs,
staged, cleared, boarded, departed, arrived, counted at both ends, handed over on a receipt both officers sign
with their Ed25519 keys, and admitted at the drop-off, all through :class:`habeas.services.door.Services`
(:mod:`benchmarks.ice_air_replay` says how, :mod:`benchmarks.ice_air_world` who and where). Then the whole log is
verified and every projection rebuilt from it and compared.

Slices: ``--day 2012-04-19`` (the busiest day in the file), ``--month 2012-04``, ``--year 2012`` (the default),
``--limit-route-days N``, ``--cap-people N`` (each route-day cut to N people); ``--quick`` is the first 4
route-days of the busiest day, at most 10 people each. ``--backend sqlite|postgres|both``.

Targets (issue 12), each printed with PASS/FAIL beside the limits measured in the same run (the register step's
own people/s: registering alone; a raw executemany + SHA-256 append and habeas's ledger appending alone, in
batches of 1,000): the busiest day end to end (every step of its replay) <= 10 s; the whole of 2012 <= 15
minutes, measured if the run is the year and otherwise extrapolated from the run's own dates (said so); resident
memory <= 300 MB from the first route-day to the last (VmRSS sampled every quarter second).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.ice_air_data import Selection, route_days, warm_up_days
from benchmarks.ice_air_limits import raw_limits
from benchmarks.ice_air_replay import STEPS
from benchmarks.ice_air_run import DateTime, replay

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
BUSIEST_DAY_SECONDS = 10.0
YEAR_SECONDS = 15 * 60.0
RSS_LIMIT_MIB = 300.0
TARGET_YEAR = 2012
QUICK = Selection(day="2012-04-19", limit=4, cap=10)


def _selection(args: argparse.Namespace) -> Selection:
    if args.quick and not (args.day or args.month):
        return QUICK
    year = None if (args.day or args.month) else args.year
    return Selection(year=year, month=args.month, day=args.day, limit=args.limit_route_days, cap=args.cap_people)


def year_facts(year: int) -> dict[str, Any]:
    """The year as the file has it: route-days, passenger-legs, and its busiest mission date."""
    days = route_days(Selection(year=year))
    people: Counter[str] = Counter()
    for d in days:
        people[d.date.isoformat()] += d.people
    busiest, most = people.most_common(1)[0]
    return {"year": year, "route_days": len(days), "people": sum(people.values()), "busiest_day": busiest,
            "busiest_day_people": most, "busiest_day_route_days": sum(1 for d in days if d.date.isoformat() ==
                                                                         busiest)}


def extrapolate(
    dates: list[dict[str, Any]], people: int, route_days: int, key: str = "seconds"
) -> dict[str, Any] | None:
    """Seconds (or, with ``key="cpu_seconds"``, CPU seconds) for ``people`` on ``route_days`` from the run's
    dates: least squares of a date's seconds on its people and its route-days (a per-person and a per-manifest
    cost), or the people rate alone when the dates cannot tell the two apart."""
    xs = [(float(d["people"]), float(d["route_days"]), float(d[key])) for d in dates if d["people"]]
    if not xs:
        return None
    spp = sum(p * p for p, _, _ in xs)
    srr = sum(r * r for _, r, _ in xs)
    spr = sum(p * r for p, r, _ in xs)
    sps = sum(p * s for p, _, s in xs)
    srs = sum(r * s for _, r, s in xs)
    det = spp * srr - spr * spr
    if len(xs) >= 5 and det > 1e-9 * spp * srr:
        a, b = (sps * srr - srs * spr) / det, (spp * srs - spr * sps) / det
        if a > 0 and b >= 0:
            return {"seconds": a * people + b * route_days, "model": "seconds = a*people + b*route_days",
                    "a_seconds_per_person": a, "b_seconds_per_route_day": b, "dates": len(xs)}
    rate = sum(s for _, _, s in xs) / sum(p for p, _, _ in xs)
    return {"seconds": rate * people, "model": "seconds = people / the run's people/s", "dates": len(xs),
            "a_seconds_per_person": rate, "b_seconds_per_route_day": 0.0}


def targets(run: dict[str, Any], facts: dict[str, Any], limits: dict[str, Any]) -> list[dict[str, Any]]:
    steps = run["steps"]
    register = steps["register"]
    register_rate = register["commands"] / register["seconds"] if register["seconds"] else 0.0
    rate = run["people"] / run["replay_seconds"] if run["replay_seconds"] else 0.0
    entries_rate = run["entries"] / run["replay_seconds"] if run["replay_seconds"] else 0.0
    peers = (f"register alone {register_rate:,.0f} people/s; raw append {limits['raw_entries_per_s']:,.0f} "
             f"entries/s, ledger alone {limits['ledger_entries_per_s']:,.0f} entries/s")
    out = []
    busiest = next((d for d in run["dates"] if d["date"] == facts["busiest_day"]
                    and d["people"] == facts["busiest_day_people"]), None)
    out.append({
        "target": f"busiest day ({facts['busiest_day']}, {facts['busiest_day_people']:,} people) end to end",
        "limit": f"<= {BUSIEST_DAY_SECONDS:.0f} s",
        "measured": None if busiest is None else f"{busiest['seconds']:.1f} s ({busiest['cpu_seconds']:.1f} s CPU)",
        "passed": None if busiest is None else busiest["seconds"] <= BUSIEST_DAY_SECONDS,
        "peer": peers if busiest is None else f"{busiest['people'] / busiest['seconds']:,.0f} people/s; {peers}",
    })
    whole = run["people"] == facts["people"] and run["route_days"] == facts["route_days"]
    guess = None if whole else extrapolate(run["dates"], facts["people"], facts["route_days"])
    cpu = None if whole else extrapolate(run["dates"], facts["people"], facts["route_days"], "cpu_seconds")
    year_seconds = run["replay_seconds"] if whole else (guess["seconds"] if guess else None)
    year_cpu = run["replay_cpu_seconds"] if whole else (cpu["seconds"] if cpu else None)
    how = "" if whole or guess is None else f"; extrapolated from {guess['dates']} dates: {guess['model']}"
    out.append({
        "target": f"the whole of {facts['year']} ({facts['people']:,} people, {facts['route_days']:,} route-days)",
        "limit": f"<= {YEAR_SECONDS / 60:.0f} min",
        "measured": None if year_seconds is None else (
            f"{year_seconds / 60:.1f} min ({(year_cpu or 0) / 60:.1f} min CPU{how})"),
        "passed": None if year_seconds is None else year_seconds <= YEAR_SECONDS,
        "peer": f"{rate:,.0f} people/s, {entries_rate:,.0f} entries/s end to end; {peers}",
        "extrapolated": not whole,
    })
    first = run["dates"][0]["rss_mib"] if run["dates"] else 0.0
    last = run["dates"][-1]["rss_mib"] if run["dates"] else 0.0
    out.append({
        "target": "resident memory, first route-day to last",
        "limit": f"<= {RSS_LIMIT_MIB:.0f} MB",
        "measured": f"peak {run['rss_peak_mib']:.0f} MiB (after the first date {first:.0f}, after the last {last:.0f})",
        "passed": run["rss_peak_mib"] <= RSS_LIMIT_MIB,
        "peer": f"at the start {run['rss_start_mib']:.0f} MiB",
    })
    out.append({
        "target": "log verifies, rebuild --check clean",
        "limit": "both",
        "measured": (f"verify {'ok' if run.get('verify_ok') else 'FAILED'} ({run.get('verify_seconds', 0):.1f} s), "
                     f"rebuild {'ok' if run.get('rebuild_ok') else 'FAILED'} ({run.get('rebuild_seconds', 0):.1f} s)"),
        "passed": bool(run.get("verify_ok") and run.get("rebuild_ok")),
        "peer": run.get("rebuild_error") or run.get("verify_error") or "",
    })
    return out


def print_run(run: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    total = run["replay_seconds"] or 1.0
    people = run["people"] or 1
    table = Table(title=f"ICE Air on {run['backend']}: {run['route_days']:,} route-days, {run['people']:,} people, "
                  f"{run['entries']:,} entries in {run['replay_seconds']:.1f} s "
                  f"({run['people'] / total:,.0f} people/s, {run['entries'] / total:,.0f} entries/s)",
                  title_justify="left")
    for col in ("step", "s", "CPU s", "share", "commands", "entries", "ms a person", "commands/s", "transactions"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for name in STEPS:
        s = run["steps"][name]
        table.add_row(name, f"{s['seconds']:.1f}", f"{s['cpu_seconds']:.1f}", f"{s['seconds'] / total:.0%}",
                      f"{s['commands']:,}",
                      f"{s['entries']:,}", f"{s['seconds'] / people * 1e3:.2f}",
                      f"{s['commands'] / s['seconds']:,.0f}" if s["seconds"] else "-", f"{s['transactions']:,}")
    console.print(table)
    console.print(f"CPU of this process {run['replay_cpu_seconds']:.1f} s of {run['replay_seconds']:.1f} s; load "
                  f"{run['loadavg_after'][0]:.1f} at the end on {os.cpu_count()} CPUs")
    console.print(f"setup {run['setup_seconds']:.1f} s ({run['setup_entries']} entries, not in any step); verify "
                  f"{run.get('verify_seconds', 0):.1f} s, rebuild --check {run.get('rebuild_seconds', 0):.1f} s")
    for step, rows in run.get("step_profile", {}).items():
        spent = run["steps"][step]["seconds"]
        console.print(f"[bold]{step}[/] ({spent:.1f} s, profiled): where it goes, cumulative under the door")
        for r in rows[:6]:
            console.print(f"    {r['cumulative_s']:7.2f} s {r['calls']:>8,} calls  {r['function']}", markup=False,
                          highlight=False)


def print_targets(rows: list[dict[str, Any]], backend: str, console: Any) -> None:
    from rich.table import Table

    table = Table(title=f"ICE Air targets on {backend}", title_justify="left")
    for col in ("target", "limit", "measured", "", "peer or raw limit, same run"):
        table.add_column(col)
    for t in rows:
        verdict = "-" if t["passed"] is None else ("[green]PASS[/]" if t["passed"] else "[red]FAIL[/]")
        table.add_row(t["target"], t["limit"], t["measured"] or "not run", verdict, t["peer"])
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks --only ice-air", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="where results-ice-air.json goes")
    parser.add_argument("--quick", action="store_true", help="a few route-days of the busiest day, cut small")
    parser.add_argument("--year", type=int, default=TARGET_YEAR)
    parser.add_argument("--month", help="YYYY-MM: that month only")
    parser.add_argument("--day", help="YYYY-MM-DD: that mission date only")
    parser.add_argument("--limit-route-days", type=int, help="the first N route-days of the slice")
    parser.add_argument("--cap-people", type=int, help="each route-day cut to at most N people")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("HABEAS_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--workdir", type=Path, help="SQLite files go here (default: temp)")
    parser.add_argument("--seed", type=int, default=2012, help="the synthetic people's seed")
    parser.add_argument("--profile", action="store_true", help="cProfile the replay; the top lines are printed")
    parser.add_argument("--raw-entries", type=int, help="entries of the raw-limit appends (default 20,000)")
    parser.add_argument("--no-warm-up", action="store_true", help="time the first date cold (imports, caches)")
    parser.add_argument("--report", type=Path, metavar="RESULTS_JSON", help="only print the tables of a past run")
    args = parser.parse_args(argv)
    from rich.console import Console

    out = Console() if sys.stdout.isatty() else Console(width=180)
    log = Console(stderr=True)
    if args.report is not None:
        past = json.loads(args.report.read_text())
        for run in past["runs"]:
            run["targets"] = targets(run, past["year"], run["raw_limits"])
            print_run(run, out)
            print_targets(run["targets"], run["backend"], out)
        return 0
    selection = _selection(args)
    days = route_days(selection)
    if not days:
        log.print(f"no route-days in {selection.describe()}")
        return 2
    facts = year_facts(days[0].date.year if selection.year is None else selection.year)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "selection": selection.describe(), "route_days": len(days), "people": sum(d.people for d in days),
        "year": facts, "machine": _machine(), "runs": [],
    }
    raw_entries = args.raw_entries or (2_000 if args.quick else 20_000)
    log.print(f"ice-air: {selection.describe()}: {len(days):,} route-days, {results['people']:,} people; "
              f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    failed = False
    for backend in backends:
        limits = raw_limits(backend, args.pg_url, raw_entries, args.workdir)

        def heard(d: DateTime, backend: str = backend) -> None:
            log.print(f"  {backend} {d.date}: {d.route_days} route-days, {d.people:,} people in {d.seconds:.1f} s "
                      f"({d.cpu_seconds:.1f} s CPU; {d.people / d.seconds if d.seconds else 0:,.0f} people/s), "
                      f"RSS {d.rss_mib:.0f} MiB, load {os.getloadavg()[0]:.1f}")

        profile = args.out / f"ice-air-{backend}.pstats" if args.profile else None
        run = replay(days, warm_up=None if args.no_warm_up else warm_up_days(days[0].date), backend=backend,
                     pg_url=args.pg_url, workdir=args.workdir, seed=args.seed, profile=profile, on_date=heard)
        run["raw_limits"] = limits
        run["loadavg_after"] = os.getloadavg()
        run["targets"] = targets(run, facts, limits)
        results["runs"].append(run)
        print_run(run, out)
        print_targets(run["targets"], backend, out)
        failed |= not (run.get("verify_ok") and run.get("rebuild_ok"))
    path = args.out / "results-ice-air.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    out.print(f"results written to {path}")
    return 1 if failed else 0


def _machine() -> dict[str, Any]:
    """Where and when (the machine is shared: the load average is the noise to read the figures with)."""
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "nproc": os.cpu_count(),
            "python": platform.python_version(), "loadavg": os.getloadavg()}


if __name__ == "__main__":
    sys.exit(main())
