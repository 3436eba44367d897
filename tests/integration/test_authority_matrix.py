"""Who may issue what, walked over every command: command × the caller agency's relation × role.

The expectations come from the tables, not from the code that applies them: a role may issue a command exactly
when ``PERMISSIONS`` gives it the command's permission, and an agency with no relation at all to the people and
records (a third state's agency that sees nothing) is refused every command except those any agency may issue.

The commands are the seed operation's own (the demo, run through the door as the agencies' officers): each time
one is about to be authorised, inside its transaction, the same command is tried as every role of its agency and
as the third agency. The commands the operation never issues are then built against the state it left and tried
the same way. Every command of the table is walked.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

import habeas.services.authority as authority_module  # the door imports authorise from here at each command
from habeas.bootstrap import init, open_services
from habeas.demo import operation
from habeas.demo import world as w
from habeas.demo.ground import write_ground_pack
from habeas.domain import commands as c
from habeas.domain.actors import SYSTEM_CALLER, Caller, Role
from habeas.domain.allegations import AllegationStatus
from habeas.domain.authority import Forbidden
from habeas.domain.corrections import ErasureReason
from habeas.domain.custody import Authority, Custodian, CustodyStatus
from habeas.domain.errors import UnknownRecord
from habeas.domain.identity import IdentityMatch
from habeas.domain.incidents import AccessPurpose, IncidentKind, LogAccess, ResolveIncident
from habeas.domain.manifest_events import CancelReason, HaltReason, LapseCause, ReturnReason
from habeas.domain.periods import Period
from habeas.domain.return_overrides import OverrideReturnRequired
from habeas.services import agreements, authority, incidents, notifications
from habeas.services.authority import RULES, Relation, authorise
from habeas.services.permissions import PERMISSIONS
from habeas.storage.projections.custody import custody
from habeas.storage.projections.incidents import incident
from habeas.storage.projections.schema import record
from tests.conftest import Db

THIRD = "agency-mx-inm"  # registered, of a third state, and party to nothing
SAMPLES_PER_COMMAND = 3  # of the demo's commands: the first few of each kind (261 admissions add nothing)


def check(conn: Connection, cmd: Any, related: Caller) -> None:
    """``cmd`` as every role of the related agency, as its command line, and as the third agency."""
    rule = RULES[type(cmd)]
    allowed = PERMISSIONS[rule.permission]
    if rule.relation is Relation.OPERATOR:  # no agency is related: every agency's every role is refused
        for agency in (related.agency, THIRD):
            for role in (*Role, None):
                with pytest.raises(Forbidden) as refused:
                    authorise(conn, cmd, Caller(agency=agency, officer="o", role=role))
                assert (type(refused.value) is Forbidden) == (role is not None and role not in allowed)
        authorise(conn, cmd, SYSTEM_CALLER)
        return
    for role in Role:
        caller = Caller(agency=related.agency, officer=related.officer, role=role, user_id="u")
        if role in allowed:
            authorise(conn, cmd, caller)
        else:
            with pytest.raises(Forbidden) as refused:
                authorise(conn, cmd, caller)
            assert type(refused.value) is Forbidden, f"{type(cmd).__name__} as {role}: {refused.value}"
    authorise(conn, cmd, Caller(agency=related.agency, officer=related.officer))  # its command line
    for role in (*sorted(allowed), None):
        stranger = Caller(agency=THIRD, officer="officer-mx-1", role=role)
        if rule.relation is Relation.ANYONE:
            authorise(conn, cmd, stranger)
            continue
        with pytest.raises((UnknownRecord, Forbidden)) as refused:
            authorise(conn, cmd, stranger)
        assert type(refused.value) is not Forbidden, f"{type(cmd).__name__}: a permitted role refused as a role"


@pytest.fixture
def walked(db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, collections.Counter[str]]]:
    """The seed operation, each of its commands checked as it is authorised; then the services."""
    init(db.settings, "test.habeas/authority", schema=db.schema)
    pack = write_ground_pack(tmp_path)
    services = open_services(db.settings, schema=db.schema, extra_packs=(str(pack),))
    services.execute(c.RegisterAgency(agency_id=THIRD, occurred_at=w.SETUP_AT, name="Third state", country="MX",
                                      kind="immigration"))
    walked: collections.Counter[str] = collections.Counter()
    real = authority_module.authorise

    def walking(conn: Connection, cmd: Any, caller: Caller) -> None:
        name = type(cmd).__name__
        if caller.agency != SYSTEM_CALLER.agency and walked[name] < SAMPLES_PER_COMMAND:
            check(conn, cmd, caller)
            walked[name] += 1
        real(conn, cmd, caller)

    monkeypatch.setattr(authority_module, "authorise", walking)
    operation.run(services, ground_pack=pack)
    monkeypatch.setattr(authority_module, "authorise", real)
    try:
        yield services, walked
    finally:
        services.close()


def _held_by(conn: Connection, agency: str) -> list[str]:
    rows = conn.execute(select(custody.c.person_id).where(
        custody.c.custodian_agency == agency, custody.c.status == CustodyStatus.IN_CUSTODY.value,
    ).order_by(custody.c.person_id))
    return [r.person_id for r in rows]


def _the_rest(conn: Connection) -> Iterator[tuple[Any, Caller]]:
    """A command of each kind the operation does not issue, with the agency related to it after the operation."""
    us, sv = Caller.of(w.COORDINATOR.actor), Caller.of(w.INTAKE.actor)
    at = w.INTAKE_AT + timedelta(days=1)
    [p_us, p_us2, *_] = _held_by(conn, w.US_AGENCY.agency_id)  # struck from the flight: still held in Texas
    p_sv = _held_by(conn, w.SV_AGENCY.agency_id)[0]  # at CECOT
    sv_officer = Custodian(agency_id=w.SV_AGENCY.agency_id, officer_id=w.INTAKE.officer_id)
    sv_authority = Authority(agency_id=w.SV_AGENCY.agency_id, legal_basis=w.TRANSFER_BASIS)
    cecot, unit = w.MEGA_PRISON.facility_id, w.MEGA_PRISON.units[0].unit_id
    allegation = conn.execute(select(record.c.record_id, record.c.seq).where(
        record.c.kind == "allegation", record.c.person_id == p_us)).first()
    assert allegation is not None
    an_incident = conn.execute(select(incident.c.incident_id).order_by(incident.c.seq)).first()
    assert an_incident is not None
    year = Period(active_from=at, active_to=at + timedelta(days=365))
    yield c.ArriveAtFacility(person_id=p_sv, occurred_at=at, facility_id=cecot, unit_id=unit, custodian=sv_officer,
                             authority=sv_authority), sv
    yield c.Rehouse(person_id=p_sv, occurred_at=at, unit_id=unit), sv
    yield c.ReassignCustodian(person_id=p_sv, occurred_at=at, custodian=sv_officer), sv
    yield c.ChangeAuthority(person_id=p_sv, occurred_at=at, authority=sv_authority), sv
    yield c.HandOver(person_id=p_sv, occurred_at=at, country="SV", custodian=sv_officer, authority=sv_authority), sv
    yield c.Release(person_id=p_sv, occurred_at=at, reason="sentence"), sv
    yield c.Remove(person_id=p_sv, occurred_at=at, country="VE"), sv
    yield c.RecordAdmission(person_id=p_sv, admission_id="adm-x", facility_id=cecot, occurred_at=at,
                            commitment_authority="x"), sv
    yield incidents.RecordIncident(incident_id="inc-x", kind=IncidentKind.INJURY, person_ids=(p_sv,),
                                   occurred_at=at), sv
    yield incidents.RecordIncident(incident_id="inc-d", kind=IncidentKind.DEATH, person_ids=(p_sv,),
                                   occurred_at=at), sv
    yield ResolveIncident(incident_id=an_incident.incident_id, occurred_at=at, reason="resolved"), us
    yield LogAccess(access_id="acc-x", person_id=p_sv, occurred_at=at, purpose=AccessPurpose.LEGAL_VISIT), sv
    yield notifications.RecordNotificationSent(notification_id="n-x", person_id=p_us, occurred_at=at,
                                               channel="phone"), us
    yield c.RecordCounsel(counsel_id="co-x", person_id=p_us, occurred_at=at, name="x", appearance_filed=True,
                          period=year), us
    yield c.RecordStay(stay_id="st-x", person_id=p_us, occurred_at=at, granted_by="x", period=year), us
    yield c.ChangeAllegationStatus(allegation_id=allegation.record_id, occurred_at=at,
                                   to_status=AllegationStatus.WITHDRAWN), us
    yield c.MergePersons(person_id=p_us, duplicate_id=p_us2, occurred_at=at, basis=IdentityMatch.MANUAL_REVIEW), us
    yield c.ErasePerson(person_id=p_us, occurred_at=at, reason=ErasureReason.COURT_ORDER), us
    yield c.AmendEntry(corrected_seq=int(allegation.seq), occurred_at=at, reason="typo", changes={}), us
    yield c.RetractEntry(corrected_seq=int(allegation.seq), occurred_at=at, reason="error"), us
    yield agreements.IssueInvoice(agreement_id=w.AGREEMENT, invoice_id="inv-x", period=year), sv
    yield c.RegisterAgency(agency_id="agency-x", occurred_at=at, name="X", country="US", kind="police"), us
    yield c.AddToManifest(manifest_id=w.MANIFEST, occurred_at=at, person_id=p_us), us
    yield c.PlanJourney(journey_id="jr-x", legs=(), manifest_ids=(), occurred_at=at, people=(p_us,)), us
    for make, reason in ((c.HaltManifest, HaltReason.COURT_ORDER), (c.CancelManifest, CancelReason.COURT_ORDER),
                         (c.ReturnManifest, ReturnReason.COURT_ORDER)):
        yield make(manifest_id=w.MANIFEST, occurred_at=at, reason=reason), us
    yield c.RecordGateResults(manifest_id=w.MANIFEST, occurred_at=at), us
    yield OverrideReturnRequired(override_id="ov-x", order_id="co-tro-oral", person_ids=(p_us,),
                                 officer_id=w.LEGAL.officer_id, reason="x", occurred_at=at), us
    yield c.RequireReclearance(manifest_id=w.MANIFEST, occurred_at=at, cause=LapseCause.POLICY_CHANGED), us


def test_every_command_is_authorised_by_role_and_by_relation(
    walked: tuple[Any, collections.Counter[str]],
) -> None:
    services, seen = walked

    def rest(conn: Connection) -> None:
        for cmd, related in _the_rest(conn):
            check(conn, cmd, related)
            seen[type(cmd).__name__] += 1

    services.read(rest)
    assert sorted(t.__name__ for t in RULES if not seen[t.__name__]) == []


def test_the_table_covers_every_command_the_door_runs() -> None:
    from habeas.wiring import HANDLERS

    assert set(RULES) == set(HANDLERS)
    for cmd, rule in RULES.items():  # a relation that reads the state has a check; the other two need none
        assert (rule.check is None) == (rule.relation in (Relation.ANYONE, Relation.OPERATOR)), cmd.__name__


def test_docs_permissions_is_generated_from_the_table() -> None:
    docs = Path(__file__).parents[2] / "docs" / "permissions.md"
    assert docs.read_text(encoding="utf-8") == authority.permission_markdown(), (
        "docs/permissions.md is out of date: run `habeas permissions --markdown > docs/permissions.md`"
    )

