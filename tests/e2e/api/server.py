"""How the API tests reach the app: in-process (no socket, no server), or a real uvicorn server on loopback.

Most tests use an in-process client: an ``httpx.Client`` whose transport hands each request to the ASGI app
(httpx's own ``ASGITransport``, driven from this synchronous code through an event-loop thread), so a test pays no
server start and stop, and gets the ``httpx.Response`` a socket would give. The client address the app sees is
set (``127.0.0.1`` by default, as a loopback connection gives) so what keys on it (the access log's
``public:HOST``, the per-client rate limits) is tested as over a socket, and a second address is a second client.
An exception the app does not handle is raised in the test with its traceback, where a server would answer 500;
no lifespan runs, as uvicorn below runs with ``lifespan="off"``.

One test uses :func:`serving` on purpose (test_locator's rate limit), for real HTTP from a real peer address;
test_client_address runs `habeas serve` itself, where X-Forwarded-For is (not) believed.
(Not Starlette's ``TestClient``: on httpx it is deprecated in favour of httpx2, whose responses are not httpx's.)
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpx
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

LOOPBACK = "127.0.0.1"
BASE_URL = "http://habeas.test"
TIMEOUT_S = 30  # what the HTTP clients waited for a real server


def wait_until_serving(base: str, server: subprocess.Popen[str], *, seconds: float = 30) -> None:
    """Until a `habeas serve` process answers /healthz at ``base``; fail with its stderr if it exits first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        assert server.poll() is None, server.communicate()[1]
        assert time.monotonic() < deadline, f"habeas serve did not answer within {seconds:.0f} s"
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL."""
    port = free_port()
    # proxy_headers off, as `habeas serve` has it: the app alone decides whom to believe (api/client_address.py).
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class InProcess(httpx.BaseTransport):
    """Hands each request to ``app`` in this process, as from a peer at ``address``; ``portal`` runs the loop."""

    def __init__(self, app: FastAPI, portal: BlockingPortal, address: str = LOOPBACK) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=(address, 50000))
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body as bytes, which the ASGI transport reads as an async stream
        return self._portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        with anyio.fail_after(TIMEOUT_S):
            response = await self._asgi.handle_async_request(request)
            raw = b"".join([part async for part in response.aiter_raw()])
        # The bytes as sent (any content-encoding left to the client to undo, as over a socket).
        return httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(raw))


def in_process_client(
    app: FastAPI, portal: BlockingPortal, *, address: str = LOOPBACK, headers: dict[str, str] | None = None
) -> httpx.Client:
    return httpx.Client(transport=InProcess(app, portal, address), base_url=BASE_URL, headers=headers)


@contextmanager
def in_process(
    app: FastAPI, *, address: str = LOOPBACK, headers: dict[str, str] | None = None
) -> Iterator[httpx.Client]:
    """An in-process client of ``app`` for the block, with an event-loop thread of its own."""
    with start_blocking_portal() as portal, in_process_client(app, portal, address=address, headers=headers) as c:
        yield c
