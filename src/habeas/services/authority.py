"""Who may issue each command: decided once, in the door, from who the caller is and what the state says.

Every command the door executes has one :class:`Rule` in :data:`RULES`: the permission the caller's role needs
(the role table is :mod:`habeas.services.permissions`) and the relation the caller's agency must have to what the
command is about (it holds the person; the record is its own; it is party to the manifest...). The door checks
the rule inside the command's own transaction, so the state it reads is the state the command is decided on.

Callers:

- a user who logged in (the API) has a role: both the role and the relation are checked;
- the command line acting for an agency (``--as OFFICER@AGENCY``) is the deployment's operator speaking for that
  agency: it has no role, so only the relation is checked;
- the system caller (the command line without ``--as``, imports, the demo's set-up) is the deployment's operator
  itself: it is not refused, and every entry it writes names the actor ``system``, so it is visible as such.

``docs/permissions.md`` is generated from this table (``python -m habeas.services.authority``); a test checks
it is current and walks every command, relation and role of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection

from habeas.domain import commands as c
from habeas.domain.actors import SYSTEM, Caller, Role
from habeas.domain.agreements import RecordAgreement
from habeas.domain.authority import Forbidden, NotTheCustodian, NotYours
from habeas.domain.custody import Custodian
from habeas.domain.errors import UnknownRecord
from habeas.domain.incidents import LogAccess, ResolveIncident
from habeas.domain.notifications import RecordNotificationSent
from habeas.domain.return_overrides import OverrideReturnRequired
from habeas.ledger.entry import parse_leaf
from habeas.services import agreements, handoffs, incidents, intake
from habeas.services.access import HANDOFF, INCIDENT, MANIFEST, PERSON, visible
from habeas.services.agreements import country_of
from habeas.services.corrections import correctable
from habeas.services.custody import custody_state
from habeas.services.legal import require_allegation_in_view
from habeas.services.permissions import PERMISSIONS, Permission
from habeas.services.records import FACILITY, one_record
from habeas.storage import ledger_store

Check = Callable[[Connection, Any, Caller], None]


class Relation(StrEnum):
    """What the caller's agency must be to what a command is about (the column of the generated table)."""

    ANYONE = "any agency"
    IN_VIEW = "sees the people, manifest, handoff or incident named"
    CUSTODIAN = "holds the person (custody passes only by a completed dual-signed handoff)"
    UNHELD = "holds the person, or no agency does (an admission is how custody begins); names its own custodian"
    OWNER = "owns the record (its own facility, unit, officer or entry)"
    PARTY = "is a party (its state signed the agreement; it is named on the receipt)"
    OPERATOR = "only the deployment's operator (the command line without --as)"


@dataclass(frozen=True)
class Rule:
    permission: Permission
    relation: Relation
    check: Check | None = None  # None: the relation needs no state (ANYONE, OPERATOR)


def _name(cmd: Any) -> str:
    return type(cmd).__name__


# -- the relations -------------------------------------------------------------------------------------------


def _in_view(conn: Connection, caller: Caller, kind: str, ids: Iterable[str | None]) -> None:
    """Refuse as for an unknown id (so scope does not reveal who exists) a subject outside the caller's view."""
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    seen = visible(conn, caller, kind, wanted)
    for sid in wanted:
        if sid not in seen:
            raise UnknownRecord(kind, sid)


def _holds(conn: Connection, cmd: Any, caller: Caller, person_ids: Iterable[str]) -> None:
    """The caller's agency is the custodian of every person named who has one (held, in transit, or handed over
    and not yet admitted); every person named must be in its view. Who is in view is asked once for them all;
    each person is then refused in the order named, in view first, as one query a person refused them."""
    named = list(person_ids)
    seen = visible(conn, caller, PERSON, [p for p in named if p is not None])
    for person_id in named:
        if person_id is not None and person_id not in seen:
            raise UnknownRecord(PERSON, person_id)
        state = custody_state(conn, person_id)
        if state.custodian is not None and state.custodian.agency_id != caller.agency:
            raise NotTheCustodian(_name(cmd), person_id, caller.agency, state.custodian.agency_id)


def _own_custodian(conn: Connection, cmd: Any, caller: Caller, *, person_id: str, new: Custodian | None,
                   receipt_id: str | None) -> None:
    """A custody step names a custodian of the caller's own agency, unless a completed handoff receipt from the
    caller's agency to the new custodian's agency covers the person."""
    if new is None or new.agency_id == caller.agency:
        return
    receipt = None if receipt_id is None else handoffs.receipt_event(conn, receipt_id)
    if (
        receipt is not None
        and handoffs.handoff_completed(conn, receipt.stream)
        and receipt.releasing.agency_id == caller.agency
        and receipt.receiving.agency_id == new.agency_id
        and person_id in receipt.person_ids
    ):
        return
    raise NotTheCustodian(_name(cmd), person_id, caller.agency, caller.agency, named=new.agency_id)


