"""The services over a real database (SQLite and PostgreSQL, the `db` fixture): one transaction per command,
personal data kept out of the public leaves, erasure, corrections, and rebuild --check."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select, text

from habeas.domain import commands as c
from habeas.domain.allegations import AllegationStatus
from habeas.domain.codec import encode
from habeas.domain.corrections import ErasureReason
from habeas.domain.court_orders import CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.custody import Authority, Custodian
from habeas.domain.errors import (
    AlreadyExists,
    DomainError,
    InvalidField,
    InvalidStatusChange,
    InvalidTransition,
    PersonWasErased,
    PersonWasMerged,
    Refused,
    UnknownRecord,
)
from habeas.domain.identity import IdentityMatch, PersonIdentity, fold
from habeas.domain.legal import NoticeContent
from habeas.domain.people import (
    Contact,
    Dependant,
    Identifier,
    IdentifierKind,
    PartialDate,
    PersonName,
    PropertyItem,
    Sex,
)
from habeas.domain.periods import Period
from habeas.ledger.canonical import canonical
from habeas.ledger.entry import parse_leaf
from habeas.ledger.verify import VerifyReport, verify_log
from habeas.services.custody import custody_state
from habeas.services.door import Services
from habeas.services.people import identity_candidates
from habeas.services.records import person_state
from habeas.services.records import records as record_views
from habeas.storage import ledger_store
from habeas.storage.projections import catalog as projections
from habeas.storage.projections.people import identity_keys, person, person_key
from habeas.storage.projections.schema import record

MakeServices = Callable[[], Services]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # before the TickingClock starts: every time here is in the past
KEY = bytes(range(32))
ICE = Custodian(agency_id="ice", officer_id="officer-1")
DHS = Authority(agency_id="dhs", legal_basis="ina_241", record_id="ro-1")
PERIOD = Period(active_from=T0, active_to=T0 + timedelta(days=365))


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def world(services: Services) -> None:
    """Two agencies, an officer of each, a facility with two units."""
    run = services.execute
    run(c.RegisterAgency(agency_id="ice", occurred_at=T0, name="ICE", country="US", kind="immigration"))
    run(c.RegisterAgency(agency_id="dgcp", occurred_at=T0, name="DGCP", country="SV", kind="prisons"))
    for officer, agency in (("officer-1", "ice"), ("officer-2", "dgcp")):
        run(
            c.RegisterOfficer(
                officer_id=officer, agency_id=agency, occurred_at=T0, name=f"Officer {officer}", role="escort",
                public_key=KEY,
            )
        )
    run(c.RegisterFacility(facility_id="f-1", occurred_at=T0, name="Facility", country="US", facility_type="spc"))
    for unit in ("u-1", "u-2"):
        run(
            c.RegisterUnit(
                unit_id=unit, facility_id="f-1", occurred_at=T0, label=unit, floor_area_m2=Decimal("40"),
                declared_beds=12,
            )
        )


def admit(person_id: str, minutes: int = 1, unit: str = "u-1") -> c.AdmitToCustody:
    return c.AdmitToCustody(
        person_id=person_id, occurred_at=at(minutes), facility_id="f-1", unit_id=unit, custodian=ICE, authority=DHS
    )


def snapshot(services: Services) -> tuple[int, dict[str, list[tuple[Any, ...]]], list[tuple[int, bytes]], int]:
    """Everything a command may write: the log's size, every projection row, the private rows, the checkpoints."""
    with services.ledger.engine.connect() as conn:
        dump = projections.dump(conn)
        private = [(int(r[0]), bytes(r[1])) for r in conn.execute(text("SELECT seq, payload FROM ledger_private"))]
        checkpoints = len(list(ledger_store.iter_checkpoints(conn)))
    return services.ledger.size(), dump, sorted(private), checkpoints


def verify(services: Services) -> VerifyReport:
    signer = services.ledger.signer
    with services.ledger.engine.connect() as conn:
        return verify_log(conn, signer.verifier(), origin=signer.name)


