"""`habeas rebuild --check`: the projections must equal a rebuild from the ledger alone."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress

from habeas.bootstrap import open_ledger
from habeas.cli.main import app, err, settings_of
from habeas.domain.errors import HabeasError
from habeas.services.rebuild import RebuildError, rebuild_check


@app.command("rebuild")
def rebuild_cmd(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Rebuild into scratch space and compare; change nothing.")
    ] = False,
) -> None:
    """Rebuild every projection from the ledger alone and compare it with the live tables (exit 1 on a difference)."""
    if not check:
        raise HabeasError("only `habeas rebuild --check` exists: the live tables are never rewritten in place")
    ledger = open_ledger(settings_of(ctx))
    total = ledger.size()
    try:
        with Progress("rebuilding", BarColumn(), MofNCompleteColumn(), console=err, transient=True,
                      disable=not err.is_terminal) as bar:
            task = bar.add_task("rebuild", total=total)
            report = rebuild_check(ledger.engine, progress=lambda n: bar.update(task, completed=n))
    except RebuildError as e:
        raise HabeasError(str(e)) from e
    finally:
        ledger.engine.dispose()
    if report.ok:
        rows = ", ".join(f"{t} {n}" for t, n in report.tables.items())
        sys.stdout.write(f"OK: {report.entries} entries rebuild the projections exactly ({rows})\n")
        return
    for d in report.differences[:10]:
        err.print(f"[bold red]DIFF[/] {d}")
    raise HabeasError(f"the projections differ from the ledger: first difference in {report.differences[0]}")
