"""Issue 11 through the `habeas` command, on SQLite and PostgreSQL: a return-required alert refuses the handoff,
admission and intake of the people it covers (one line naming the order and the person), `habeas legal override`
lets them go on, `habeas alerts` shows it; `habeas legal add court-order` names the clearances it lapsed.

The world (a flight, cleared, flown, the order landing in the air) is arranged through the services, as in
tests/integration/test_alert_binds.py; what is under test runs through the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from habeas.services.door import Services
from tests.conftest import Db
from tests.e2e.cli import habeas, one_line_error
from tests.integration.test_alert_binds import fly, land, pack, world

__all__ = ["pack"]  # the test pack fixture, shared with the services tests

MakeServices = Callable[..., Services]
AT = "2025-03-10T15:00:00Z"


def cli_env(db: Db, services: Services, pack: str) -> dict[str, str]:
    services.ledger.engine.dispose()  # the command line opens the database on its own
    return {**db.env(), "HABEAS_POLICY_PACK": pack}


def test_the_alert_holds_the_people_it_covers_until_an_override(
    db: Db, make_services: MakeServices, pack: str, tmp_path: Path
) -> None:
    services = make_services(pack=pack)
    world(services)
    fly(services)
    land(services)
    env = cli_env(db, services, pack)
    handoff = ("handoff", "issue", "--id", "hr-1", "--person", "p-1", "--person", "p-3", "--releasing", "o-us@ice",
               "--receiving", "o-sv@dgcp", "--place", "apron", "--country", "SV", "--authority", "dgcp", "--basis",
               "us_sv_arrangement", "--manifest", "m-1", "--at", AT)
    refused = habeas(*handoff, cwd=tmp_path, env=env, check=False)
    one_line_error(refused, r"IssueHandoff refused: co-1 requires the return of p-1 to US .*habeas legal override co-1")
    for step in (
        ("custody", "admit", "p-2", "--facility", "f-sv", "--unit", "u-1", "--custodian", "o-sv@dgcp",
         "--authority", "dgcp", "--basis", "us_sv_arrangement", "--at", AT),
        ("intake", "admit", "p-2", "--facility", "f-sv", "--unit", "u-1", "--custodian", "o-sv@dgcp",
         "--commitment-authority", "DGCP", "--at", AT),
    ):
        one_line_error(habeas(*step, cwd=tmp_path, env=env, check=False), r"co-1 requires the return of p-2")

    override = ("legal", "override", "co-1", "--person", "p-1", "--officer", "o-legal", "--reason",
                "order stayed on appeal", "--id", "ov-1", "--at", AT)
    # the Salvadoran agency does not hold p-1 (nor see him): it cannot decide for ICE
    one_line_error(habeas(*override, "--as", "o-sv@dgcp", cwd=tmp_path, env=env, check=False), r"unknown person")
    done = habeas(*override, "--as", "o-legal@ice", cwd=tmp_path, env=env)
    assert "recorded override ov-1 of co-1 for p-1 by o-legal" in done.stdout
    assert "due at once" in done.stderr
    alerts = habeas("alerts", "--at", "2025-03-10T15:01:00Z", cwd=tmp_path, env=env).stdout
    assert "p-1 (ov-1)" in alerts
    assert "return_required.override" in alerts
    assert "ov-1.court.p-1" in habeas("notification", "list", "--missed", cwd=tmp_path, env=env).stdout

    habeas(*handoff, cwd=tmp_path, env=env)
    habeas("log", "verify", cwd=tmp_path, env=env)
    habeas("rebuild", "--check", cwd=tmp_path, env=env)


def test_a_court_order_on_a_cleared_manifest_names_the_clearance_it_lapsed(
    db: Db, make_services: MakeServices, pack: str, tmp_path: Path
) -> None:
    services = make_services(pack=pack)
    world(services)
    env = cli_env(db, services, pack)
    order = habeas("legal", "add", "court-order", "--court", "D.D.C.", "--docket", "25-cv-766", "--directive",
                   "halt_removal", "--nationality", "ve", "--id", "co-2", "--at", "2025-03-05T10:00:00Z",
                   cwd=tmp_path, env=env)
    assert "recorded court order co-2" in order.stdout
    assert "warning: clearance of manifest m-1 lapsed (back to draft" in order.stderr
    assert "co-2 concerns p-1 aboard; clear it again before boarding (`habeas manifest clear m-1`)" in order.stderr
    again = habeas("legal", "add", "court-order", "--court", "D.D.C.", "--docket", "25-cv-767", "--directive",
                   "halt_removal", "--nationality", "ve", "--id", "co-3", "--at", "2025-03-05T11:00:00Z",
                   cwd=tmp_path, env=env)
    assert "lapsed" not in again.stderr  # in draft already