def _admit(conn: Connection, cmd: c.AdmitToCustody, caller: Caller) -> None:
    # Taking someone into custody (an arrest, a transfer in) needs no earlier record of them by this agency; it
    # is refused only when another agency holds them, who must hand them over by a dual-signed handoff.
    state = custody_state(conn, cmd.person_id)
    if state.custodian is not None and state.custodian.agency_id != caller.agency:
        raise NotTheCustodian(_name(cmd), cmd.person_id, caller.agency, state.custodian.agency_id)
    _own_custodian(conn, cmd, caller, person_id=cmd.person_id, new=cmd.custodian, receipt_id=None)


def _custody_step(conn: Connection, cmd: Any, caller: Caller) -> None:
    _holds(conn, cmd, caller, [cmd.person_id])
    _own_custodian(conn, cmd, caller, person_id=cmd.person_id, new=getattr(cmd, "custodian", None),
                   receipt_id=getattr(cmd, "receipt_id", None))


def _person(*fields: str) -> Check:
    def check(conn: Connection, cmd: Any, caller: Caller) -> None:
        _in_view(conn, caller, PERSON, [getattr(cmd, f) for f in fields])

    return check


def _manifest(conn: Connection, cmd: Any, caller: Caller) -> None:
    _in_view(conn, caller, MANIFEST, [cmd.manifest_id])
    person = getattr(cmd, "person_id", None)
    if person is not None:
        _in_view(conn, caller, PERSON, [person])


def _new_manifest(conn: Connection, cmd: Any, caller: Caller) -> None:
    _in_view(conn, caller, PERSON, [*cmd.people, *cmd.alternates])


def _incident(conn: Connection, cmd: incidents.RecordIncident, caller: Caller) -> None:
    # Anyone who sees the people may report an incident; a death or an escape is also a custody step.
    _in_view(conn, caller, MANIFEST, [cmd.manifest_id])
    if cmd.kind in ("death", "escape"):
        _holds(conn, cmd, caller, cmd.person_ids)
    else:
        _in_view(conn, caller, PERSON, cmd.person_ids)


def _headcount(conn: Connection, cmd: incidents.RecordHeadcount, caller: Caller) -> None:
    _in_view(conn, caller, MANIFEST, [cmd.manifest_id])
    _in_view(conn, caller, PERSON, [*cmd.counted_person_ids, *(cmd.expected_person_ids or ())])


def _resolve(conn: Connection, cmd: ResolveIncident, caller: Caller) -> None:
    _in_view(conn, caller, INCIDENT, [cmd.incident_id])


def _issue_handoff(conn: Connection, cmd: handoffs.IssueHandoff, caller: Caller) -> None:
    if cmd.releasing.agency_id != caller.agency:
        raise NotYours(_name(cmd), f"the releasing side ({cmd.releasing.agency_id})", cmd.releasing.agency_id,
                       caller.agency)
    _holds(conn, cmd, caller, cmd.person_ids)
    _in_view(conn, caller, MANIFEST, [cmd.manifest_id])


def _complete_handoff(conn: Connection, cmd: handoffs.CompleteHandoff, caller: Caller) -> None:
    receipt = handoffs.receipt_event(conn, cmd.receipt_id)
    if receipt is None:
        raise UnknownRecord(HANDOFF, cmd.receipt_id)
    parties = {receipt.releasing.agency_id, receipt.receiving.agency_id}
    if caller.agency not in parties:
        _in_view(conn, caller, HANDOFF, [cmd.receipt_id])  # an outsider learns nothing more than "unknown"
        raise NotYours(_name(cmd), f"handoff {cmd.receipt_id}", " and ".join(sorted(parties)), caller.agency)


def _intake(conn: Connection, cmd: intake.AdmitAtIntake, caller: Caller) -> None:
    person_id = cmd.admission.person_id
    _holds(conn, cmd, caller, [person_id])
    _own_custodian(conn, cmd, caller, person_id=person_id, new=cmd.custodian, receipt_id=cmd.receipt_id)


def _facility_owner(conn: Connection, facility_id: str) -> str:
    found = one_record(conn, FACILITY, facility_id)
    if found is None:
        raise UnknownRecord("facility", facility_id)
    operator = found.body.get("operating_agency_id")
    if operator:
        return str(operator)
    leaf = ledger_store.read_leaf(conn, found.seq)  # no operating agency named: the agency that registered it
    return str(parse_leaf(leaf).get("actor", {}).get("agency")) if leaf is not None else SYSTEM.agency


def _own(cmd: Any, what: str, owner: str, caller: Caller) -> None:
    if owner != caller.agency:
        raise NotYours(_name(cmd), what, owner, caller.agency)


