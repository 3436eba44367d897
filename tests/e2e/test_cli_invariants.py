"""The side paths of issue 11 through the real `habeas` command, on SQLite and PostgreSQL: `custody depart` of a
man struck from the manifest for a protection, `manifest depart` with a man still at the facility, and `handoff
issue` naming a man the count at the handoff found missing, each refused in one line that names the invariant
and what to do, with nothing recorded. The world is arranged through the services on the test's database."""

from __future__ import annotations

from pathlib import Path

from habeas.domain.custody import CustodyStatus
from tests.conftest import Db
from tests.e2e.cli import habeas, one_line_error
from tests.integration.test_invariants_in_the_door import (
    ABOARD,
    PROTECTED,
    SALVADORANS,
    VENEZUELANS,
    MakeServices,
    held_world,
    pack,  # noqa: F401  (the fixture)
    status,
    strike_the_protected_and_board,
)

DAY = "2025-03-15T{}:00Z"  # the flight's day: scheduled 09:00


def test_the_cli_moves_no_one_past_the_manifest_or_the_count(
    make_services: MakeServices, pack: str, db: Db, tmp_path: Path  # noqa: F811
) -> None:
    services = make_services(pack=pack)
    held_world(services)
    strike_the_protected_and_board(services)

    def run(*args: str, check: bool = True) -> str:
        proc = habeas(*args, cwd=tmp_path, env=db.env(), check=check)
        return proc.stderr if not check else proc.stdout

    def refused(pattern: str, *args: str) -> None:
        size = services.ledger.size()
        one_line_error(habeas(*args, cwd=tmp_path, env=db.env(), check=False), pattern)
        assert services.ledger.size() == size

    refused(r"person 'p-avalos' was struck from manifest 'm-1', which carries leg 'l-1' \(reason protection\).*"
            r"\(invariant 4\)",
            "custody", "depart", PROTECTED, "--leg", "l-1", "--custodian", "o-us@ice", "--at", DAY.format("08:00"))
    assert status(services, PROTECTED) is CustodyStatus.IN_CUSTODY

    for p in VENEZUELANS:
        run("custody", "depart", p, "--leg", "l-1", "--custodian", "o-us@ice", "--at", DAY.format("08:00"))
    refused(r"manifest 'm-1' cannot depart: 1 aboard not on its leg 'l-1' \(p-sv-1 in custody at f-us\); depart "
            r"each on the leg \(custody depart\) or strike them first \(invariant 1\)",
            "manifest", "depart", "m-1", "--at", DAY.format("09:00"))
    run("custody", "depart", SALVADORANS[0], "--leg", "l-1", "--custodian", "o-us@ice", "--at", DAY.format("08:30"))
    run("manifest", "depart", "m-1", "--at", DAY.format("09:00"))
    run("manifest", "arrive", "m-1", "--at", DAY.format("10:00"))

    counted = [arg for p in (VENEZUELANS[0], SALVADORANS[0]) for arg in ("--counted", p)]
    run("headcount", "record", "m-1", "--id", "hc-handoff", "--checkpoint", "handoff", *counted,
        "--at", DAY.format("10:10"))
    everyone = [arg for p in ABOARD for arg in ("--person", p)]
    refused(r"custody cannot pass for p-ve-2: a count did not reconcile for them and incident hc-handoff.discrepancy "
            r"is open; find them, resolve it \(incident resolve\)",
            "handoff", "issue", "--id", "hr-1", *everyone, "--releasing", "o-us@ice", "--receiving", "o-sv@dgcp",
            "--place", "mslp-apron", "--country", "sv", "--authority", "ice", "--basis", "ina_241", "--manifest", "m-1",
            "--at", DAY.format("10:20"))
    assert {status(services, p) for p in ABOARD} == {CustodyStatus.IN_TRANSIT}
