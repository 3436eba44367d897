"""The `habeas` command. It parses, calls one function, renders; errors become one line and a non-zero exit.

Every command module defines its commands on its own Typer app (or as plain functions); they are registered here,
explicitly, and nothing registers itself on import.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from habeas.bootstrap import DEFAULT_ORIGIN, Settings, init, load_packs, vkey_path
from habeas.cli import (
    account_cmds,
    custody_cmds,
    db_cmds,
    demo_cmd,
    facility_cmds,
    import_cmds,
    legal_cmds,
    log_cmds,
    manifest_cmds,
    operation_cmds,
    operation_record_cmds,
    people_cmds,
    rebuild_cmd,
    serve_cmds,
)
from habeas.cli.console import err, one_line, out
from habeas.cli.context import Context, DbOption, KeyOption, PackOption, settings_of
from habeas.domain.errors import HabeasError
from habeas.services.authority import permission_markdown, permission_rows
from habeas.services.public_log import vkey_of

__all__ = ["EXPECTED", "app", "err", "one_line", "out", "run"]

# Errors we raise on purpose (every one derives from HabeasError), and the system's: shown as one line, exit 1.
# Anything else is a bug and keeps its traceback.
EXPECTED = (HabeasError, OSError)


class _OneLineErrors(TyperGroup):
    """Our refusals become one line on stderr and exit 1, inside the command itself: the installed `habeas`
    and an in-process ``CliRunner`` behave the same. Anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: Any) -> Any:  # Any: Typer's Context is click's, vendored or not by Typer's version
        try:
            return super().invoke(ctx)
        except EXPECTED as e:
            err.print(f"[bold red]error:[/] {one_line(e)}")
            raise typer.Exit(1) from e
        except typer.BadParameter as e:  # a value the parser refused (not a number, out of range): one line too
            message = " ".join(e.format_message().split())[:300]
            err.print(f"[bold red]error:[/] {escape(message)} (--help lists the options)")
            raise typer.Exit(2) from e


app = typer.Typer(
    name="habeas",
    cls=_OneLineErrors,
    help=(
        "A custody ledger: who holds a person, where, since when, under what authority, "
        "provable to anyone.\n\nStart with `habeas demo`; for a real log, `habeas init` then `habeas log --help`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(ctx: typer.Context, db: DbOption = None, key: KeyOption = None, pack: PackOption = None) -> None:
    settings = Settings.resolve(db, key, pack)
    # The deployment's policy pack is configuration: a bad --pack or HABEAS_POLICY_PACK stops every command
    # before it runs.
    load_packs(settings.pack)
    ctx.obj = Context(settings)


@app.command("init")
def init_cmd(
    ctx: typer.Context,
    origin: Annotated[
        str, typer.Option(help="The log's origin line and key name, e.g. agency.example/custody-log.")
    ] = DEFAULT_ORIGIN,
) -> None:
    """Create the signing key (0600) and the database, or bring an existing database to this habeas's schema;
    safe to run again."""
    settings = settings_of(ctx)
    signer = init(settings, origin)
    out.print(f"database  {settings.db_url}")
    out.print(f"key       {settings.key_path} (private; keep it safe)")
    out.print(f"verifier  {vkey_of(signer)}  (also in {vkey_path(settings.key_path)})", soft_wrap=True)


@app.command("permissions")
def permissions_cmd(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/permissions.md instead of a table.")] = False,
) -> None:
    """Who may issue each command: the permission and roles it needs, and what the caller's agency must be to
    the people or records it is about. The door checks this for the API and the command line alike."""
    if markdown:
        typer.echo(permission_markdown(), nl=False)
        return
    table = Table(title="Who may issue each command (403 when refused; 404 outside the agency's view)",
                  title_justify="left")
    for col in ("command", "permission", "roles", "the caller's agency"):
        table.add_column(col, overflow="fold")
    for row in permission_rows():
        table.add_row(*row)
    out.print(table)


# In the order `habeas --help` lists them.
app.add_typer(custody_cmds.custody_app, name="custody")
app.command("demo")(demo_cmd.demo_cmd)
app.add_typer(facility_cmds.facility_app, name="facility")
app.add_typer(facility_cmds.agency_app, name="agency")
app.add_typer(facility_cmds.officer_app, name="officer")
app.add_typer(import_cmds.import_app, name="import")
app.add_typer(legal_cmds.legal_app, name="legal")
app.add_typer(log_cmds.log_app, name="log")
app.add_typer(manifest_cmds.manifest_app, name="manifest")
app.command("alerts")(manifest_cmds.alerts_cmd)
for _name, _sub in operation_record_cmds.SUBAPPS:
    app.add_typer(_sub, name=_name)
for _name, _sub in operation_cmds.SUBAPPS:
    app.add_typer(_sub, name=_name)
app.add_typer(people_cmds.person_app, name="person")
app.command("rebuild")(rebuild_cmd.rebuild_cmd)
app.add_typer(db_cmds.db_app, name="db")
app.add_typer(account_cmds.user_app, name="user")
app.add_typer(account_cmds.token_app, name="token")
app.command("serve")(serve_cmds.serve_cmd)


def run() -> None:
    # Typer (standalone) prints usage errors and exits 2 itself; our refusals are shown by _OneLineErrors.
    app()