def _facility(conn: Connection, cmd: c.RegisterFacility, caller: Caller) -> None:
    _own(cmd, f"a facility operated by {cmd.operating_agency_id}", cmd.operating_agency_id or caller.agency, caller)


def _unit(conn: Connection, cmd: c.RegisterUnit, caller: Caller) -> None:
    _own(cmd, f"facility {cmd.facility_id}", _facility_owner(conn, cmd.facility_id), caller)


def _officer(conn: Connection, cmd: c.RegisterOfficer, caller: Caller) -> None:
    _own(cmd, f"an officer of {cmd.agency_id}", cmd.agency_id, caller)


def _entry(conn: Connection, cmd: c.AmendEntry | c.RetractEntry, caller: Caller) -> None:
    correctable(conn, caller, cmd.corrected_seq)


def _allegation(conn: Connection, cmd: c.ChangeAllegationStatus, caller: Caller) -> None:
    require_allegation_in_view(conn, caller, cmd.allegation_id)


def _agreement(conn: Connection, cmd: RecordAgreement, caller: Caller) -> None:
    a = cmd.agreement
    if country_of(conn, caller.agency) not in (a.sending_state, a.receiving_state):
        raise NotYours(_name(cmd), f"an agreement between {a.sending_state} and {a.receiving_state}",
                       f"{a.sending_state} and {a.receiving_state}", caller.agency)


def _invoice(conn: Connection, cmd: agreements.IssueInvoice, caller: Caller) -> None:
    agreements.party_agreement(conn, caller, cmd.agreement_id)  # UnknownRecord to a state not party to it


def _notification(conn: Connection, cmd: RecordNotificationSent, caller: Caller) -> None:
    _in_view(conn, caller, PERSON, [cmd.person_id])


# -- the table -----------------------------------------------------------------------------------------------

P, R = Permission, Relation
_LEGAL = Rule(P.LEGAL_WRITE, R.IN_VIEW, _person("person_id"))
_CUSTODY = Rule(P.CUSTODY_WRITE, R.CUSTODIAN, _custody_step)
_MANIFEST = Rule(P.MANIFEST_WRITE, R.IN_VIEW, _manifest)

RULES: dict[type[c.Command], Rule] = {
    # people
    c.RegisterPerson: Rule(P.PEOPLE_WRITE, R.ANYONE),
    c.MergePersons: Rule(P.PEOPLE_WRITE, R.IN_VIEW, _person("person_id", "duplicate_id")),
    c.ErasePerson: Rule(P.PEOPLE_WRITE, R.IN_VIEW, _person("person_id")),
    c.AmendEntry: Rule(P.PEOPLE_WRITE, R.OWNER, _entry),
    c.RetractEntry: Rule(P.PEOPLE_WRITE, R.OWNER, _entry),
    c.RecordAdmission: Rule(P.ADMISSION_WRITE, R.CUSTODIAN, lambda conn, cmd, who: _holds(conn, cmd, who,
                                                                                          [cmd.person_id])),
    # legal records
    c.RecordAllegation: _LEGAL,
    c.RecordConviction: _LEGAL,
    c.ChangeAllegationStatus: Rule(P.LEGAL_WRITE, R.IN_VIEW, _allegation),
    c.RecordRemovalOrder: _LEGAL,
    c.RecordProtection: _LEGAL,
    c.RecordStay: _LEGAL,
    c.RecordNotice: _LEGAL,
    c.RecordCounsel: _LEGAL,
    c.RecordConsularNotification: _LEGAL,
    c.RecordFitnessToTravel: _LEGAL,
    c.RecordCourtOrder: Rule(P.LEGAL_WRITE, R.ANYONE),
    # custody
    c.AdmitToCustody: Rule(P.CUSTODY_WRITE, R.UNHELD, _admit),
    c.DepartOnLeg: _CUSTODY,
    c.ArriveAtFacility: _CUSTODY,
    c.Rehouse: _CUSTODY,
    c.HandOver: _CUSTODY,
    c.Release: _CUSTODY,
    c.Remove: _CUSTODY,
    c.ReassignCustodian: _CUSTODY,
    c.ChangeAuthority: _CUSTODY,
    # reference data
    c.RegisterAgency: Rule(P.AGENCY_WRITE, R.OPERATOR),
    c.RegisterOfficer: Rule(P.AGENCY_WRITE, R.OWNER, _officer),
    c.RegisterFacility: Rule(P.REFERENCE_WRITE, R.OWNER, _facility),
    c.RegisterUnit: Rule(P.REFERENCE_WRITE, R.OWNER, _unit),
    # the operation
    c.PlanJourney: Rule(P.MANIFEST_WRITE, R.IN_VIEW, _new_manifest),
    c.CreateManifest: Rule(P.MANIFEST_WRITE, R.IN_VIEW, _new_manifest),
    c.AddToManifest: _MANIFEST,
    c.StrikeFromManifest: _MANIFEST,
    c.PromoteAlternate: _MANIFEST,
    c.ClearManifest: _MANIFEST,
    c.RecordGateResults: _MANIFEST,
    c.RequireReclearance: _MANIFEST,
    c.BeginBoarding: _MANIFEST,
    c.Depart: _MANIFEST,
    c.Arrive: _MANIFEST,
    c.HandOverManifest: _MANIFEST,
    c.CloseManifest: _MANIFEST,
    c.HaltManifest: _MANIFEST,
    c.ReturnManifest: _MANIFEST,
    c.CancelManifest: _MANIFEST,
    handoffs.IssueHandoff: Rule(P.HANDOFF_WRITE, R.CUSTODIAN, _issue_handoff),
    handoffs.CompleteHandoff: Rule(P.HANDOFF_SIGN, R.PARTY, _complete_handoff),
    intake.AdmitAtIntake: Rule(P.INTAKE_WRITE, R.CUSTODIAN, _intake),
    incidents.RecordHeadcount: Rule(P.HEADCOUNT_WRITE, R.IN_VIEW, _headcount),
    incidents.RecordIncident: Rule(P.INCIDENT_WRITE, R.CUSTODIAN, _incident),
    ResolveIncident: Rule(P.INCIDENT_WRITE, R.IN_VIEW, _resolve),
    LogAccess: Rule(P.INCIDENT_WRITE, R.IN_VIEW, _person("person_id")),
    RecordNotificationSent: Rule(P.NOTIFICATION_WRITE, R.IN_VIEW, _notification),
    RecordAgreement: Rule(P.AGREEMENT_WRITE, R.PARTY, _agreement),
    agreements.IssueInvoice: Rule(P.AGREEMENT_WRITE, R.PARTY, _invoice),
    # going ahead though an order requires the people's return: a legal decision of the agency holding them
    OverrideReturnRequired: Rule(P.LEGAL_WRITE, R.CUSTODIAN, lambda conn, cmd, who: _holds(conn, cmd, who,
                                                                                         cmd.person_ids)),
}


