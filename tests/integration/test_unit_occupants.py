"""An intake reads everyone in a unit in three statements (services/intake.py ``unit_occupants``): what it says of
each occupant is what :func:`habeas.services.intake.occupants` says, person by person, corrections included
(registrations amended twice, a retracted conviction, a withdrawn allegation), on SQLite and PostgreSQL. So does
the person admitted, and the unit (its separation is in its private payload)."""

from __future__ import annotations

from datetime import date, timedelta

from habeas.domain import commands as c
from habeas.domain.allegations import AllegationStatus, ChangeAllegationStatus, RecordAllegation
from habeas.domain.corrections import AmendEntry, RetractEntry
from habeas.domain.facilities import Separation
from habeas.domain.people import PartialDate, Sex
from habeas.services.facilities import units
from habeas.services.intake import _unit, occupant, occupants, unit_occupants
from tests.integration.test_separation_from_records import AUTHORITY, OFFICER, T0, arrange, at, register
from tests.integration.test_services import MakeServices


def test_a_units_occupants_read_at_once_are_those_read_person_by_person(make_services: MakeServices) -> None:
    services = make_services()
    arrange(services, ("open", "400", Separation()), ("other", "400", Separation()))
    people = ["p-plain", "p-amended", "p-nodob", "p-convicted", "p-retracted", "p-alleged", "p-withdrawn", "p-minor"]
    seqs = {p: register(services, p, born=None if p == "p-nodob" else "1990-05-17") for p in people}
    register(services, "p-elsewhere")
    run = services.execute
    run(AmendEntry(corrected_seq=seqs["p-amended"], occurred_at=at(1), reason="birth_date_established",
                   changes={"date_of_birth": PartialDate(year=2010, month=2, day=3)}))
    run(AmendEntry(corrected_seq=seqs["p-amended"], occurred_at=at(2), reason="sex_established",
                   changes={"sex": Sex.FEMALE}))
    run(AmendEntry(corrected_seq=seqs["p-minor"], occurred_at=at(1), reason="birth_date_established",
                   changes={"date_of_birth": PartialDate(year=2012)}))
    for p in ("p-convicted", "p-retracted"):
        conviction = run(c.RecordConviction(
            conviction_id=f"cv-{p}", person_id=p, occurred_at=T0 - timedelta(days=5), court="Juzgado",
            jurisdiction="SV", offence="extortion", convicted_on=date(2020, 1, 1),
        )).seqs[0]
        if p == "p-retracted":
            run(RetractEntry(corrected_seq=conviction, occurred_at=at(3), reason="wrong_person"))
    for p, organisations in (("p-alleged", ("MS-13", "Barrio 18", "MS-13")), ("p-withdrawn", ("Barrio 18",))):
        for k, organisation in enumerate(organisations):
            run(RecordAllegation(allegation_id=f"al-{p}-{k}", person_id=p, occurred_at=T0 - timedelta(days=4),
                                 organisation=organisation, source="police report"))
    run(ChangeAllegationStatus(allegation_id="al-p-withdrawn-0", occurred_at=at(4),
                               to_status=AllegationStatus.WITHDRAWN))
    for k, p in enumerate([*people, "p-elsewhere"]):
        run(c.AdmitToCustody(person_id=p, occurred_at=at(10 + k), facility_id="f-sv",
                             unit_id="other" if p == "p-elsewhere" else "open", custodian=OFFICER,
                             authority=AUTHORITY))

    with services.ledger.engine.connect() as conn:
        at_once = unit_occupants(conn, "f-sv", "open", at=at(60))
        one_by_one = occupants(conn, sorted(people), at=at(60))
        assert unit_occupants(conn, "f-sv", "nobody-here", at=at(60)) == []
        for p in [*people, "p-elsewhere", "p-never-registered"]:  # the person admitted, read the same way
            assert occupant(conn, p, at=at(60)) == occupants(conn, [p], at=at(60))[0]
        for u in ("open", "other", "no-such-unit"):
            assert _unit(conn, "f-sv", u) == units(conn, "f-sv", u)
    assert at_once == one_by_one
    by_id = {o.person_id: o for o in at_once}
    assert by_id["p-amended"].sex is Sex.FEMALE
    assert by_id["p-nodob"].age_group is None
    assert (by_id["p-convicted"].category, by_id["p-retracted"].category) == ("convicted", "migration")
    assert (by_id["p-alleged"].organisations, by_id["p-withdrawn"].organisations) == (("MS-13", "Barrio 18"), ())
