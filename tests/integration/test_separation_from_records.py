"""Separation follows from what the record says, on SQLite and PostgreSQL (issue 11).

A person's age group comes from the birth date recorded on their registration, taken at the time of the intake
(a 17-year-old with a recorded birth date was housed with adults when the caller left the age group at its
default); sex and detention category come from the records too, corrections included. A fact a rule turns on that
the record does not settle blocks like a failed check, naming what to record, unless an override naming the unit
is used: the override is then recorded. The capacity standard is the deployment pack's, never the command's.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from habeas.domain import commands as c
from habeas.domain.corrections import AmendEntry, RetractEntry
from habeas.domain.custody import Authority, Custodian
from habeas.domain.facilities import AgeGroup, DetentionCategory, Separation
from habeas.domain.intake import (
    CapacityExceeded,
    CapacityOverride,
    IntakeUnknownOverride,
    MissingFact,
    NoUnitAvailable,
    SeparationUnknown,
    SeparationViolation,
    Unrecorded,
)
from habeas.domain.people import PartialDate, Sex
from habeas.ledger.note import generate_signer
from habeas.services.custody import custody_state
from habeas.services.door import Services
from habeas.services.intake import AdmitAtIntake
from habeas.storage.projections.schema import record
from tests.integration.test_services import MakeServices, assert_rebuild_equal, verify

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # intake day; the TickingClock starts on 15 March
OFFICER = Custodian(agency_id="dgcp", officer_id="o-sv")
AUTHORITY = Authority(agency_id="dgcp", legal_basis="bilateral_2025")
ADULT_MEN = Separation(sex=Sex.MALE, age_group=AgeGroup.ADULT)
BOYS = Separation(sex=Sex.MALE, age_group=AgeGroup.JUVENILE)
OVERRIDE = CapacityOverride(reason="the only unit with a free bed tonight", authorised_by="o-sv")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def arrange(services: Services, *units: tuple[str, str, Separation]) -> None:
    """DGCP, its officer and facility f-sv with ``units`` (id, floor area, separation), registered in order."""
    run = services.execute
    run(c.RegisterAgency(agency_id="dgcp", occurred_at=T0 - timedelta(days=30), name="DGCP", country="SV",
                         kind="prisons"))
    run(c.RegisterOfficer(officer_id="o-sv", agency_id="dgcp", occurred_at=T0 - timedelta(days=30), role="warden",
                          name="Officer", public_key=generate_signer("o-sv").public_key))
    run(c.RegisterFacility(facility_id="f-sv", occurred_at=T0 - timedelta(days=30), name="Prison", country="SV",
                           facility_type="prison"))
    for unit_id, area, separation in units:
        run(c.RegisterUnit(unit_id=unit_id, facility_id="f-sv", occurred_at=T0 - timedelta(days=30), label=unit_id,
                           floor_area_m2=Decimal(area), declared_beds=20, separation=separation))


def register(services: Services, person_id: str, born: str | None = "1990-05-17", sex: Sex = Sex.MALE) -> int:
    """A person as registered (``born`` None: no birth date recorded); the registration's entry."""
    result = services.execute(c.RegisterPerson(
        person_id=person_id, occurred_at=T0 - timedelta(days=10), sex=sex, nationalities=("VE",),
        date_of_birth=None if born is None else PartialDate.parse(born),
    ))
    return result.seqs[0]


def intake(person_id: str, minutes: int = 0, **kwargs: Any) -> AdmitAtIntake:
    return AdmitAtIntake(
        admission=c.RecordAdmission(person_id=person_id, admission_id=f"adm-{person_id}", facility_id="f-sv",
                                    occurred_at=at(minutes), commitment_authority="DGCP"),
        custodian=OFFICER, authority=AUTHORITY, **kwargs,
    )


def unit_of(services: Services, person_id: str) -> str | None:
    with services.ledger.engine.connect() as conn:
        return custody_state(conn, person_id).unit_id


def finish(services: Services) -> None:
    assert_rebuild_equal(services)
    assert verify(services).ok


# -- age from the recorded birth date -------------------------------------------------------------------------


