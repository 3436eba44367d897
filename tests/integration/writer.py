"""A writer process for the crash and concurrency tests: appends and reports every acknowledged entry.

Run as `python -m tests.integration.writer NAME COUNT BATCH`; the database and key come from the environment
(HABEAS_DATABASE_URL, HABEAS_SIGNING_KEY, and PGOPTIONS for a PostgreSQL schema). Each acknowledged append
prints `ack SEQ LEAF_HASH_HEX` only after the commit returned.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from habeas.bootstrap import Settings, open_ledger
from habeas.domain.actors import Actor
from habeas.ledger.entry import prepare_entry
from habeas.ledger.merkle import leaf_hash


def main() -> None:
    name, count, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ledger = open_ledger(Settings.resolve())
    t = datetime(2025, 3, 15, tzinfo=UTC)
    done = 0
    while done < count:
        n = min(batch, count - done)
        entries = [
            prepare_entry(
                type="custody.admitted", stream=f"{name}-{done + i}", occurred_at=t, recorded_at=t,
                actor=Actor("officer-" + name, "agency-1"), body={"writer": name, "n": done + i},
                private={"note": f"synthetic {name} {done + i}"},
            )
            for i in range(n)
        ]
        result = ledger.append(entries)
        for seq in result.seqs:
            sys.stdout.write(f"ack {seq} {leaf_hash(ledger.leaf(seq)).hex()}\n")
        sys.stdout.flush()
        done += n


if __name__ == "__main__":
    main()
