"""Who may do what (the permission table, pinned) and who may see what (the scope projection's rules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from habeas.domain.actors import Role
from habeas.domain.custody import Authority, Custodian, CustodyChanged, CustodyStatus, CustodyTransition
from habeas.domain.events import EventType, event_from
from habeas.services.permissions import PERMISSIONS, Permission, allowed
from habeas.storage.projections.scope import HANDOFF, MANIFEST, PERSON, subjects_and_agencies

T = datetime(2025, 3, 15, tzinfo=UTC)

# The matrix as the issue and DESIGN.md's users table read: written out here, so a change to the table in code
# is a deliberate change to this test too. c=coordinator l=legal e=escort i=intake a=auditor A=admin
# o=oversight (an independent auditor: reads the access log, the locator's searches included, and no personal data)
EXPECTED = {
    "records.read": "cleiaAo",
    "people.read": "cleiaA ",
    "people.write": "c    A ",
    "admission.write": "c  i A ",
    "legal.write": " l    A",
    "custody.write": "c ei A ",
    "reference.write": "c    A ",
    "agency.write": "     A ",
    "manifest.write": "c    A ",
    "headcount.write": "c ei A ",
    "handoff.write": "c e  A ",
    "handoff.sign": "  ei A ",
    "intake.write": "   i A ",
    "incident.write": "c ei A ",
    "notification.write": "cl   A ",
    "agreement.read": "c   aA ",
    "agreement.write": "c    A ",
    "feed.read": "cleiaAo",
    "access_log.read": "    aAo",
    "accounts.admin": "     A ",
}
LETTER = {"c": Role.COORDINATOR, "l": Role.LEGAL, "e": Role.ESCORT, "i": Role.INTAKE, "a": Role.AUDITOR,
          "A": Role.ADMIN, "o": Role.OVERSIGHT}


def test_every_permission_is_in_the_expected_matrix() -> None:
    assert set(EXPECTED) == {p.value for p in Permission} == {p.value for p in PERMISSIONS}


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", list(Role))
def test_the_permission_table_matches_the_matrix(permission: Permission, role: Role) -> None:
    expected = {LETTER[ch] for ch in EXPECTED[permission.value] if ch != " "}
    assert allowed(role, permission) is (role in expected)


def test_the_auditor_writes_nothing() -> None:
    writes = [p for p in Permission if p.value.endswith((".write", ".sign"))]
    assert writes
    assert not any(allowed(Role.AUDITOR, p) for p in writes)


def test_a_custody_change_puts_the_person_in_view_of_custodian_and_authority() -> None:
    event = CustodyChanged(
        stream="p-1", occurred_at=T, transition=CustodyTransition.ADMIT, from_status=CustodyStatus.NOT_HELD,
        to_status=CustodyStatus.IN_CUSTODY, facility_id="f-1", unit_id="u-1",
        custodian=Custodian(agency_id="ag-b", officer_id="o-1"),
        authority=Authority(agency_id="ag-c", legal_basis="ina_241"),
    )
    subjects, agencies = subjects_and_agencies(event)
    assert subjects == {(PERSON, "p-1")}
    assert agencies == {"ag-b", "ag-c"}


def test_a_handoff_receipt_names_its_people_its_manifest_and_both_agencies() -> None:
    # Decoded from its public body, as the feed and a rebuild see it.
    body = {
        "person_ids": ["p-1", "p-2"], "items": [],
        "releasing": {"agency_id": "ag-a", "officer_id": "o-a"},
        "receiving": {"agency_id": "ag-b", "officer_id": "o-b"},
        "place_id": "f-1", "country": "SV",
        "authority": {"agency_id": "ag-b", "legal_basis": "agreement", "record_id": None},
        "manifest_id": "m-1",
    }
    public = {"occurred_at": "2025-03-15T00:00:00Z", **body}
    event = event_from(EventType.HANDOFF_RECEIPT_ISSUED.value, "r-1", public, None)
    subjects, agencies = subjects_and_agencies(event)
    assert {(PERSON, "p-1"), (PERSON, "p-2"), (MANIFEST, "m-1"), (HANDOFF, "r-1")} <= subjects
    assert {"ag-a", "ag-b"} <= agencies
