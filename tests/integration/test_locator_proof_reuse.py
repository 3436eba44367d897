"""The locator's proofs as the checkpoint moves on an entry or a few at a time (each logged search moves it): the
right edge taken from the writer's frontier, or built from the last edge, and a leaf's siblings kept across
sizes, give the very text :func:`format_tlog_proof` makes from the log's own inclusion proof, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from habeas.domain.actors import Actor
from habeas.ledger.entry import prepare_entry
from habeas.ledger.log import Ledger
from habeas.ledger.note import Signer
from habeas.ledger.tlog_proof import format_tlog_proof
from habeas.services import locator

T0 = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)


def _append(ledger: Ledger, n: int) -> None:
    ledger.append([
        prepare_entry(type="custody.admitted", stream=f"p-{i}", occurred_at=T0, recorded_at=T0,
                      actor=Actor("officer-1", "agency-1"), body={"n": i})
        for i in range(n)
    ])


def test_proofs_as_the_checkpoint_moves_are_the_logs_proofs(
    make_ledger: Callable[[], tuple[Ledger, Signer]],
) -> None:
    """Sizes growing by one, by a few and across tile boundaries, proofs asked for old and new leaves: with the
    writer's frontier (the lookups of a served log) and without it (another process wrote the tree)."""
    ledger, _ = make_ledger()
    with_frontier, without = locator.lookups(ledger).proofs, locator.ProofCache()
    _append(ledger, 250)
    while (size := ledger.size()) < 530:
        note = ledger.checkpoint(size).note
        for cache in (with_frontier, without):
            with ledger.engine.connect() as conn:
                nodes = cache.reader(conn)
                for seq in {0, 1, 7, 255, 256, size // 2, size - 2, size - 1} & set(range(size)):
                    expected = format_tlog_proof(seq, ledger.inclusion_proof(seq, size), note)
                    assert cache.get(nodes, seq, size, note) == expected, (seq, size)
        _append(ledger, 1 if size < 262 or 508 < size < 516 else 3)


def test_the_writers_frontier_is_used_only_for_the_tree_the_note_signs(
    make_ledger: Callable[[], tuple[Ledger, Signer]],
) -> None:
    """The frontier is the edge of the tree the writer wrote last: not for another size, nor a note whose root
    differs (then the edge is read from the tiles, as another process's tree would be)."""
    ledger, _ = make_ledger()
    _append(ledger, 300)
    known = locator._written(ledger)
    size = ledger.size()
    note = ledger.checkpoint(size).note
    edge = known(size, note)
    assert edge is not None
    assert [h for h, _ in edge] == [level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]
    assert known(size - 1, note) is None
    lines = note.split("\n")
    lines[2] = "A" * len(lines[2])
    assert known(size, "\n".join(lines)) is None
    assert known(size, "not a note") is None