def test_a_17_year_old_with_a_recorded_birth_date_is_never_housed_with_adults(make_services: MakeServices) -> None:
    """The finding: the rule applied only when the caller stated the age group, and the default was adult."""
    services = make_services()
    arrange(services, ("adults", "40", ADULT_MEN), ("open", "40", Separation()), ("boys", "20", BOYS))
    for p in ("a-1", "a-2"):
        register(services, p)
    services.execute(intake("a-1", 0, unit_id="adults"))
    services.execute(intake("a-2", 1, unit_id="open"))
    register(services, "minor", born="2007-06-01")  # 17 on the day of intake

    size = services.ledger.size()
    with pytest.raises(SeparationViolation) as unit_rule:
        services.execute(intake("minor", 5, unit_id="adults"))
    assert (unit_rule.value.rule, unit_rule.value.person) == ("unit_age_group", "minor")
    with pytest.raises(SeparationViolation) as with_adults:  # an unrestricted unit holding an adult
        services.execute(intake("minor", 5, unit_id="open", override=OVERRIDE))  # never overridable
    assert with_adults.value.rule == "age_group"
    assert services.ledger.size() == size

    assert services.execute(intake("minor", 5)).value == "boys"  # the first unit, in order, that may take him
    assert unit_of(services, "minor") == "boys"
    finish(services)


def test_age_is_taken_at_the_time_of_the_intake_not_of_the_command(make_services: MakeServices) -> None:
    """Admitted on 1 March 2025 (recorded two weeks later): born 2 March 2007 he was 17 that day; born 1 March
    2007 he was 18. A birth date known only to the year says 'adult' only when every day of that year does."""
    services = make_services()
    arrange(services, ("adults", "40", ADULT_MEN), ("boys", "20", BOYS))
    register(services, "eve-of-18", born="2007-03-02")
    register(services, "turns-18", born="2007-03-01")
    register(services, "year-2006", born="2006")  # 18 or 19 on 1 March 2025
    register(services, "year-2007", born="2007")  # 17 or 18: the record does not say which

    assert services.execute(intake("eve-of-18", 0)).value == "boys"
    assert services.execute(intake("turns-18", 1)).value == "adults"
    assert services.execute(intake("year-2006", 2)).value == "adults"
    with pytest.raises(NoUnitAvailable) as unsettled:
        services.execute(intake("year-2007", 3))
    assert all(isinstance(r, SeparationUnknown) for r in unsettled.value.reasons)
    assert "birth date" in str(unsettled.value.reasons[0])
    finish(services)


# -- an unknown that matters blocks, naming what to record ----------------------------------------------------


def test_no_birth_date_where_a_unit_separates_minors_blocks_until_it_is_recorded(make_services: MakeServices) -> None:
    services = make_services()
    arrange(services, ("adults", "40", ADULT_MEN), ("boys", "20", BOYS))
    registration = register(services, "nodob", born=None)

    size = services.ledger.size()
    for unit_id in ("adults", "boys"):
        with pytest.raises(SeparationUnknown) as unknown:
            services.execute(intake("nodob", 0, unit_id=unit_id))
        assert (unknown.value.unit, unknown.value.person, unknown.value.missing) == (
            unit_id, "nodob", ("birth_date of nodob",)
        )
        message = str(unknown.value)
        assert re.search(r"record a birth date .* for 'nodob'", message), message  # says what to record
    with pytest.raises(NoUnitAvailable) as none:
        services.execute(intake("nodob", 0))
    assert [type(r) for r in none.value.reasons] == [SeparationUnknown, SeparationUnknown]
    assert "birth date" in str(none.value)  # the reasons are in the message, not only counted
    assert services.ledger.size() == size

    # the fix the refusal names: record the birth date (a correction of the registration); no override needed
    services.execute(AmendEntry(corrected_seq=registration, occurred_at=at(1), reason="birth_date_established",
                                changes={"date_of_birth": PartialDate(year=1988, month=2, day=3)}))
    assert services.execute(intake("nodob", 2)).value == "adults"
    finish(services)


def test_an_override_naming_the_unit_admits_despite_an_unknown_and_is_recorded(make_services: MakeServices) -> None:
    services = make_services()
    arrange(services, ("adults", "40", ADULT_MEN))
    register(services, "nodob", born=None)
    with pytest.raises(NoUnitAvailable, match=r"--unit|unit_id"):  # an override applies to the unit it names
        services.execute(intake("nodob", 0, override=OVERRIDE))

    result = services.execute(intake("nodob", 0, unit_id="adults", override=OVERRIDE))
    assert result.value == "adults"
    (report,) = [w for w in result.warnings if isinstance(w, IntakeUnknownOverride)]
    assert report.missing == (MissingFact(person_id="nodob", fact=Unrecorded.BIRTH_DATE),)
    assert (report.stream, report.admission_id, report.facility_id, report.unit_id, report.authorised_by) == (
        "nodob", "adm-nodob", "f-sv", "adults", "o-sv"
    )
    assert "reason" not in report.public()  # free text beside a person: private, as a capacity override's
    with services.ledger.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(select(record.c.kind).where(record.c.person_id == "nodob"))]
    assert "intake.unknown_override" in kinds
    assert unit_of(services, "nodob") == "adults"
    finish(services)