def assert_rebuild_equal(services: Services) -> None:
    report = services.rebuild_check()
    assert report.ok, [str(d) for d in report.differences]
    assert report.entries == services.ledger.size()


def leaves(services: Services) -> list[tuple[int, bytes]]:
    with services.ledger.engine.connect() as conn:
        return [(seq, leaf) for rows in ledger_store.iter_entries(conn) for seq, leaf, _ in rows]


@pytest.fixture
def held(make_services: MakeServices) -> Services:
    """p-1 in custody at f-1/u-1 with an admission record and an adjudicated allegation; p-2 registered only."""
    services = make_services()
    world(services)
    run = services.execute
    run(c.RegisterPerson(person_id="p-1", occurred_at=T0, nationalities=("SV",)))
    run(c.RegisterPerson(person_id="p-2", occurred_at=T0, nationalities=("VE",)))
    run(admit("p-1"))
    run(
        c.RecordAdmission(
            person_id="p-1", admission_id="adm-1", facility_id="f-1", occurred_at=at(1), commitment_authority="DHS"
        )
    )
    run(c.RecordAllegation(allegation_id="al-1", person_id="p-1", occurred_at=T0, organisation="TdA", source="x"))
    run(
        c.ChangeAllegationStatus(
            allegation_id="al-1", occurred_at=at(2), to_status=AllegationStatus.WITHDRAWN
        )
    )
    return services


# -- 1. one transaction per command ---------------------------------------------------------------------------

