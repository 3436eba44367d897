"""The log: append with group commit, signed checkpoints, proofs.

Writes go through :meth:`Ledger.write`. Callers in many threads hand in jobs; one of them becomes the leader,
takes every job queued so far and runs them all in a single database transaction, each inside a savepoint so
one refused command does not sink the others, then signs one checkpoint for the batch, commits, and only then
answers every caller. That is group commit: one fsync and one signature for many appends.

Across processes the database serialises writers (SQLite's write lock, PostgreSQL's row lock on the head), and
the head row is compared-and-swapped on the tree size, so a writer with a stale view fails instead of forking
the log.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from habeas.domain.errors import HabeasError
from habeas.ledger import merkle
from habeas.ledger.checkpoint import Checkpoint
from habeas.ledger.entry import PreparedEntry, iso_utc
from habeas.ledger.note import Signer, sign_note
from habeas.ledger.tiles import Frontier, TileReader
from habeas.storage import direct
from habeas.storage import ledger_store as store
from habeas.storage.engine import connect
from habeas.storage.errors import StorageError, translated

T = TypeVar("T")
F = TypeVar("F", bound="Callable[[Connection, Appender], Any]")
Clock = Callable[[], datetime]


class LogError(HabeasError):
    """A request the log cannot answer: an index past the end, a size with no checkpoint."""


@dataclass
class Appended:
    """What one caller's append became."""

    seqs: list[int]
    size: int = 0
    checkpoint: str = ""


