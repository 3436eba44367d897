"""`habeas demo` end to end: the seed operation through the command handlers, then verify and rebuild --check."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from habeas.domain.events import EventType


def habeas(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "habeas", *args], cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("demo")
    proc = habeas("demo", "--dir", "X", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd / "X", proc.stdout


def test_the_demo_prints_the_operation(run: tuple[Path, str]) -> None:
    _, out = run
    assert "SYNTHETIC" in out
    assert "261 people" in out
    # capacity: 8 blocks × 32 cells × 100 m²; CPT 4 m² → 6,400, ICRC 3.4 m² per block → 8 × 941, declared 40,000
    row = next(line for line in out.splitlines() if "Centro de Confinamiento" in line and "25,600" in line)
    assert re.search(r"\b8 .* 25,600 .* 40,000 .* 20,480 .* 6,400 .* 7,528 .* 0\.64 .* 261 ", row), row
    assert re.search(r"declared 40,000 is 6\.2× the CPT figure \(6,400\)", out)
    assert "not yet enforced (issue 4)" in out
    assert re.search(r"protection bars: 1 person; p-000261 \(withholding_of_removal to SV", out)
    assert re.search(r"class court order issued after departure: 137 people", out)
    assert re.search(r"verified: 2,378 entries, \d+ signed checkpoints", out)


def test_verify_and_rebuild_check_pass_on_the_demo_database(run: tuple[Path, str]) -> None:
    folder, _ = run
    base = ("--db", f"sqlite:///{folder / 'habeas.db'}", "--key", str(folder / "habeas.key"))
    verify = habeas(*base, "log", "verify", cwd=folder.parent)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("OK: entries 0..2377")
    rebuild = habeas(*base, "rebuild", "--check", cwd=folder.parent)
    assert rebuild.returncode == 0, rebuild.stderr
    assert rebuild.stdout.startswith("OK: 2378 entries rebuild the projections exactly")


def test_the_log_holds_domain_events_only_and_no_personal_data(run: tuple[Path, str]) -> None:
    folder, _ = run
    con = sqlite3.connect(folder / "habeas.db")
    try:
        types = Counter(t for (t,) in con.execute("SELECT type FROM ledger_entry"))
        leaks = con.execute(
            "SELECT COUNT(*) FROM ledger_entry WHERE CAST(leaf AS TEXT) LIKE '%given_names%' "
            "OR CAST(leaf AS TEXT) LIKE '%date_of_birth%' OR CAST(leaf AS TEXT) LIKE '%a_number%'"
        ).fetchone()[0]
        nationalities = Counter(
            tuple(json.loads(body)["nationalities"]) for (body,) in con.execute("SELECT body FROM p_person")
        )
        custody = Counter(
            con.execute(
                "SELECT status, facility_id, custodian_agency, authority_agency FROM p_custody"
            ).fetchall()
        )
        bases = Counter(
            json.loads(body)["legal_basis"]
            for (body,) in con.execute("SELECT body FROM p_record WHERE kind = 'legal.removal_order'")
        )
    finally:
        con.close()
    assert set(types) <= {t.value for t in EventType}
    assert types["person.registered"] == 261
    assert types["allegation.recorded"] == 261
    assert types["conviction.recorded"] == 5
    assert types["legal.protection.recorded"] == 1
    assert types["legal.court_order.recorded"] == 2
    assert types["custody.changed"] == 4 * 261
    assert leaks == 0
    assert nationalities == {("VE",): 238, ("SV",): 23}
    assert bases == {"aea_proclamation_2025": 137, "ina_240_final_order": 101 + 23}
    assert custody == {("in_custody", "sv-dgcp-cecot", "agency-sv-dgcp", "agency-us-ice"): 261}
