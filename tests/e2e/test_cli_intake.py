"""`habeas intake admit|capacity` on SQLite and PostgreSQL: housing follows the recorded birth date and sex, a
recorded override is printed (it crashed the command, exit 1, though the admission was written), a refusal of
every unit prints each unit's reason (the command said only "1 units refused"), and capacity is judged by the
deployment's pack (``habeas --pack`` or HABEAS_POLICY_PACK), never by an option of the command."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from habeas.domain import commands as c
from habeas.domain.custody import Authority, Custodian
from habeas.domain.facilities import AgeGroup, Separation
from habeas.domain.people import PartialDate, Sex
from habeas.ledger.note import generate_signer
from habeas.services.door import Services
from habeas.services.intake import AdmitAtIntake
from tests.conftest import Db
from tests.e2e.cli import habeas
from tests.integration.test_services import MakeServices

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ADULT_MEN = Separation(sex=Sex.MALE, age_group=AgeGroup.ADULT)


def arrange(services: Services, units: tuple[tuple[str, str, Separation], ...], people: dict[str, str | None]) -> None:
    """DGCP, officer o-sv, facility f-sv with ``units`` (id, m², separation); ``people`` with their recorded birth
    dates (None: none recorded), all men."""
    run, before = services.execute, T0 - timedelta(days=30)
    run(c.RegisterAgency(agency_id="dgcp", occurred_at=before, name="DGCP", country="SV", kind="prisons"))
    run(c.RegisterOfficer(officer_id="o-sv", agency_id="dgcp", occurred_at=before, role="warden", name="Officer",
                          public_key=generate_signer("o-sv").public_key))
    run(c.RegisterFacility(facility_id="f-sv", occurred_at=before, name="Prison", country="SV", facility_type="prison"))
    for unit_id, area, separation in units:
        run(c.RegisterUnit(unit_id=unit_id, facility_id="f-sv", occurred_at=before, label=unit_id,
                           floor_area_m2=Decimal(area), declared_beds=20, separation=separation))
    for person_id, born in people.items():
        run(c.RegisterPerson(person_id=person_id, occurred_at=before, sex=Sex.MALE, nationalities=("VE",),
                             date_of_birth=None if born is None else PartialDate.parse(born)))


def house(services: Services, person_id: str, unit_id: str) -> None:
    services.execute(AdmitAtIntake(
        admission=c.RecordAdmission(person_id=person_id, admission_id=f"adm-{person_id}", facility_id="f-sv",
                                    occurred_at=T0, commitment_authority="DGCP"),
        custodian=Custodian(agency_id="dgcp", officer_id="o-sv"), unit_id=unit_id,
        authority=Authority(agency_id="dgcp", legal_basis="bilateral_2025"),
    ))


def admit(db: Db, cwd: Path, person: str, *options: str, pack: str = "us-federal") -> subprocess.CompletedProcess[str]:
    """`habeas intake admit PERSON` at f-sv, an hour after T0, under the deployment's ``pack`` (environment)."""
    return habeas("intake", "admit", person, "--facility", "f-sv", "--custodian", "o-sv@dgcp",
                  "--commitment-authority", "DGCP", "--authority", "dgcp", "--basis", "bilateral_2025",
                  "--at", (T0 + timedelta(hours=1)).isoformat(), *options,
                  cwd=cwd, env={**db.env(), "HABEAS_POLICY_PACK": pack}, check=False)


