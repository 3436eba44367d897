"""Issue 10, finding 4, through the `habeas` command on SQLite and PostgreSQL: what `habeas log leaf` prints (the
public leaf anyone may fetch) says that an allegation, a conviction, a removal order and a stay were recorded about
a man, not what they say; `habeas person show` still shows it to the operator (docs/public-log.md)."""

from __future__ import annotations

from pathlib import Path

from habeas.ledger.entry import parse_leaf
from tests.conftest import Db
from tests.e2e.cli import habeas, invoke

AT = "2025-03-10T09:00:00Z"
SAID = ("Tren de Aragua", "ICE I-213 field gang assessment", "tattoo-photo-17", "Dade County Court",
        "unlawful carrying of a weapon", "IJ Krome removal proceedings", "D.D.C. Boasberg")


def test_the_leaves_tell_records_were_made_not_what_they_say(db: Db, tmp_path: Path) -> None:
    env = db.env()
    steps: list[tuple[str, ...]] = [
        ("init", "--origin", "test.habeas/cli-public-log"),
        ("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration", "--at", AT),
        ("person", "add", "--id", "p-1", "--given", "Yohan", "--surname", "Hernández", "--nationality", "VE",
         "--a-number", "A-201-577-119", "--at", AT),
        ("legal", "add", "allegation", "p-1", "--id", "al-1", "--organisation", SAID[0], "--source", SAID[1],
         "--evidence", SAID[2], "--at", AT),
        ("legal", "add", "conviction", "p-1", "--id", "cv-1", "--court", SAID[3], "--jurisdiction", "US",
         "--offence", SAID[4], "--convicted-on", "2019-06-01", "--at", AT),
        ("legal", "add", "removal-order", "p-1", "--id", "ro-1", "--authority", SAID[5],
         "--basis", "aea_proclamation_2025", "--destination", "SV", "--final", "--at", AT),
        ("legal", "add", "stay", "p-1", "--id", "st-1", "--granted-by", SAID[6], "--at", AT),
    ]
    for step in steps:
        habeas(*step, cwd=tmp_path, env=env)
    size = int(habeas("log", "checkpoint", cwd=tmp_path, env=env).stdout.splitlines()[1])
    leaves = []
    for seq in range(size):
        proc = invoke("log", "leaf", str(seq), cwd=tmp_path, env=env, text=False)
        assert proc.returncode == 0, proc.stderr
        leaves.append(proc.stdout)
    public = b"".join(leaves).decode()
    assert [what for what in SAID if what in public] == []
    bodies = {parse_leaf(leaf)["type"]: parse_leaf(leaf)["body"] for leaf in leaves}
    assert sorted(bodies["allegation.recorded"]) == ["allegation_id", "occurred_at"]
    assert sorted(bodies["conviction.recorded"]) == ["conviction_id", "occurred_at"]

    shown = habeas("person", "show", "p-1", cwd=tmp_path, env=env).stdout
    assert all(what in shown for what in (SAID[0], SAID[5])), shown
