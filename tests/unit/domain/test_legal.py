"""Legal records, court-order coverage of a class, and half-open periods."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain import commands as c
from habeas.domain.court_orders import (
    ClassCriteria,
    CourtOrderDirective,
    CourtOrderRecorded,
    CourtOrderScope,
    OrderForm,
    PersonFacts,
    record_court_order,
)
from habeas.domain.errors import AlreadyExists, InvalidField, PersonWasMerged
from habeas.domain.legal import (
    ConsularRecorded,
    CounselRecorded,
    NoticeContent,
    ProtectionKind,
    ProtectionRecorded,
    record_consular_notification,
    record_counsel,
    record_notice,
    record_protection,
    record_removal_order,
    record_stay,
)
from habeas.domain.people import PersonState
from habeas.domain.periods import Period
from tests.unit.domain.samples import NOW, T0

PERSON = PersonState(person_id="p-1")
PERIOD = Period(active_from=T0)

# the March 2025 class: people subject to the wartime proclamation (Venezuelan nationals designated under it)
AEA_CLASS = ClassCriteria(nationality_in=("VE",), designation_in=("aea_2025",))


@pytest.mark.parametrize(
    ("facts", "covered"),
    [
        (
            PersonFacts(person_id="p", nationalities=frozenset({"VE"}), designations=frozenset({"aea_2025"})),
            True,
        ),
        (
            PersonFacts(
                person_id="p", nationalities=frozenset({"VE", "CO"}), designations=frozenset({"aea_2025"})
            ),
            True,
        ),
        (PersonFacts(person_id="p", nationalities=frozenset({"VE"})), False),  # not designated
        (
            PersonFacts(person_id="p", nationalities=frozenset({"SV"}), designations=frozenset({"aea_2025"})),
            False,
        ),
        (PersonFacts(person_id="p"), False),
    ],
)
def test_class_criteria_all_must_hold(facts: PersonFacts, covered: bool) -> None:
    assert AEA_CLASS.covers(facts) is covered
    assert CourtOrderScope(criteria=AEA_CLASS).covers(facts) is covered


def test_facility_and_legal_basis_criteria() -> None:
    criteria = ClassCriteria(legal_basis_in=("aea_proclamation",), detained_at_facility_in=("el-valle",))
    inside = PersonFacts(
        person_id="p", legal_bases=frozenset({"aea_proclamation", "ina_241"}), facility_id="el-valle"
    )
    assert criteria.covers(inside)
    assert not criteria.covers(
        PersonFacts(person_id="p", legal_bases=inside.legal_bases, facility_id="bluebonnet")
    )
    assert not criteria.covers(
        PersonFacts(person_id="p", legal_bases=frozenset({"ina_241"}), facility_id="el-valle")
    )


@given(st.sets(st.sampled_from(["VE", "SV", "CO", "HN"])), st.sets(st.sampled_from(["aea_2025", "x"])))
def test_single_criterion_is_set_membership(nationalities: set[str], designations: set[str]) -> None:
    facts = PersonFacts(
        person_id="p", nationalities=frozenset(nationalities), designations=frozenset(designations)
    )
    assert ClassCriteria(nationality_in=("VE",)).covers(facts) == ("VE" in nationalities)
    assert AEA_CLASS.covers(facts) == ("VE" in nationalities and "aea_2025" in designations)


def test_scope_names_people_or_a_class_never_both_nor_neither() -> None:
    named = CourtOrderScope(person_ids=("p-1", "p-2"))
    assert named.covers(PersonFacts(person_id="p-2"))
    assert not named.covers(PersonFacts(person_id="p-3", nationalities=frozenset({"VE"})))
    with pytest.raises(InvalidField, match="scope"):
        CourtOrderScope()
    with pytest.raises(InvalidField, match="scope"):
        CourtOrderScope(person_ids=("p-1",), criteria=AEA_CLASS)
    with pytest.raises(InvalidField, match="criteria"):
        ClassCriteria()
    with pytest.raises(InvalidField):
        ClassCriteria(nationality_in=("Venezuela",))


def test_oral_court_order_is_recorded_at_the_time_issued() -> None:
    issued = T0 + timedelta(hours=1)
    cmd = c.RecordCourtOrder(
        order_id="jgg-tro-oral",
        issued_at=issued,
        court="D.D.C.",
        docket="1:25-cv-766",
        form=OrderForm.ORAL,
        directive=CourtOrderDirective.RETURN,
        scope=CourtOrderScope(criteria=AEA_CLASS),
        period=Period(active_from=issued),
    )
    [event] = record_court_order(cmd, already_recorded=False, now=NOW)
    assert isinstance(event, CourtOrderRecorded)
    assert (event.stream, event.occurred_at, event.form) == ("jgg-tro-oral", issued, OrderForm.ORAL)
    with pytest.raises(AlreadyExists):
        record_court_order(cmd, already_recorded=True, now=NOW)


def test_protection_is_per_country() -> None:
    cmd = c.RecordProtection(
        protection_id="pr-1",
        person_id="p-1",
        occurred_at=T0,
        kind=ProtectionKind.WITHHOLDING_OF_REMOVAL,
        country="SV",
        granted_by="IJ Baltimore",
        period=PERIOD,
    )
    [event] = record_protection(cmd, person=PERSON, already_recorded=False, now=NOW)
    assert isinstance(event, ProtectionRecorded)
    assert event.country == "SV"
    with pytest.raises(PersonWasMerged):
        record_protection(
            cmd, person=PersonState(person_id="p-1", merged_into="p-0"), already_recorded=False, now=NOW
        )


def test_removal_order_stay_notice_counsel() -> None:
    assert record_removal_order(
        c.RecordRemovalOrder(
            order_id="ro-1",
            person_id="p-1",
            occurred_at=T0,
            authority="IJ",
            legal_basis="ina_240",
            destination_country="VE",
            final=True,
            period=PERIOD,
        ),
        person=PERSON,
        already_recorded=False,
        now=NOW,
    )
    with pytest.raises(InvalidField, match="legal_basis"):
        record_removal_order(
            c.RecordRemovalOrder(
                order_id="ro-1",
                person_id="p-1",
                occurred_at=T0,
                authority="IJ",
                legal_basis="INA 240",
                destination_country="VE",
                final=True,
                period=PERIOD,
            ),
            person=PERSON,
            already_recorded=False,
            now=NOW,
        )
    assert record_stay(
        c.RecordStay(stay_id="st-1", person_id="p-1", occurred_at=T0, granted_by="4th Cir.", period=PERIOD),
        person=PERSON,
        already_recorded=False,
        now=NOW,
    )
    notice = c.RecordNotice(
        notice_id="n-1",
        person_id="p-1",
        served_at=T0,
        language="en",
        content_type=NoticeContent.WARTIME_DESIGNATION,
        copy_to_counsel=False,
    )
    assert record_notice(notice, person=PERSON, already_recorded=False, now=NOW)
    with pytest.raises(InvalidField, match="language"):
        record_notice(
            c.RecordNotice(**{**notice.__dict__, "language": "English"}),
            person=PERSON,
            already_recorded=False,
            now=NOW,
        )
    [counsel] = record_counsel(
        c.RecordCounsel(
            counsel_id="c-1",
            person_id="p-1",
            occurred_at=T0,
            name="Jane Roe",
            appearance_filed=True,
            period=PERIOD,
        ),
        person=PERSON,
        already_recorded=False,
        now=NOW,
    )
    assert isinstance(counsel, CounselRecorded)
    assert "name" not in counsel.public()


def test_consular_steps_in_order() -> None:
    cmd = c.RecordConsularNotification(
        notification_id="cn-1",
        person_id="p-1",
        country="VE",
        offered_at=T0,
        requested_at=T0 + timedelta(minutes=5),
        sent_at=T0 + timedelta(hours=1),
    )
    [event] = record_consular_notification(cmd, person=PERSON, already_recorded=False, now=NOW)
    assert isinstance(event, ConsularRecorded)
    assert event.occurred_at == T0 + timedelta(hours=1)
    with pytest.raises(InvalidField, match="sent_at"):
        record_consular_notification(
            c.RecordConsularNotification(
                notification_id="cn-1",
                person_id="p-1",
                country="VE",
                requested_at=T0,
                sent_at=T0 - timedelta(hours=1),
            ),
            person=PERSON,
            already_recorded=False,
            now=NOW,
        )
    with pytest.raises(InvalidField):
        record_consular_notification(
            c.RecordConsularNotification(notification_id="cn-1", person_id="p-1", country="VE"),
            person=PERSON,
            already_recorded=False,
            now=NOW,
        )


def test_period_is_half_open() -> None:
    end = T0 + timedelta(days=1)
    period = Period(active_from=T0, active_to=end)
    assert period.contains(T0)
    assert period.contains(end - timedelta(microseconds=1))
    assert not period.contains(end)
    assert not period.contains(T0 - timedelta(microseconds=1))
    assert Period(active_from=T0).contains(T0 + timedelta(days=10_000))
    with pytest.raises(InvalidField, match="active_to"):
        Period(active_from=T0, active_to=T0)
