"""Composition root: settings to engine, key, ledger. Nothing here runs at import time."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from habeas.domain.errors import HabeasError
from habeas.ledger.log import Ledger
from habeas.ledger.note import NoteError, Signer, Verifier, format_skey, format_vkey, generate_signer, parse_skey
from habeas.services.app import Services
from habeas.storage import ledger_store, projections
from habeas.storage.engine import DEFAULT_URL, make_engine

DEFAULT_KEY = "./habeas.key"
DEFAULT_ORIGIN = "habeas.local/custody-log"
ENV_DB = "HABEAS_DATABASE_URL"
ENV_KEY = "HABEAS_SIGNING_KEY"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_URL
    key_path: Path = Path(DEFAULT_KEY)

    @classmethod
    def resolve(cls, db: str | None = None, key: str | None = None) -> Settings:
        """Command-line values first, then the environment, then the defaults."""
        return cls(
            db_url=db or os.environ.get(ENV_DB) or DEFAULT_URL,
            key_path=Path(key or os.environ.get(ENV_KEY) or DEFAULT_KEY),
        )


def write_key(path: Path, signer: Signer) -> None:
    """Write the private key readable by its owner only; never overwrite one."""
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
        ledger_store.create_schema(engine)
        projections.create_projections(engine)
    finally:
        engine.dispose()
    return signer


def open_ledger(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now, schema: str | None = None
) -> Ledger:
    engine = open_engine(settings, schema=schema)
    try:
        with engine.connect() as conn:
            if not ledger_store.has_schema(conn):
                raise HabeasError(f"{settings.db_url} holds no habeas ledger: run `habeas init` first")
        signer = read_key(settings.key_path)
    except BaseException:
        engine.dispose()
        raise
    # The key name is the log's origin: one key, one log.
    return Ledger(engine, signer, signer.name, clock)


def verifier_of(signer: Signer) -> Verifier:
    return signer.verifier()


def open_services(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now, schema: str | None = None
) -> Services:
    return Services(open_ledger(settings, clock=clock, schema=schema), clock)
