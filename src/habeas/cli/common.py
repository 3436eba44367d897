"""What the write and read commands share: --at and --as, times, one command in, one line out, reading."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from habeas.cli.console import err, out
from habeas.cli.context import settings_of
from habeas.domain.errors import HabeasError

# A command's module is imported for its help too (`habeas person --help`): what a command runs with, the
# database, the services and the domain's commands, is imported when it runs, and named here for types only.
if TYPE_CHECKING:
    from habeas.domain.actors import Caller
    from habeas.domain.command import Command
    from habeas.domain.custody import Authority, Custodian
    from habeas.services.door import Door, Services
    from habeas.services.unit_of_work import Result

AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When it happened in the world: ISO 8601 with a time zone (2025-03-14T09:30:00-05:00, or a date "
        "for midnight UTC). Default: now.",
        show_default=False,
    ),
]
AsOption = Annotated[
    str | None,
    typer.Option(
        "--as", help="Who records the entry: OFFICER@AGENCY (their ids). Default: system.", show_default=False
    ),
]
IdOption = Annotated[str | None, typer.Option("--id", help="The new record's id (default: generated).")]


def parse_time(text: str, option: str = "--at") -> datetime:
    """An aware datetime; a bare date means midnight UTC; a time without a zone is refused (ambiguous)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        at = datetime.fromisoformat(text)
    except ValueError as e:
        raise HabeasError(f"{option} {text!r} is not an ISO 8601 time such as 2025-03-14T09:30:00Z") from e
    if at.tzinfo is None or at.utcoffset() is None:
        raise HabeasError(f"{option} {text!r} has no time zone: add Z or an offset such as -05:00")
    return at


def at_or_now(text: str | None) -> datetime:
    return datetime.now(UTC) if text is None else parse_time(text)


def optional_time(text: str | None, option: str) -> datetime | None:
    return None if text is None else parse_time(text, option)


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise HabeasError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from e


def _pair(text: str, option: str) -> tuple[str, str]:
    officer, sep, agency = text.partition("@")
    if not sep or not officer or not agency:
        raise HabeasError(f"{option} {text!r} is not OFFICER@AGENCY, e.g. o-diaz@ice")
    return officer, agency


def parse_caller(text: str | None) -> Caller:
    """``--as OFFICER@AGENCY``: who records the entry; without it, the system."""
    from habeas.domain.actors import SYSTEM_CALLER, Caller

    if text is None:
        return SYSTEM_CALLER
    officer, agency = _pair(text, "--as")
    return Caller(agency=agency, officer=officer)


def parse_custodian(text: str) -> Custodian:
    from habeas.domain.custody import Custodian

    officer, agency = _pair(text, "--custodian")
    return Custodian(agency_id=agency, officer_id=officer)


def authority(agency: str | None, basis: str | None, record_id: str | None) -> Authority | None:
    from habeas.domain.custody import Authority

    if agency is None and basis is None and record_id is None:
        return None
    if agency is None or basis is None:
        raise HabeasError("an authority needs both --authority AGENCY and --basis CODE (e.g. --basis ina_236)")
    return Authority(agency_id=agency, legal_basis=basis, record_id=record_id)


def country(text: str) -> str:
    """Codes are upper case in the ledger; accept what people type."""
    return text.strip().upper()


def new_id(prefix: str) -> str:
    """A new record's id (``prefix-<random>``), for a command given no --id."""
    from habeas.services import ids

    return ids.new_id(prefix)


@contextmanager
def opened(ctx: typer.Context) -> Iterator[Services]:
    """The services over the settings' ledger (the signing key is needed) and the deployment's packs (``habeas
    --pack``); closed on leaving."""
    from habeas.bootstrap import open_services

    services = open_services(settings_of(ctx))
    try:
        yield services
    finally:
        services.close()


def execute(ctx: typer.Context, cmd: Command, actor: str | None) -> Result:
    """Authorise, decide and record one command in one transaction (a refusal propagates as one line)."""
    caller = parse_caller(actor)
    with opened(ctx) as services:
        return services.execute(cmd, caller)


def recorded(what: str, record_id: str, result: Result, *, new_person: str = "<new id>") -> None:
    entries = ", ".join(str(s) for s in result.seqs)
    out.print(f"recorded {escape(what)} [bold]{escape(record_id)}[/] (entry {entries})", soft_wrap=True)
    show_warnings(result.warnings, new_person)


def show_warnings(warnings: Sequence[object], new_person: str) -> None:
    """The identity warnings among ``warnings``; the command that recorded other kinds (an intake's overrides)
    prints those itself."""
    from habeas.domain.identity import IdentityWarning

    for w in warnings:
        if not isinstance(w, IdentityWarning):
            continue
        reason = w.reason.value
        err.print(
            f"[yellow]warning:[/] may be the same person as {escape(w.other_person_id)} "
            f"({reason.replace('_', ' ')}); nothing merged: if it is, "
            f"`habeas person merge {escape(w.other_person_id)} {escape(new_person)} --basis {reason}`",
            soft_wrap=True,
        )


@contextmanager
def reading(ctx: typer.Context) -> Iterator[Door]:
    """Read-only access to the projections and the ledger (``.read(query, ...)``); no signing key needed."""
    from habeas.bootstrap import open_reader

    reader = open_reader(settings_of(ctx))
    try:
        yield reader
    finally:
        reader.close()
