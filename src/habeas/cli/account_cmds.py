"""`habeas user add|list|disable`, `habeas token create|list|revoke`: who may use the HTTP API, and who no longer
may. The command line acts as the deployment's operator, for every agency; an agency's admin does the same for
their own agency over HTTP (GET /auth/users, POST /auth/users/{id}/disable, GET /auth/tokens,
DELETE /auth/tokens/{id})."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from habeas.cli.console import DataTable, out
from habeas.cli.context import settings_of
from habeas.domain.actors import Role
from habeas.domain.errors import HabeasError

if TYPE_CHECKING:
    from habeas.services.door import Door

# habeas.services.accounts' TOKEN_LIFETIME and MAX_TOKEN_LIFETIME in days, spelt here so that the help imports no
# services (tests/unit/test_cli_start.py holds them equal).
TOKEN_DAYS = 30
MAX_DAYS = 365

user_app = typer.Typer(
    help="API users: one agency and one role each. Disabled users are kept (the logs name them) but refused.\n\n"
    "Example: `habeas user add ana --agency ice --role coordinator --password`, `habeas user list --agency ice`, "
    "`habeas user disable ana`",
    no_args_is_help=True,
)
token_app = typer.Typer(
    help=f"API tokens: shown once, stored hashed, expiring after {TOKEN_DAYS} days unless told otherwise; "
    "a revoked token is refused from its next request on.\n\n"
    "Example: `habeas token create ana --days 7`, `habeas token list --user ana`, `habeas token revoke 3f9a...`",
    no_args_is_help=True,
)

ROLES = ", ".join(r.value for r in Role)


@contextmanager
def _door(ctx: typer.Context) -> Iterator[Door]:
    from habeas.bootstrap import open_reader

    door = open_reader(settings_of(ctx))
    try:
        yield door
    finally:
        door.close()


def _now() -> datetime:
    """Now, in UTC: when a change is recorded (bootstrap's clock, imported when a command runs)."""
    from habeas.bootstrap import utc_now

    return utc_now()


@user_app.command("add")
def user_add_cmd(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="The login name (an opaque id: letters, digits, ._:-).")],
    agency: Annotated[str, typer.Option("--agency", help="The user's agency (registered with `habeas agency`).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {ROLES}.")],
    officer: Annotated[
        str | None, typer.Option("--officer", help="The officer the user records as (an officer of the agency).")
    ] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Ask for a password (12+ characters) for POST /auth/token.")
    ] = False,
) -> None:
    """Add an API user of an agency with one role.

    Roles: coordinator, legal, escort, intake, auditor, admin, oversight (what each may do: `GET /auth/me` as
    the user).

    A user sees only people in their agency's custody, inbound to it, or sent by it.

    Example: habeas user add ana --agency ice --role coordinator --password
    """
    secret = None
    if password:
        secret = getpass.getpass("password: ")
        if secret != getpass.getpass("again: "):
            raise HabeasError("the two passwords differ; nothing was saved")
    with _door(ctx) as door:
        door.add_user(user_id=user_id, agency_id=agency, role=role, now=_now(), password=secret, officer_id=officer)
    shown = f"user {user_id}: {role} of agency {agency}" + (f", records as officer {officer}" if officer else "")
    out.print(escape(shown))


@user_app.command("list")
def user_list_cmd(
    ctx: typer.Context,
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency's users.")] = None,
) -> None:
    """List users: agency, role, officer, and when and by whom each was disabled.

    Example: habeas user list --agency ice
    """
    with _door(ctx) as door:
        users = door.list_users(agency_id=agency)
    table = DataTable()
    for col in ("user", "agency", "role", "officer", "created", "state"):
        table.add_column(col)
    for u in users:
        state = f"disabled {u.disabled_at} by {u.disabled_by}" if u.disabled_at else "active"
        table.add_row(u.user_id, u.agency_id, u.role, u.officer_id or "", u.created_at, state)
    out.print(table)
    out.print(f"{len(users)} users")


@user_app.command("disable")
def user_disable_cmd(
    ctx: typer.Context, user_id: Annotated[str, typer.Argument(help="The user to disable.")]
) -> None:
    """Disable a user and revoke their tokens: the API refuses their next request, and their password.

    The user stays listed (the ledger and the access log name them); to give the person access again, add a new
    user.

    Example: habeas user disable ana
    """
    from habeas.services.accounts import OPERATOR

    with _door(ctx) as door:
        done = door.disable_user(user_id=user_id, now=_now(), by=OPERATOR)
    out.print(f"user {escape(done.user_id)} disabled since {done.disabled_at}; their tokens are revoked")


@token_app.command("create")
def token_create_cmd(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for (shown in listings).")] = "cli",
    days: Annotated[
        int, typer.Option("--days", help=f"Expire after this many days, 1 to {MAX_DAYS}.", show_default=True)
    ] = TOKEN_DAYS,
) -> None:
    """Create an API token for a user and print it once (only its hash is stored).

    It expires after 30 days unless --days says otherwise (at most a year): no token works forever. Revoke one
    sooner with `habeas token revoke`.

    Example: habeas token create ana --name "intake desk" --days 7
    """
    if not 1 <= days <= MAX_DAYS:
        raise HabeasError(f"--days {days}: a token lives 1 to {MAX_DAYS} days")
    with _door(ctx) as door:
        issued = door.issue_token(user_id=user_id, name=name, now=_now(), valid_for=timedelta(days=days))
    out.print(issued.secret, soft_wrap=True)
    typer.echo(f"token {issued.token_id} for {user_id} (expires {issued.expires_at}); it is not shown again", err=True)


@token_app.command("list")
def token_list_cmd(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="Only the tokens of this agency's users.")] = None,
) -> None:
    """List tokens, oldest first, with their state (active, expired, revoked); never their secrets.

    Example: habeas token list --user ana
    """
    with _door(ctx) as door:
        tokens = door.list_tokens(now=_now(), agency_id=agency, user_id=user)
    table = DataTable()
    for col in ("token", "user", "agency", "name", "created", "expires", "state"):
        table.add_column(col)
    for t in tokens:
        state = f"revoked {t.revoked_at} by {t.revoked_by}" if t.revoked_at else t.state
        table.add_row(t.token_id, t.user_id, t.agency_id, t.name, t.created_at, t.expires_at, state)
    out.print(table)
    out.print(f"{len(tokens)} tokens")


@token_app.command("revoke")
def token_revoke_cmd(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id, as `habeas token list` shows it.")],
) -> None:
    """Revoke a token: the API refuses it from its next request on.

    Example: habeas token revoke 3f9a0c1d2e4b5a69
    """
    from habeas.services.accounts import OPERATOR

    with _door(ctx) as door:
        done = door.revoke_token(token_id=token_id, now=_now(), by=OPERATOR)
    out.print(f"token {escape(done.token_id)} of {escape(done.user_id)} revoked since {done.revoked_at}")
