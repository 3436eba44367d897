"""Storage errors: driver exceptions are translated into these once, at the storage boundary.

:func:`translated` is that boundary: every connection or transaction opened for the services goes through it
(:func:`habeas.storage.engine.connect`, :func:`habeas.storage.engine.begin`, the ledger's batch transaction),
so nothing above storage names SQLAlchemy or a driver. Messages are one line and keep the database's reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from habeas.domain.errors import HabeasError


class StorageError(HabeasError):
    """The database could not be opened or used as asked."""

    code: ClassVar[str] = "storage-error"  # how layers that may not import this class tell it apart


class StorageConflict(StorageError):
    """The database refused a write that conflicts with what it holds (a key taken, a constraint broken)."""

    code = "storage-conflict"


class DatabaseUnavailable(StorageError):
    """The database could not be reached, or dropped the connection, or timed out."""

    code = "database-unavailable"


class ConcurrencyConflict(StorageConflict):
    """Another writer changed the log between our read of its size and our write: nothing was written."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(f"the log grew from size {expected} to {found} under us; nothing was written")
        self.expected = expected
        self.found = found


class AppendOnlyViolation(StorageConflict):
    """The database refused an UPDATE or DELETE of a ledger row."""


def reason(error: DBAPIError) -> str:
    """The database's own reason, on one line (PostgreSQL adds DETAIL and HINT lines)."""
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


@contextmanager
def translated(doing: str = "request") -> Iterator[None]:
    """Raise the driver's errors inside the block as :class:`StorageError` subclasses, the driver's as cause.

    ``doing`` names what was asked, for the message: "the database refused the write: UNIQUE constraint ...".
    """
    try:
        yield
    except IntegrityError as e:
        raise StorageConflict(f"the database refused the {doing}: {reason(e)}") from e
    except (OperationalError, InterfaceError) as e:
        raise DatabaseUnavailable(f"the database could not serve the {doing}: {reason(e)}") from e
    except DBAPIError as e:
        raise StorageError(f"the database refused the {doing}: {reason(e)}") from e
    except PoolTimeout as e:
        raise DatabaseUnavailable(f"no database connection came free for the {doing}: {e}") from e