def test_unknown_sex_where_a_unit_is_single_sex_blocks_and_a_known_other_sex_never_passes(
    make_services: MakeServices,
) -> None:
    services = make_services()
    arrange(services, ("men", "40", ADULT_MEN), ("women", "40", Separation(sex=Sex.FEMALE)))
    registration = register(services, "nosex", sex=Sex.UNKNOWN)
    register(services, "woman", sex=Sex.FEMALE)

    with pytest.raises(SeparationUnknown) as unknown:
        services.execute(intake("nosex", 0, unit_id="men"))
    assert unknown.value.missing == ("sex of nosex",)
    with pytest.raises(SeparationViolation) as apart:
        services.execute(intake("woman", 0, unit_id="men", override=OVERRIDE))
    assert apart.value.rule == "unit_sex"

    # the sex as corrected on the registration is what counts
    services.execute(AmendEntry(corrected_seq=registration, occurred_at=at(1), reason="sex_established",
                                changes={"sex": Sex.FEMALE}))
    assert services.execute(intake("nosex", 2)).value == "women"
    finish(services)


def test_a_minor_is_not_placed_with_someone_whose_age_is_unknown(make_services: MakeServices) -> None:
    """In a unit not declared for an age group, an unknown age matters once a known minor would share it."""
    services = make_services()
    arrange(services, ("open", "40", Separation()))
    register(services, "nodob", born=None)
    register(services, "minor", born="2009-01-01")
    services.execute(intake("nodob", 0))  # alone in an unrestricted unit: nothing to keep apart

    with pytest.raises(SeparationUnknown) as unknown:
        services.execute(intake("minor", 1, unit_id="open"))
    assert (unknown.value.person, unknown.value.missing) == ("minor", ("birth_date of nodob",))
    finish(services)


# -- category from the records ---------------------------------------------------------------------------------


def test_the_category_follows_the_recorded_conviction_as_corrected(make_services: MakeServices) -> None:
    services = make_services()
    migration = Separation(sex=Sex.MALE, categories=(DetentionCategory.MIGRATION,))
    arrange(services, ("migration", "40", migration))
    register(services, "conv")
    conviction = services.execute(c.RecordConviction(
        conviction_id="cv-1", person_id="conv", occurred_at=T0 - timedelta(days=5), court="Juzgado",
        jurisdiction="SV", offence="extortion", convicted_on=date(2020, 1, 1),
    )).seqs[0]
    with pytest.raises(SeparationViolation) as convicted:
        services.execute(intake("conv", 0, unit_id="migration"))
    assert convicted.value.rule == "unit_category"
    services.execute(RetractEntry(corrected_seq=conviction, occurred_at=at(1), reason="wrong_person"))
    assert services.execute(intake("conv", 2)).value == "migration"
    finish(services)


# -- one policy in force ---------------------------------------------------------------------------------------


def test_intake_takes_the_deployment_packs_capacity_standard_and_nothing_from_the_command(
    make_services: MakeServices,
) -> None:
    """A 7 m² cell holds two under ICRC (us-federal) and one under CPT (strict-international)."""
    names = {f.name for f in dataclasses.fields(AdmitAtIntake)}
    assert not names & {"age_group", "standard"}, "the record and the deployment decide these, not the caller"
    for pack, holds in (("us-federal", 2), ("strict-international", 1)):
        services = make_services(pack=pack)
        arrange(services, ("cell", "7", ADULT_MEN))
        for i, p in enumerate(("p-1", "p-2", "p-3")):
            register(services, p)
            if i < holds:
                services.execute(intake(p, i))
            else:
                with pytest.raises(NoUnitAvailable) as full:
                    services.execute(intake(p, i))
                (reason,) = full.value.reasons
                assert isinstance(reason, CapacityExceeded)
                assert reason.capacity == holds
                break
        finish(services)
