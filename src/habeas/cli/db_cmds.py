"""`habeas db upgrade`, `habeas db current` and `habeas db grant`: the database's schema revision and its runtime
role; and `habeas rebuild --apply`.

Registered by :mod:`habeas.cli.main` (``app.add_typer(db_app, name="db")``); ``habeas rebuild --apply`` calls
:func:`rebuild_apply_cmd`. Nothing here registers itself.
"""

from __future__ import annotations

import sys
from contextlib import closing
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress

from habeas.cli.common import opened
from habeas.cli.console import err
from habeas.cli.context import settings_of
from habeas.domain.errors import HabeasError

if TYPE_CHECKING:
    from habeas.bootstrap import Settings

db_app = typer.Typer(
    help=(
        "The database's schema: bring it to this version of habeas, or show the revision it is at; and the "
        "least-privileged PostgreSQL role the server connects as (`habeas db grant`).\n\n"
        "Example: after installing a new habeas, `habeas db upgrade` (one transaction; running it again does "
        "nothing), then `habeas db current --check` in a deploy script."
    ),
    no_args_is_help=True,
)


@db_app.command("upgrade")
def upgrade_cmd(ctx: typer.Context) -> None:
    """Bring the database to this habeas's schema, in one transaction; a database made before migrations is
    recognised (stamped) first. Safe to run again.

    Example: `habeas --db postgresql://habeas@db/habeas db upgrade`
    """
    from habeas.bootstrap import upgrade_database

    settings = settings_of(ctx)
    report = upgrade_database(settings)
    if report.stamped:
        err.print(f"[dim]{escape(settings.db_url)} was made before migrations: stamped 0001_baseline first[/]")
    if report.before == report.after:
        sys.stdout.write(f"OK: the database is at {report.after} (head); nothing to do\n")
    else:
        was = "no revision" if report.before is None else report.before
        sys.stdout.write(f"OK: upgraded the database from {was} to {report.after} (head)\n")
    _commit_access_log(settings)


def _commit_access_log(settings: Settings) -> None:
    """Have the ledger commit to access-log rows the upgrade chained (rows from before the chain), if the signing
    key is here; otherwise the next read commits them, and `habeas log verify` says so meanwhile."""
    from habeas.bootstrap import open_services

    if not settings.key_path.exists():
        return
    with closing(open_services(settings)) as services:
        if services.commit_access_log():
            err.print("[dim]the ledger now commits to the access log's rows from before the upgrade[/]")


@db_app.command("grant")
def grant_cmd(
    ctx: typer.Context,
    role: Annotated[str, typer.Argument(help="The runtime role's name (a-z, 0-9, _), e.g. habeas_app.")],
    new_password: Annotated[
        bool, typer.Option("--new-password", help="Give an existing role a new random password.")
    ] = False,
) -> None:
    """Create or update the PostgreSQL role `habeas serve` connects as, and print its URL.

    It can read, append, and update what the services update, but it does not own the tables: it cannot ALTER
    them, switch their triggers off or DROP them. Run it as the owner (who ran `habeas init`), and again after
    every `habeas db upgrade`. A new role gets a random password, shown once in the URL.

    Example: `habeas --db postgresql://owner@db/habeas db grant habeas_app`, then
    `HABEAS_DATABASE_URL=<the URL printed> habeas serve`
    """
    from habeas.bootstrap import grant_runtime_role

    granted = grant_runtime_role(settings_of(ctx), role, new_password=new_password)
    sys.stdout.write(granted.url + "\n")
    if granted.created:
        err.print(f"[dim]created role {role}; its password is in the URL above and is not shown again[/]")
    elif granted.password is None:
        err.print(f"[dim]set {role}'s privileges again; its password is unchanged (--new-password sets one)[/]")
    else:
        err.print(f"[dim]set {role}'s privileges again, with a new password (in the URL above)[/]")


@db_app.command("current")
def current_cmd(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 unless the database is at this habeas's head revision.")
    ] = False,
) -> None:
    """Print the database's schema revision and this habeas's head revision.

    Example: `habeas db current` prints `0001_baseline (head)`.
    """
    from habeas.bootstrap import schema_revision

    found, target = schema_revision(settings_of(ctx))
    if found == target:
        sys.stdout.write(f"{found} (head)\n")
        return
    shown = "none" if found is None else found
    sys.stdout.write(f"{shown} (head is {target}: run `habeas db upgrade`)\n")
    if check:
        raise HabeasError(f"the database is at {shown}, not {target}: run `habeas db upgrade`")


def rebuild_apply_cmd(ctx: typer.Context) -> None:
    """Replace every projection with a rebuild from the ledger alone, in one transaction (commands wait).

    Example: `habeas rebuild --check` names a difference; `habeas rebuild --apply` rewrites the projections from
    the log; `habeas rebuild --check` then passes.
    """
    from habeas.services.rebuild import RebuildError

    with opened(ctx) as services:
        try:
            with Progress("rebuilding", BarColumn(), MofNCompleteColumn(), console=err, transient=True,
                          disable=not err.is_terminal) as bar:
                task = bar.add_task("rebuild", total=services.size())
                report = services.rebuild_apply(progress=lambda n: bar.update(task, completed=n))
        except RebuildError as e:
            raise HabeasError(f"{e}; the projections were left as they were") from e
    rows = ", ".join(
        f"{t} {n}" + ("" if report.removed[t] == n else f" (was {report.removed[t]})") for t, n in report.tables.items()
    )
    sys.stdout.write(f"OK: the projections were rebuilt from {report.entries} entries ({rows})\n")
