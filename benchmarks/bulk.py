"""Commands and seconds to register 261 people from a file, then clear, fly, count, hand over and admit them:
one command a person, as the command line did before, against the bulk commands (`habeas person import FILE`,
`habeas intake admit --manifest ID`).

``python -m benchmarks --only bulk`` (or ``python -m benchmarks.bulk``). SQLite only: the before-figures time
single commands on copies of the database file, so the operation itself is recorded once.

How each figure is had:
- A one-off command (`manifest create` with 261 ``--person``, `clear`, `board`, ... `intake admit --manifest`) is run
  once as a real ``python -m habeas`` process: its wall time, interpreter start-up included, is what an operator
  waits for.
- A command run once a person (`person add`, `custody admit`, `custody depart`, `intake admit PERSON`) is timed
  ``SAMPLES`` times as a real process on a copy of the database at that point, and multiplied by 261. The state
  the operation needs next is recorded in-process in one batch through the door (not timed as the CLI's).
- `person add` is also timed in-process (Typer's runner, no interpreter start-up) ``IN_PROCESS`` times: the part of
  a single command that is not start-up.

The sample file is data/synthetic-people-261/SYNTHETIC-people-261.csv: the demo's 261 invented people
(:mod:`habeas.demo.cases`), written by :func:`write_sample`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).parents[1] / "data" / "synthetic-people-261" / "SYNTHETIC-people-261.csv"
SAMPLES = 5  # real processes per single-person command kind
IN_PROCESS = 20  # in-process `person add` runs
HEADER = ["person_id", "given_names", "surname", "second_surname", "date_of_birth", "sex", "nationalities",
          "country_of_birth", "languages", "a_number", "passport"]

PACK = """\
name: bulk-benchmark
jurisdictions: [US]
description: identity and the destination's capacity only (the benchmark's operation, synthetic).
gates:
  - identity_verified
  - destination_capacity
parameters:
  min_notice_hours: 0
  notice_languages: understood
  notice_content_types: [removal_order]
  copy_notice_to_counsel: false
  consular_mandatory_nationalities: []
  capacity_standard: icrc
  agreement_required: false
  require_final_order: false
"""


def write_sample(path: Path = SAMPLE, seed: int = 2025) -> int:
    """The demo's 261 synthetic people as a file `habeas person import` reads; returns how many."""
    from habeas.demo.cases import cases

    path.parent.mkdir(parents=True, exist_ok=True)
    people = [k.person for k in cases(seed)]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        for p in people:
            writer.writerow([p.person_id, p.given_names, p.surnames[0], p.surnames[1], p.date_of_birth.isoformat(),
                             "male", p.nationality, p.nationality, ";".join(p.languages), p.a_number,
                             f"{p.nationality}:{p.passport}"])
    return len(people)


@dataclass
class Step:
    name: str
    before_commands: int
    before_seconds: float
    after_commands: int
    after_seconds: float
    note: str = ""


@dataclass
class Operation:
    """One SQLite ledger in ``folder`` and the ``habeas`` process that works on it."""

    folder: Path
    pack: Path
    log: Callable[[str], None]
    timings: dict[str, list[float]] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.folder / "habeas.db"

    def env(self, folder: Path | None = None) -> dict[str, str]:
        where = folder or self.folder
        return {**os.environ, "HABEAS_DATABASE_URL": f"sqlite:///{where / 'habeas.db'}",
                "HABEAS_SIGNING_KEY": str(self.folder / "habeas.key"), "HABEAS_POLICY_PACK": str(self.pack),
                "COLUMNS": "200", "NO_COLOR": "1"}

    def run(self, *args: str, folder: Path | None = None) -> float:
        """`python -m habeas ARGS` as a real process; its wall time."""
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "habeas", *args], cwd=self.folder, env=self.env(folder),
                              capture_output=True, text=True, timeout=900, check=False)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(f"habeas {' '.join(args[:4])} ... failed: {proc.stderr.strip()[-600:]}")
        return seconds

    def sample(self, kind: str, commands: Sequence[Sequence[str]]) -> float:
        """Each single-person command in a real process, on a copy of the ledger as it is now; the mean."""
        copy = Path(tempfile.mkdtemp(prefix=f"sample-{kind}-", dir=self.folder))
        shutil.copy(self.db, copy / "habeas.db")
        self.timings[kind] = [self.run(*cmd, folder=copy) for cmd in commands]
        shutil.rmtree(copy)
        mean = statistics.mean(self.timings[kind])
        self.log(f"  {kind}: {mean:.2f} s a command (mean of {len(commands)} real processes)")
        return mean

    def services(self) -> Any:
        from habeas.bootstrap import Settings, open_services

        return open_services(Settings(db_url=f"sqlite:///{self.db}", key_path=self.folder / "habeas.key"),
                             pack=str(self.pack))


