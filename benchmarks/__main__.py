"""``python -m benchmarks [--quick] [--only sqlite|postgres|gates|locator|bulk|cli|commands|rebuild|ice-air]``.

The full run does the ledger sections, then the gates and the demo (benchmarks/gates.py) on the same backends,
then issue 12's sections: the command path beside eventsourcing, rebuild, the ICE Air replay of the busiest day
and the locator under load (each prints its targets with PASS/FAIL and writes its own results file);
``--only gates`` does the gates and the demo alone (both backends if PostgreSQL is reachable) and writes
results-gates.json.
``--only locator`` runs the public locator under wrk against ``habeas serve`` (benchmarks/locator.py; it seeds
100,000 people per backend the first time) and writes results-locator.json.
``--only bulk`` registers 261 people from a file and takes them to their cells, one command a person and with the bulk
commands (benchmarks/bulk.py; SQLite; not part of the full run) and writes results-bulk.json. ``--only cli`` times
`habeas --help` and a read command as real processes beside the interpreter's own start (benchmarks/cli_start.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from benchmarks.config import FULL, QUICK
from benchmarks.gates import run_gates
from benchmarks.report import evaluate, print_tables
from benchmarks.run import run_all

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"

# Sections with a main of their own: ``--only NAME [their options]`` runs benchmarks/MODULE.py's main with
# ``--out`` (and ``--quick``) and whatever options follow.
SECTIONS = {
    "commands": "commands",  # the command path beside eventsourcing's application path
    "rebuild": "rebuild_bench",  # rebuild --check entries/s
    "ice-air": "ice_air",  # a real year of ICE Air flights replayed through Services
}


def _postgres_reachable(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def _locator(args: argparse.Namespace, backends: list[str], out: Console, log: Console) -> int:
    from benchmarks.locator import WrkMissing, print_locator_tables, run_locator

    try:
        results = run_locator(
            quick=args.quick,
            backends=backends,
            pg_url=args.pg_url,
            out_dir=args.out,
            reseed=args.reseed,
            seconds=args.seconds,
            workers=args.workers,
            console=log,
        )
    except WrkMissing as e:
        log.print(f"error: {e}")
        return 2
    path = args.out / "results-locator.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print_locator_tables(results, out)
    out.print(f"results written to {path}")
    failed = [
        r["backend"]
        for r in results["runs"]
        if r["locator"] is None or any(r[k]["non_2xx"] for k in ("locator", "locator_1", "healthz"))
    ]
    if failed:
        log.print(f"[red]locator not measured, or answered non-2xx, on: {', '.join(failed)}[/]")
        return 1
    wrong = [r["backend"] for r in results["runs"] if any(a["right"] != a["checked"] for a in r["answers"].values())]
    if wrong:
        log.print(
            f"[red]the locator's sample answers were wrong on: {', '.join(wrong)} (a database seeded before a change "
            "to the locator's keys? run again with --reseed)[/]"
        )
        return 1
    return 0


def split_section(argv: list[str]) -> tuple[list[str], list[str]]:
    """The command line cut after ``--only SECTION`` for a section with its own main: what comes before is this
    parser's, everything after is the section's (so ``--only ice-air --backend postgres`` reaches ice-air's own
    ``--backend``, not the locator's of the same name here)."""
    for i, arg in enumerate(argv):
        if arg == "--only" and i + 1 < len(argv) and argv[i + 1] in SECTIONS:
            return argv[: i + 2], argv[i + 2 :]
        if arg.startswith("--only=") and arg.partition("=")[2] in SECTIONS:
            return argv[: i + 1], argv[i + 1 :]
    return argv, []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repetition (a smoke run)")
    parser.add_argument(
        "--only",
        choices=("sqlite", "postgres", "gates", "locator", "bulk", "cli", *SECTIONS),
        help="one backend only, or the gates section only, or the locator under load only, or one section with "
        "its own options (`--only ice-air --help` lists them; they follow --only)",
    )
    parser.add_argument("--pg-url", default=os.environ.get("HABEAS_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="where results.json goes")
    parser.add_argument("--workdir", type=Path, default=None, help="SQLite files go here (default: temp)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the timed runs, profile habeas's appends, verification and proofs",
    )
    parser.add_argument("--report", type=Path, metavar="RESULTS_JSON", help="only print the tables of a past run")
    loc = parser.add_argument_group("locator (--only locator)")
    loc.add_argument("--reseed", action="store_true", help="seed the locator's people again even if they are there")
    loc.add_argument("--seconds", type=int, help="length of each wrk run (default 30; 5 with --quick)")
    loc.add_argument("--backend", choices=("sqlite", "postgres"), help="the locator on one backend only")
    loc.add_argument("--workers", type=int, help="pass --workers to habeas serve (default: its own default)")
    head, tail = split_section(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(head)
    if args.only in SECTIONS:  # a section with its own main and options (issue 12's)
        import importlib

        section = importlib.import_module(f"benchmarks.{SECTIONS[args.only]}")
        return int(section.main(["--out", str(args.out), *(["--quick"] if args.quick else []), *tail]))

    out = Console() if sys.stdout.isatty() else Console(width=160)
    if args.report is not None:
        past = json.loads(args.report.read_text())
        past["targets"] = evaluate(past)
        print_tables(past, out)
        return 0
    log = Console(stderr=True)
    if args.only == "cli":  # how long `habeas` takes to answer, beside the interpreter's own start
        from benchmarks.cli_start import main as cli_main

        return cli_main(["--out", str(args.out)])
    if args.only == "bulk":  # 261 people from a file to their cells, before and after the bulk commands
        from benchmarks.bulk import main as bulk_main

        return bulk_main(["--out", str(args.out), *(["--workdir", str(args.workdir)] if args.workdir else [])])
    gates_only = args.only == "gates"
    backends = [args.only] if args.only in ("sqlite", "postgres") else ["sqlite", "postgres"]
    if args.only == "locator" and args.backend:
        backends = [args.backend]
    if "postgres" in backends:
        why = _postgres_reachable(args.pg_url)
        if why is not None:
            if args.only == "postgres":
                log.print(f"error: PostgreSQL at {args.pg_url} is not reachable: {why}")
                return 2
            log.print(f"[yellow]PostgreSQL at {args.pg_url} is not reachable ({why}); SQLite only[/]")
            backends = ["sqlite"]
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only == "locator":
        return _locator(args, backends, out, log)
    cfg = QUICK if args.quick else FULL
    if gates_only:
        from benchmarks.report import machine

        results = {
            "machine": machine(args.pg_url if "postgres" in backends else None),
            "config": {"name": cfg.name, "backends": backends, "gates_only": True},
            "appends": [],
            "verify": [],
            "proofs": [],
        }
    else:
        results = run_all(
            cfg,
            backends=backends,
            pg_url=args.pg_url,
            out_dir=args.out,
            workdir=args.workdir,
            profile=args.profile,
            console=log,
        )
    results["gates"] = run_gates(
        sizes=cfg.gate_sizes,
        reps=cfg.gate_reps,
        demo_runs=cfg.demo_runs,
        backends=backends,
        pg_url=args.pg_url,
        out_dir=args.out,
        workdir=args.workdir,
        console=log,
    )
    results["config"].update(gate_sizes=list(cfg.gate_sizes), gate_reps=cfg.gate_reps, demo_runs=cfg.demo_runs)
    results["targets"] = evaluate(results)
    path = args.out / ("results-gates.json" if gates_only else "results.json")
    path.write_text(json.dumps(results, indent=2) + "\n")
    print_tables(results, out)
    out.print(f"results written to {path}")
    if args.only is not None:
        return 0
    return _issue_12_sections(args, backends, out, log)


def _issue_12_sections(args: argparse.Namespace, backends: list[str], out: Console, log: Console) -> int:
    """The rest of a full run: the command path, rebuild, the ICE Air replay (its busiest day, on each backend;
    the year extrapolated from it) and the locator under load, each printing its targets with PASS/FAIL."""
    import importlib

    quick = ["--quick"] if args.quick else []
    both = ["--backend", "both" if len(backends) == 2 else backends[0]]
    runs = {
        "commands": [] if len(backends) == 2 else ["--backend", backends[0]],
        "rebuild": [] if len(backends) == 2 else ["--backend", backends[0]],
        "ice-air": [*([] if args.quick else ["--day", "2012-04-19"]), *both],
    }
    failed = 0
    for name, extra in runs.items():
        log.rule(f"python -m benchmarks --only {name} {' '.join(extra)}".rstrip())
        section = importlib.import_module(f"benchmarks.{SECTIONS[name]}")
        failed |= int(section.main(["--out", str(args.out), *quick, *extra]))
    log.rule("python -m benchmarks --only locator")
    return failed | _locator(args, backends, out, log)


if __name__ == "__main__":
    sys.exit(main())
