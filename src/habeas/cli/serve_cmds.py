"""`habeas serve`, `habeas user add`, `habeas token create`: the HTTP API and who may use it."""

from __future__ import annotations

import getpass
import os
import socket
from datetime import timedelta
from typing import Annotated

import typer

from habeas.bootstrap import open_reader, open_services, utc_now
from habeas.cli.console import out
from habeas.cli.context import settings_of
from habeas.domain.actors import Role
from habeas.domain.errors import HabeasError

user_app = typer.Typer(help="API users: one agency and one role each.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: shown once, stored hashed.", no_args_is_help=True)

ROLES = ", ".join(r.value for r in Role)


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes. Each has its own connection pool; writes stay serialised.")
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: warning, info, debug.")] = "info",
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, interactive docs at /docs).

    No login for the locator (/public/locator) and the public log (/log/checkpoint, /log/tile/...).

    Everything else needs `Authorization: Bearer TOKEN`: `habeas user add`, then `habeas token create`.

    Example: habeas serve --port 8000 --workers 2
    """
    import uvicorn

    settings = settings_of(ctx)
    # Fail here, in one line, rather than in every worker: the database and key must exist.
    open_services(settings).close()
    # The workers build the app from the environment (uvicorn's factory), so pass the settings down that way.
    os.environ["HABEAS_DATABASE_URL"] = settings.db_url
    os.environ["HABEAS_SIGNING_KEY"] = str(settings.key_path)
    out.print(f"habeas API on http://{host}:{port}  (database {settings.db_url}; OpenAPI at /openapi.json)")
    if workers == 1:
        uvicorn.run("habeas.api.app:app_from_env", factory=True, host=host, port=port, log_level=log_level)
        return
    # Several workers share one listening socket. uvicorn hands it to them in a way that loses TCP_NODELAY on
    # the connections they accept (Kludex/uvicorn#3149), so every small keep-alive answer waits ~40 ms for
    # Nagle's algorithm. Bind it here with TCP_NODELAY set: Linux copies the option to accepted connections.
    sock = _listening_socket(host, port)
    try:
        uvicorn.run("habeas.api.app:app_from_env", factory=True, fd=sock.fileno(), workers=workers, log_level=log_level)
    finally:
        sock.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise HabeasError(f"cannot listen on {host}:{port}: {e.strerror}") from e
    sock.set_inheritable(True)
    return sock


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

    Roles: coordinator, legal, escort, intake, auditor, admin (what each may do: `GET /auth/me` as the user).

    A user sees only people in their agency's custody, inbound to it, or sent by it.

    Example: habeas user add ana --agency ice --role coordinator --password
    """
    secret = None
    if password:
        secret = getpass.getpass("password: ")
        if secret != getpass.getpass("again: "):
            raise HabeasError("the two passwords differ; nothing was saved")
    door = open_reader(settings_of(ctx))
    try:
        door.add_user(user_id=user_id, agency_id=agency, role=role, now=utc_now(), password=secret, officer_id=officer)
    finally:
        door.close()
    out.print(f"user {user_id}: {role} of agency {agency}" + (f", records as officer {officer}" if officer else ""))


@token_app.command("create")
def token_create_cmd(
    ctx: typer.Context,
    user_id: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for (shown in listings).")] = "cli",
    days: Annotated[int | None, typer.Option("--days", min=1, help="Expire after this many days.")] = None,
) -> None:
    """Create an API token for a user and print it once (only its hash is stored).

    Example: habeas token create ana --name "intake desk" --days 30
    """
    door = open_reader(settings_of(ctx))
    try:
        issued = door.issue_token(
            user_id=user_id, name=name, now=utc_now(), valid_for=None if days is None else timedelta(days=days)
        )
    finally:
        door.close()
    out.print(issued.secret, soft_wrap=True)
    expiry = f"expires {issued.expires_at}" if issued.expires_at else "does not expire"
    typer.echo(f"token {issued.token_id} for {user_id} ({expiry}); it is not shown again", err=True)