def _in_process_person_add(op: Operation, n: int) -> float:
    """`habeas person add` through Typer's runner in this process (no interpreter start-up): the mean."""
    from typer.testing import CliRunner

    from habeas.cli.main import app

    copy = Path(tempfile.mkdtemp(prefix="in-process-", dir=op.folder))
    shutil.copy(op.db, copy / "habeas.db")
    env = {k: v for k, v in op.env(copy).items() if k.startswith("HABEAS_")}
    runner, times = CliRunner(), []
    for i in range(n):
        started = time.perf_counter()
        result = runner.invoke(app, ["person", "add", "--given", "Sintético", "--surname", f"Prueba{i}", "--dob",
                                     "1990-01-01", "--nationality", "VE", "--a-number", f"A29900{i:04d}",
                                     "--as", "o-us@ice"], env=env)
        times.append(time.perf_counter() - started)
        if result.exit_code != 0:
            raise RuntimeError(f"in-process person add failed: {result.output[-400:]}")
    shutil.rmtree(copy)
    return statistics.mean(times)


def run_bulk(*, workdir: Path | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The operation, step by step, before and after; returns the figures."""
    from habeas.domain import commands as c
    from habeas.domain.actors import Caller
    from habeas.domain.custody import Authority, Custodian

    folder = Path(tempfile.mkdtemp(prefix="bulk-", dir=workdir))
    (folder / "pack.yaml").write_text(PACK, encoding="utf-8")
    op = Operation(folder, folder / "pack.yaml", log)
    with SAMPLE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    ids = [r["person_id"] for r in rows]
    n = len(ids)
    now = datetime.now(UTC).replace(microsecond=0)
    t = {k: (now - timedelta(days=1) + timedelta(minutes=m)).isoformat() for k, m in (
        ("setup", -600), ("register", -500), ("staging", -400), ("create", 0), ("clear", 10), ("board", 20),
        ("departs", 60), ("arrives", 300), ("count", 310), ("issue", 320), ("intake", 360))}
    ice, us_officer = Caller(agency="ice", officer="o-us"), Custodian(agency_id="ice", officer_id="o-us")

    log(f"bulk: setting up in {folder}")
    for args in (
        ("init", "--origin", "bench.habeas/bulk"),
        ("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration"),
        ("agency", "add", "--id", "dgcp", "--name", "DGCP", "--country", "SV", "--kind", "prisons"),
        ("officer", "add", "--id", "o-us", "--agency", "ice", "--name", "Escort (synthetic)", "--role", "escort",
         "--generate-key", "o-us.key", "--as", "o-us@ice"),
        ("officer", "add", "--id", "o-sv", "--agency", "dgcp", "--name", "Intake (synthetic)", "--role", "intake",
         "--generate-key", "o-sv.key", "--as", "o-sv@dgcp"),
        ("facility", "add", "--id", "f-us", "--name", "SPC", "--country", "US", "--type", "spc", "--agency", "ice",
         "--as", "o-us@ice"),
        ("facility", "unit", "add", "f-us", "--id", "b1", "--label", "B1", "--area", "1000", "--beds", "300",
         "--as", "o-us@ice"),
        ("facility", "add", "--id", "f-sv", "--name", "Prison", "--country", "SV", "--type", "prison", "--agency",
         "dgcp", "--as", "o-sv@dgcp"),
        *(("facility", "unit", "add", "f-sv", "--id", f"c-{k}", "--label", f"Block {k}", "--area", "250", "--beds",
           "80", "--as", "o-sv@dgcp") for k in range(1, 5)),
    ):
        op.run(*args, "--at", t["setup"]) if args[0] != "init" else op.run(*args)
    steps: list[Step] = []

    # -- register ---------------------------------------------------------------------------------------------
    log("register")
    single_add = op.sample("person add", [
        ("person", "add", "--given", "Sintético", "--surname", f"Muestra{i}", "--dob", "1990-01-01", "--nationality",
         "VE", "--a-number", f"A29800{i:04d}", "--passport", f"VE:S{i:07d}", "--as", "o-us@ice", "--at", t["register"])
        for i in range(SAMPLES)
    ])
    in_process_add = _in_process_person_add(op, IN_PROCESS)
    log(f"  person add in-process: {in_process_add:.3f} s a command (mean of {IN_PROCESS})")
    imported = op.run("person", "import", str(SAMPLE), "--as", "o-us@ice", "--at", t["register"])
    steps.append(Step("register 261 people from a file", n, n * single_add, 1, imported))

    # -- staging: already detained at the origin (one command a person, before and after) -----------------------
    log("admit at the origin facility (staging)")
    single_admit = op.sample("custody admit", [
        ("custody", "admit", ids[i], "--facility", "f-us", "--unit", "b1", "--custodian", "o-us@ice", "--authority",
         "dhs", "--basis", "ina_241", "--as", "o-us@ice", "--at", t["staging"]) for i in range(SAMPLES)
    ])
    services = op.services()
    try:
        services.execute_many([c.AdmitToCustody(
            person_id=p, occurred_at=datetime.fromisoformat(t["staging"]), facility_id="f-us", unit_id="b1",
            custodian=us_officer, authority=Authority(agency_id="dhs", legal_basis="ina_241")) for p in ids], ice)
    finally:
        services.close()
    steps.append(Step("admit at the origin (staging)", n, n * single_admit, n, n * single_admit,
                      "no bulk command yet: one `custody admit` a person in both"))

    # -- clear ---------------------------------------------------------------------------------------------------
    log("manifest: create, clear, board")
    people_args = [a for p in ids for a in ("--person", p)]
    seconds = op.run("manifest", "create", "--id", "m-1", "--journey", "j-1", "--leg-id", "l-1", "--carrier",
                     "charter (synthetic)", "--vehicle", "CH-1", "--from", "KHRL", "--from-country", "US", "--to",
                     "MSLP", "--to-country", "SV", "--departs", t["departs"], "--arrives", t["arrives"], "--facility",
                     "f-sv", "--escort", "o-us", *people_args, "--at", t["create"], "--as", "o-us@ice")
    seconds += op.run("manifest", "clear", "m-1", "--at", t["clear"], "--as", "o-us@ice")
    seconds += op.run("manifest", "board", "m-1", "--at", t["board"], "--as", "o-us@ice")
    steps.append(Step("draw up, clear and board the manifest", 3, seconds, 3, seconds))

    # -- fly ---------------------------------------------------------------------------------------------------
    log("fly")
    single_depart = op.sample("custody depart", [
        ("custody", "depart", ids[i], "--leg", "l-1", "--custodian", "o-us@ice", "--as", "o-us@ice", "--at",
         t["departs"]) for i in range(SAMPLES)
    ])
    services = op.services()
    try:
        services.execute_many([c.DepartOnLeg(person_id=p, occurred_at=datetime.fromisoformat(t["departs"]),
                                             leg_id="l-1", custodian=us_officer) for p in ids], ice)
    finally:
        services.close()
    seconds = op.run("manifest", "depart", "m-1", "--at", t["departs"], "--as", "o-us@ice")
    seconds += op.run("manifest", "arrive", "m-1", "--at", t["arrives"], "--as", "o-us@ice")
    steps.append(Step("fly: each person departs, the manifest departs and arrives", n + 2,
                      n * single_depart + seconds, n + 2, n * single_depart + seconds,
                      "no bulk command yet: one `custody depart` a person in both"))

    # -- count -------------------------------------------------------------------------------------------------
    log("count, hand over")
    counted = [a for p in ids for a in ("--counted", p)]
    seconds = op.run("headcount", "record", "m-1", "--checkpoint", "arrival", *counted, "--id", "hc-arrival",
                     "--at", t["count"], "--as", "o-us@ice")
    steps.append(Step("count at arrival", 1, seconds, 1, seconds))

    # -- hand over ---------------------------------------------------------------------------------------------
    people_args = [a for p in ids for a in ("--person", p)]
    seconds = op.run("handoff", "issue", *people_args, "--releasing", "o-us@ice", "--receiving", "o-sv@dgcp",
                     "--place", "mslp", "--country", "SV", "--authority", "dhs", "--basis", "ina_241", "--manifest",
                     "m-1", "--id", "hr-1", "--at", t["issue"], "--as", "o-us@ice")
    seconds += op.run("handoff", "sign", "hr-1", "--key", "o-us.key", "--out", "us.sig")
    seconds += op.run("handoff", "sign", "hr-1", "--key", "o-sv.key", "--out", "sv.sig")
    seconds += op.run("handoff", "complete", "hr-1", "--releasing-sig", "@us.sig", "--receiving-sig", "@sv.sig",
                      "--as", "o-us@ice")
    seconds += op.run("manifest", "hand-over", "m-1", "--receipt", "hr-1", "--as", "o-us@ice")
    steps.append(Step("hand over on a dual-signed receipt", 5, seconds, 5, seconds))

    # -- admit -------------------------------------------------------------------------------------------------
    log("admit at the destination")
    single_intake = op.sample("intake admit PERSON", [
        ("intake", "admit", ids[i], "--facility", "f-sv", "--custodian", "o-sv@dgcp", "--commitment-authority",
         "DGCP", "--receipt", "hr-1", "--as", "o-sv@dgcp", "--at", t["intake"]) for i in range(SAMPLES)
    ])
    bulk_intake = op.run("intake", "admit", "--manifest", "m-1", "--custodian", "o-sv@dgcp", "--commitment-authority",
                         "DGCP", "--receipt", "hr-1", "--as", "o-sv@dgcp", "--at", t["intake"])
    steps.append(Step("admit everyone at the destination", n, n * single_intake, 1, bulk_intake))
    op.run("log", "verify")

    total = Step("total", *(sum(getattr(s, k) for s in steps) for k in (
        "before_commands", "before_seconds", "after_commands", "after_seconds")))
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "people": n,
        "steps": [vars(s) for s in steps],
        "total": vars(total),
        "single_command_seconds": {k: statistics.mean(v) for k, v in op.timings.items()},
        "person_add_in_process_seconds": in_process_add,
        "samples": SAMPLES,
        "python": sys.version.split()[0],
    }


def print_bulk(results: dict[str, Any], out: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{results['people']} people from a file to their cells: before (one command a person) and "
                  "after (bulk)", title_justify="left")
    for col in ("step", "before: commands", "before: s", "after: commands", "after: s", "note"):
        table.add_column(col, justify="left" if col in ("step", "note") else "right")
    for s in [*results["steps"], results["total"]]:
        table.add_row(s["name"], f"{s['before_commands']:,}", f"{s['before_seconds']:,.0f}", f"{s['after_commands']:,}",
                      f"{s['after_seconds']:,.0f}", s["note"])
    out.print(table)
    singles = ", ".join(f"{k} {v:.2f} s" for k, v in results["single_command_seconds"].items())
    out.print(f"one command, a real process each: {singles}; `person add` in-process (no start-up): "
              f"{results['person_add_in_process_seconds']:.3f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bulk", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench-out"), help="where results-bulk.json goes")
    parser.add_argument("--workdir", type=Path, default=None, help="the ledgers go here (default: temp)")
    parser.add_argument("--write-sample", action="store_true", help=f"write {SAMPLE.name} again and stop")
    args = parser.parse_args(argv)
    if args.write_sample:
        print(f"wrote {write_sample()} synthetic people to {SAMPLE}")
        return 0
    from rich.console import Console

    results = run_bulk(workdir=args.workdir, log=Console(stderr=True).print)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results-bulk.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print_bulk(results, Console() if sys.stdout.isatty() else Console(width=160))
    print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
