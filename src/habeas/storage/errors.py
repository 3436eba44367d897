"""Storage errors: driver exceptions are translated into these once, at the storage boundary."""


class StorageError(Exception):
    """The database could not be opened or used as asked."""


class ConcurrencyConflict(StorageError):
    """Another writer changed the log between our read of its size and our write: nothing was written."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(f"the log grew from size {expected} to {found} under us; nothing was written")
        self.expected = expected
        self.found = found


class AppendOnlyViolation(StorageError):
    """The database refused an UPDATE or DELETE of a ledger row."""
