"""The ledger's storage contract, run against SQLite and PostgreSQL alike (the `db` fixture)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from habeas.domain.actors import Actor
from habeas.ledger import merkle
from habeas.ledger.checkpoint import parse_checkpoint
from habeas.ledger.entry import PreparedEntry, commitment, leaf_commitment, parse_leaf, prepare_entry
from habeas.ledger.log import Ledger, LogError
from habeas.ledger.note import Signer, open_note
from habeas.ledger.verify import verify_log
from habeas.storage import ledger_store as store
from habeas.storage.errors import ConcurrencyConflict

T = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
MakeLedger = Callable[[], tuple[Ledger, Signer]]


def entry(i: int, *, private: bool = False) -> PreparedEntry:
    return prepare_entry(
        type="custody.admitted",
        stream=f"p-{i % 97:06d}",
        occurred_at=T,
        recorded_at=T,
        actor=Actor("officer-1", "agency-1"),
        body={"facility": "PISPCTX", "n": i},
        private={"given_names": f"Synthetic {i}", "date_of_birth": "1990-01-01"} if private else None,
    )


def verify(ledger: Ledger, signer: Signer, trusted: str | None = None):
    with ledger.engine.connect() as conn:
        return verify_log(conn, signer.verifier(), origin=signer.name, trusted=trusted)


def test_append_assigns_consecutive_seqs_and_signs_each_batch(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    first = ledger.append([entry(i) for i in range(3)])
    second = ledger.append([entry(3)])
    assert first.seqs == [0, 1, 2]
    assert second.seqs == [3]
    assert second.size == 4
    cp = parse_checkpoint(open_note(second.checkpoint, [signer.verifier()]).text)
    assert (cp.origin, cp.size) == ("test.habeas/log", 4)
    assert cp.root == merkle.root_of([merkle.leaf_hash(ledger.leaf(i)) for i in range(4)])
    assert [c.size for c in ledger_checkpoints(ledger)] == [3, 4]
    leaf = parse_leaf(ledger.leaf(2))
    assert leaf["seq"] == 2
    assert leaf["body"] == {"facility": "PISPCTX", "n": 2}


def ledger_checkpoints(ledger: Ledger) -> list[store.StoredCheckpoint]:
    with ledger.engine.connect() as conn:
        return list(store.iter_checkpoints(conn))


def test_private_payload_is_committed_not_published(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    ledger.append([entry(0, private=True)])
    leaf = ledger.leaf(0)
    assert b"Synthetic" not in leaf
    assert b"1990" not in leaf
    with ledger.engine.connect() as conn:
        held = store.read_private_one(conn, 0)
    assert held is not None
    assert commitment(*held) == leaf_commitment(leaf)
    report = verify(ledger, signer)
    assert report.ok
    assert report.private_checked == 1


def test_erasing_a_private_payload_keeps_the_log_verifiable(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    ledger.append([entry(i, private=True) for i in range(4)])
    with ledger.engine.begin() as conn:
        assert store.erase_private(conn, [1, 2]) == 2
    report = verify(ledger, signer)
    assert report.ok, report.problems
    assert (report.private_checked, report.private_erased) == (2, 2)


def test_a_changed_private_payload_is_named(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    ledger.append([entry(i, private=True) for i in range(3)])
    with ledger.engine.begin() as conn:
        store.drop_triggers(conn)
        conn.execute(
            text("UPDATE ledger_private SET payload = :p WHERE seq = 1"), {"p": b'{"given_names":"Someone else"}'}
        )
    report = verify(ledger, signer)
    assert not report.ok
    assert report.first_bad_index == 1


@pytest.mark.parametrize("table", ["ledger_entry", "ledger_tile_hash", "ledger_checkpoint"])
@pytest.mark.parametrize("op", ["UPDATE", "DELETE"])
def test_triggers_refuse_update_and_delete(make_ledger: MakeLedger, table: str, op: str) -> None:
    ledger, _ = make_ledger()
    ledger.append([entry(i) for i in range(300)])  # 300 > 256: one tile hash exists
    column = {"ledger_entry": "stream", "ledger_tile_hash": "tile_level", "ledger_checkpoint": "signed_at"}[table]
    sql = f"UPDATE {table} SET {column} = {column}" if op == "UPDATE" else f"DELETE FROM {table}"
    with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
        conn.execute(text(sql))
    assert ledger.size() == 300


def test_triggers_refuse_rewriting_a_private_payload(make_ledger: MakeLedger) -> None:
    ledger, _ = make_ledger()
    ledger.append([entry(0, private=True)])
    with pytest.raises(DBAPIError, match="append-only"), ledger.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_private SET payload = payload"))


def test_changed_byte_is_named_by_its_index(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    for i in range(0, 600, 100):
        ledger.append([entry(j) for j in range(i, i + 100)])
    assert verify(ledger, signer).ok
    original = ledger.leaf(417)
    tampered = original.replace(b'"n":417', b'"n":418')
    assert tampered != original
    with ledger.engine.begin() as conn:
        store.drop_triggers(conn)
        conn.execute(text("UPDATE ledger_entry SET leaf = :leaf WHERE seq = 417"), {"leaf": tampered})
    report = verify(ledger, signer)
    assert not report.ok
    assert report.first_bad_index == 417


def test_rewriting_leaf_and_hash_together_is_caught_by_the_signed_checkpoint(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    ledger.append([entry(j) for j in range(10)])
    ledger.append([entry(j) for j in range(10, 20)])
    forged = ledger.leaf(13).replace(b'"n":13', b'"n":99')
    with ledger.engine.begin() as conn:
        store.drop_triggers(conn)
        conn.execute(
            text("UPDATE ledger_entry SET leaf = :leaf, leaf_hash = :h WHERE seq = 13"),
            {"leaf": forged, "h": merkle.leaf_hash(forged)},
        )
    report = verify(ledger, signer)
    assert not report.ok
    # Only the batch can be named: the forged hash is self-consistent, the signed root of size 20 is not.
    assert report.first_bad_index == 19


def test_deleting_the_last_entry_fails_verification(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    ledger.append([entry(j) for j in range(5)])
    with ledger.engine.begin() as conn:
        store.drop_triggers(conn)
        conn.execute(text("DELETE FROM ledger_entry WHERE seq = 4"))
    report = verify(ledger, signer)
    assert not report.ok
    assert report.first_bad_index == 4


def test_a_stale_writer_is_refused_by_compare_and_swap(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    ledger.append([entry(0), entry(1)])
    with pytest.raises(ConcurrencyConflict, match="from size 1 to 2"), ledger.engine.begin() as conn:
        store.cas_head(conn, expected=1, size=2, root=merkle.EMPTY_ROOT)
    assert ledger.size() == 2
    assert verify(ledger, signer).ok


def test_concurrent_callers_are_group_committed(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    results: list[list[int]] = []
    lock = threading.Lock()

    def produce(k: int) -> None:
        for i in range(20):
            seqs = ledger.append([entry(k * 100 + i)]).seqs
            with lock:
                results.append(seqs)

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(s for seqs in results for s in seqs) == list(range(320))
    assert ledger.batches < 320  # some callers shared a transaction
    report = verify(ledger, signer)
    assert report.ok
    assert report.size == 320


def test_a_failing_job_does_not_sink_the_batch(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()

    def bad(_conn, app):
        app.append([entry(100)])
        raise ValueError("refused by the domain")

    with pytest.raises(ValueError, match="refused"):
        ledger.write(bad)
    assert ledger.append([entry(0)]).seqs == [0]
    assert verify(ledger, signer).ok


def test_index_past_the_end_is_a_named_error(make_ledger: MakeLedger) -> None:
    ledger, _ = make_ledger()
    ledger.append([entry(0)])
    with pytest.raises(LogError, match="no leaf at index 5"):
        ledger.leaf(5)
    with pytest.raises(LogError, match="no leaf 3 in a tree of size 1"):
        ledger.inclusion_proof(3, 1)
    with pytest.raises(LogError, match="no checkpoint at size 7"):
        ledger.checkpoint(7)


def test_verify_from_a_trusted_checkpoint(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    ledger.append([entry(i) for i in range(300)])
    trusted = ledger.checkpoint().note
    ledger.append([entry(i) for i in range(300, 350)])
    report = verify(ledger, signer, trusted)
    assert report.ok, report.problems
    assert (report.start, report.entries_checked) == (300, 50)


def test_a_trusted_checkpoint_the_log_contradicts_fails(make_ledger: MakeLedger) -> None:
    ledger, signer = make_ledger()
    ledger.append([entry(i) for i in range(10)])
    # A checkpoint of the right size signed by the right key, but over other leaves: a fork.
    from habeas.ledger.checkpoint import Checkpoint
    from habeas.ledger.note import sign_note

    fork = merkle.root_of([merkle.leaf_hash(b"other %d" % i) for i in range(10)])
    trusted = sign_note(Checkpoint(signer.name, 10, fork).body(), [signer])
    report = verify(ledger, signer, trusted)
    assert not report.ok
    assert "another root" in str(report.problems[0])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=4), data=st.data())
def test_proofs_from_tiles_equal_the_reference_tree(
    make_ledger: MakeLedger, batches: list[int], data: st.DataObject
) -> None:
    ledger, _ = make_ledger()
    reference = merkle.MemoryTree()
    base = n = 0
    for count in batches:
        ledger.append([entry(n + i) for i in range(count)])
        n += count
    for i in range(base, n):
        reference.append(merkle.leaf_hash(ledger.leaf(i)))
    for _ in range(6):
        size = data.draw(st.integers(min_value=1, max_value=n))
        index = data.draw(st.integers(min_value=0, max_value=size - 1))
        assert ledger.inclusion_proof(index, size) == merkle.inclusion_proof(reference, index, size)
        old = data.draw(st.integers(min_value=0, max_value=size))
        assert ledger.consistency_proof(old, size) == merkle.consistency_proof(reference, old, size)
        assert ledger.root(size) == reference.root(size)
    # Every checkpoint is consistent with every earlier one.
    cps = ledger_checkpoints(ledger)
    for a in cps:
        for b in cps:
            if a.size <= b.size:
                merkle.verify_consistency(a.size, b.size, a.root, b.root, ledger.consistency_proof(a.size, b.size))
