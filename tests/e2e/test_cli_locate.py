"""`habeas locate` on SQLite and PostgreSQL: a clerk at a counter asks what the public locator answers (the same
two forms, the same exact match, surname order folded), reads it as a table, and with --proof gets a tlog-proof
that checks against the log's leaf and key; each search that found someone is in the access log, as the
operator's, under the agency "public" that only oversight reads."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from habeas.bootstrap import open_reader
from habeas.ledger.note import parse_vkey
from habeas.ledger.tlog_proof import parse_tlog_proof, verify_tlog_proof
from habeas.services.accounts import OPERATOR
from habeas.storage.access import access_log
from tests.conftest import Db
from tests.e2e.cli import habeas, invoke, one_line_error

AT = "2025-03-14T09:30:00Z"
CONTACT = "+1 555 0100, visits@krome.example"
JOSE = ("--given-names", "José Ángel", "--surnames", "Pérez García", "--date-of-birth", "1990-05-17",
        "--country-of-birth", "SV")


@dataclass
class Counter:
    db: Db
    cwd: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return habeas(*args, cwd=self.cwd, env=self.db.env(), check=check)

    def locate(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("locate", *args, check=check)

    def searches(self) -> list[tuple[str, str, str, str, str]]:
        reader = open_reader(self.db.settings, schema=self.db.schema)
        try:
            with reader.engine.connect() as conn:
                rows = conn.execute(select(access_log).where(access_log.c.action == "locate")).all()
        finally:
            reader.close()
        return [(r.user_id, r.agency_id, r.subject_kind, r.subject_id, r.request) for r in rows]


@pytest.fixture
def counter(db: Db, tmp_path: Path) -> Counter:
    """José Ángel Pérez García held at Krome (entry 5); Luis Mejía removed to Guatemala (entry 8)."""
    here = Counter(db, tmp_path)
    for step in (
        ("init", "--origin", "test.habeas/locate"),
        ("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration",
         "--at", "2025-01-01"),
        ("officer", "add", "--id", "o-diaz", "--agency", "ice", "--name", "R. Díaz", "--role", "deportation_officer",
         "--generate-key", "o-diaz.key", "--at", "2025-01-01"),
        ("facility", "add", "--id", "f-krome", "--name", "Krome SPC", "--country", "US", "--type", "SPC",
         "--agency", "ice", "--address", "18201 SW 12th St", "--city", "Miami", "--region", "FL",
         "--postal-code", "33194", "--contact", CONTACT, "--at", "2025-01-01"),
        ("facility", "unit", "add", "f-krome", "--id", "b1", "--label", "Block 1", "--area", "120", "--beds", "40",
         "--at", "2025-01-01"),
        ("person", "add", "--id", "p-jose", "--given", "José", "--given", "Ángel", "--surname", "Pérez",
         "--surname", "García", "--dob", "1990-05-17", "--birth-country", "SV", "--a-number", "A-123-456-789",
         "--at", "2025-03-01"),
        ("custody", "admit", "p-jose", "--facility", "f-krome", "--unit", "b1", "--custodian", "o-diaz@ice",
         "--authority", "ice", "--basis", "ina_241", "--at", AT),
        ("person", "add", "--id", "p-luis", "--given", "Luis", "--surname", "Mejía", "--dob", "1979-11-30",
         "--birth-country", "GT", "--a-number", "A-555-000-111", "--at", "2025-03-01"),
        ("custody", "admit", "p-luis", "--facility", "f-krome", "--unit", "b1", "--custodian", "o-diaz@ice",
         "--authority", "ice", "--basis", "ina_241", "--at", AT),
        ("custody", "remove", "p-luis", "--country", "GT", "--at", "2025-03-15T10:00:00Z"),
    ):
        here.run(*step)
    return here


def _rows(text: str) -> dict[str, str]:
    """The answer table's rows, question -> answer."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if len(cells) == 2 and cells[0]:
            rows[cells[0]] = cells[1]
    return rows


