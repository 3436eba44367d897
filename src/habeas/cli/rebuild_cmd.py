"""`habeas rebuild --check`: the projections must equal a rebuild from the ledger alone; `--apply` rewrites them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress

from habeas.cli.common import opened
from habeas.cli.console import err
from habeas.cli.db_cmds import rebuild_apply_cmd
from habeas.domain.errors import HabeasError


def rebuild_cmd(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Rebuild into scratch space and compare; change nothing.")
    ] = False,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="Replace the projections with the rebuild, in one transaction (commands wait)."),
    ] = False,
) -> None:
    """Rebuild every projection from the ledger alone and compare it with the live tables (exit 1 on a difference);
    with --apply, replace them with the rebuild."""
    if check == apply:
        raise HabeasError("give one of `habeas rebuild --check` (compare) or `habeas rebuild --apply` (rewrite)")
    if apply:
        rebuild_apply_cmd(ctx)
        return
    with opened(ctx) as services, Progress(
        "rebuilding", BarColumn(), MofNCompleteColumn(), console=err, transient=True, disable=not err.is_terminal
    ) as bar:
        task = bar.add_task("rebuild", total=services.size())
        report = services.rebuild_check(progress=lambda n: bar.update(task, completed=n))
    if report.ok:
        rows = ", ".join(f"{t} {n}" for t, n in report.tables.items())
        sys.stdout.write(f"OK: {report.entries} entries rebuild the projections exactly ({rows})\n")
        return
    for d in report.differences[:10]:
        err.print(f"[bold red]DIFF[/] {escape(str(d))}")
    raise HabeasError(f"the projections differ from the ledger: first difference in {report.differences[0]}")
