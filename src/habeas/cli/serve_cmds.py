"""`habeas serve`: the HTTP API (who may use it: cli/account_cmds.py)."""

from __future__ import annotations

import os
import socket
from contextlib import closing
from typing import Annotated

import typer

from habeas.cli.console import out
from habeas.cli.context import settings_of
from habeas.domain.errors import HabeasError


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes. Each has its own connection pool; writes stay serialised.")
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level: warning, info, debug.")] = "info",
    allow_owner: Annotated[
        bool, typer.Option("--allow-owner", help="Serve even connected as the tables' owner or a superuser.")
    ] = False,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy", metavar="ADDR",
            help="A proxy in front of habeas whose X-Forwarded-For is believed: an address or a network "
            "(10.0.0.5, 10.0.0.0/24); repeat for several. Without one, the client address is the connection's "
            "and the header is ignored. [env: HABEAS_TRUSTED_PROXIES, comma-separated; default: none]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, interactive docs at /docs).

    No login for the locator (/public/locator) and the public log (/log/checkpoint, /log/tile/...).

    Everything else needs `Authorization: Bearer TOKEN`: `habeas user add`, then `habeas token create`.

    The per-address rate limits (the locator's, the login's) and the access log key on the client's address:
    behind a reverse proxy, name it with --trusted-proxy, or every client looks like the proxy.

    Example: habeas serve --port 8000 --workers 2 --trusted-proxy 10.0.0.5
    """
    import uvicorn

    # Here, not at the top: the API's modules would slow every other command's start (and its help).
    from habeas.api.client_address import ENV_TRUSTED, TrustedProxies
    from habeas.bootstrap import ENV_PACK, open_services

    trusted = TrustedProxies.parse(trusted_proxy) if trusted_proxy else TrustedProxies.from_environment()
    settings = settings_of(ctx)
    # Fail here, in one line, rather than in every worker: the database and key must exist.
    # And not as the tables' owner, who could switch the append-only triggers off (`habeas db grant`).
    with closing(open_services(settings)) as services:
        if not allow_owner:
            services.refuse_owner()
    # The workers build the app from the environment (uvicorn's factory), so pass the settings down that way.
    os.environ["HABEAS_DATABASE_URL"] = settings.db_url
    os.environ["HABEAS_SIGNING_KEY"] = str(settings.key_path)
    os.environ[ENV_PACK] = settings.pack  # `habeas --pack` reaches every worker: the gates run the operator's pack
    os.environ[ENV_TRUSTED] = trusted.as_text()
    out.print(f"habeas API on http://{host}:{port}  (database {settings.db_url}; policy pack {settings.pack}; "
              "OpenAPI at /openapi.json)")
    if workers == 1:
        uvicorn.run(
            "habeas.api.app:app_from_env", factory=True, host=host, port=port, log_level=log_level,
            proxy_headers=False,
        )
        return
    # Several workers share one listening socket. uvicorn hands it to them in a way that loses TCP_NODELAY on
    # the connections they accept (Kludex/uvicorn#3149), so every small keep-alive answer waits ~40 ms for
    # Nagle's algorithm. Bind it here with TCP_NODELAY set: Linux copies the option to accepted connections.
    sock = _listening_socket(host, port)
    try:
        uvicorn.run(
            "habeas.api.app:app_from_env", factory=True, fd=sock.fileno(), workers=workers, log_level=log_level,
            proxy_headers=False,
        )
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
