"""Class orders through the `habeas` command, on SQLite and PostgreSQL: a facility with its field office and
district, `habeas legal add court-order` with the criteria courts use, the clearance table that blocks the man the
class covers and says why the other is not in it; malformed criteria are one line naming the option."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import Db
from tests.e2e.cli import habeas, one_line_error

T0 = "2025-03-01T08:00:00Z"
SERVED = "2025-03-01T09:00:00Z"
ADMITTED = "2025-03-01T10:00:00Z"
CUTOFF = "2025-03-08T00:00:00Z"


def _rows(text: str) -> list[list[str]]:
    """A table's rows, a cell wrapped over several lines joined back into one."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if cells and not cells[0] and rows:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
        elif cells:
            rows.append(cells)
    return rows


def _world(cwd: Path, env: dict[str, str]) -> str:
    data = yaml.safe_load((Path(__file__).parents[2] / "src/habeas/gates/packs/us-federal.yaml").read_text("utf-8"))
    data["name"] = "e2e-class-pack"  # no medical or agreement records here: those two gates are left out
    data["gates"] = [g for g in data["gates"] if g not in ("fit_to_travel", "agreement_covers")]
    (cwd / "pack.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    steps: list[tuple[str, ...]] = [
        ("init", "--origin", "test.habeas/class-orders"),
        ("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration", "--at", T0),
        ("officer", "add", "--id", "o-1", "--agency", "ice", "--name", "R. Díaz", "--role", "deportation_officer",
         "--generate-key", "o-1.key", "--at", T0),
        ("facility", "add", "--id", "f-hou", "--name", "Houston CPC", "--country", "US", "--type", "CPC",
         "--field-office", "hou", "--district", "txsd", "--at", T0),
        ("facility", "unit", "add", "f-hou", "--id", "b1", "--label", "Block 1", "--area", "800", "--beds", "200",
         "--at", T0),
        ("facility", "add", "--id", "f-cecot", "--name", "CECOT", "--country", "SV", "--type", "prison", "--at", T0),
        ("facility", "unit", "add", "f-cecot", "--id", "b1", "--label", "Block 1", "--area", "3200", "--beds",
         "2560", "--at", T0),
    ]
    for person, nationality, basis in (("p-ve-1", "VE", "aea_designation"), ("p-sv-1", "SV", "ina_241")):
        steps += [
            ("person", "add", "--id", person, "--given", "Synthetic", "--surname", person, "--nationality",
             nationality, "--language", "es", "--passport", f"{nationality}:X{person[-1]}{nationality}9", "--at", T0),
            ("legal", "add", "removal-order", person, "--id", f"ro-{person}", "--authority", "DHS", "--basis", basis,
             "--destination", "SV", "--final", "--at", T0),
            ("legal", "add", "notice", person, "--id", f"n-{person}", "--language", "es", "--content",
             "removal_order", "--copy-to-counsel", "--at", SERVED),
            ("legal", "add", "consular", person, "--id", f"cn-{person}", "--country", nationality, "--offered", SERVED),
            ("custody", "admit", person, "--facility", "f-hou", "--unit", "b1", "--custodian", "o-1@ice",
             "--authority", "ice", "--basis", basis, "--record", f"ro-{person}", "--at", ADMITTED, "--as", "o-1@ice"),
        ]
    steps.append(
        ("manifest", "create", "--id", "m-1", "--journey", "j-1", "--leg-id", "l-1", "--carrier", "GlobalX",
         "--vehicle", "GXA-6143", "--from", "KHRL", "--from-country", "US", "--to", "MSLP", "--to-country", "SV",
         "--departs", "2025-03-15T09:00:00Z", "--arrives", "2025-03-15T13:00:00Z", "--facility", "f-cecot",
         "--person", "p-ve-1", "--person", "p-sv-1", "--at", "2025-03-09T08:00:00Z"),
    )
    for step in steps:
        habeas(*step, cwd=cwd, env=env)
    return str(cwd / "pack.yaml")


def test_a_class_order_stated_on_the_command_line_blocks_whom_it_covers(db: Db, tmp_path: Path) -> None:
    env = db.env()
    pack = _world(tmp_path, env)
    shown = habeas("facility", "show", "f-hou", cwd=tmp_path, env=env).stdout
    assert re.search(r"field office\s+HOU", shown), shown
    assert re.search(r"district\s+TXSD", shown), shown
    assert "cleared" in habeas("--pack", pack, "manifest", "clear", "m-1", "--at", "2025-03-09T09:00:00Z",
                               cwd=tmp_path, env=env).stdout

    habeas("legal", "add", "court-order", "--id", "co-class", "--court", "S.D. Tex.", "--docket", "25-cv-59",
           "--directive", "halt_removal", "--nationality", "ve", "--legal-basis", "aea_designation",
           "--any-third-country", "--detained-before", CUTOFF, "--field-office", "hou", "--district", "TXSD",
           "--at", "2025-03-09T10:00:00Z", cwd=tmp_path, env=env)
    blocked = habeas("--pack", pack, "manifest", "clear", "m-1", "--at", "2025-03-09T11:00:00Z", cwd=tmp_path,
                     env=env, check=False)
    assert blocked.returncode == 1, blocked.stdout
    assert "NOT cleared: blocked p-ve-1" in blocked.stdout
    [his] = [r for r in _rows(blocked.stdout) if r[0] == "p-ve-1"]
    assert his[1:3] == ["fail", "no_court_order_covering"]
    assert "field office HOU; district TXSD" in his[3], his
    assert his[4].startswith("co-class, entry ")

    habeas("log", "verify", cwd=tmp_path, env=env)
    habeas("rebuild", "--check", cwd=tmp_path, env=env)


def test_malformed_criteria_are_one_line_naming_what_to_fix(db: Db, tmp_path: Path) -> None:
    env = db.env()
    habeas("init", "--origin", "test.habeas/class-orders-bad", cwd=tmp_path, env=env)
    order = ("legal", "add", "court-order", "--court", "S.D. Tex.", "--docket", "25-cv-59", "--directive",
             "halt_removal", "--at", T0)
    for extra, pattern in (
        (("--detained-from", CUTOFF, "--detained-before", CUTOFF), r"detained_from .*empty class"),
        (("--field-office", "H OU"), r"field_office_in"),
        (("--destination", "El Salvador"), r"destination_in .*ISO 3166"),
        (("--detained-before", "8 March"), r"--detained-before"),
    ):
        one_line_error(habeas(*order, *extra, cwd=tmp_path, env=env, check=False), pattern)
    one_line_error(habeas("facility", "add", "--id", "f-x", "--name", "X", "--country", "US", "--type", "SPC",
                          "--field-office", "Houston field office", "--at", T0, cwd=tmp_path, env=env, check=False),
                   r"field_office")
    habeas(*order, "--any-third-country", "--id", "co-ok", cwd=tmp_path, env=env)