REFUSED: dict[str, tuple[Callable[[], c.Command], type[DomainError], tuple[str, ...]]] = {
    "admit someone already in custody": (lambda: admit("p-1", 5, "u-2"), InvalidTransition, ("p-1", "in_custody")),
    "release someone never held": (
        lambda: c.Release(person_id="p-2", occurred_at=at(5), reason="bail"),
        InvalidTransition,
        ("p-2", "not_held", "released"),
    ),
    "register a duplicate id": (
        lambda: c.RegisterPerson(person_id="p-1", occurred_at=T0),
        AlreadyExists,
        ("p-1",),
    ),
    "admit to an unknown unit": (lambda: admit("p-2", 5, "u-9"), UnknownRecord, ("f-1/u-9",)),
    "admit an unknown person": (lambda: admit("p-404", 5), UnknownRecord, ("p-404",)),
    "a custodian officer of another agency": (
        lambda: c.ReassignCustodian(
            person_id="p-1", occurred_at=at(5), custodian=Custodian(agency_id="ice", officer_id="officer-2")
        ),
        InvalidField,
        ("officer-2", "dgcp"),
    ),
    "erase someone in custody": (
        lambda: c.ErasePerson(person_id="p-1", occurred_at=at(5), reason=ErasureReason.DATA_SUBJECT_REQUEST),
        Refused,
        ("p-1", "in_custody"),
    ),
    "a duplicate admission id": (
        lambda: c.RecordAdmission(
            person_id="p-2", admission_id="adm-1", facility_id="f-1", occurred_at=at(5), commitment_authority="DHS"
        ),
        AlreadyExists,
        ("adm-1",),
    ),
    "a duplicate allegation id": (
        lambda: c.RecordAllegation(
            allegation_id="al-1", person_id="p-2", occurred_at=T0, organisation="MS-13", source="x"
        ),
        AlreadyExists,
        ("al-1",),
    ),
    "a withdrawn allegation contested": (
        lambda: c.ChangeAllegationStatus(allegation_id="al-1", occurred_at=at(5), to_status=AllegationStatus.CONTESTED),
        InvalidStatusChange,
        ("al-1", "withdrawn", "contested"),
    ),
    "a unit of an unknown facility": (
        lambda: c.RegisterUnit(
            unit_id="u-1", facility_id="f-404", occurred_at=T0, label="x", floor_area_m2=Decimal(9), declared_beds=1
        ),
        UnknownRecord,
        ("f-404",),
    ),
    "an officer of an unknown agency": (
        lambda: c.RegisterOfficer(
            officer_id="officer-9", agency_id="ag-404", occurred_at=T0, name="N", role="escort", public_key=KEY
        ),
        UnknownRecord,
        ("ag-404",),
    ),
    "amend an entry past the end of the log": (
        lambda: c.AmendEntry(corrected_seq=999, occurred_at=at(5), reason="typo", changes={"sex": Sex.MALE}),
        UnknownRecord,
        ("999",),
    ),
    "merge a person into itself": (
        lambda: c.MergePersons(
            person_id="p-2", duplicate_id="p-2", occurred_at=at(5), basis=IdentityMatch.MANUAL_REVIEW
        ),
        InvalidField,
        ("p-2",),
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_command_changes_nothing_and_names_the_ids(held: Services, case: str) -> None:
    make, error, ids = REFUSED[case]
    before = snapshot(held)
    with pytest.raises(error) as refused:
        held.execute(make())
    for name in ids:
        assert name in str(refused.value)
    assert snapshot(held) == before
    # The refusal left no hole either: the next accepted command takes the next seq.
    result = held.execute(c.RegisterPerson(person_id="p-3", occurred_at=T0))
    assert result.seqs == [before[0]]


def test_a_failure_after_the_events_were_recorded_undoes_the_whole_command(
    held: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ErasePerson appends its entry and updates p_person before it deletes the payloads; a failure there must take
    the entry and the projection update back with it."""

    def broken(conn: Connection, seqs: list[int]) -> int:
        raise RuntimeError("disk on fire")

    erase = c.ErasePerson(person_id="p-2", occurred_at=at(5), reason=ErasureReason.COURT_ORDER)
    before = snapshot(held)
    with monkeypatch.context() as patch:
        patch.setattr(ledger_store, "erase_private", broken)
        with pytest.raises(RuntimeError, match="disk on fire"):
            held.execute(erase)
    assert snapshot(held) == before
    assert held.execute(erase).seqs == [before[0]]
    with held.ledger.engine.connect() as conn:
        assert person_state(conn, "p-2").erased  # type: ignore[union-attr]
    assert_rebuild_equal(held)


def test_accepted_commands_keep_the_projections_equal_to_a_rebuild(held: Services) -> None:
    run = held.execute
    run(c.DepartOnLeg(person_id="p-1", occurred_at=at(10), leg_id="leg-1", custodian=ICE))
    run(
        c.ArriveAtFacility(
            person_id="p-1", occurred_at=at(20), facility_id="f-1", unit_id="u-2",
            custodian=Custodian(agency_id="dgcp", officer_id="officer-2"),
        )
    )
    run(c.Rehouse(person_id="p-1", occurred_at=at(21), unit_id="u-1", reason="medical"))
    run(c.ChangeAuthority(person_id="p-1", occurred_at=at(22), authority=Authority(agency_id="sv", legal_basis="x")))
    run(
        c.RecordCourtOrder(
            order_id="co-1", issued_at=at(3), court="D.D.C.", docket="1:25-cv-766", form=OrderForm.ORAL,
            directive=CourtOrderDirective.HALT_REMOVAL, scope=CourtOrderScope(person_ids=("p-1", "p-2")), period=PERIOD,
        )
    )
    run(c.RecordRemovalOrder(
        order_id="ro-1", person_id="p-2", occurred_at=T0, authority="IJ", legal_basis="ina_240",
        destination_country="VE", final=True, period=Period(active_from=T0),
    ))
    run(c.RecordNotice(
        notice_id="n-1", person_id="p-2", served_at=at(4), language="es", content_type=NoticeContent.RIGHTS,
        copy_to_counsel=False,
    ))
    run(c.RecordConsularNotification(notification_id="cn-1", person_id="p-2", country="VE", offered_at=at(4)))
    run(c.MergePersons(person_id="p-1", duplicate_id="p-2", occurred_at=at(30), basis=IdentityMatch.MANUAL_REVIEW))
    with pytest.raises(PersonWasMerged, match="p-2"):
        run(admit("p-2", 31))
    dgcp = Custodian(agency_id="dgcp", officer_id="officer-2")
    run(c.HandOver(
        person_id="p-1", occurred_at=at(40), country="SV", custodian=dgcp,
        authority=Authority(agency_id="dgcp", legal_basis="agreement_2025"),
    ))
    assert_rebuild_equal(held)
    assert verify(held).ok
    with held.ledger.engine.connect() as conn:
        custody = custody_state(conn, "p-1")
    assert (custody.status, custody.country, custody.custodian) == (
        "handed_over", "SV", Custodian(agency_id="dgcp", officer_id="officer-2"),
    )


def test_rebuild_check_names_a_projection_row_that_the_ledger_does_not_make(held: Services) -> None:
    """The check can fail: a live row changed behind the ledger's back is reported with its table and key."""
    with held.ledger.engine.begin() as conn:
        conn.execute(text("UPDATE p_custody SET unit_id = 'u-2' WHERE person_id = 'p-1'"))
    report = held.rebuild_check()
    assert not report.ok
    assert [str(d) for d in report.differences] == ["p_custody ('p-1',): unit_id is 'u-2' live, 'u-1' rebuilt"]


# -- 3. no personal data in a public leaf ---------------------------------------------------------------------

_LETTERS = "abcdefghijklmnoprstuvwyzáéíñóúüç"
_marked = st.text(alphabet=_LETTERS, min_size=5, max_size=10).map(lambda s: "Qx" + s)
_document = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWYZ0123456789", min_size=6, max_size=9).map(lambda s: "QX" + s)
_birth = st.builds(
    PartialDate, year=st.integers(1940, 2006), month=st.integers(1, 12), day=st.integers(1, 28)
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _searchable(raw: bytes) -> str:
    """The JSON's text and every string in it unescaped, case-folded: a secret can hide in neither."""
    return (raw.decode() + "\n" + "\n".join(_strings(json.loads(raw)))).casefold()


def _forms(secret: str) -> set[str]:
    return {secret.casefold(), fold(secret)}


@dataclass(frozen=True)
class Planted:
    """Personal data to plant, each piece distinctive (a marker and random letters, accents included)."""

    given_names: list[str]
    surnames: list[str]
    alias: str
    birth: PartialDate
    passport: str
    a_number: str
    kin: str
    child: str
    child_birth: PartialDate
    officer: str
    badge: str
    counsel: str
    bar: str
    amended_counsel: str
    merge_note: str


_planted = st.builds(
    Planted,
    given_names=st.lists(_marked, min_size=1, max_size=2, unique=True),
    surnames=st.lists(_marked, min_size=1, max_size=2, unique=True),
    alias=_marked,
    birth=_birth,
    passport=_document,
    a_number=st.integers(10**8, 10**9 - 1).map(lambda n: f"A{n:09d}"),
    kin=_marked,
    child=_marked,
    child_birth=_birth,
    officer=_marked,
    badge=_document,
    counsel=_marked,
    bar=_document,
    amended_counsel=_marked,
    merge_note=_marked,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(p=_planted)
def test_no_public_leaf_holds_a_name_birth_date_or_document_number(make_services: MakeServices, p: Planted) -> None:
    assume(p.amended_counsel != p.counsel)
    services = make_services()
    world(services)
    run = services.execute
    name = PersonName(given_names=tuple(p.given_names), surnames=tuple(p.surnames))
    documents = (
        Identifier(kind=IdentifierKind.PASSPORT, value=p.passport, country="VE"),
        Identifier(kind=IdentifierKind.A_NUMBER, value=p.a_number, country="US"),
    )
    run(c.RegisterOfficer(
        officer_id="officer-9", agency_id="ice", occurred_at=T0, name=p.officer, role="escort", public_key=KEY,
        badge_number=p.badge,
    ))
    run(c.RegisterPerson(
        person_id="p-1", occurred_at=T0, name=name, aliases=(p.alias,), date_of_birth=p.birth, identifiers=documents,
        sex=Sex.MALE, nationalities=("VE",), country_of_birth="VE", languages=("es",),
    ))
    # The same person again: the warning names the other record, never the data that matched.
    again = run(
        c.RegisterPerson(person_id="p-2", occurred_at=T0, name=name, date_of_birth=p.birth, identifiers=documents)
    )
    assert {w.other_person_id for w in again.warnings} == {"p-1"}
    run(c.RecordAdmission(
        person_id="p-1", admission_id="adm-1", facility_id="f-1", occurred_at=at(1), commitment_authority="DHS",
        arrested_at=T0, arrest_place=f"{p.kin} street", visible_injuries=f"bruise {p.child}",
        property_items=(PropertyItem(description="phone", receipt_number=p.badge),),
        next_of_kin=(Contact(name=p.kin, relationship="mother", details=f"{p.kin} house"),),
        dependants=(Dependant(name=p.child, birth_date=p.child_birth, cared_for_by=p.kin),),
    ))
    counsel_seq = run(c.RecordCounsel(
        counsel_id="c-1", person_id="p-1", occurred_at=T0, name=p.counsel, appearance_filed=True, period=PERIOD,
        bar_number=p.bar, contact=f"{p.counsel} law office",
    )).seq
    run(c.AmendEntry(corrected_seq=counsel_seq, occurred_at=at(2), reason="typo", changes={"name": p.amended_counsel}))
    run(c.MergePersons(
        person_id="p-1", duplicate_id="p-2", occurred_at=at(3), basis=IdentityMatch.SAME_IDENTIFIER, note=p.merge_note
    ))

    secrets = [
        *p.given_names, *p.surnames, p.alias, p.passport, p.a_number, p.kin, p.child, p.officer, p.badge, p.counsel,
        p.bar, p.amended_counsel, p.merge_note,
    ]
    # A birth date is stored as an object; it must not show up as one, nor as an ISO or compact date.
    dates = [canonical(encode(d, PartialDate)).decode() for d in (p.birth, p.child_birth)]
    iso = [str(d) for d in (p.birth, p.child_birth)]
    forbidden = {f for s in secrets for f in _forms(s)}
    forbidden |= {p.a_number.removeprefix("A"), *dates, *iso, *(d.replace("-", "") for d in iso)}

    public = [_searchable(leaf) for _, leaf in leaves(services)]
    with services.ledger.engine.connect() as conn:
        public += [_searchable(body.encode()) for body in _projection_bodies(conn)]
        private = "\n".join(
            _searchable(payload) for _, payload in ledger_store.read_private(conn, 0, services.ledger.size()).values()
        )
    leaks = sorted({f for f in forbidden for doc in public if f in doc})
    assert not leaks
    # The test could fail: every secret is there to be found, in the private table.
    for secret in [*secrets, *dates]:
        assert secret.casefold() in private


def _projection_bodies(conn: Connection) -> list[str]:
    """The public JSON the projections keep (p_person_key is the one table meant to hold folded names)."""
    out = []
    for table in ("p_person", "p_record", "p_correction"):
        out += [row[0] for row in conn.execute(text(f"SELECT body FROM {table}"))]
    return out


# -- 4. erasure -----------------------------------------------------------------------------------------------

SECRET_NAME = PersonName(given_names=("Marcos", "Armando"), surnames=("Ávalos", "García"))
SECRET_BIRTH = PartialDate(year=1995, month=7, day=26)
SECRET_PASSPORT = Identifier(kind=IdentifierKind.PASSPORT, value="SV1234567", country="SV")


def _identity() -> PersonIdentity:
    return PersonIdentity(
        person_id="probe", name=PersonName(given_names=("marcos", "armando"), surnames=("garcia", "avalos")),
        identifiers=(SECRET_PASSPORT,),
    )


def _found(conn: Connection) -> set[str]:
    return {p.person_id for p in identity_candidates(conn, identity_keys(_identity()))}


def test_erasure_removes_the_private_payloads_and_keeps_the_log_verifiable(held: Services) -> None:
    run = held.execute
    run(c.RegisterPerson(
        person_id="p-9", occurred_at=T0, name=SECRET_NAME, date_of_birth=SECRET_BIRTH, identifiers=(SECRET_PASSPORT,),
        aliases=("El Flaco",),
    ))
    run(c.RecordAdmission(
        person_id="p-9", admission_id="adm-9", facility_id="f-1", occurred_at=at(1), commitment_authority="DHS",
        next_of_kin=(Contact(name="Jennifer Vasquez", relationship="spouse"),),
    ))
    counsel = run(c.RecordCounsel(
        counsel_id="c-9", person_id="p-9", occurred_at=T0, name="Simon Sandoval-Moshenberg", appearance_filed=True,
        period=PERIOD,
    )).seq
    run(c.AmendEntry(corrected_seq=counsel, occurred_at=at(2), reason="typo", changes={"bar_number": "VA-1"}))
    run(c.RecordCounsel(
        counsel_id="c-2", person_id="p-2", occurred_at=T0, name="Someone Else", appearance_filed=True, period=PERIOD
    ))
    run(admit("p-9", 3))
    with pytest.raises(Refused, match="p-9"):
        run(c.ErasePerson(person_id="p-9", occurred_at=at(4), reason=ErasureReason.DATA_SUBJECT_REQUEST))
    run(c.Release(person_id="p-9", occurred_at=at(5), reason="court_order"))

    with held.ledger.engine.connect() as conn:
        assert _found(conn) == {"p-9"}  # before: found by the folded name (any surname order) and the passport
        on_stream = ledger_store.stream_seqs(conn, "p-9")
        with_payload = [s for s in on_stream if ledger_store.read_private_one(conn, s) is not None]
        others = {s: ledger_store.read_private_one(conn, s) for s in ledger_store.stream_seqs(conn, "p-2")}
    # registration, admission, counsel, its amendment; the custody admission and release (a step's reason is
    # private: docs/public-log.md)
    assert len(with_payload) == 6
    before = leaves(held)

    erased_at = run(c.ErasePerson(person_id="p-9", occurred_at=at(6), reason=ErasureReason.DATA_SUBJECT_REQUEST)).seq

    with held.ledger.engine.connect() as conn:
        assert [s for s in on_stream if ledger_store.read_private_one(conn, s) is not None] == []
        assert {s: ledger_store.read_private_one(conn, s) for s in ledger_store.stream_seqs(conn, "p-2")} == others
        assert _found(conn) == set()
        assert conn.execute(select(person_key).where(person_key.c.person_id == "p-9")).all() == []
        row = conn.execute(select(person.c.erased, person.c.updated_seq).where(person.c.person_id == "p-9")).one()
        assert (bool(row.erased), row.updated_seq) == (True, erased_at)
        assert custody_state(conn, "p-9").status == "released"  # the public record stays
    assert leaves(held)[: len(before)] == before
    report = verify(held)
    assert report.ok, [str(p) for p in report.problems]
    assert report.private_erased == len(with_payload)
    assert_rebuild_equal(held)
    # Nothing new can be attached, and registering the same name and document again warns of no one.
    with pytest.raises(PersonWasErased, match="p-9"):
        run(c.RecordCounsel(
            counsel_id="c-10", person_id="p-9", occurred_at=T0, name="X", appearance_filed=True, period=PERIOD
        ))
    with pytest.raises(PersonWasErased, match="p-9"):
        run(c.ErasePerson(person_id="p-9", occurred_at=at(7), reason=ErasureReason.DATA_SUBJECT_REQUEST))
    again = run(c.RegisterPerson(
        person_id="p-10", occurred_at=T0, name=SECRET_NAME, date_of_birth=SECRET_BIRTH, identifiers=(SECRET_PASSPORT,)
    ))
    assert again.warnings == []


# -- 5. corrections -------------------------------------------------------------------------------------------


def test_amend_and_retract_are_new_entries_naming_the_corrected_seq(held: Services) -> None:
    run = held.execute
    allegation = run(
        c.RecordAllegation(allegation_id="al-2", person_id="p-2", occurred_at=T0, organisation="TdA", source="tattoo")
    ).seq
    conviction = run(c.RecordConviction(
        conviction_id="cv-1", person_id="p-2", occurred_at=T0, court="Court", jurisdiction="US", offence="Traffic",
        convicted_on=date(2020, 1, 2),
    )).seq
    originals = {seq: held.ledger.leaf(seq) for seq in (allegation, conviction)}

    amended = run(c.AmendEntry(
        corrected_seq=allegation, occurred_at=at(1), reason="wrong_source", changes={"source": "police report"}
    )).seq
    retracted = run(c.RetractEntry(corrected_seq=conviction, occurred_at=at(2), reason="wrong_person")).seq

    assert (amended, retracted) == (conviction + 1, conviction + 2)
    for seq, action, target in ((amended, "amend", allegation), (retracted, "retract", conviction)):
        leaf = parse_leaf(held.ledger.leaf(seq))
        assert (leaf["type"], leaf["stream"]) == ("entry.corrected", "p-2")
        assert (leaf["body"]["corrected_seq"], leaf["body"]["action"]) == (target, action)
    # what an allegation says is private (docs/public-log.md): the replacement's source is in the private part
    assert parse_leaf(held.ledger.leaf(amended))["body"]["replacement_public"] == {
        "occurred_at": "2025-03-01T08:00:00Z", "allegation_id": "al-2"
    }
    with held.ledger.engine.connect() as conn:
        held_private = ledger_store.read_private_one(conn, amended)
    assert held_private is not None
    assert parse_leaf(held_private[1])["replacement_private"]["source"] == "police report"
    assert {seq: held.ledger.leaf(seq) for seq in originals} == originals
    with held.ledger.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT record_id, body, retracted, updated_seq FROM p_record WHERE person_id = 'p-2'")
        )
        records = {r.record_id: r for r in rows}
        corrections = conn.execute(text("SELECT corrected_seq, seq, action FROM p_correction ORDER BY seq")).all()
    with held.ledger.engine.connect() as conn:  # shown with the record, as amended, to who may read it
        (shown,) = record_views(conn, record.c.record_id == "al-2")
    assert (shown.body["source"], shown.body["organisation"]) == ("police report", "TdA")
    assert (records["al-2"].updated_seq, bool(records["al-2"].retracted)) == (amended, False)
    assert (records["cv-1"].updated_seq, bool(records["cv-1"].retracted)) == (retracted, True)
    assert [tuple(r) for r in corrections] == [(allegation, amended, "amend"), (conviction, retracted, "retract")]
    with pytest.raises(Refused, match=str(conviction)):
        run(c.RetractEntry(corrected_seq=conviction, occurred_at=at(3), reason="again"))
    with pytest.raises(Refused, match=str(amended)):
        run(c.AmendEntry(corrected_seq=amended, occurred_at=at(3), reason="typo", changes={"reason": "other"}))
    assert verify(held).ok
    assert_rebuild_equal(held)


def test_an_amendment_cannot_give_an_erased_person_personal_data_again(held: Services) -> None:
    run = held.execute
    registered = run(c.RegisterPerson(person_id="p-9", occurred_at=T0, name=SECRET_NAME)).seq
    run(c.ErasePerson(person_id="p-9", occurred_at=at(1), reason=ErasureReason.DATA_SUBJECT_REQUEST))
    with pytest.raises(PersonWasErased, match="p-9"):
        run(c.AmendEntry(corrected_seq=registered, occurred_at=at(2), reason="typo", changes={"name": SECRET_NAME}))
