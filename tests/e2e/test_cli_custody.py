"""People, facilities and custody through the real `habeas` command: the four answers, each with its proof."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from habeas.ledger.note import parse_vkey
from habeas.ledger.tlog_proof import parse_tlog_proof, verify_tlog_proof
from tests.e2e.cli import habeas, leaf, log_size, one_line_error

AT = "2025-03-14T09:30:00Z"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log with one agency, officer, facility and unit, and José García Pérez admitted there."""
    cwd = tmp_path_factory.mktemp("custody")
    steps: list[tuple[str, ...]] = [
        ("init", "--origin", "test.habeas/custody-log"),
        ("agency", "add", "--id", "ice", "--name", "US Immigration and Customs Enforcement", "--country", "us",
         "--kind", "immigration", "--at", "2025-01-01"),
        ("officer", "add", "--id", "o-diaz", "--agency", "ice", "--name", "R. Díaz", "--role", "deportation_officer",
         "--generate-key", "o-diaz.key", "--at", "2025-01-01"),
        ("facility", "add", "--id", "f-krome", "--name", "Krome SPC", "--country", "US", "--type", "SPC",
         "--agency", "ice", "--capacity", "611", "--at", "2025-01-01"),
        ("facility", "unit", "add", "f-krome", "--id", "b1", "--label", "Block 1", "--area", "120", "--beds", "40",
         "--category", "migration", "--at", "2025-01-01"),
        ("person", "add", "--id", "p-jose", "--given", "José", "--surname", "García", "--surname", "Pérez",
         "--dob", "1990-05-17", "--nationality", "SV", "--a-number", "A-123-456-789", "--at", "2025-03-01"),
        ("legal", "add", "removal-order", "p-jose", "--id", "ro-1", "--authority", "IJ Krome", "--basis", "ina_240",
         "--destination", "SV", "--final", "--at", "2025-03-10"),
        ("legal", "add", "allegation", "p-jose", "--id", "al-1", "--organisation", "Tren de Aragua",
         "--source", "ICE I-213", "--at", "2025-03-10"),
        ("legal", "add", "conviction", "p-jose", "--id", "cv-1", "--court", "Dade County Court",
         "--jurisdiction", "US", "--offence", "driving without a licence", "--convicted-on", "2019-06-01",
         "--at", "2025-03-10"),
        ("custody", "admit", "p-jose", "--facility", "f-krome", "--unit", "b1", "--custodian", "o-diaz@ice",
         "--authority", "ice", "--basis", "ina_241", "--record", "ro-1", "--at", AT, "--as", "o-diaz@ice"),
    ]
    for step in steps:
        habeas(*step, cwd=cwd)
    return cwd


def _answers(text: str) -> dict[str, tuple[str, int]]:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if len(cells) == 3 and cells[2].isdigit():
            rows[cells[0]] = (cells[1], int(cells[2]))
    return rows


def test_custody_show_gives_the_four_answers_each_with_its_entry(world: Path) -> None:
    answers = _answers(habeas("custody", "show", "p-jose", cwd=world).stdout)
    # entries: 0 agency, 1 officer, 2 facility, 3 unit, 4 person, 5 removal order, 6 allegation, 7 conviction, 8 admit
    assert answers == {
        "who holds": ("agency ice, officer o-diaz", 8),
        "where": ("Krome SPC (f-krome), unit Block 1 (b1)", 8),
        "since when": ("2025-03-14T09:30:00Z", 8),
        "under what authority": ("agency ice, legal basis ina_241, record legal.removal_order ro-1", 5),
    }


def test_the_proof_verifies_against_the_leaf_and_the_log_key(world: Path) -> None:
    text = habeas("custody", "show", "p-jose", "--proof", cwd=world).stdout
    proof = parse_tlog_proof(text[text.index("c2sp.org/tlog-proof@v1"):])
    assert proof.index == 8
    verifier = parse_vkey(habeas("log", "key", cwd=world).stdout.strip())
    the_leaf = leaf(world, 8)
    assert b'"type":"custody.changed"' in the_leaf
    assert b'"actor":{"agency":"ice","officer":"o-diaz"}' in the_leaf
    checkpoint = verify_tlog_proof(proof, the_leaf, [verifier], origin="test.habeas/custody-log")
    assert checkpoint.size >= 9