def authorise(conn: Connection, cmd: c.Command, caller: Caller) -> None:
    """Refuse the command unless the caller may issue it now (see the module's docstring for who is checked)."""
    if caller.agency == SYSTEM.agency:
        return
    rule = RULES.get(type(cmd))
    if rule is None:  # a command with no rule is a wiring mistake, never a command anyone may issue
        raise TypeError(f"no authorisation rule for {_name(cmd)}")
    if caller.role is not None and caller.role not in PERMISSIONS[rule.permission]:
        raise Forbidden(_name(cmd), caller.role.value, rule.permission.value)
    if rule.relation is Relation.OPERATOR:
        raise NotYours(_name(cmd), "the register of agencies", "the deployment's operator (`habeas agency add`)",
                       caller.agency)
    if rule.check is not None:
        rule.check(conn, cmd, caller)


# -- the table, as people read it ------------------------------------------------------------------------------


def permission_rows() -> list[tuple[str, str, str, str]]:
    """One row a command: its name, the permission, the roles that hold it, the relation the agency needs."""
    return [
        (cmd.__name__, rule.permission.value, ", ".join(r.value for r in Role if r in PERMISSIONS[rule.permission]),
         rule.relation.value)
        for cmd, rule in sorted(RULES.items(), key=lambda item: (item[1].permission.value, item[0].__name__))
    ]


def permission_markdown() -> str:
    """``docs/permissions.md``: generated from :data:`RULES` and the role table (a test keeps it current)."""
    lines = [
        "# Who may issue each command",
        "",
        "Generated from `src/habeas/services/authority.py` and `src/habeas/services/permissions.py` by",
        "`habeas permissions --markdown > docs/permissions.md`; a test fails when this file is out of date.",
        "",
        "Every command goes through the door (`Services.execute`), which checks, in the command's own transaction:",
        "the caller's **role** holds the permission (a user who logged in; the command line has no role), and the",
        "caller's **agency** has the relation to what the command is about. The deployment's operator (the command",
        "line without `--as`) is not refused; every entry it writes names the actor `system`.",
        "",
        "A refusal is 403 with `forbidden` (the role), `not-the-custodian` (another agency holds the person) or",
        "`not-yours` (another agency's record), or 404 when the person, manifest, handoff or incident is outside",
        "the agency's view (the same answer as an unknown id).",
        "",
        "| command | permission | roles | the caller's agency |",
        "|---|---|---|---|",
    ]
    lines += [f"| {name} | `{perm}` | {roles} | {relation} |" for name, perm, roles, relation in permission_rows()]
    return "\n".join(lines) + "\n"
