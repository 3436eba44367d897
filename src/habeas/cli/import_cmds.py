"""`habeas import facilities FILE`: a whole facility register in one transaction, or nothing.

Parsing (:mod:`habeas.importers.facilities`) explains every odd value; a fatal file or any row that cannot
become a facility refuses the whole file before anything is written; :mod:`habeas.importers.facility_register`
then registers every facility in ONE ledger write.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.text import Text

from habeas.cli.common import AsOption, AtOption, at_or_now, opened, parse_caller
from habeas.cli.console import DataTable, err, out
from habeas.domain.errors import AlreadyExists, HabeasError, shown
from habeas.domain.values import MAX_BIGINT

if TYPE_CHECKING:
    from habeas.importers.facilities import FacilityImport

import_app = typer.Typer(
    help="Import registers from files.\n\nExample: `habeas import facilities ice-facility-list-2017-11-06-main.csv`",
    no_args_is_help=True,
)

NOTE_EXAMPLES = 5
ENV_MAX_BYTES = "HABEAS_IMPORT_MAX_BYTES"
# habeas.importers.tabular.DEFAULT_MAX_BYTES, spelt here so that the help imports no importer (and no zipfile);
# tests/unit/test_cli_start.py holds the two equal.
DEFAULT_MAX_BYTES = 100_000_000
MAX_DIGITS = len(str(MAX_BIGINT))
ERRORS_SHOWN = 20


def _print_notes(parsed: FacilityImport, all_notes: bool) -> None:
    from habeas.importers.cells import NoteKind

    by_kind: dict[NoteKind, list[str]] = defaultdict(list)
    for n in parsed.notes:
        by_kind[n.kind].append(f"row {n.row_number}, {n.column} {n.value!r}: {n.meaning}")
    if not by_kind:
        return
    out.print("[bold]Odd values, and what each was taken to mean[/]")
    for kind in NoteKind:
        lines = by_kind.get(kind)
        if not lines:
            continue
        out.print(f"[bold]{kind.value}[/] ({len(lines):,})", soft_wrap=True)
        shown = lines if all_notes else lines[:NOTE_EXAMPLES]
        for line in shown:
            out.print(f"  {line}", soft_wrap=True, markup=False, highlight=False)
        if len(shown) < len(lines):
            out.print(f"  ... and {len(lines) - len(shown):,} more (--all-notes lists every one)", soft_wrap=True)


def _summary(parsed: FacilityImport, redacted: int, appended: list[int], seconds: float) -> DataTable:
    s = parsed.summary()
    table = DataTable(title="Import summary", title_justify="left")
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_row("rows read", f"{s.rows_read:,}")
    if s.blank_rows:
        table.add_row("blank rows skipped", f"{s.blank_rows:,}")
    table.add_row(Text("facilities imported", style="bold"), Text(f"{len(appended):,}", style="bold"))
    table.add_row("  with a declared capacity", f"{s.with_capacity:,}")
    table.add_row("  DETLOC redacted: id from a hash of the row", f"{redacted:,}")
    for kind, n in s.notes_by_kind.items():
        table.add_row(f"notes: {kind.value}", f"{n:,}")
    for column, n in sorted(s.blanks_by_column.items()):
        table.add_row(f"blank: {column}", f"{n:,}")
    for column, n in sorted(s.not_applicable_by_column.items()):
        table.add_row(f"N/A: {column}", f"{n:,}")
    if appended:
        table.add_row("ledger entries", f"{appended[0]}..{appended[-1]}")
    table.add_row("seconds", f"{seconds:.1f}")
    return table


@import_app.command("facilities")
def facilities_cmd(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The register: CSV (UTF-8) or XLSX, ICE 'Facility List' columns.")],
    all_notes: Annotated[
        bool, typer.Option("--all-notes", help=f"List every odd value, not {NOTE_EXAMPLES} of each kind.")
    ] = False,
    max_bytes: Annotated[
        str | None,
        typer.Option(
            "--max-bytes", envvar=ENV_MAX_BYTES, show_default=False,
            help=f"Refuse a file larger than this many bytes (default {DEFAULT_MAX_BYTES:,}; also {ENV_MAX_BYTES}).",
        ),
    ] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Import a facility register whole, in one transaction, or refuse it and append nothing.

    Ids are ice-<DETLOC lower case>; rows whose DETLOC was redacted get ice-redacted-<hash of the row's other
    cells>, stable across imports of the same file. Importing a register twice is refused.

    Example: habeas import facilities data/ice-facilities-2017/ice-facility-list-2017-11-06-main.csv
    """
    from habeas.importers.facilities import ImportRowsError, load_facilities
    from habeas.importers.facility_register import register_facilities

    started = time.perf_counter()
    occurred_at = at_or_now(at)
    caller = parse_caller(actor)
    with _progress() as bar:
        task = bar.add_task("parsing", total=None)
        parsed = load_facilities(
            path, progress=lambda n: bar.update(task, completed=n), max_bytes=_max_bytes(max_bytes)
        )
    _print_notes(parsed, all_notes)
    if parsed.errors:
        for e in parsed.errors[:ERRORS_SHOWN]:
            err.print(f"[bold red]row error[/] {escape(str(e))}", soft_wrap=True, markup=True)
        if len(parsed.errors) > ERRORS_SHOWN:
            err.print(f"... and {len(parsed.errors) - ERRORS_SHOWN} more row errors")
        raise ImportRowsError(parsed.path, parsed.errors)
    rows = parsed.require_importable()
    redacted = sum(1 for r in rows if r.code is None)
    with opened(ctx) as services, _progress() as bar:
        task = bar.add_task("registering", total=len(rows))
        try:
            seqs = register_facilities(
                services, rows, occurred_at=occurred_at, caller=caller,
                progress=lambda n: bar.update(task, completed=n),
            )
        except AlreadyExists as e:
            raise HabeasError(f"{e}: this register (or part of it) was imported already; nothing appended") from e
    if redacted:
        out.print(f"{redacted} rows had their DETLOC redacted: their ids are ice-redacted-<hash of the row's other "
                  "cells>, the same on every import of this file", soft_wrap=True)
    out.print(_summary(parsed, redacted, seqs, time.perf_counter() - started))
    out.print(f"imported {len(seqs):,} facilities from {path} in one transaction", soft_wrap=True)


def _max_bytes(text: str | None) -> int:
    """--max-bytes (or HABEAS_IMPORT_MAX_BYTES): a whole number of bytes from 1 to 2^63 - 1, read here rather than
    by the option parser so a bad value is one line like every other refusal."""
    if text is None:
        return DEFAULT_MAX_BYTES
    value = text.strip().replace("_", "").replace(",", "")
    if not value.isdigit() or len(value) > MAX_DIGITS or not 1 <= int(value) <= MAX_BIGINT:
        raise HabeasError(
            f"--max-bytes (or {ENV_MAX_BYTES}) {shown(text)} is not a whole number of bytes from 1 to {MAX_BIGINT:,}"
        )
    return int(value)


def _progress() -> Progress:
    return Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                    transient=True, disable=not err.is_terminal)