def refused(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines of a refusal: exit 1, no traceback."""
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr.strip().splitlines()


def test_intake_admit_houses_a_minor_by_his_recorded_birth_date_and_prints_each_units_refusal(
    db: Db, make_services: MakeServices, tmp_path: Path,
) -> None:
    services = make_services()
    arrange(services, (("adults", "40", ADULT_MEN), ("open", "40", Separation())),
            {"a-1": "1990-05-17", "a-2": "1985-01-01", "minor": "2007-06-01"})  # 17 on the day of intake
    house(services, "a-1", "adults")
    house(services, "a-2", "open")

    lines = refused(admit(db, tmp_path, "minor"))
    assert re.search(r"no unit can take person 'minor'", lines[0]), lines
    assert any("adults" in line and "unit_age_group" in line for line in lines[1:]), lines
    assert any("'open'" in line and "rule age_group" in line for line in lines[1:]), lines
    assert "units refused)" not in lines[0]  # a count alone says nothing

    services.execute(c.RegisterUnit(unit_id="boys", facility_id="f-sv", occurred_at=T0, label="Boys",
                                    floor_area_m2=Decimal("20"), declared_beds=10,
                                    separation=Separation(sex=Sex.MALE, age_group=AgeGroup.JUVENILE)))
    housed = admit(db, tmp_path, "minor")
    assert housed.returncode == 0, housed.stderr
    assert "housed in unit boys" in housed.stdout


def test_a_recorded_override_is_printed_not_a_crash(db: Db, make_services: MakeServices, tmp_path: Path) -> None:
    services = make_services()
    arrange(services, (("cell", "7", ADULT_MEN),), {"p-1": "1990-05-17", "p-2": "1991-02-03", "p-3": "1992-03-04",
                                                     "nodob": None})
    house(services, "p-1", "cell")
    house(services, "p-2", "cell")  # 7 m² holds two under ICRC (us-federal)
    override = ("--override-reason", "arrival surge", "--override-by", "o-sv")

    # with an override but no --unit: refused, and the command says why for each unit and what to do
    lines = refused(admit(db, tmp_path, "p-3", *override))
    assert any("cell" in line and "computed capacity of 2" in line for line in lines[1:]), lines
    assert "--unit" in " ".join(lines)

    over = admit(db, tmp_path, "p-3", "--unit", "cell", *override)
    assert over.returncode == 0, over.stderr
    assert "Traceback" not in over.stderr
    assert "recorded admission" in over.stdout
    assert "housed in unit cell" in over.stdout
    assert re.search(r"over capacity:.*cell now holds 3 of a computed 2 \(icrc\); override by o-sv", over.stderr)

    # no birth date where the unit is for adults: refused, naming what to record; admitted on an override
    lines = refused(admit(db, tmp_path, "nodob", "--unit", "cell"))
    assert len(lines) == 1, lines
    assert re.search(r"birth date.*record|record.*birth date", lines[0]), lines
    unknown = admit(db, tmp_path, "nodob", "--unit", "cell", *override)
    assert unknown.returncode == 0, unknown.stderr
    assert re.search(r"not recorded: birth_date of nodob.*override by o-sv", unknown.stderr), unknown.stderr


def test_capacity_is_judged_by_the_deployment_pack_in_force(
    db: Db, make_services: MakeServices, tmp_path: Path,
) -> None:
    services = make_services()
    arrange(services, (("cell", "7", ADULT_MEN),), {"p-1": "1990-05-17", "p-2": "1991-02-03"})
    env = {**db.env(), "HABEAS_POLICY_PACK": "us-federal"}

    shown = habeas("--pack", "strict-international", "intake", "capacity", "--facility", "f-sv", cwd=tmp_path,
                   env=env).stdout
    assert "cpt, the standard of policy pack strict-international" in shown  # the pack in force, said
    assert re.search(r"f-sv\s*│\s*7\s*│\s*1\s*│", shown), shown  # 7 m² / 4 m²
    default = habeas("intake", "capacity", "--facility", "f-sv", cwd=tmp_path, env=env).stdout
    assert "icrc, the standard of policy pack us-federal" in default
    assert re.search(r"f-sv\s*│\s*7\s*│\s*2\s*│", default), default  # 7 m² / 3.4 m²
    chosen = habeas("intake", "capacity", "--standard", "cpt", cwd=tmp_path, env=env, check=False)
    assert chosen.returncode == 2  # no command chooses a standard
    assert "No such option" in chosen.stderr

    first = admit(db, tmp_path, "p-1", pack="strict-international")
    assert first.returncode == 0, first.stderr
    lines = refused(admit(db, tmp_path, "p-2", pack="strict-international"))
    assert any("computed capacity of 1" in line for line in lines), lines
    assert admit(db, tmp_path, "p-2").returncode == 0  # us-federal (ICRC) takes two
