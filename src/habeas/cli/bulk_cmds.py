"""`habeas person import FILE` and `habeas intake admit --manifest ID`: a plane or a bus in one command.

Each is many ordinary commands (``RegisterPerson``, ``AdmitAtIntake``) in ONE transaction through the door
(:mod:`habeas.services.bulk`): all of them are recorded, or none. A file is parsed whole first, and every bad cell
of every row is listed before anything is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.text import Text

from habeas.cli.common import (
    AsOption,
    AtOption,
    at_or_now,
    authority,
    new_id,
    opened,
    parse_caller,
    parse_custodian,
    reading,
)
from habeas.cli.console import DataTable, err, out
from habeas.cli.import_cmds import DEFAULT_MAX_BYTES, ENV_MAX_BYTES, _max_bytes  # a register's size limit
from habeas.domain.errors import HabeasError

if TYPE_CHECKING:
    from habeas.domain.identity import RegisterPerson
    from habeas.services.bulk import Admitted, Registered

__all__ = ["admit_manifest", "person_import_cmd"]

WARNINGS_SHOWN = 50


@contextmanager
def _bar(description: str, total: int | None) -> Iterator[Progress]:
    """A Rich progress bar on stderr, shown on a terminal only (a pipe or a test gets the summary alone)."""
    bar = Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                   transient=True, disable=not err.is_terminal)
    with bar:
        bar.add_task(description, total=total)
        yield bar


def _advance(bar: Progress) -> Callable[[int], None]:
    task = bar.task_ids[0]
    return lambda n: bar.update(task, completed=n)


# -- habeas person import FILE ---------------------------------------------------------------------------------


def person_import_cmd(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV (UTF-8) or XLSX: a header row, then one person a row.")],
    max_bytes: Annotated[
        str | None,
        typer.Option("--max-bytes", envvar=ENV_MAX_BYTES, show_default=False,
                     help=f"Refuse a file larger than this many bytes (default {DEFAULT_MAX_BYTES:,}; also "
                     f"{ENV_MAX_BYTES})."),
    ] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Register every person in a file, in one transaction, or refuse the file and register no one.

    Columns (any case; spaces or hyphens for underscores): given_names and surname (required), second_surname,
    person_id, aliases, date_of_birth, sex, nationalities, country_of_birth, languages, a_number, passport and
    national_id (COUNTRY:NUMBER); lists separated by ";". Every bad cell is listed by row and column before
    anything is written. Likely duplicates (an identifier or a name and birth date already on record, or on an
    earlier row) are warned of and summarised, never merged.

    Example: habeas person import data/synthetic-people-261/SYNTHETIC-people-261.csv --as o-diaz@ice
    """
    from habeas.importers.people import PeopleRowsError, load_people
    from habeas.services.bulk import register_people

    started = time.perf_counter()
    occurred_at = at_or_now(at)
    caller = parse_caller(actor)
    with _bar("reading", None) as bar:
        parsed = load_people(path, at=occurred_at, progress=_advance(bar),
                             max_bytes=_max_bytes(max_bytes))
    if parsed.errors:
        for e in parsed.errors:
            err.print(f"[bold red]row error[/] {escape(str(e))}", soft_wrap=True, highlight=False)
        raise PeopleRowsError(parsed.path, parsed.errors)
    rows = parsed.require_importable()
    commands = [r.command if r.command.person_id else _with_new_id(r.command) for r in rows]
    with opened(ctx) as services, _bar("registering", len(commands)) as bar:
        registered = register_people(
            services, commands, caller, item=lambda i: f"row {rows[i].row_number}",
            progress=_advance(bar),
        )
    numbers = [r.row_number for r in rows]
    out.print(_import_summary(parsed.rows_read, parsed.blank_rows, registered, time.perf_counter() - started))
    _print_warnings(numbers, registered)
    out.print(f"imported {len(registered):,} people from {path} in one transaction", soft_wrap=True)


def _with_new_id(cmd: RegisterPerson) -> RegisterPerson:
    return replace(cmd, person_id=new_id("p"))


def _import_summary(rows_read: int, blank: int, registered: Sequence[Registered], seconds: float) -> DataTable:
    table = DataTable(title="Import summary", title_justify="left")
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_row("rows read", f"{rows_read:,}")
    if blank:
        table.add_row("blank rows skipped", f"{blank:,}")
    table.add_row(Text("people registered", style="bold"), Text(f"{len(registered):,}", style="bold"))
    table.add_row("  with a likely duplicate (warned, not merged)", f"{sum(1 for r in registered if r.warnings):,}")
    seqs = [s for r in registered for s in r.seqs]
    if seqs:
        table.add_row("ledger entries", f"{seqs[0]}..{seqs[-1]}")
    table.add_row("seconds", f"{seconds:.1f}")
    return table


