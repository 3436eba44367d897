"""The `habeas` command. It parses, calls one function, renders; errors become one line and a non-zero exit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError
from typer.core import TyperGroup

from habeas.bootstrap import DEFAULT_ORIGIN, Settings, init, vkey_path
from habeas.domain.errors import DomainError, HabeasError
from habeas.importers.tabular import ImportFileError
from habeas.ledger.entry import EntryError
from habeas.ledger.log import LogError
from habeas.ledger.merkle import ProofError
from habeas.ledger.note import NoteError, format_vkey
from habeas.storage.errors import StorageError


class _OneLineErrors(TyperGroup):
    """Our refusals become one line on stderr and exit 1, inside the command itself: the installed `habeas`
    and an in-process ``CliRunner`` behave the same. Anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED as e:
            err.print(f"[bold red]error:[/] {one_line(e)}")
            raise typer.Exit(1) from e


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
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)


@dataclass
class Context:
    settings: Settings


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (sqlite:///PATH or postgresql://...). [env: HABEAS_DATABASE_URL]", show_default=False
    ),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", help="Signing key file. [env: HABEAS_SIGNING_KEY; default: ./habeas.key]"),
]


@app.callback()
def _main(ctx: typer.Context, db: DbOption = None, key: KeyOption = None) -> None:
    ctx.obj = Context(Settings.resolve(db, key))


def settings_of(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj.settings


@app.command("init")
def init_cmd(
    ctx: typer.Context,
    origin: Annotated[
        str, typer.Option(help="The log's origin line and key name, e.g. agency.example/custody-log.")
    ] = DEFAULT_ORIGIN,
) -> None:
    """Create the signing key (0600) and the database; safe to run again."""
    settings = settings_of(ctx)
    signer = init(settings, origin)
    out.print(f"database  {settings.db_url}")
    out.print(f"key       {settings.key_path} (private; keep it safe)")
    out.print(f"verifier  {format_vkey(signer.verifier())}  (also in {vkey_path(settings.key_path)})", soft_wrap=True)


def _register() -> None:
    # Imported here so `habeas --help` stays fast and the command modules can import `app` from this one.
    from habeas.cli import (  # noqa: F401
        custody_cmds,
        demo_cmd,
        facility_cmds,
        import_cmds,
        legal_cmds,
        log_cmds,
        manifest_cmds,
        operation_cmds,
        people_cmds,
        rebuild_cmd,
        serve_cmds,
    )


_register()

# Errors we raise on purpose: shown as one line, exit 1. Anything else is a bug and keeps its traceback.
EXPECTED = (
    HabeasError, LogError, StorageError, NoteError, ProofError, EntryError, SQLAlchemyError, OSError, DomainError,
    ImportFileError,
)


def run() -> None:
    # Typer (standalone) prints usage errors and exits 2 itself; our refusals are shown by _OneLineErrors.
    app()


def one_line(e: BaseException) -> str:
    if isinstance(e, SQLAlchemyError):
        orig = getattr(e, "orig", None)
        text = str(orig if orig is not None else e)
        return "database: " + " ".join(text.split())[:300]
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename}: {e.strerror}" if e.filename else e.strerror
    return " ".join(str(e).split())
