"""`habeas intake admit --manifest ID` on SQLite and PostgreSQL: everyone on an arrived manifest admitted at its
destination, each into a unit the rules choose, in one transaction, with a summary table; whoever a count did not
find is left out and named; refusals are one line and write nothing. The operation up to the handover is recorded
through the door (tests/integration/bulk_world.py), the intake through the command line."""

from __future__ import annotations

import re
from pathlib import Path

from habeas.bootstrap import init, open_services
from tests.conftest import Db, TickingClock
from tests.e2e.cli import habeas, one_line_error
from tests.integration import bulk_world as bw

AT = "2025-03-05T14:00:00Z"
ARGS = ("intake", "admit", "--manifest", bw.MANIFEST, "--custodian", "o-sv@dgcp", "--commitment-authority", "DGCP",
        "--receipt", bw.RECEIPT, "--at", AT, "--as", "o-sv@dgcp")


def arrived(db: Db, tmp_path: Path, n: int = 10, missing: tuple[str, ...] = ("p-004",)) -> tuple[dict[str, str], str]:
    pack = bw.write_pack(tmp_path)
    init(db.settings, "test.habeas/intake-manifest", schema=db.schema)
    services = open_services(db.settings, clock=TickingClock(), schema=db.schema, pack=pack)
    try:
        ids = bw.world(services, n)
        bw.fly(services, ids, missing=missing)
        bw.hand_over(services, [p for p in ids if p not in missing])
    finally:
        services.close()
    return db.env(), pack


def size_of(cwd: Path, env: dict[str, str]) -> int:
    return int(habeas("log", "checkpoint", cwd=cwd, env=env).stdout.splitlines()[1])


def test_everyone_found_on_the_manifest_is_admitted_in_one_command(db: Db, tmp_path: Path) -> None:
    env, pack = arrived(db, tmp_path)
    before = size_of(tmp_path, env)
    proc = habeas("--pack", pack, *ARGS, cwd=tmp_path, env=env)
    assert re.search(r"admitted 9 people from manifest m-1 at f-sv in one transaction", proc.stdout), proc.stdout
    rows = {m.group(1): int(m.group(2)) for m in re.finditer(r"│\s*(c-\d)\s*│\s*(\d+)\s*│", proc.stdout)}
    assert rows == {"c-1": 4, "c-2": 4, "c-3": 1}, proc.stdout
    assert "left out: p-004: not found at a count (hc-arrival.discrepancy open)" in proc.stderr
    assert size_of(tmp_path, env) > before
    shown = habeas("person", "show", "p-009", cwd=tmp_path, env=env).stdout
    assert "adm-m-1-p-009" in shown

    one_line_error(habeas("--pack", pack, *ARGS, cwd=tmp_path, env=env, check=False),
                   r"manifest 'm-1': nobody to admit \(9 already held at the destination, 1 not found at a count")
    assert habeas("log", "verify", cwd=tmp_path, env=env).stdout.startswith("OK")


def test_refusals_are_one_line_and_write_nothing(db: Db, tmp_path: Path) -> None:
    env, pack = arrived(db, tmp_path, n=3, missing=())
    before = size_of(tmp_path, env)
    for args, pattern in (
        (("intake", "admit", "--manifest", "m-9", "--custodian", "o-sv@dgcp", "--commitment-authority", "DGCP"),
         r"unknown manifest 'm-9'"),
        ((*ARGS, "--unit", "c-1"), r"--manifest admits everyone on the manifest.*leave out --unit"),
        ((*ARGS, "--facility", "f-us"), r"invalid facility_id 'f-us': the manifest's leg goes to f-sv"),
        # an officer no one registered as the custodian: the first man's admission is refused, so everyone's is
        (("intake", "admit", "--manifest", bw.MANIFEST, "--custodian", "o-nobody@dgcp", "--commitment-authority",
          "DGCP", "--at", AT, "--as", "o-sv@dgcp"), r"^error: person p-001: .*nothing of the batch was recorded"),
        (("intake", "admit", "--custodian", "o-sv@dgcp", "--commitment-authority", "DGCP"),
         r"name the PERSON and --facility, or --manifest"),
    ):
        one_line_error(habeas("--pack", pack, *args, cwd=tmp_path, env=env, check=False), pattern)
    assert size_of(tmp_path, env) == before
