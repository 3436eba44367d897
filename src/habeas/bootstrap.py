"""Composition root: settings, the policy packs, engine, key, ledger, and the wiring (:mod:`habeas.wiring`) ->
Services.

Everything is decided here once, at start-up, and injected into the handlers and reactions the wiring tables
name: the deployment's policy packs and the clock. The wiring is imported only by an entry point that writes, so a
command that only reads (``habeas facility list``) starts without importing every handler.
"""

from __future__ import annotations

import functools
import inspect
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from habeas.domain.errors import HabeasError
from habeas.services.door import Door
from habeas.storage import ledger_store, migrate
from habeas.storage.engine import DEFAULT_URL, make_engine
from habeas.storage.errors import translated

if TYPE_CHECKING:  # imported where used: a command that only reads opens a Door and nothing of the write path
    from habeas.gates.policy import Packs, Policy
    from habeas.ledger.log import Ledger
    from habeas.ledger.note import Signer
    from habeas.services.door import Bound, Services
    from habeas.services.unit_of_work import Handler, Reaction
    from habeas.storage import privileges

DEFAULT_KEY = "./habeas.key"
DEFAULT_ORIGIN = "habeas.local/custody-log"
ENV_DB = "HABEAS_DATABASE_URL"
ENV_KEY = "HABEAS_SIGNING_KEY"
ENV_PACK = "HABEAS_POLICY_PACK"
DEFAULT_PACK = "us-federal"

def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_URL
    key_path: Path = Path(DEFAULT_KEY)
    pack: str = DEFAULT_PACK  # the deployment's policy pack: a shipped name or a pack file

    @classmethod
    def resolve(cls, db: str | None = None, key: str | None = None, pack: str | None = None) -> Settings:
        """Command-line values first, then the environment, then the defaults."""
        return cls(
            db_url=db or os.environ.get(ENV_DB) or DEFAULT_URL,
            key_path=Path(key or os.environ.get(ENV_KEY) or DEFAULT_KEY),
            pack=pack or os.environ.get(ENV_PACK) or DEFAULT_PACK,
        )


def write_key(path: Path, signer: Signer) -> None:
    """Write the private key readable by its owner only; never overwrite one."""
    from habeas.ledger.note import format_skey

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError as e:
        raise HabeasError(f"{path} already exists; habeas never overwrites a signing key") from e
    except OSError as e:
        raise HabeasError(f"cannot write the signing key to {path}: {e.strerror}") from e
    with os.fdopen(fd, "w") as f:
        f.write(format_skey(signer) + "\n")
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def vkey_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".vkey")


def read_key(path: Path) -> Signer:
    from habeas.ledger.note import NoteError, parse_skey

    try:
        text = path.read_text().strip()
    except FileNotFoundError as e:
        raise HabeasError(f"no signing key at {path}: run `habeas init`, or pass --key") from e
    except OSError as e:
        raise HabeasError(f"cannot read the signing key {path}: {e.strerror}") from e
    try:
        return parse_skey(text)
    except NoteError as e:
        raise HabeasError(f"{path} is not a habeas signing key: {e}") from e


def open_engine(settings: Settings, *, must_exist: bool = True, schema: str | None = None) -> Engine:
    return make_engine(settings.db_url, must_exist=must_exist, schema=schema)


def init(settings: Settings, origin: str = DEFAULT_ORIGIN, *, schema: str | None = None) -> Signer:
    """Create the signing key (if there is none) and the database schema (if there is none)."""
    from habeas.ledger.note import NoteError, format_vkey, generate_signer

    if settings.key_path.exists():
        signer = read_key(settings.key_path)
    else:
        try:
            signer = generate_signer(origin)
        except NoteError as e:
            raise HabeasError(f"bad origin {origin!r}: {e}") from e
        write_key(settings.key_path, signer)
        # The public half, to hand to verifiers: `habeas log key` prints the same line.
        vkey_path(settings.key_path).write_text(format_vkey(signer.verifier()) + "\n")
    engine = open_engine(settings, must_exist=False, schema=schema)
    try:
        migrate.upgrade(engine)  # creates the schema, or brings an existing one to this habeas's head
    finally:
        engine.dispose()
    return signer


def open_ledger(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now, schema: str | None = None
) -> Ledger:
    engine = _open_ledger_engine(settings, schema)
    try:
        signer = read_key(settings.key_path)
    except BaseException:
        engine.dispose()
        raise
    from habeas.ledger.log import Ledger

    # The key name is the log's origin: one key, one log.
    return Ledger(engine, signer, signer.name, clock)


def _open_ledger_engine(settings: Settings, schema: str | None) -> Engine:
    engine = open_engine(settings, schema=schema)
    try:
        with translated("connection"), engine.connect() as conn:  # a server that does not answer: one line
            if not ledger_store.has_schema(conn):
                raise HabeasError(f"{settings.db_url} holds no habeas ledger: run `habeas init` first")
    except BaseException:
        engine.dispose()
        raise
    return engine


