"""`habeas token list|revoke` and `habeas user list|disable` (issue 10, finding 8), as an operator runs them, on
SQLite and PostgreSQL: tokens expire by default, and a revoked token or a disabled user's is refused by the API
at its next request."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from habeas.api.app import create_app
from habeas.bootstrap import open_services
from tests.conftest import Db
from tests.e2e.api.server import in_process
from tests.e2e.cli import habeas, one_line_error


class Operator:
    def __init__(self, db: Db, cwd: Path) -> None:
        self.db = db
        self.cwd = cwd

    def __call__(self, *args: str, check: bool = True) -> str:
        return self.run(*args, check=check).stdout

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return habeas(*args, cwd=self.cwd, env=self.db.env(), check=check)

    def token(self, user_id: str, *options: str) -> tuple[str, str]:
        """A new token's secret and id."""
        made = habeas("token", "create", user_id, *options, cwd=self.cwd, env=self.db.env())
        found = re.search(r"token (\w+) for", made.stderr)
        assert found, made.stderr
        return made.stdout.strip(), found.group(1)

    def status(self, token: str) -> int:
        """What the API answers GET /auth/me with that token."""
        services = open_services(self.db.settings, schema=self.db.schema)
        try:
            with in_process(create_app(services)) as client:
                return client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        finally:
            services.close()


@pytest.fixture
def operator(db: Db, tmp_path: Path) -> Operator:
    op = Operator(db, tmp_path)
    op("init")
    op("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration")
    op("agency", "add", "--id", "pnc", "--name", "PNC", "--country", "SV", "--kind", "police")
    op("user", "add", "ana", "--agency", "ice", "--role", "coordinator")
    op("user", "add", "bo", "--agency", "pnc", "--role", "admin")
    return op


def test_a_token_expires_in_30_days_unless_told_otherwise(operator: Operator) -> None:
    made = habeas("token", "create", "ana", cwd=operator.cwd, env=operator.db.env())
    expires = re.search(r"expires (\S+)\)", made.stderr)
    assert expires, made.stderr
    lifetime = datetime.fromisoformat(expires.group(1)) - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)
    one_line_error(operator.run("token", "create", "ana", "--days", "0", check=False), r"--days")
    one_line_error(operator.run("token", "create", "ana", "--days", "999999999", check=False), r"--days")


def test_an_operator_lists_and_revokes_a_token_and_the_api_refuses_it_next(operator: Operator) -> None:
    secret, token_id = operator.token("ana", "--name", "intake desk", "--days", "7")
    other, _ = operator.token("bo")
    assert operator.status(secret) == 200
    listed = operator("token", "list")
    row = next(line for line in listed.splitlines() if token_id in line)
    assert "ana" in row
    assert "intake desk" in row
    assert "active" in row
    assert secret not in listed
    assert token_id not in operator("token", "list", "--user", "bo")
    assert token_id in operator("token", "list", "--agency", "ice")

    done = operator("token", "revoke", token_id)
    assert f"token {token_id}" in done
    assert "revoked" in done
    assert operator.status(secret) == 401
    assert operator.status(other) == 200
    assert "revoked" in next(line for line in operator("token", "list").splitlines() if token_id in line)
    one_line_error(operator.run("token", "revoke", "nope", check=False), r"unknown token 'nope'")


def test_an_operator_lists_and_disables_a_user_and_the_api_refuses_them_next(operator: Operator) -> None:
    secret, _ = operator.token("ana")
    listed = operator("user", "list")
    assert re.search(r"ana\s+.*ice\s+.*coordinator", listed), listed
    assert re.search(r"bo\s+.*pnc\s+.*admin", listed), listed
    assert "bo" not in operator("user", "list", "--agency", "ice").split()

    done = operator("user", "disable", "ana")
    assert "user ana disabled" in done
    assert operator.status(secret) == 401
    assert "disabled" in next(line for line in operator("user", "list").splitlines() if "ana" in line)
    # No new token for a disabled user; disabling again says so.
    one_line_error(operator.run("token", "create", "ana", check=False), r"user 'ana' is disabled")
    one_line_error(operator.run("user", "disable", "nobody", check=False), r"unknown user 'nobody'")


def test_the_help_teaches_the_commands(operator: Operator) -> None:
    tokens = operator("token", "--help")
    for word in ("create", "list", "revoke"):
        assert word in tokens
    users = operator("user", "--help")
    for word in ("add", "list", "disable"):
        assert word in users
    assert "30 days" in operator("token", "create", "--help")
