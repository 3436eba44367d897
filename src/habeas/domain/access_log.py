"""The read-access log's commitments: what the ledger says about the access log, so that its rows can be verified.

Who read whose personal data is not a custody fact and never enters the public log; but an access log that its
own database user can edit unseen is worth little. So each row of the access log carries a chain hash over every
row before it, and each batch of reads appends one ``access_log.committed`` entry to the ledger: the id of the last
row and the chain head. Signed checkpoints then commit to the access log, and `habeas log verify` recomputes the
chain and compares it with every commitment. The entry names no reader, no subject and no agency: its stream is
a constant, its actor the system, and it projects nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from habeas.domain.errors import InvalidField
from habeas.domain.events import Event, EventType

ACCESS_LOG_STREAM = "access-log"
"""The one stream every commitment is appended to (opaque; the same for every reader and every subject)."""

CHAIN_START = bytes(32)
"""The chain head of an empty access log: the first row's hash is SHA-256 of these 32 zero bytes and the row."""

_HEAD = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, kw_only=True)
class AccessLogCommitted(Event):
    """The access log held rows up to ``last_id``, and its chain head there was ``head`` (SHA-256, hex)."""

    TYPE: ClassVar[EventType] = EventType.ACCESS_LOG_COMMITTED

    last_id: int
    head: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.last_id, bool) or not isinstance(self.last_id, int) or self.last_id < 1:
            raise InvalidField("last_id", self.last_id, "not a row id (an integer of 1 or more)")
        if not isinstance(self.head, str) or not _HEAD.fullmatch(self.head):
            raise InvalidField("head", self.head, "not a SHA-256 hash in lower-case hex")