def test_by_a_number_prints_what_the_public_locator_answers(counter: Counter) -> None:
    proc = counter.locate("--a-number", "a123456789", "--country-of-birth", "slv")
    assert "held by ICE (ice) at Krome SPC, Miami, US since 2025-03-14T09:30:00Z" in proc.stdout
    rows = _rows(proc.stdout)
    assert rows["status"] == "in custody"
    assert rows["custodian"] == "ICE (ice), US"
    assert rows["facility"] == "Krome SPC (f-krome)"
    assert rows["address"] == "18201 SW 12th St, Miami, FL, 33194, US"
    assert rows["contact"] == CONTACT
    assert rows["since"] == "2025-03-14T09:30:00Z"
    assert rows["transferred to"] == ""
    assert rows["authority"] == "ICE (ice), US"
    assert rows["legal basis"] == "ina_241"
    assert rows["entry"] == "5"
    # what the public locator never tells: a name, a birth date, a document
    for secret in ("José", "Pérez", "1990-05-17", "123456789", "123-456-789"):
        assert secret not in proc.stdout, secret


def test_by_name_folds_accents_case_and_the_order_of_the_surnames(counter: Counter) -> None:
    exact = _rows(counter.locate(*JOSE).stdout)
    folded = _rows(counter.locate("--given-names", "jose angel", "--surnames", "GARCIA PEREZ", "--date-of-birth",
                                  "1990-05-17", "--country-of-birth", "SV").stdout)
    assert folded == exact
    assert exact["entry"] == "5"


def test_a_person_removed_abroad_is_followed_to_the_country_and_time(counter: Counter) -> None:
    rows = _rows(counter.locate("--given-names", "Luis", "--surnames", "mejia", "--date-of-birth", "1979-11-30",
                                "--country-of-birth", "GT").stdout)
    assert rows["status"] == "removed"
    assert rows["transferred to"] == "GT at 2025-03-15T10:00:00Z"
    assert rows["facility"] == ""
    assert rows["entry"] == "8"


def test_a_near_miss_finds_no_one_and_is_not_logged(counter: Counter) -> None:
    for near in (("--surnames", "Pérez"), ("--date-of-birth", "1990-05-18"), ("--country-of-birth", "GT")):
        args = list(JOSE)
        args[args.index(near[0]) + 1] = near[1]
        proc = counter.locate(*args)
        assert proc.stdout.strip() == (
            "no match: the locator finds only an exact A-number, or every name with the full birth date, each with "
            "the country of birth"
        ), near
    assert counter.searches() == []


def test_the_proof_verifies_against_the_leaf_and_the_log_key(counter: Counter) -> None:
    text = counter.locate(*JOSE, "--proof").stdout
    assert "proof of entry 5 (check with `habeas log leaf 5` and `habeas log key`):" in text
    proof = parse_tlog_proof(text[text.index("c2sp.org/tlog-proof@v1"):])
    assert proof.index == 5
    leaf = invoke("log", "leaf", "5", cwd=counter.cwd, env=counter.db.env(), text=False).stdout
    verifier = parse_vkey(counter.run("log", "key").stdout.strip())
    checkpoint = verify_tlog_proof(proof, leaf, [verifier], origin="test.habeas/locate")
    assert checkpoint.size >= 9


def test_each_search_that_found_someone_is_in_the_access_log_as_the_operators(counter: Counter) -> None:
    counter.locate(*JOSE)
    counter.locate("--a-number", "A-555-000-111", "--country-of-birth", "GT")
    assert counter.searches() == [
        (OPERATOR, "public", "person", "p-jose", "habeas locate"),
        (OPERATOR, "public", "person", "p-luis", "habeas locate"),
    ]
    assert counter.run("log", "verify").returncode == 0


BAD = [
    ((), "--a-number"),
    (("--a-number", "A123456789"), "--country-of-birth"),
    (("--a-number", "X-12", "--country-of-birth", "SV"), "--a-number"),
    (("--a-number", "A123456789", "--surnames", "perez", "--country-of-birth", "SV"), "--surnames"),
    (("--given-names", "jose", "--surnames", "perez", "--country-of-birth", "SV"), "--date-of-birth"),
    (("--given-names", "jose", "--surnames", "perez", "--date-of-birth", "1990-02-30", "--country-of-birth", "SV"),
     "--date-of-birth"),
    (("--given-names", "jose", "--surnames", "perez", "--date-of-birth", "17/05/1990", "--country-of-birth", "SV"),
     "--date-of-birth"),
    (("--given-names", " - ", "--surnames", "", "--date-of-birth", "1990-05-17", "--country-of-birth", "SV"),
     "--given-names"),
    (("--a-number", "A123456789", "--country-of-birth", "S1"), "--country-of-birth"),
]


def test_a_bad_combination_is_one_line_naming_the_option(counter: Counter) -> None:
    # One world for every case: a fixture a case would cost more than the cases themselves.
    for args, option in BAD:
        one_line_error(counter.locate(*args, check=False), re.escape(option))
