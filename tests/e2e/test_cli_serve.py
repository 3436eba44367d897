"""`habeas user add`, `habeas token create` and `habeas serve`, as an operator runs them (SQLite).

The commands run in-process (tests/e2e/cli.py) except `habeas serve`, which runs as a real process on a real
port: what it does is start uvicorn and answer HTTP, which only a real process shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.api.server import free_port, wait_until_serving
from tests.e2e.cli import ENV, habeas, one_line_error


def test_an_operator_adds_a_user_makes_a_token_and_serves_the_api(tmp_path: Path) -> None:
    habeas("init", cwd=tmp_path)
    habeas("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration", cwd=tmp_path)
    habeas("user", "add", "ana", "--agency", "ice", "--role", "auditor", cwd=tmp_path)
    made = habeas("token", "create", "ana", "--name", "desk", "--days", "2", cwd=tmp_path)
    token = made.stdout.strip()
    assert token.startswith("hbs_")
    assert "not shown again" in made.stderr
    assert token.encode() not in (tmp_path / "habeas.db").read_bytes()

    port = free_port()
    # A real process on purpose (see the module docstring): the installed command, serving real HTTP.
    server = subprocess.Popen(
        [sys.executable, "-m", "habeas", "--pack", "strict-international", "serve", "--port", str(port),
         "--log-level", "warning"],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server)
        # the operator's pack (`habeas --pack`) is the one every worker's gates run, and says so
        assert httpx.get(f"{base}/healthz").json()["policy_pack"] == "strict-international"
        me = httpx.get(f"{base}/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["role"] == "auditor"
        assert httpx.get(f"{base}/auth/me").status_code == 401
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "habeas"
    finally:
        server.terminate()
        server.communicate(timeout=30)  # also closes the pipes


def test_bad_user_input_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    habeas("init", cwd=tmp_path)
    habeas("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration", cwd=tmp_path)
    one_line_error(habeas("user", "add", "x", "--agency", "nope", "--role", "admin", cwd=tmp_path, check=False),
                   r"unknown agency 'nope'")
    one_line_error(habeas("user", "add", "x", "--agency", "ice", "--role", "boss", cwd=tmp_path, check=False),
                   r"role 'boss'.*coordinator")
    one_line_error(habeas("token", "create", "x", cwd=tmp_path, check=False), r"unknown user 'x'")
    habeas("user", "add", "x", "--agency", "ice", "--role", "admin", cwd=tmp_path)
    one_line_error(habeas("user", "add", "x", "--agency", "ice", "--role", "admin", cwd=tmp_path, check=False),
                   r"user 'x' already exists")


def test_serve_without_a_database_says_how_to_make_one(tmp_path: Path) -> None:
    one_line_error(habeas("serve", "--port", str(free_port()), cwd=tmp_path, check=False), r"habeas init")