def grant_runtime_role(
    settings: Settings, role: str, *, new_password: bool = False, schema: str | None = None
) -> privileges.Granted:
    """Create or update the least-privileged PostgreSQL role the server connects as (`habeas db grant`), as the
    tables' owner; refused on SQLite, which has no roles."""
    engine = open_engine(settings, schema=schema)
    try:
        from habeas.storage import privileges

        return privileges.grant_runtime_role(engine, role, new_password=new_password)
    finally:
        engine.dispose()


def upgrade_database(settings: Settings, *, schema: str | None = None) -> migrate.UpgradeReport:
    """Bring an existing database to this habeas's schema in one transaction (`habeas db upgrade`); a database
    made before migrations is stamped with the baseline first. An empty database is refused: that is `init`."""
    engine = open_engine(settings, schema=schema)
    try:
        return migrate.upgrade(engine, create=False)
    finally:
        engine.dispose()


def schema_revision(settings: Settings, *, schema: str | None = None) -> tuple[str | None, str]:
    """The database's schema revision (None before migrations) and this habeas's head revision."""
    engine = open_engine(settings, schema=schema)
    try:
        return migrate.current(engine), migrate.head()
    finally:
        engine.dispose()


def open_reader(settings: Settings, *, schema: str | None = None) -> Door:
    """Queries over the settings' ledger and projections, for commands that record nothing: no key is read."""
    return Door(_open_ledger_engine(settings, schema))


@functools.cache
def _shipped(name: str) -> Policy | None:
    """The pack shipped with habeas under ``name`` (None if there is none), parsed once a process (they are
    package data: they never change); only the packs a deployment names are parsed."""
    from habeas.gates.policy import load_pack
    from habeas.gates.shipped import shipped_packs

    return load_pack(name) if name in shipped_packs() else None


def check_packs(deployment: str) -> None:
    """Refuse a bad deployment pack at start-up, before any command runs. A single shipped pack named right is not
    parsed here: it is package data its own tests parse, and a read command, which never uses it, would spend a
    tenth of its start-up on the YAML. Pack files, and several packs together, are parsed (:func:`load_packs`)."""
    from habeas.gates.shipped import shipped_packs

    names = [n.strip() for n in deployment.split(",") if n.strip()]
    if len(names) == 1 and names[0] in shipped_packs():
        return
    load_packs(deployment)


def load_packs(deployment: str, extra: Sequence[str] = ()) -> tuple[Policy, Packs]:
    """The deployment's packs, loaded at start-up: ``deployment`` names one pack, or several separated by commas
    (a shipped name or a pack file each; ``extra`` adds more, as the demo's ground pack). The first clears every
    leg; each later one the legs departing from the countries it declares. A bad pack is refused here, before
    anything runs; nothing reads a pack after start-up."""
    from habeas.gates.policy import Packs, PolicyError, load_pack

    names = [n.strip() for n in deployment.split(",") if n.strip()] + list(extra)
    try:
        packs = Packs.of([_shipped(n) or load_pack(n) for n in names])
    except PolicyError as e:
        raise HabeasError(str(e)) from e
    return packs.default, packs


def inject(handler: Callable[..., Any], dependencies: Mapping[str, Any]) -> Callable[..., Any]:
    """The handler with the dependencies its keyword parameters name bound (cosmicpython's bootstrap)."""
    params = inspect.signature(handler).parameters
    wanted = {name: dep for name, dep in dependencies.items() if name in params}
    return functools.partial(handler, **wanted) if wanted else handler


def wire(
    ledger: Ledger, clock: Callable[[], datetime], policy: Policy, packs: Packs, settings: Settings | None
) -> Services:
    """The services over an open ledger: the dependencies injected into the handlers and reactions, the
    projector built from the merged appliers."""
    from habeas.services.door import Services
    from habeas.wiring import HANDLERS, REACTIONS, projector  # the write path: imported by commands that write

    dependencies: dict[str, Any] = {"policy": policy, "packs": packs, "clock": clock}

    def bound(handler: Handler) -> Bound:
        call = inject(handler, dependencies)
        return lambda cmd, uow: call(cmd, uow=uow)

    def reaction(react: Reaction) -> Reaction:
        return inject(react, dependencies)

    return Services(
        ledger, clock,
        handlers={cmd: bound(h) for cmd, h in HANDLERS.items()},
        project=projector(),
        reactions={t: [reaction(r) for r in rs] for t, rs in REACTIONS.items()},
        policy=policy,
        packs=packs,
        settings=settings,
    )


def open_services(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    schema: str | None = None,
    pack: str | None = None,
    extra_packs: Sequence[str] = (),
) -> Services:
    """The services over the settings' ledger; ``pack`` (else the settings') is the deployment's policy pack."""
    policy, packs = load_packs(pack or settings.pack, extra_packs)  # a bad pack is refused before anything opens
    return wire(open_ledger(settings, clock=clock, schema=schema), clock, policy, packs, settings)
