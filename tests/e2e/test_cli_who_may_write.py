"""Issue 10's findings 1, 2 and 9 through the `habeas` command, on SQLite and PostgreSQL: the command line acting
for an agency (``--as OFFICER@AGENCY``) is held to the same rules as that agency's users over HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

from habeas.ledger.entry import parse_leaf
from tests.conftest import Db
from tests.e2e.cli import habeas, invoke, one_line_error

AT = "2025-03-10T09:00:00Z"
PACKS = Path(__file__).parents[2] / "src/habeas/gates/packs"


def size_of(cwd: Path, env: dict[str, str]) -> int:
    return int(habeas("log", "checkpoint", cwd=cwd, env=env).stdout.splitlines()[1])


def leaf_body(cwd: Path, env: dict[str, str], seq: int) -> dict[str, object]:
    proc = invoke("log", "leaf", str(seq), cwd=cwd, env=env, text=False)
    assert proc.returncode == 0, proc.stderr
    return parse_leaf(proc.stdout)


def world(db: Db, cwd: Path) -> dict[str, str]:
    """ICE and the Salvadoran prisons, an officer and a facility each, and p-1 held by the Salvadoran agency."""
    env = db.env()
    steps: list[tuple[str, ...]] = [
        ("init", "--origin", "test.habeas/cli-who"),
        ("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration", "--at", AT),
        ("agency", "add", "--id", "dgcp", "--name", "DGCP", "--country", "SV", "--kind", "prisons", "--at", AT),
        ("officer", "add", "--id", "o-ice", "--agency", "ice", "--name", "A", "--role", "coordinator",
         "--generate-key", "o-ice.key", "--at", AT, "--as", "o-ice@ice"),
        ("officer", "add", "--id", "o-sv", "--agency", "dgcp", "--name", "B", "--role", "intake",
         "--generate-key", "o-sv.key", "--at", AT, "--as", "o-sv@dgcp"),
        ("facility", "add", "--id", "f-texas", "--name", "SPC", "--country", "US", "--type", "SPC", "--agency", "ice",
         "--at", AT, "--as", "o-ice@ice"),
        ("facility", "unit", "add", "f-texas", "--id", "b1", "--label", "B1", "--area", "120", "--beds", "40",
         "--category", "migration", "--at", AT, "--as", "o-ice@ice"),
        ("facility", "add", "--id", "f-cecot", "--name", "CECOT", "--country", "SV", "--type", "prison",
         "--agency", "dgcp", "--at", AT, "--as", "o-sv@dgcp"),
        ("facility", "unit", "add", "f-cecot", "--id", "m1", "--label", "M1", "--area", "400", "--beds", "80",
         "--category", "convicted", "--at", AT, "--as", "o-sv@dgcp"),
        ("person", "add", "--id", "p-1", "--given", "Luis", "--surname", "Ortega", "--at", AT, "--as", "o-ice@ice"),
        ("custody", "admit", "p-1", "--facility", "f-cecot", "--unit", "m1", "--custodian", "o-sv@dgcp",
         "--authority", "dgcp", "--basis", "us_sv_arrangement", "--at", AT, "--as", "o-sv@dgcp"),
    ]
    for step in steps:
        habeas(*step, cwd=cwd, env=env)
    return env


def test_the_command_line_for_an_agency_takes_no_custody_step_it_does_not_hold(db: Db, tmp_path: Path) -> None:
    # Finding 2, through the command line: ICE (which registered p-1 and so sees him) releases and removes a man
    # the Salvadoran agency holds.
    env = world(db, tmp_path)
    size = size_of(tmp_path, env)
    for step in (("release", "p-1", "--reason", "bond"), ("remove", "p-1", "--country", "VE")):
        one_line_error(habeas("custody", *step, "--as", "o-ice@ice", cwd=tmp_path, env=env, check=False),
                       r"person p-1 is held by agency dgcp, not ice; custody passes between agencies only by a "
                       r"completed dual-signed handoff")
    assert size_of(tmp_path, env) == size
    habeas("custody", "release", "p-1", "--reason", "sentence_served", "--as", "o-sv@dgcp", cwd=tmp_path, env=env)


def test_the_command_line_for_an_agency_writes_only_its_own_reference_data(db: Db, tmp_path: Path) -> None:
    # Finding 9, through the command line.
    env = world(db, tmp_path)
    one_line_error(habeas("facility", "unit", "add", "f-texas", "--id", "hangar", "--label", "Hangar", "--area",
                          "100000", "--beds", "5000", "--at", AT, "--as", "o-sv@dgcp", cwd=tmp_path, env=env,
                          check=False),
                   r"RegisterUnit: facility f-texas belongs to ice, not to agency dgcp")
    one_line_error(habeas("agency", "add", "--id", "ice2", "--name", "X", "--country", "US", "--kind", "police",
                          "--at", AT, "--as", "o-sv@dgcp", cwd=tmp_path, env=env, check=False),
                   r"register of agencies belongs to the deployment's operator")


def test_the_pack_is_the_operators_choice_at_start_up_and_recorded_with_its_hash(db: Db, tmp_path: Path) -> None:
    # Finding 1, through the command line: `manifest clear --pack` chose a pack per command; the pack is now the
    # deployment's (`habeas --pack`, HABEAS_POLICY_PACK), and each gate result names it with its content hash.
    env = world(db, tmp_path)
    gone = habeas("manifest", "clear", "m-1", "--pack", "weak.yaml", cwd=tmp_path, env=env, check=False)
    assert gone.returncode == 2
    assert "No such option: --pack" in gone.stderr
    habeas("manifest", "create", "--id", "m-1", "--journey", "j-1", "--leg-id", "l-1", "--mode", "ground",
           "--carrier", "DGCP", "--vehicle", "BUS-1", "--from", "MSLP", "--from-country", "SV", "--to", "f-cecot",
           "--to-country", "SV",
           "--departs", "2025-03-11T05:00:00Z", "--arrives", "2025-03-11T06:00:00Z", "--person", "p-1",
           "--at", AT, "--as", "o-sv@dgcp", cwd=tmp_path, env=env)
    before = size_of(tmp_path, env)
    proc = habeas("--pack", "strict-international", "manifest", "clear", "m-1", "--at", AT, "--as", "o-sv@dgcp",
                  cwd=tmp_path, env=env, check=False)
    assert "strict-international" in proc.stdout, proc.stdout + proc.stderr
    shipped = hashlib.sha256((PACKS / "strict-international.yaml").read_bytes()).hexdigest()
    bodies = [leaf_body(tmp_path, env, s) for s in range(before, size_of(tmp_path, env))]
    evaluated: list[dict[str, str]] = [b["body"] for b in bodies if b["type"] == "gate.evaluated"]  # type: ignore[misc]
    assert evaluated
    assert {(b["policy"], b["pack_sha256"]) for b in evaluated} == {("strict-international", shipped)}
    one_line_error(habeas("--pack", "weak.yaml", "manifest", "list", cwd=tmp_path, env=env, check=False),
                   r"weak\.yaml")