def _print_warnings(numbers: Sequence[int], registered: Sequence[Registered]) -> None:
    flagged = [(n, r) for n, r in zip(numbers, registered, strict=True) if r.warnings]
    if not flagged:
        return
    out.print(f"[yellow]{len(flagged):,} may already be registered[/] (nothing merged: if the same person, "
              "`habeas person merge SURVIVOR DUPLICATE --basis REASON`)", soft_wrap=True)
    lines = [
        f"  row {n} ({r.person_id}): may be the same person as {w.other_person_id} ({w.reason.value.replace('_', ' ')})"
        for n, r in flagged for w in r.warnings
    ]
    for line in lines[:WARNINGS_SHOWN]:
        out.print(line, soft_wrap=True, markup=False, highlight=False)
    if len(lines) > WARNINGS_SHOWN:
        out.print(f"  ... and {len(lines) - WARNINGS_SHOWN:,} more", soft_wrap=True)


# -- habeas intake admit --manifest ID ---------------------------------------------------------------------------


def admit_manifest(
    ctx: typer.Context,
    manifest: str,
    *,
    custodian: str,
    commitment: str,
    facility: str | None = None,
    authority_agency: str | None = None,
    basis: str | None = None,
    record: str | None = None,
    receipt: str | None = None,
    at: str | None = None,
    actor: str | None = None,
    one_person: Sequence[str] = (),
) -> None:
    """`habeas intake admit --manifest ID`: everyone on an arrived manifest admitted at its destination facility,
    each into a unit the rules choose (capacity and separation, as for one person), in one transaction: all of
    them, or no one. People a count did not find (an open discrepancy or escape on the manifest) and people
    already held at the facility are left out and listed. Ids: adm-<manifest>-<person>.

    ``one_person``: the options given that make sense for one person only (PERSON, --unit, an override, --id),
    refused rather than ignored. ``facility``: only where the manifest's leg names no destination.
    """
    from habeas.domain.manifest_intake import left_out
    from habeas.services import bulk
    from habeas.services.bulk import manifest_intake_plan

    if one_person:
        raise HabeasError(f"--manifest admits everyone on the manifest, each into a unit the rules choose: leave out "
                          f"{', '.join(one_person)} (or admit one person without --manifest)")
    started = time.perf_counter()
    occurred_at = at_or_now(at)
    caller = parse_caller(actor)
    chosen_authority = authority(authority_agency, basis, record)
    with reading(ctx) as reader:
        plan = reader.read(manifest_intake_plan, manifest, facility)
    with opened(ctx) as services, _bar("admitting", len(plan.admit)) as bar:
        admitted = bulk.admit_manifest(
            services, plan, caller, custodian=parse_custodian(custodian), commitment_authority=commitment,
            occurred_at=occurred_at, authority=chosen_authority, receipt_id=receipt,
            progress=_advance(bar),
        )
    out.print(_units_table(plan.facility_id, admitted))
    for person, why in left_out(plan):
        err.print(f"[yellow]left out:[/] {escape(person)}: {escape(why)}", soft_wrap=True)
    seqs = [s for a in admitted for s in a.seqs]
    out.print(f"admitted {len(admitted):,} people from manifest {escape(manifest)} at {escape(plan.facility_id)} in "
              f"one transaction (entries {seqs[0]}..{seqs[-1]}; {time.perf_counter() - started:.1f} s)", soft_wrap=True)


def _units_table(facility_id: str, admitted: Sequence[Admitted]) -> DataTable:
    table = DataTable(title=f"Admitted at {escape(facility_id)}, by unit", title_justify="left")
    table.add_column("unit")
    table.add_column("people", justify="right")
    table.add_column("first", overflow="fold")
    table.add_column("last", overflow="fold")
    by_unit: dict[str, list[str]] = {}
    for a in admitted:
        by_unit.setdefault(a.unit_id, []).append(a.person_id)
    for unit, people in by_unit.items():
        table.add_row(unit, f"{len(people):,}", people[0], people[-1])
    table.add_row(Text("total", style="bold"), Text(f"{len(admitted):,}", style="bold"), "", "")
    return table

