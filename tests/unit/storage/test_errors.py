"""Driver errors are translated once: :func:`habeas.storage.errors.translated` turns each SQLAlchemy DBAPI error
into the project's own, one line long, with the database's reason and the driver's error as the cause."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DatabaseError, IntegrityError, InterfaceError, OperationalError

from habeas.domain.errors import HabeasError
from habeas.storage.errors import (
    AppendOnlyViolation,
    ConcurrencyConflict,
    DatabaseUnavailable,
    StorageConflict,
    StorageError,
    translated,
)


class DriverError(Exception):
    pass


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (IntegrityError, StorageConflict),
        (OperationalError, DatabaseUnavailable),
        (InterfaceError, DatabaseUnavailable),
        (DatabaseError, StorageError),
    ],
)
def test_driver_errors_become_storage_errors(raised: type[DatabaseError], expected: type[StorageError]) -> None:
    orig = DriverError('duplicate key value violates unique constraint "pk"\nDETAIL:  Key (id)=(1) already exists.')
    with pytest.raises(expected) as caught, translated("write"):
        raise raised("INSERT ...", {}, orig)
    assert type(caught.value) is expected
    assert str(caught.value).endswith('the write: duplicate key value violates unique constraint "pk"')
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value.__cause__, raised)


def test_other_errors_pass_through() -> None:
    with pytest.raises(KeyError), translated():
        raise KeyError("x")


def test_one_tree() -> None:
    assert issubclass(StorageError, HabeasError)
    assert issubclass(ConcurrencyConflict, StorageConflict)
    assert issubclass(AppendOnlyViolation, StorageConflict)
    assert issubclass(DatabaseUnavailable, StorageError)
