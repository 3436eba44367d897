"""A handoff, intake and headcount through the real `habeas` command: each officer signs with their own key
file, a wrong key is refused naming which signature, and custody passes only when both verify."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.cli import habeas, log_size, one_line_error

AT = "2025-03-14T09:30:00Z"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ICE and DGCP, an officer of each with a key file, a US and a Salvadoran facility, two people held by ICE,
    and a handoff receipt for both, issued and not yet signed."""
    cwd = tmp_path_factory.mktemp("handoff")
    steps: list[tuple[str, ...]] = [
        ("init", "--origin", "test.habeas/handoff-log"),
        ("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration",
         "--at", "2025-01-01"),
        ("agency", "add", "--id", "dgcp", "--name", "DGCP", "--country", "SV", "--kind", "prisons",
         "--at", "2025-01-01"),
        ("officer", "add", "--id", "o-us", "--agency", "ice", "--name", "R. Díaz", "--role", "escort",
         "--generate-key", "o-us.key", "--at", "2025-01-01"),
        ("officer", "add", "--id", "o-sv", "--agency", "dgcp", "--name", "M. Rivas", "--role", "warden",
         "--generate-key", "o-sv.key", "--at", "2025-01-01"),
        ("facility", "add", "--id", "f-us", "--name", "SPC", "--country", "US", "--type", "SPC", "--agency", "ice",
         "--at", "2025-01-01"),
        ("facility", "unit", "add", "f-us", "--id", "b1", "--label", "Block 1", "--area", "120", "--beds", "40",
         "--at", "2025-01-01"),
        ("facility", "add", "--id", "f-sv", "--name", "Prison", "--country", "SV", "--type", "prison",
         "--agency", "dgcp", "--capacity", "40", "--at", "2025-01-01"),
        ("facility", "unit", "add", "f-sv", "--id", "c1", "--label", "Cell 1", "--area", "7", "--beds", "20",
         "--at", "2025-01-01"),
    ]
    for p in ("p-1", "p-2"):
        steps += [
            ("person", "add", "--id", p, "--given", "Test", "--surname", p, "--sex", "male", "--at", "2025-03-01"),
            ("custody", "admit", p, "--facility", "f-us", "--unit", "b1", "--custodian", "o-us@ice",
             "--authority", "dhs", "--basis", "ina_241", "--at", AT),
        ]
    steps.append(
        ("handoff", "issue", "--id", "hr-1", "--person", "p-1", "--person", "p-2", "--releasing", "o-us@ice",
         "--receiving", "o-sv@dgcp", "--place", "sal-airport", "--country", "sv", "--authority", "dhs",
         "--basis", "ina_241", "--item", "p-1:medicine:insulin", "--at", "2025-03-15T10:00:00Z")
    )
    for step in steps:
        habeas(*step, cwd=cwd)
    return cwd


def _status(cwd: Path, person: str) -> str:
    title = habeas("custody", "show", person, cwd=cwd).stdout.splitlines()[0]
    return title.split(":", 1)[1].strip()


def test_a_handoff_through_the_cli_needs_both_registered_keys(world: Path) -> None:
    us = habeas("handoff", "sign", "hr-1", "--key", "o-us.key", "--out", "us.sig", cwd=world)
    assert "releasing" in us.stderr
    sv = habeas("handoff", "sign", "hr-1", "--key", "o-sv.key", "--out", "sv.sig", cwd=world)
    assert "receiving" in sv.stderr
    assert (world / "us.sig").read_text().strip() == us.stdout.strip()

    size = log_size(world)
    wrong = habeas("handoff", "complete", "hr-1", "--releasing-sig", "@us.sig", "--receiving-sig", "@us.sig",
                   cwd=world, check=False)
    one_line_error(wrong, r"receiving signature does not verify")
    assert log_size(world) == size
    assert _status(world, "p-1") == "in custody"

    habeas("handoff", "complete", "hr-1", "--releasing-sig", "@us.sig", "--receiving-sig", "@sv.sig", cwd=world)
    assert _status(world, "p-1") == "handed over"
    assert _status(world, "p-2") == "handed over"
    shown = habeas("handoff", "show", "hr-1", cwd=world).stdout
    assert "Handoff hr-1: completed" in shown
    assert re.search(r"receiving \(physical custodian\)\s*│\s*o-sv@dgcp", shown)
    assert re.search(r"legal authority\s*│\s*ina_241 \(dhs\)", shown)
    assert "releasing signature" in shown
    assert "receiving signature" in shown

    # intake: one cell of 7 m² holds two under ICRC (us-federal), so both fit, and a third would need an override
    admitted = habeas("intake", "admit", "p-1", "--facility", "f-sv", "--custodian", "o-sv@dgcp",
                      "--commitment-authority", "DGCP", "--receipt", "hr-1", "--at", "2025-03-15T12:00:00Z",
                      cwd=world)
    assert "housed in unit c1" in admitted.stdout

    # a headcount at intake that misses p-2 opens an incident, listed as open
    count = habeas("headcount", "record", "m-1", "--id", "hc-1", "--checkpoint", "intake", "--counted", "p-1",
                   "--expected", "p-1", "--expected", "p-2", "--at", "2025-03-15T12:05:00Z", cwd=world)
    assert "incident hc-1.discrepancy opened" in count.stderr
    assert "hc-1.discrepancy" in habeas("incident", "list", "--open", cwd=world).stdout
    habeas("incident", "resolve", "hc-1.discrepancy", "--reason", "person_located", cwd=world)
    assert "hc-1.discrepancy" not in habeas("incident", "list", "--open", cwd=world).stdout

    # family are due to be told of the transfer at once: missed now
    missed = habeas("notification", "list", "--missed", cwd=world).stdout
    assert "hr-1.family.p-1" in missed

    # an access, an agreement and its invoice: p-1 held in SV from 15 March 12:00, midnights of 16 to 20 March
    habeas("access", "log", "p-1", "--purpose", "consular_visit", "--visitor", "Cónsul", "--at",
           "2025-03-16T10:00:00Z", cwd=world)
    habeas("agreement", "add", "--id", "ag-1", "--sending", "us", "--receiving", "sv", "--from", "2025-03-01",
           "--category", "migration", "--per-diem", "20", "--at", "2025-03-01", cwd=world)
    billed = habeas("agreement", "invoice", "ag-1", "--id", "inv-1", "--from", "2025-03-15", "--to", "2025-03-21",
                    cwd=world)
    assert "5 person-days, 1 person: 100 USD" in billed.stdout

    habeas("log", "verify", cwd=world)
    habeas("rebuild", "--check", cwd=world)
