"""The reads the command path makes straight to the driver answer as the Core queries they replaced.

Issue 12 (the ICE Air replay's speed): who an agency sees (``access.visible``, asked by the door of nearly every
command), which cleared or in-flight manifests a person is aboard (``clearance._manifests_with``, asked at every
legal record) and who a headcount expects (``manifests.manifest_people``, which folded the manifest's stream)
moved off SQLAlchemy's expression path; a manifest's state decodes each gate row once a process. Each is compared
here with what it replaced, on the small operation of tests/integration/operation_world.py at several points of
a flight, on SQLite and PostgreSQL; and the custody check, now asking who is in view once for all the people a
command names, still refuses the first person named in the order named. Everyone is synthetic.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Connection, and_, select

from habeas.domain import commands as c
from habeas.domain.actors import Caller
from habeas.domain.authority import NotTheCustodian
from habeas.domain.errors import UnknownRecord
from habeas.domain.handoffs import receipt_bytes
from habeas.domain.incidents import Checkpoint
from habeas.domain.manifest_events import ManifestStatus
from habeas.services import access, clearance
from habeas.services.door import Services
from habeas.services.handoffs import CompleteHandoff, IssueHandoff, handoff_receipt
from habeas.services.incidents import RecordHeadcount
from habeas.services.manifests import manifest_from_log, manifest_people, manifest_state
from habeas.storage.projections.manifests import ABOARD, load_manifest, manifest, manifest_person
from habeas.storage.projections.scope import scope
from tests.integration.operation_world import (
    ESCORT,
    LEAD,
    PEOPLE,
    RECEIVER,
    SV,
    TRANSFER,
    US,
    World,
    custodian,
    write_pack,
)

KINDS = (access.PERSON, access.MANIFEST, access.HANDOFF, access.INCIDENT)


@pytest.fixture
def world(make_services: Callable[..., Services], tmp_path: Path) -> Iterator[World]:
    w = World(make_services(pack=write_pack(tmp_path)))
    w.setup()
    try:
        yield w
    finally:
        w.close()


# -- the queries replaced, as they were ---------------------------------------------------------------------------


def visible_before(conn: Connection, caller: Caller, kind: str, subject_ids: Sequence[str]) -> set[str]:
    ids = sorted(set(subject_ids))
    if not ids:
        return set()
    rows = conn.execute(select(scope.c.subject_id).where(
        and_(scope.c.agency_id == caller.agency, scope.c.subject_kind == kind, scope.c.subject_id.in_(ids))))
    return {r.subject_id for r in rows}


def manifests_with_before(conn: Connection, statuses: frozenset[ManifestStatus], person_id: str | None) -> list[str]:
    query = select(manifest.c.manifest_id).where(manifest.c.status.in_([s.value for s in statuses]))
    if person_id is not None:
        query = query.join(manifest_person, manifest_person.c.manifest_id == manifest.c.manifest_id).where(
            manifest_person.c.person_id == person_id, manifest_person.c.role == ABOARD
        )
    return [r.manifest_id for r in conn.execute(query.order_by(manifest.c.manifest_id))]


# -- the comparison ---------------------------------------------------------------------------------------------


def _compare(w: World) -> None:
    def check(conn: Connection) -> None:
        subjects = {kind: [r.subject_id for r in conn.execute(select(scope.c.subject_id).where(
            scope.c.subject_kind == kind))] for kind in KINDS}
        many = [f"p-unknown-{i:04d}" for i in range(620)]  # more than one chunk of ids
        for agency, kind in itertools.product((US, SV, "ag-none"), KINDS):
            caller = Caller(agency=agency, officer="o")
            for ids in ([], subjects[kind], [*subjects[kind], "nobody"], [*many, *subjects[kind], *subjects[kind]],
                        *([s] for s in subjects[kind])):
                assert access.visible(conn, caller, kind, ids) == visible_before(conn, caller, kind, ids)
        statuses = list(ManifestStatus)
        for n in (1, 2, 3, len(statuses)):
            for group in itertools.combinations(statuses, n):
                wanted = frozenset(group)
                for person in (None, *PEOPLE, "nobody"):
                    got = clearance._manifests_with(conn, wanted, person)
                    assert got == manifests_with_before(conn, wanted, person), (wanted, person)
        for manifest_id in ("m-0", "m-none"):
            folded = manifest_from_log(conn, manifest_id)
            assert manifest_people(conn, manifest_id) == (None if folded is None else folded.people)
            assert manifest_state(conn, manifest_id) == load_manifest(conn, manifest_id) == folded
            assert manifest_state(conn, manifest_id, with_results=False) == load_manifest(
                conn, manifest_id, with_results=False)

    w.services.read(check)


def _handed_over(w: World) -> None:
    """m-0 cleared, boarded, flown to San Salvador; p-0..p-2 handed over to SV on a completed receipt."""
    w.step(c.ClearManifest(manifest_id="m-0", occurred_at=w.now()), LEAD)
    w.step(c.BeginBoarding(manifest_id="m-0", occurred_at=w.now()), LEAD)
    _compare(w)
    for p in PEOPLE[:3]:
        w.step(c.DepartOnLeg(person_id=p, occurred_at=w.now(), leg_id="leg-0", custodian=custodian(ESCORT)), ESCORT)
    w.step(c.Depart(manifest_id="m-0", occurred_at=w.now()), LEAD)
    w.step(c.Arrive(manifest_id="m-0", occurred_at=w.now()), LEAD)
    _compare(w)
    w.step(RecordHeadcount(headcount_id="hc-arrival", manifest_id="m-0", checkpoint=Checkpoint.ARRIVAL,
                           occurred_at=w.now(), counted_person_ids=PEOPLE[:3]), LEAD)  # expects m-0's people
    w.step(IssueHandoff(receipt_id="r-1", person_ids=PEOPLE[:3], releasing=custodian(ESCORT),
                        receiving=custodian(RECEIVER), place_id="mslp-apron", country="SV", at=w.now(),
                        authority=TRANSFER, manifest_id="m-0"), ESCORT)
    message = receipt_bytes(w.services.read(handoff_receipt, "r-1"))
    w.step(CompleteHandoff(receipt_id="r-1", releasing_signature=w.keys[ESCORT.officer].sign(message),
                           receiving_signature=w.keys[RECEIVER.officer].sign(message)), RECEIVER)


def test_the_direct_reads_answer_as_the_queries_they_replaced(world: World) -> None:
    _compare(world)
    _handed_over(world)
    _compare(world)


def test_the_custody_check_refuses_the_first_person_named_as_before(world: World) -> None:
    w = world
    _handed_over(w)  # US still sees p-0 (it held them) but SV holds them now; nobody sees p-nobody

    def handoff(*people: str) -> IssueHandoff:
        return IssueHandoff(receipt_id="r-2", person_ids=people, releasing=custodian(ESCORT),
                            receiving=custodian(RECEIVER), place_id="mslp-apron", country="SV", at=w.now(),
                            authority=TRANSFER, manifest_id="m-0")

    held_elsewhere = w.run(handoff("p-0", "p-nobody"), ESCORT)
    assert isinstance(held_elsewhere, NotTheCustodian)
    assert "p-0" in str(held_elsewhere)
    unseen = w.run(handoff("p-nobody", "p-0"), ESCORT)
    assert isinstance(unseen, UnknownRecord)
    assert "p-nobody" in str(unseen)
    assert isinstance(w.run(handoff("p-3", "p-1"), ESCORT), NotTheCustodian)  # p-3 held by US: p-1 refuses
    assert not isinstance(w.run(handoff("p-3", "p-4"), ESCORT), UnknownRecord | NotTheCustodian)