def test_the_officer_key_file_is_private(world: Path) -> None:
    key = world / "o-diaz.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.read_text().startswith("PRIVATE+KEY+o-diaz+")


@pytest.mark.parametrize("query", [("--name", "jose garcia"), ("--a-number", "A-123456789")])
def test_find_by_folded_name_or_a_number(world: Path, query: tuple[str, str]) -> None:
    text = habeas("person", "find", *query, cwd=world).stdout
    assert "p-jose" in text
    assert "José García Pérez" in text


def test_find_nothing(world: Path) -> None:
    assert habeas("person", "find", "--name", "maria", cwd=world).stdout.strip().endswith("0 found")


def test_person_show_keeps_allegations_and_convictions_apart(world: Path) -> None:
    text = habeas("person", "show", "p-jose", cwd=world).stdout
    allegations = text.index("Allegations (claims, not convictions)")
    convictions = text.index("Convictions (by a court)")
    assert "Tren de Aragua" in text[allegations:convictions]
    assert "Tren de Aragua" not in text[convictions:]
    assert "driving without a licence" in text[convictions:]
    assert "José García Pérez" in text
    assert "1990-05-17" in text


def test_facility_show_puts_computed_capacity_beside_the_declared(world: Path) -> None:
    text = habeas("facility", "show", "f-krome", cwd=world).stdout
    row = next(line for line in text.splitlines() if "Block 1" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[:7] == ["b1", "Block 1", "120", "40", "30", "35", "1"]  # 120/4, floor(120/3.4), one held


def test_a_possible_duplicate_is_warned_about_and_not_merged(world: Path) -> None:
    proc = habeas("person", "add", "--id", "p-jose-2", "--given", "Jose", "--surname", "Perez", "--surname",
                  "Garcia", "--dob", "1990-05-17", "--at", "2025-03-15", cwd=world)
    assert "recorded person p-jose-2" in proc.stdout
    assert re.search(r"warning: may be the same person as p-jose \(same name and birth date\)", proc.stderr)
    assert "merged into" not in habeas("person", "show", "p-jose-2", cwd=world).stdout


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (("custody", "admit", "p-nobody", "--facility", "f-krome", "--unit", "b1", "--custodian", "o-diaz@ice",
          "--authority", "ice", "--basis", "ina_236"), r"^error: unknown person 'p-nobody'$"),
        (("person", "add", "--given", "Ana", "--nationality", "ZZ"), r"invalid nationalities 'ZZ'"),
        (("agency", "add", "--name", "X", "--country", "Narnia", "--kind", "police"), r"invalid country 'NARNIA'"),
        (("person", "add", "--given", "Ana", "--at", "yesterday"), r"--at 'yesterday' is not an ISO 8601 time"),
        (("person", "add", "--given", "Ana", "--at", "2025-03-01T10:00"), r"has no time zone"),
        (("person", "add", "--given", "Ana", "--dob", "17/05/1990"), r"not YYYY, YYYY-MM or YYYY-MM-DD"),
        (("custody", "admit", "p-jose", "--facility", "f-krome", "--unit", "b1", "--custodian", "o-diaz@ice",
          "--authority", "ice", "--basis", "ina_236"), r"cannot go from in_custody to in_custody"),
        (("custody", "admit", "p-jose", "--facility", "f-krome", "--unit", "b1", "--custodian", "o-diaz",
          "--authority", "ice", "--basis", "ina_236"), r"not OFFICER@AGENCY"),
        (("facility", "unit", "add", "f-nowhere", "--id", "u", "--label", "U", "--area", "10", "--beds", "2"),
         r"unknown facility 'f-nowhere'"),
        (("officer", "add", "--agency", "ice", "--name", "X", "--role", "guard", "--public-key", "AAAA"),
         r"not a 32-byte Ed25519 public key"),
    ],
)
def test_bad_input_is_one_line_and_appends_nothing(world: Path, args: tuple[str, ...], pattern: str) -> None:
    before = log_size(world)
    one_line_error(habeas(*args, cwd=world, check=False), pattern)
    assert log_size(world) == before


def test_the_log_verifies_and_the_projections_rebuild(world: Path) -> None:
    assert habeas("log", "verify", cwd=world).stdout.startswith("OK: entries 0..")
    assert habeas("rebuild", "--check", cwd=world).stdout.startswith("OK: ")
