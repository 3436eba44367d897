"""PostgreSQL with least privilege: the runtime role `habeas serve` connects as, and the check that it is not the
owner.

The append-only triggers hold against the application's own database user only if that user cannot switch them
off; the owner of a table (and a superuser) can (``ALTER TABLE ... DISABLE TRIGGER``, ``DROP TRIGGER``). So the
tables belong to the operator who runs `habeas init` and `habeas db upgrade`, and the server connects as a role
that holds exactly what the services do with each table, found by running them as that role
(tests/integration/test_privileges.py runs the seed operation, erasure, reads, accounts and verify):

- the ledger's append-only tables and the access log: SELECT, INSERT;
- the private payloads: SELECT, INSERT, DELETE (erasure deletes them; the trigger still refuses UPDATE);
- the head row: SELECT, UPDATE (the compare-and-swap, and ``FOR UPDATE``, which needs UPDATE);
- the projections: SELECT, INSERT, UPDATE, DELETE (derived from the log: `rebuild --check` compares them);
- users, tokens and idempotent answers: SELECT, INSERT, UPDATE (disable, revoke); failed logins also DELETE;
- the schema revision: SELECT.

Anything else (a table this list does not know) gets nothing, so a new table fails closed, in a test. SQLite has
no roles: the database is a file, and its permissions are the guard.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from habeas.domain.errors import HabeasError
from habeas.storage.access import ACCESS_APPEND_ONLY, access_metadata
from habeas.storage.engine import begin, connect
from habeas.storage.projections.catalog import projection_tables
from habeas.storage.schema import APPEND_ONLY_TABLES, NO_UPDATE_TABLES, ledger_head

VERSION_TABLE = "alembic_version"  # as storage/migrate.py names it (not imported: migrate imports Alembic)
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Rows of these access tables are deleted in normal running: a successful login forgets the failures before it.
_DELETED = frozenset({"api_login_failure"})
SQLITE_HAS_NO_ROLES = (
    "SQLite has no roles: the database is a file, and its permissions are the guard (owned by the user habeas "
    "serve runs as, mode 600)"
)


class PrivilegeError(HabeasError):
    """A runtime role that cannot be made as asked, or a server about to run with the owner's rights."""


@dataclass(frozen=True, slots=True)
class Granted:
    role: str
    created: bool  # a new role; False: an existing role's privileges were set again
    password: str | None  # the new password, or None when it was left as it was
    url: str  # the URL to serve with (with the password when there is a new one)


def runtime_privileges() -> dict[str, tuple[str, ...]]:
    """What the runtime role may do with each table the code writes through (see the module docstring)."""
    grants: dict[str, tuple[str, ...]] = {}
    for name in (*APPEND_ONLY_TABLES, *ACCESS_APPEND_ONLY):
        grants[name] = ("SELECT", "INSERT")
    for name in NO_UPDATE_TABLES:
        grants[name] = ("SELECT", "INSERT", "DELETE")
    grants[ledger_head.name] = ("SELECT", "UPDATE")
    for table in projection_tables():
        grants[table.name] = ("SELECT", "INSERT", "UPDATE", "DELETE")
    for table in access_metadata.sorted_tables:
        if table.name not in grants:
            grants[table.name] = ("SELECT", "INSERT", "UPDATE", *(("DELETE",) if table.name in _DELETED else ()))
    grants[VERSION_TABLE] = ("SELECT",)
    return grants


def grant_runtime_role(engine: Engine, role: str, *, new_password: bool = False) -> Granted:
    """Create ``role`` (or set an existing one's privileges again, after an upgrade) in the engine's schema, in
    one transaction, as the tables' owner. A new role, or ``new_password``, gets a random password."""
    if engine.dialect.name != "postgresql":
        raise PrivilegeError(SQLITE_HAS_NO_ROLES)
    if not _ROLE.fullmatch(role):
        raise PrivilegeError(
            f"{role!r} is not a role name habeas makes: 1 to 63 of a-z, 0-9 and _, not starting with a digit"
        )
    with begin(engine, write=True) as conn:
        schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
        found = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if found is not None and found.rolsuper:
            raise PrivilegeError(f"{role} is a superuser: choose another name for the runtime role")
        if found is not None and _owned_by(conn, role):
            raise PrivilegeError(f"{role} owns the habeas tables: choose another name for the runtime role")
        # Token characters are letters, digits, - and _: nothing to escape in the literal DDL needs.
        password = secrets.token_urlsafe(24) if found is None or new_password else None
        login = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
        if found is None:
            conn.execute(text(f"CREATE ROLE {role} {login} PASSWORD '{password}'"))
        else:
            conn.execute(text(f"ALTER ROLE {role} {login}" + (f" PASSWORD '{password}'" if password else "")))
        quoted = _quote(schema)
        conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {quoted} FROM {role}"))
        conn.execute(text(f"REVOKE ALL ON SCHEMA {quoted} FROM {role}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {quoted} TO {role}"))
        present = set(
            conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}).scalars()
        )
        for table, privileges in runtime_privileges().items():
            if table in present:
                conn.execute(text(f"GRANT {', '.join(privileges)} ON TABLE {quoted}.{_quote(table)} TO {role}"))
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quoted} TO {role}"))
    url = engine.url.set(drivername="postgresql", username=role, password=password)
    if schema != "public":
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return Granted(role, found is None, password, url.render_as_string(hide_password=False))


def owner_problem(engine: Engine) -> str | None:
    """Why serving over ``engine`` would let the server switch the append-only triggers off, or None.

    A superuser, the owner of a habeas table, or a member of the owner's role (who can become it) could.
    """
    if engine.dialect.name != "postgresql":
        return None
    with connect(engine) as conn:
        user, superuser = conn.execute(
            text("SELECT rolname, rolsuper FROM pg_roles WHERE rolname = current_user")
        ).one()
        if superuser:
            what = "a superuser"
        else:
            owned = _owned_by(conn, None)
            if not owned:
                return None
            what = f"the owner of the habeas tables ({owned[0]} and {len(owned) - 1} more)"
    return (
        f"connected to PostgreSQL as {user}, {what}, who could switch the append-only triggers off: serve as a "
        "runtime role (`habeas db grant habeas_app` makes one and prints its URL), or pass --allow-owner"
    )


def refuse_owner(engine: Engine) -> None:
    problem = owner_problem(engine)
    if problem is not None:
        raise PrivilegeError(problem)


def _owned_by(conn: Connection, role: str | None) -> list[str]:
    """The tables of the current schema that ``role`` (None: the current user) owns or can become the owner of."""
    who = "current_user" if role is None else "CAST(:role AS name)"
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
            f"AND c.relkind = 'r' AND pg_has_role({who}, c.relowner, 'MEMBER') ORDER BY c.relname"
        ),
        {} if role is None else {"role": role},
    )
    return list(rows.scalars())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