@dataclass
class Appender:
    """Handed to each job inside the batch transaction: assigns sequence numbers and buffers rows."""

    conn: Connection
    frontier: Frontier
    entries: list[tuple[int, str, str, bytes, bytes]] = field(default_factory=list)
    private: list[tuple[int, bytes, bytes]] = field(default_factory=list)
    tile_hashes: list[tuple[int, int, bytes]] = field(default_factory=list)
    finishers: dict[str, Callable[[Connection, Appender], Any]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.frontier.size

    def before_commit(self, key: str, finish: F) -> F:
        """Run ``finish`` once, after every job of the batch and before it commits; jobs that share the work
        register it under the same key and get the first one registered back (the access log appends one
        commitment a batch, however many reads)."""
        return self.finishers.setdefault(key, finish)  # type: ignore[return-value]

    def append(self, prepared: Iterable[PreparedEntry]) -> list[int]:
        start = seq = self.frontier.size
        entries, private = self.entries, self.private
        hashes = []
        sha256 = hashlib.sha256
        for p in prepared:
            cut = p.cut
            leaf = b"%s,\"seq\":%d%s" % (p.head[:cut], seq, p.head[cut:])  # entry.leaf_bytes, inlined
            h = sha256(b"\x00" + leaf).digest()
            hashes.append(h)
            entries.append((seq, p.type, p.stream, leaf, h))
            if p.payload is not None and p.salt is not None:
                private.append((seq, p.salt, p.payload))
            seq += 1
        self.frontier.extend(hashes, self.tile_hashes)
        return list(range(start, seq))

    def mark(self) -> tuple[Frontier, int, int, int]:
        return self.frontier.copy(), len(self.entries), len(self.private), len(self.tile_hashes)

    def reset(self, mark: tuple[Frontier, int, int, int]) -> None:
        self.frontier, e, p, t = mark[0].copy(), mark[1], mark[2], mark[3]
        del self.entries[e:], self.private[p:], self.tile_hashes[t:]


Job = Callable[[Connection, Appender], Any]


class _AloneFailed(Exception):
    """Carries the error of a job alone in its batch out of the batch's transaction, which then rolls back."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


_SAVEPOINT = direct.Sql("SAVEPOINT habeas_job")
_ROLLBACK_TO = direct.Sql("ROLLBACK TO SAVEPOINT habeas_job")
_RELEASE = direct.Sql("RELEASE SAVEPOINT habeas_job")


@dataclass
class _Pending:
    job: Job
    future: Future[Any]
    isolated: bool


class Ledger:
    """The append-only log over one database, signing checkpoints with one key."""

    def __init__(self, engine: Engine, signer: Signer, origin: str, clock: Clock) -> None:
        self.engine = engine
        self.signer = signer
        self.origin = origin
        self.clock = clock
        self._queue: list[_Pending] = []
        # Guards the queue and the leader flag; waiters sleep on it until their own answer is in.
        self._cond = threading.Condition()
        self._leading = False
        # The right edge of the tree as last written by this process, valid while the head still shows it.
        self._frontier: tuple[int, bytes, Frontier] | None = None
        self._tiles: OrderedDict[tuple[int, int], list[list[bytes]]] = OrderedDict()
        self.batches = 0

    # -- writing ---------------------------------------------------------------------------------------------

    def append(self, prepared: Sequence[PreparedEntry]) -> Appended:
        """Append entries as one caller; they get consecutive sequence numbers."""
        # The batch fills in size and checkpoint once it has committed.
        return self.write(lambda _conn, app: Appended(seqs=app.append(prepared)), isolated=False)

    def write(self, job: Callable[[Connection, Appender], T], *, isolated: bool = True) -> T:
        """Run ``job`` in the next batch transaction and return its result once the batch has committed.

        ``isolated`` jobs run in a savepoint so that an exception undoes only their own work. Plain appends
        cannot fail half-way and skip the savepoint's two round trips.
        """
        fut: Future[T] = Future()
        with self._cond:
            self._queue.append(_Pending(job, fut, isolated))
            # A caller whose answer is in leaves at once; otherwise it waits for the running batch, and the
            # first to find no leader takes everything queued so far as the next batch.
            while not fut.done():
                if self._leading:
                    self._cond.wait()
                    continue
                self._leading = True
                batch, self._queue = self._queue, []
                self._cond.release()
                try:
                    self._run_batch(batch)
                finally:
                    self._cond.acquire()
                    self._leading = False
                    self._cond.notify_all()
        return fut.result()

    def _run_batch(self, batch: list[_Pending]) -> None:
        results: list[tuple[_Pending, Any]] = []
        try:
            # Driver errors become habeas.storage.errors here, a job's own in its savepoint, the batch's below.
            with translated("write"), self.engine.connect().execution_options(habeas_write=True) as conn, conn.begin():
                size, root = store.lock_head(conn)
                app = Appender(conn, self._frontier_for(conn, size, root))
                alone = len(batch) == 1
                for pending in batch:
                    if not pending.isolated:
                        results.append((pending, pending.job(conn, app)))
                        continue
                    if alone:
                        # A job alone in its batch needs no savepoint: if it fails, the whole transaction is rolled
                        # back, which is all its savepoint would have undone (the batch has nothing else to keep; a
                        # finisher the failed job registered goes with it). Two statements a command saved.
                        try:
                            with translated("write"):
                                value = pending.job(conn, app)
                        except Exception as e:
                            raise _AloneFailed(e) from e
                        results.append((pending, value))
                        continue
                    mark = app.mark()
                    # The job's savepoint goes to the driver: through SQLAlchemy's begin_nested its two statements
                    # cost more than a one-command job's own reads (SQLAlchemy need not know of it: a job that opens
                    # savepoints of its own nests them inside this one).
                    direct.execute(conn, _SAVEPOINT)
                    try:
                        with translated("write"):
                            value = pending.job(conn, app)
                    except Exception as e:
                        direct.execute(conn, _ROLLBACK_TO)
                        direct.execute(conn, _RELEASE)
                        app.reset(mark)
                        pending.future.set_exception(e)
                        continue
                    direct.execute(conn, _RELEASE)
                    results.append((pending, value))
                for finish in app.finishers.values():
                    finish(conn, app)
                checkpoint = self._finish(conn, app, expected=size) if app.entries else None
        except _AloneFailed as failed:  # rolled back: the log is as it was, and the cached frontier still holds
            self.batches += 1
            batch[0].future.set_exception(failed.error)
            return
        except BaseException as e:
            self._frontier = None
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(e)
            if not isinstance(e, Exception):
                raise
            return
        self.batches += 1
        if checkpoint is not None:
            self._frontier = (app.size, app.frontier.root(), app.frontier)
        for pending, value in results:
            if isinstance(value, Appended) and checkpoint is not None:
                value.size, value.checkpoint = app.size, checkpoint
            pending.future.set_result(value)

    def _finish(self, conn: Connection, app: Appender, *, expected: int) -> str:
        root = app.frontier.root()
        # Compare-and-swap first: a writer that lost the race fails here, before writing a single row.
        store.cas_head(conn, expected=expected, size=app.size, root=root)
        note = sign_note(Checkpoint(self.origin, app.size, root).body(), [self.signer])
        checkpoint = store.StoredCheckpoint(app.size, root, note, iso_utc(self.clock()))
        with direct.pipelined(conn):  # on PostgreSQL the rows go in one round trip, not four
            store.insert_entries(conn, app.entries)
            store.insert_private(conn, app.private)
            store.insert_tile_hashes(conn, app.tile_hashes)
            store.insert_checkpoint(conn, checkpoint)
        return note

    def written_edge(self, size: int, root: bytes) -> Sequence[tuple[int, bytes]] | None:
        """The right edge of the tree of ``size`` and ``root`` ((level, hash) nodes, levels falling), if this
        process's writer wrote that tree last; None otherwise (another process wrote on, or this one moved on).
        What the public locator's proofs start from. Read-only: the frontier kept is never changed once set (each
        batch appends to a copy)."""
        cached = self._frontier
        if cached is None or cached[0] != size or cached[1] != root:
            return None
        return tuple(cached[2].nodes)

    def _frontier_for(self, conn: Connection, size: int, root: bytes) -> Frontier:
        cached = self._frontier
        if cached is not None and cached[0] == size and cached[1] == root:
            return cached[2].copy()
        frontier = Frontier.load(self._reader(conn), size)
        if frontier.root() != root:
            raise StorageError(
                f"the stored tree of size {size} does not match the head's root: run `habeas log verify`"
            )
        return frontier

    # -- reading ---------------------------------------------------------------------------------------------

    def _reader(self, conn: Connection) -> TileReader:
        return TileReader(lambda lvl, start, n: store.read_tile_hashes(conn, lvl, start, n), _cache=self._tiles)

    def size(self) -> int:
        with connect(self.engine) as conn:
            return store.read_head(conn)[0]

    def checkpoint(self, size: int | None = None) -> store.StoredCheckpoint:
        with connect(self.engine) as conn:
            cp = store.read_checkpoint(conn, size)
        if cp is None:
            raise LogError("the log has no checkpoint yet" if size is None else f"no checkpoint at size {size}")
        return cp

    def leaf(self, index: int) -> bytes:
        with connect(self.engine) as conn:
            # The range first: an index past the log (or past what the database's integers hold) is the
            # caller's mistake, answered in words, never a driver's overflow.
            size = store.read_head(conn)[0]
            leaf = store.read_leaf(conn, index) if 0 <= index < size else None
            if leaf is None:
                held = f"{size} entries (0 to {size - 1})" if size else "no entries yet"
                raise LogError(f"no leaf at index {index}: the log has {held}")
        return leaf

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with connect(self.engine) as conn:
            head = store.read_head(conn)[0]
            if not 0 <= index < size <= head:
                raise LogError(f"no leaf {index} in a tree of size {size} (the log has {head} entries)")
            return merkle.inclusion_proof(self._reader(conn), index, size)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        with connect(self.engine) as conn:
            head = store.read_head(conn)[0]
            if not 0 <= old <= new <= head:
                raise LogError(f"no consistency proof from size {old} to {new} (the log has {head} entries)")
            return merkle.consistency_proof(self._reader(conn), old, new)

    def root(self, size: int) -> bytes:
        with connect(self.engine) as conn:
            return merkle.tree_root(self._reader(conn), size)
