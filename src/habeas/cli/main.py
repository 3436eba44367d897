"""The `habeas` command. It parses, calls one function, renders; errors become one line and a non-zero exit.

Every command module defines its commands on its own Typer app (or as plain functions); they are listed here,
explicitly (``LAZY``), imported when they run, and nothing registers itself on import.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

import typer
from rich.markup import escape
from typer.core import TyperGroup

from habeas.cli.console import err, one_line, out
from habeas.cli.context import Context, DbOption, KeyOption, PackOption, settings_of
from habeas.cli.lazy import Lazy, LazyGroup

__all__ = ["LAZY", "app", "err", "one_line", "out", "run"]

DEFAULT_ORIGIN = "habeas.local/custody-log"  # bootstrap.DEFAULT_ORIGIN, spelt here so `--help` imports nothing


def _expected() -> tuple[type[BaseException], ...]:
    """Errors we raise on purpose (every one derives from HabeasError), and the system's: shown as one line, exit
    1. Anything else is a bug and keeps its traceback. (Imported when a command fails, not at start-up.)"""
    from habeas.domain.errors import HabeasError

    return (HabeasError, OSError)


# click's UsageError (no such option, a missing or refused value): Typer exports only its subclass BadParameter,
# and vendors click from 0.2x on, so the base is named through it (typed as the subclass: what is used here,
# format_message, is the base's).
_USAGE = cast("type[typer.BadParameter]", typer.BadParameter.__base__)


# The commands, in the order `habeas --help` lists them, each imported only when it runs (cli/lazy.py): the
# listing needs no SQLAlchemy, no domain and no services, and answers at once.
LAZY = (
    Lazy("demo", "habeas.cli.demo_cmd:demo_cmd",
         "Run the seed operation (261 synthetic people, Texas to El Salvador) through the command handlers."),
    Lazy("person", "habeas.cli.people_cmds:person_app",
         "People: register, import from a file, show, find, merge, erase."),
    Lazy("custody", "habeas.cli.custody_cmds:custody_app",
         "Custody: who holds a person, where, since when, under what authority, each with the entry it rests on."),
    Lazy("locate", "habeas.cli.locate_cmd:locate_cmd",
         "Where a person is held, or to whom they were handed: what the public locator answers, with its proof."),
    Lazy("legal", "habeas.cli.legal_cmds:legal_app",
         "Legal records, allegations and convictions; court orders; overrides of a return-required alert."),
    Lazy("facility", "habeas.cli.facility_cmds:facility_app",
         "Facilities and their units: declared beds beside the capacity their floor area allows."),
    Lazy("agency", "habeas.cli.facility_cmds:agency_app", "Agencies that hold people or authorise holding them."),
    Lazy("officer", "habeas.cli.facility_cmds:officer_app",
         "Officers of an agency, each with an Ed25519 key for signing handoffs."),
    Lazy("import", "habeas.cli.import_cmds:import_app", "Import registers from files."),
    Lazy("manifest", "habeas.cli.manifest_cmds:manifest_app",
         "Manifests: who is on a leg, the alternates, the due-process gates, draft -> cleared -> departed."),
    Lazy("alerts", "habeas.cli.manifest_cmds:alerts_cmd",
         "Return-required alerts, open incidents, missed notifications and capacity, as of a time."),
    Lazy("headcount", "habeas.cli.operation_cmds:headcount_app",
         "Headcounts: expected against counted; a difference opens an incident."),
    Lazy("handoff", "habeas.cli.operation_cmds:handoff_app",
         "Handoffs: a receipt signed by both officers with their own keys; then custody changes hands."),
    Lazy("intake", "habeas.cli.operation_cmds:intake_app",
         "Intake: admission (Mandela rule 7) and a unit within capacity and separation; a whole manifest at once."),
    Lazy("incident", "habeas.cli.operation_record_cmds:incident_app",
         "Incidents in transit and in custody; open until resolved with a reason."),
    Lazy("access", "habeas.cli.operation_record_cmds:access_app", "Every interview of or visit to a person."),
    Lazy("notification", "habeas.cli.operation_record_cmds:notification_app",
         "Notifications to family, counsel, consulate and next of kin, with deadlines."),
    Lazy("agreement", "habeas.cli.operation_record_cmds:agreement_app",
         "Agreements between states, and invoices by person-days."),
    Lazy("log", "habeas.cli.log_cmds:log_app",
         "The verifiable log: signed checkpoints, leaves, inclusion and consistency proofs, verification."),
    Lazy("rebuild", "habeas.cli.rebuild_cmd:rebuild_cmd",
         "Rebuild every projection from the ledger alone and compare (or, with --apply, replace)."),
    Lazy("db", "habeas.cli.db_cmds:db_app",
         "The database's schema (upgrade, current) and a least-privilege PostgreSQL role (grant)."),
    Lazy("user", "habeas.cli.account_cmds:user_app", "API users: one agency and one role each; list, disable."),
    Lazy("token", "habeas.cli.account_cmds:token_app",
         "API tokens: shown once, stored hashed, expiring; list, revoke."),
    Lazy("serve", "habeas.cli.serve_cmds:serve_cmd", "Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs)."),
)


HELP_ONLY = "habeas.help_only"  # in the root context's meta: the command line asks for a help page only


def _help_only(ctx: Any, command: Any, args: list[str]) -> bool:
    """Whether `habeas COMMAND ARGS` only shows a help page: a help option among ARGS, or a group named without one
    of its commands (`habeas custody`, `habeas facility unit`). (A value that is itself "--help" reads as help
    here: the settings are then resolved when the command first uses them, rather than before it runs.)"""
    if any(arg in ctx.help_option_names for arg in args):
        return True
    while isinstance(command, TyperGroup):
        if not args:
            return bool(command.no_args_is_help)
        command, args = command.get_command(ctx, args[0]), args[1:]
    return False


class _OneLineErrors(LazyGroup):
    """Our refusals become one line on stderr and exit 1, inside the command itself: the installed `habeas`
    and an in-process ``CliRunner`` behave the same. Anything else is a bug and keeps its traceback."""

    LAZY = LAZY

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # The root's callback runs after the command is found and before it reads its own arguments: tell it
        # whether they ask only for a help page (which needs no settings, and so no database).
        name, command, rest = super().resolve_command(ctx, args)
        ctx.meta[HELP_ONLY] = _help_only(ctx, command, rest)
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:  # Any: Typer's Context is click's, vendored or not by Typer's version
        try:
            return super().invoke(ctx)
        except _expected() as e:
            # escaped: a message quotes what was typed, and "[/x]" is not Rich markup to render
            err.print(f"[bold red]error:[/] {escape(one_line(e))}")
            raise typer.Exit(1) from e
        except _USAGE as e:  # what the parser refused (not a number, no such option or command): one line too
            if type(e).__name__ == "NoArgsIsHelpError":  # a bare group (`habeas custody`): its help, as asked
                raise
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
    ctx.obj = Context(db, key, pack)
    if not ctx.meta.get(HELP_ONLY, False):
        # Resolved now: a bad --pack or HABEAS_POLICY_PACK stops every command before it runs.
        settings_of(ctx)


@app.command("init")
def init_cmd(
    ctx: typer.Context,
    origin: Annotated[
        str, typer.Option(help="The log's origin line and key name, e.g. agency.example/custody-log.")
    ] = DEFAULT_ORIGIN,
) -> None:
    """Create the signing key (0600) and the database, or bring an existing database to this habeas's schema;
    safe to run again."""
    from habeas.bootstrap import init, vkey_path
    from habeas.services.public_log import vkey_of

    settings = settings_of(ctx)
    signer = init(settings, origin)
    out.print(f"database  {escape(settings.db_url)}")
    out.print(f"key       {escape(str(settings.key_path))} (private; keep it safe)")
    out.print(f"verifier  {vkey_of(signer)}  (also in {escape(str(vkey_path(settings.key_path)))})", soft_wrap=True)


@app.command("permissions")
def permissions_cmd(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/permissions.md instead of a table.")] = False,
) -> None:
    """Who may issue each command: the permission and roles it needs, and what the caller's agency must be to
    the people or records it is about. The door checks this for the API and the command line alike."""
    from rich.table import Table

    from habeas.services.authority import permission_markdown, permission_rows

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


def run() -> None:
    # Typer (standalone) prints usage errors and exits 2 itself; our refusals are shown by _OneLineErrors.
    app()
