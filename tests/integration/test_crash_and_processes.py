"""Real processes: a writer killed with SIGKILL mid-append, and several writers appending at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from habeas.bootstrap import init, open_ledger
from habeas.ledger.merkle import leaf_hash
from habeas.ledger.verify import verify_log
from tests.conftest import Db
from tests.paths import PROJECT_ROOT


def spawn(db: Db, name: str, count: int, batch: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.writer", name, str(count), str(batch)],
        cwd=PROJECT_ROOT, env=db.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def acks(lines: list[str]) -> dict[int, str]:
    out = {}
    for line in lines:
        if line.startswith("ack "):
            _, seq, h = line.split()
            out[int(seq)] = h
    return out


def check_log(db: Db, acked: dict[int, str]) -> int:
    ledger = open_ledger(db.settings, schema=db.schema)
    signer = init(db.settings, schema=db.schema)
    try:
        with ledger.engine.connect() as conn:
            report = verify_log(conn, signer.verifier(), origin=signer.name)
        assert report.ok, [str(p) for p in report.problems]
        for seq, h in acked.items():
            assert leaf_hash(ledger.leaf(seq)).hex() == h, f"acknowledged entry {seq} changed or vanished"
        return report.size
    finally:
        ledger.engine.dispose()


def test_a_writer_killed_mid_append_loses_no_acknowledged_entry(db: Db, tmp_path: Path) -> None:
    init(db.settings, "test.habeas/log", schema=db.schema)
    proc = spawn(db, "w", 1_000_000, 7)
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while len(lines) < 400 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    # Kill while it is appending: more batches are in flight right now.
    os.kill(proc.pid, signal.SIGKILL)
    rest, errors = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, errors
    acked = acks(lines + rest.splitlines())
    assert len(acked) >= 400, errors
    size = check_log(db, acked)
    assert size >= max(acked) + 1
    # The log goes on after the crash, from where it really is.
    proc = spawn(db, "after", 10, 10)
    out, errors = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors
    assert min(acks(out.splitlines())) == size
    check_log(db, acked)


def test_several_processes_appending_at_once_never_fork_or_gap(db: Db) -> None:
    init(db.settings, "test.habeas/log", schema=db.schema)
    procs = [spawn(db, f"p{k}", 150, 1 + k) for k in range(4)]
    acked: dict[int, str] = {}
    for proc in procs:
        out, errors = proc.communicate(timeout=240)
        assert proc.returncode == 0, errors
        got = acks(out.splitlines())
        assert len(got) == 150
        assert not set(got) & set(acked), "two writers were given the same sequence number"
        acked.update(got)
    assert sorted(acked) == list(range(600))
    assert check_log(db, acked) == 600
