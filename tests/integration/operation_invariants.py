"""DESIGN.md's invariants 1 to 7 as executable checks over the projections and the log, run after every step of
the stateful test of the whole operation (test_operation_state_machine.py) and of its regressions.

1. Every person is in exactly one well-formed custody state (the state's constructor refuses one without its place,
   custodian or authority), with a registered custodian of that agency and a registered unit; nobody is held who
   is not registered; and nobody is in two places: off a leg (arrived, admitted, handed over, on another leg)
   while the manifest that has them aboard is still en route (a death or an escape in transit is an incident).
2. The projections equal a replay of the log: an in-memory database that applies each new entry as the unit of
   work did; ``rebuild_check`` too after an erasure (whose effect on earlier entries that replay cannot see) and
   at the end of each run. A refusal, which appends nothing, therefore changed nothing.
3. The log verifies (``Services.verify``) and holds exactly the entries the steps appended.
4. Nobody departs while a gate blocks them. A person who departs on a leg a manifest carries is aboard it, the
   manifest is cleared (or boarding, or departed), their recorded gate results pass, and so does every gate of the
   pack evaluated on the records as they stood just before the step; a manifest departs only with everyone aboard
   (held here) on its leg and every one of them past the same gates.
5. Every count reconciles or opens an incident; custody never passes on a handoff for a person whose latest count
   found them missing while that discrepancy is open.
6. No unit holds more people than its capacity computed from its floor area (the pack's standard), beyond those
   placed in it on a recorded override.
7. Each signed checkpoint is consistent with the one before it, which is still the one signed at its size.

Each check raises from its own line, so that Hypothesis tells the invariants apart and reports each one it finds
broken; the message names the invariant and ends with the last steps that ran.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, create_engine, select
from sqlalchemy.pool import StaticPool

from habeas.domain import commands as c
from habeas.domain.corrections import PersonErased
from habeas.domain.custody import Authority, Custodian, CustodyChanged, CustodyState, CustodyStatus, CustodyTransition
from habeas.domain.errors import InvalidField
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.facilities import computed_capacity
from habeas.domain.handoff_events import HandoffCompleted
from habeas.domain.headcounts import HeadcountRecorded
from habeas.domain.manifest_events import ManifestDeparted, ManifestStatus
from habeas.domain.manifest_state import Manifest
from habeas.domain.values import parse_utc
from habeas.gates.evaluate import evaluate
from habeas.ledger.checkpoint import parse_checkpoint
from habeas.ledger.entry import parse_leaf
from habeas.ledger.merkle import ProofError, verify_consistency
from habeas.ledger.note import open_note
from habeas.services import legal_state, rebuild
from habeas.services.custody import custody_state
from habeas.services.door import Services
from habeas.services.intake import housing_areas
from habeas.services.manifests import manifest_state
from habeas.storage import ledger_store
from habeas.storage.projections import catalog as projections
from habeas.storage.projections.custody import custody
from habeas.storage.projections.incidents import incident
from habeas.storage.projections.intake import capacity_override
from habeas.storage.projections.manifests import manifest
from habeas.storage.projections.people import person
from habeas.storage.projections.schema import KIND, record
from habeas.wiring import projector

S = ManifestStatus
MAY_DEPART = (S.CLEARED, S.BOARDING, S.DEPARTED)  # a manifest's states its people may depart on its leg in
EN_ROUTE = (S.DEPARTED, S.HALTED)  # nobody aboard leaves the leg in these
DEPARTING = (c.DepartOnLeg, c.Depart)  # the commands before which the gates are evaluated
INCIDENTS = (CustodyTransition.ESCAPE, CustodyTransition.DIE)

Blocked = dict[str, frozenset[str]]  # manifest -> the people aboard whom the pack's gates block


class Invariants:
    def __init__(self, services: Services, trace: list[str]) -> None:
        self.services = services
        self.trace = trace  # what ran, one line a command (World.run writes it)
        self.verifier = services.ledger.signer.verifier()
        self.replay_engine = create_engine("sqlite://", poolclass=StaticPool)
        self.replay = self.replay_engine.connect()
        projections.create_projections(self.replay)
        self.replay.commit()
        self.replayed: dict[str, list[tuple[Any, ...]]] = {}  # the replay's projections, as of the last entry
        self.size = 0  # entries checked so far
        self.checkpoint: tuple[int, bytes, str] | None = None  # the last checkpoint seen: size, root, signed note
        self.custody: dict[str, CustodyChanged] = {}  # person -> their last custody entry
        self.last_count: dict[str, tuple[bool, str | None]] = {}  # person -> (missing?, incident) at their last count
        self.blocked_before: Blocked | None = None

    def close(self) -> None:
        self.replay.close()
        self.replay_engine.dispose()

    def broken(self, invariant: int, message: str) -> AssertionError:
        steps = "\n  ".join(self.trace[-30:])
        return AssertionError(f"invariant {invariant}: {message}\nlast steps:\n  {steps}")

    def before(self, cmd: Any) -> None:
        """Before a command that may depart someone: whom the gates block on the records as they stand."""
        self.blocked_before = self.services.read(self._blocked) if isinstance(cmd, DEPARTING) else None

    def _blocked(self, conn: Connection) -> Blocked:
        out = {}
        for m in _manifests(conn):
            if m.status in MAY_DEPART and m.people:
                policy, at = self.services.packs.for_leg(m.leg.origin_country), m.leg.scheduled_departure
                states = legal_state.manifest_legal_states(conn, m.people, m.leg, at)
                out[m.manifest_id] = frozenset(
                    p for p, s in states.items() if any(r.blocks for r in evaluate(s, m.leg, policy, at))
                )
        return out

    # -- after each step -------------------------------------------------------------------------------------

    def check(self) -> None:
        blocked, self.blocked_before = self.blocked_before, None
        with self.services.ledger.engine.connect() as conn:
            events = self._catch_up(conn)
            self._one_state_each(conn)
            manifests = _manifests(conn) if events else []
            for seq, e in events:
                self._one_place(manifests, seq, e)
                self._no_departure_past_a_gate(conn, manifests, seq, e, blocked)
                self._reconciled(conn, seq, e)
            self._within_capacity(conn)
            if not self.replayed:
                self.replayed = projections.dump(self.replay)
            differences = rebuild.compare(projections.dump(conn), self.replayed)
        if differences:
            raise self.broken(2, f"the projections differ from a replay of the log: {[str(d) for d in differences]}")
        if any(isinstance(e, PersonErased) for _, e in events):
            self.rebuild()
        self._log_verifies()

    def rebuild(self) -> None:
        report = self.services.rebuild_check()
        if not report.ok:
            raise self.broken(2, f"rebuild_check: {[str(d) for d in report.differences]}")

    def _catch_up(self, conn: Connection) -> list[tuple[int, Event]]:
        """The entries appended since the last check, applied to the replay as the unit of work applied them."""
        out = []
        for rows in ledger_store.iter_entries(conn, self.size):
            private = ledger_store.read_private(conn, rows[0][0], rows[-1][0] + 1)
            for seq, leaf, _ in rows:
                entry, held = parse_leaf(leaf), private.get(seq)
                e = event_from(entry["type"], entry["stream"], entry["body"], held and parse_leaf(held[1]))
                rebuild.apply_entry(self.replay, projector(), seq, e, entry["actor"]["agency"])
                out.append((seq, e))
                self.size = seq + 1
                self.replayed = {}  # dumped again when compared
        self.replay.commit()
        return out

    def _one_state_each(self, conn: Connection) -> None:
        registered = set(conn.execute(select(person.c.person_id)).scalars())
        rows = list(conn.execute(select(custody)))
        strangers = sorted({r.person_id for r in rows} - registered)
        if strangers:
            raise self.broken(1, f"custody rows for people not registered: {strangers}")
        officers = {r.record_id: r.parent_id for r in conn.execute(
            select(record.c.record_id, record.c.parent_id).where(record.c.kind == KIND[EventType.OFFICER_REGISTERED]))}
        units = set(conn.execute(
            select(record.c.record_id).where(record.c.kind == KIND[EventType.UNIT_REGISTERED])).scalars())
        for r in rows:
            try:
                CustodyState(
                    person_id=r.person_id, status=CustodyStatus(r.status), since=r.since and parse_utc(r.since),
                    facility_id=r.facility_id, unit_id=r.unit_id, leg_id=r.leg_id, country=r.country,
                    custodian=r.custodian_agency and Custodian(agency_id=r.custodian_agency,
                                                               officer_id=r.custodian_officer),
                    authority=r.authority_agency and Authority(agency_id=r.authority_agency,
                                                               legal_basis=r.authority_basis,
                                                               record_id=r.authority_record),
                )
            except (InvalidField, ValueError) as e:
                raise self.broken(1, f"{r.person_id}'s custody row is not one well-formed state: {e}") from e
            if r.custodian_agency is not None and officers.get(r.custodian_officer) != r.custodian_agency:
                raise self.broken(1, f"{r.person_id}'s custodian {r.custodian_officer} is not a registered officer "
                                  f"of {r.custodian_agency}")
            if r.unit_id is not None and f"{r.facility_id}/{r.unit_id}" not in units:
                raise self.broken(1, f"{r.person_id} is in {r.facility_id}/{r.unit_id}, which is not registered")

    def _one_place(self, manifests: list[Manifest], seq: int, e: Event) -> None:
        if not isinstance(e, CustodyChanged):
            return
        before, self.custody[e.stream] = self.custody.get(e.stream), e
        if before is None or before.to_status is not CustodyStatus.IN_TRANSIT or e.transition in INCIDENTS:
            return
        if e.to_status is CustodyStatus.IN_TRANSIT and e.leg_id == before.leg_id:
            return  # a new custodian or authority on the same leg
        for m in manifests:
            if m.leg.leg_id == before.leg_id and e.stream in m.people and m.status in EN_ROUTE:
                raise self.broken(1, f"{e.stream} left leg {before.leg_id} ({e.transition} to {e.to_status}, "
                                  f"entry {seq}) while manifest {m.manifest_id}, which has them aboard, is {m.status}")

    def _no_departure_past_a_gate(
        self, conn: Connection, manifests: list[Manifest], seq: int, e: Event, blocked: Blocked | None
    ) -> None:
        if isinstance(e, CustodyChanged) and e.transition is CustodyTransition.DEPART:
            carrying = [m for m in manifests if m.leg.leg_id == e.leg_id]
            if carrying and all(_why_not(m, e.stream, blocked) for m in carrying):
                m = carrying[0]
                raise self.broken(4, f"{e.stream} departed on leg {e.leg_id} (entry {seq}) though manifest "
                                  f"{m.manifest_id} ({m.status}; aboard {list(m.people)}, struck {list(m.struck)}) "
                                  f"does not let them: {_why_not(m, e.stream, blocked)}")
        elif isinstance(e, ManifestDeparted):
            m = next(m for m in manifests if m.manifest_id == e.stream)
            for p in m.people:
                s = custody_state(conn, p)  # someone never held here is in another record's custody: not asked
                if s.status is not CustodyStatus.NOT_HELD and (s.status, s.leg_id) != (CustodyStatus.IN_TRANSIT,
                                                                                     m.leg.leg_id):
                    raise self.broken(4, f"manifest {m.manifest_id} departed (entry {seq}) while {p}, aboard, is "
                                      f"{s.status} at {s.facility_id or s.leg_id or s.country}")
                why = _why_not(m, p, blocked)
                if why:
                    raise self.broken(4, f"manifest {m.manifest_id} departed (entry {seq}) with {p}: {why}")

    def _reconciled(self, conn: Connection, seq: int, e: Event) -> None:
        if isinstance(e, HeadcountRecorded):
            if (e.missing or e.unexpected or e.duplicates) and _incident_open(conn, e.incident_id) is None:
                raise self.broken(5, f"count {e.headcount_id} (entry {seq}) does not reconcile and opened no incident")
            for p in e.counted_person_ids:
                self.last_count[p] = (False, None)
            for p in e.missing:
                self.last_count[p] = (True, e.incident_id)
        elif isinstance(e, HandoffCompleted):
            for p in e.person_ids:
                missing, incident_id = self.last_count.get(p, (False, None))
                if missing and _incident_open(conn, incident_id):
                    raise self.broken(5, f"custody of {p} passed on receipt {e.stream} (entry {seq}) though their "
                                      f"last count found them missing and incident {incident_id} is open")

    def _within_capacity(self, conn: Connection) -> None:
        standard = self.services.policy.capacity_standard
        occupants: dict[tuple[str, str], list[str]] = {}
        for r in conn.execute(select(custody.c.person_id, custody.c.facility_id, custody.c.unit_id)
                              .where(custody.c.status == CustodyStatus.IN_CUSTODY.value)):
            occupants.setdefault((r.facility_id, r.unit_id), []).append(r.person_id)
        overrides = {(r.facility_id, r.unit_id, r.person_id) for r in conn.execute(select(capacity_override))}
        for facility_id in sorted({f for f, _ in occupants}):
            for unit_id, area in housing_areas(conn, facility_id):
                held = occupants.get((facility_id, unit_id), [])
                over = len(held) - computed_capacity(area, standard)
                overridden = sum((facility_id, unit_id, p) in overrides for p in held)
                if over > overridden:
                    raise self.broken(6, f"unit {facility_id}/{unit_id} holds {sorted(held)}: {over} over its "
                                      f"computed capacity, {overridden} of them on a recorded override")

    def _log_verifies(self) -> None:
        report = self.services.verify()
        if not report.ok or report.size != self.size:
            raise self.broken(3, f"the log does not verify with its {self.size} entries: {report.problems}")
        note = self.services.checkpoint()
        cp = parse_checkpoint(open_note(note, [self.verifier]).text)
        if self.checkpoint is not None:
            size, root, old_note = self.checkpoint
            if cp.size < size or self.services.checkpoint(size) != old_note:
                raise self.broken(7, f"a checkpoint at {cp.size} after one at {size}, or the one at {size} replaced")
            try:
                verify_consistency(size, cp.size, root, cp.root, self.services.prove_consistency(size, cp.size))
            except ProofError as e:
                raise self.broken(7, f"the checkpoint at {cp.size} is inconsistent with the one at {size}: {e}") from e
        self.checkpoint = (cp.size, cp.root, note)


def _why_not(m: Manifest, p: str, blocked: Blocked | None) -> str | None:
    """Why manifest ``m`` does not let ``p`` depart on its leg, or None if it does."""
    if m.status not in MAY_DEPART:
        return f"the manifest is {m.status}, not cleared"
    if p not in m.people:
        return f"{p} is not aboard"
    if p not in m.results or m.results[p].blocks:
        return f"{p}'s recorded gate results block"
    if blocked is not None and p in blocked.get(m.manifest_id, frozenset()):
        return f"the pack's gates, on the records before the step, block {p}"
    return None


def _manifests(conn: Connection) -> list[Manifest]:
    ids = conn.execute(select(manifest.c.manifest_id).order_by(manifest.c.manifest_id)).scalars()
    return [m for m in (manifest_state(conn, i) for i in ids) if m is not None]


def _incident_open(conn: Connection, incident_id: str | None) -> bool | None:
    """Whether the incident is open; None if there is no such incident."""
    row = conn.execute(select(incident.c.resolved_seq).where(incident.c.incident_id == incident_id)).first()
    return None if row is None else row.resolved_seq is None
