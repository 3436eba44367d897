"""`habeas demo`: the seed operation through the command handlers, on a fresh SQLite database, then its signed
checkpoint, its verification and a rebuild check."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from habeas.cli.console import DataTable, out
from habeas.domain.errors import HabeasError

if TYPE_CHECKING:
    from habeas.demo import operation
    from habeas.services import reports

MARKER = ".habeas-demo"
WIDTH = 120


class Transactions(StrEnum):
    """habeas.demo.runner.Grouping, spelt here so that `habeas demo --help` imports neither the demo nor the
    services (tests/unit/test_cli_start.py holds the two equal)."""

    MIXED = "mixed"
    COMMAND = "command"
    PERSON = "person"
    STEP = "step"


def _fresh_dir(path: Path) -> None:
    """Make ``path`` an empty demo folder; refuse to wipe a folder that a demo did not create."""
    if path.exists():
        if not (path / MARKER).exists():
            raise HabeasError(f"{path} exists and is not a habeas demo folder; choose another --dir")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by `habeas demo`; deleted by the next run\n")


def _n(x: object) -> str:
    return f"{x:,}" if isinstance(x, int) else str(x)


def _step_table(outcome: operation.Outcome) -> DataTable:
    t = DataTable(title="Steps (every entry decided by the domain and recorded by its command handler)")
    for col, right in (("#", True), ("step", False), ("people", True), ("commands", True), ("entries", True),
                       ("transactions", True), ("s", True)):
        t.add_column(col, justify="right" if right else "left")
    for i, s in enumerate(outcome.steps, 1):
        t.add_row(str(i), s.label, _n(s.people) if s.people else "", _n(s.commands), _n(s.entries),
                  _n(s.transactions), f"{s.seconds:.1f}")
    t.add_row("", Text("total", style="bold"), _n(outcome.people), _n(sum(s.commands for s in outcome.steps)),
              _n(sum(s.entries for s in outcome.steps)), _n(sum(s.transactions for s in outcome.steps)),
              f"{sum(s.seconds for s in outcome.steps):.1f}")
    return t


def _custody_table(outcome: operation.Outcome) -> DataTable:
    t = DataTable(title="Custody after each move, read from the projections: status × custodian × authority × place")
    for col in ("step", "status", "custodian", "legal authority: basis", "place", "country", "people"):
        t.add_column(col, justify="right" if col in ("people", "step") else "left", no_wrap=True)
    numbers = {s.label: i for i, s in enumerate(outcome.steps, 1)}
    for label, rows in outcome.snapshots:
        for j, r in enumerate(rows):
            t.add_row(str(numbers[label]) if j == 0 else "", r.status, r.custodian, r.authority, r.place, r.country,
                      _n(r.people))
    return t


def _capacity_table(rows: list[reports.CapacityRow]) -> DataTable:
    t = DataTable(title="Capacity: declared, and computed from the registered floor area (per unit, rounded down)")
    for col in ("facility", "units", "floor m²", "declared", "bunks", "CPT\n4 m²", "ICRC\n3.4 m²",
                "m² a person\nat declared", "held\nnow"):
        t.add_column(col, justify="left" if col == "facility" else "right")
    for r in rows:
        per = r.m2_per_person_declared
        t.add_row(f"{r.facility}, {r.country}", _n(r.units), _n(int(r.floor_area_m2)),
                  _n(r.declared_capacity) if r.declared_capacity is not None else "-", _n(r.declared_beds),
                  _n(r.cpt), _n(r.icrc), "-" if per is None else f"{per:.2f}", _n(r.held))
    return t


def _print_catch(con: Console, k: operation.Catch) -> None:
    con.print(f"  [bold red]CAUGHT[/] {k.title}", soft_wrap=True)
    for line in k.lines:
        con.print(f"      {line}", soft_wrap=True)


def _count_table(rows: list[reports.CountRow]) -> DataTable:
    from habeas.demo import world as w

    t = DataTable(
        title=f"Reconciliation: expected against counted at each checkpoint of journey {w.JOURNEY}, each leg "
        "against its own manifest",
        caption=f"air = {w.MANIFEST} ({w.AIR_LEG}); bus N = {w.BUS_MANIFESTS[0][:-1]}N "
        f"({w.BUS_LEGS[0][:-1]}N), N = 1..{w.BUSES}",
    )
    for col in ("leg", "checkpoint", "at (UTC)", "expected", "counted", "missing", "unexpected", "incident"):
        t.add_column(col, justify="right" if col in ("expected", "counted") else "left", no_wrap=True)
    for r in rows:
        leg = "air" if r.manifest == w.MANIFEST else f"bus {w.BUS_MANIFESTS.index(r.manifest) + 1}"
        t.add_row(leg, r.checkpoint, r.at[5:16].replace("T", " "), _n(r.expected), _n(r.counted),
                  ", ".join(r.missing) or "-", ", ".join(r.unexpected) or "-", r.incident or "-")
    return t


def _allegation_table(rows: list[reports.AllegationRow]) -> DataTable:
    t = DataTable(title="Allegations against convictions (separate records; nothing turns one into the other)")
    for col in ("nationality", "organisation alleged", "people", "status alleged", "adjudicated",
                "people with any conviction"):
        t.add_column(col, justify="left" if col in ("nationality", "organisation alleged") else "right")
    for r in rows:
        t.add_row(r.nationality, r.organisation, _n(r.people), _n(r.alleged), _n(r.adjudicated),
                  _n(r.convicted_people))
    return t


def demo_cmd(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo database and key (replaced on each run).")
    ] = Path("habeas-demo"),
    transactions: Annotated[
        Transactions,
        typer.Option(
            "--transactions",
            help="Commands a transaction: mixed (a person's records per person, a group move at once), "
            "person, step, or command (one each, as Services.execute).",
        ),
    ] = Transactions.MIXED,
) -> None:
    """Run the seed operation (261 synthetic people, Texas to El Salvador) through the command handlers."""
    from habeas.bootstrap import Settings, init, open_services
    from habeas.demo import operation
    from habeas.demo import world as w
    from habeas.demo.synthetic import SYNTHETIC
    from habeas.services import reports
    from habeas.services.alert_binding import overrides
    from habeas.services.incidents import incident_list
    from habeas.services.manifests import alerts
    from habeas.services.notifications import missed_notifications

    started = time.perf_counter()
    con = out if out.is_terminal else Console(highlight=False, width=WIDTH, emoji=False)
    _fresh_dir(directory)
    ground_pack = operation.write_ground_pack(directory)
    settings = Settings(db_url=f"sqlite:///{directory / 'habeas.db'}", key_path=directory / "habeas.key")
    init(settings, "habeas.demo/custody-log")
    con.print("[bold]habeas demo[/]: the seed operation of March 2025, through the command handlers")
    con.print(f"[bold]{SYNTHETIC}[/] (every name, birth date and document number in this log)")
    con.print(f"database {settings.db_url}, signing key {settings.key_path} (0600)")
    con.print(
        f"People: {operation.VENEZUELANS} Venezuelan (Faker es_CO) + {operation.SALVADORANS} Salvadoran "
        f"(Faker es_MX), all SYNTHETIC; {w.PORT_ISABEL.source}; {w.MEGA_PRISON.source}.\n", soft_wrap=True
    )
    con.print(
        f"Policy pack: [bold]{operation.POLICY_PACK}[/] (shipped, unchanged: all ten gates, 168 hours' notice). "
        "Everyone the records allow to go passes it legitimately: notices served in Spanish eight days before "
        "wheels-up, consular notification offered, fitness to travel assessed, orders naming El Salvador, the "
        "US-SV agreement recorded.", soft_wrap=True
    )
    con.print(
        f"Ground legs (airport to CECOT, {w.BUSES} armoured buses of {w.SV_AGENCY.agency_id}): pack "
        f"[bold]{w.GROUND_PACK}[/] from {ground_pack} (written by the demo: identity_verified and "
        "destination_capacity only; the receiving state's domestic leg runs no US removal gate).\n", soft_wrap=True
    )
    services = open_services(settings, extra_packs=(str(ground_pack),))
    try:
        outcome = operation.run(
            services, ground_pack=ground_pack, grouping=operation.Grouping(transactions.value),
            on_step=lambda s: con.print(f"  {s.label}: {_n(s.entries)} entries ({s.seconds:.1f} s)", soft_wrap=True),
            on_catch=lambda k: _print_catch(con, k),
        )
        capacity = services.read(reports.capacity)
        allegations = services.read(reports.allegations)
        counts = services.read(reports.reconciliation, w.MANIFEST, *w.BUS_MANIFESTS)
        returns = services.read(alerts)
        overridden = services.read(overrides)
        override_counts = services.read(reports.return_overrides)
        missed = services.read(missed_notifications, w.INTAKE_AT + timedelta(hours=6))
        open_incidents = services.read(incident_list, open_only=True)
        notices = services.read(reports.notice_hours, w.DEPARTS_AT)
        con.print()
        con.print(_step_table(outcome))
        con.print(_custody_table(outcome))
        con.print(_capacity_table(capacity))
        con.print(f"  {w.PORT_ISABEL.name} and {w.WILLACY.name}: the register gives no floor area; their unit areas "
                  "are illustrative.", soft_wrap=True)
        for r in capacity:
            if r.declared_capacity and r.declared_capacity > r.cpt:
                con.print(
                    f"  {r.facility}: declared {_n(r.declared_capacity)} is {r.declared_capacity / r.cpt:.1f}× "
                    f"the CPT figure ({_n(r.cpt)}) and {r.declared_capacity / r.icrc:.1f}× the ICRC figure "
                    f"({_n(r.icrc)}); {_n(r.declared_beds)} bunks; "
                    f"{r.m2_per_person_declared or 0:.2f} m² a person if it held what it declares. Intake placed "
                    f"each person within the computed capacity of a unit set aside for migration detainees "
                    "(convicted prisoners and rival organisations apart).", soft_wrap=True
                )
        con.print(_allegation_table(allegations))
        alleged = sum(r.people for r in allegations)
        convicted = sum(r.convicted_people for r in allegations)
        con.print(f"  {_n(alleged)} people alleged to belong to a gang; {_n(convicted)} with any conviction; "
                  f"{_n(sum(r.adjudicated for r in allegations))} allegations adjudicated.")
        if outcome.warnings:
            con.print(f"  duplicate-identity warnings at registration: {len(outcome.warnings)} (never merged)")

        con.print("\n[bold]habeas alerts[/] (read back from the database):")
        for a in returns:
            gone = sum((a.record_id, p) in overridden for p in a.person_ids)
            con.print(f"  {a.kind}: {a.manifest_id} on {a.record_id}: {len(a.person_ids)} people named "
                      f"({a.person_ids[0]} ... {a.person_ids[-1]}); {gone} overridden",
                      soft_wrap=True)
        for i in open_incidents:
            con.print(f"  incident open: {i.incident_id} ({i.kind}) on {i.manifest_id}, naming "
                      f"{', '.join(i.person_ids)}", soft_wrap=True)
        con.print(f"  notifications missed: {len(missed)} (family told of the transfer to another state, due at "
                  "once under Mandela rule 68, not recorded as sent)", soft_wrap=True)
        con.print(f"  {notices.rule}: {notices.detail}.", soft_wrap=True)
        con.print(f"  public report: operations taken on despite an order to return: "
                  f"{sum(o.overrides for o in override_counts)} overrides, "
                  f"{sum(o.people for o in override_counts)} people", soft_wrap=True)

        con.print(_count_table(counts))
        con.print(f"  ground legs: {len(outcome.ground_manifests)} bus manifests cleared against {w.GROUND_PACK}, "
                  f"counted at boarding, arrival and intake, closed: {len(outcome.ground_closed)} "
                  f"({', '.join(outcome.ground_closed)}); {w.MANIFEST}, returned with the people the order covers, "
                  "stays open on its incident.", soft_wrap=True)
        con.print("\n[bold]Not yet enforced:[/]")
        con.print("  not yet enforced: a bus manifest is handed over at CECOT without a signed receipt: custody "
                  "passes inside the receiving agency (escort officer to intake officer) by the arrive transition, "
                  "which asks for none.", soft_wrap=True)

        con.print("\n[bold]Latest signed checkpoint[/] (C2SP signed note):")
        con.print(services.checkpoint(), end="", markup=False, soft_wrap=True)
        verified = services.verify()
        if not verified.ok:
            raise HabeasError(f"the demo log does not verify: {verified.problems[0]}")
        rebuilt = services.rebuild_check()
        if not rebuilt.ok:
            raise HabeasError(f"the demo projections differ from the ledger: {rebuilt.differences[0]}")
    finally:
        services.close()
    con.print(
        f"\n[bold green]verified[/]: {_n(verified.entries_checked)} entries, {_n(verified.checkpoints_checked)} "
        f"signed checkpoints, {_n(verified.private_checked)} private payloads match their commitments; "
        f"a rebuild from the log alone equals the live tables ({_n(rebuilt.entries)} entries replayed). "
        f"{_n(outcome.people)} people, {time.perf_counter() - started:.1f} s in all.", soft_wrap=True
    )
    con.print(f"Try: habeas --db {settings.db_url} --key {settings.key_path} log verify", soft_wrap=True)
    con.print(f"     habeas --db {settings.db_url} --key {settings.key_path} rebuild --check", soft_wrap=True)
