"""The due-process gates, one pure function each: (person's legal state, leg, policy, time) → pass / fail /
unknown, and the table :data:`GATES` that names them.

Each gate answers with a short reason code, a one-line text and the ledger entry (``seq``) or record it rests
on. ``unknown`` blocks exactly like ``fail`` (invariant 4: missing data is not consent). Nothing here reads a
clock, a file or a database, so the gates are safe to run at clearance, at wheels-up and in flight alike.

The legal sources behind each rule and each default are in the policy packs (``packs/*.yaml``) and in
``LEGAL.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from habeas.domain.court_orders import Criterion
from habeas.domain.facilities import computed_capacity
from habeas.domain.manifest_events import GateCheck, GateOutcome
from habeas.domain.moves import Leg
from habeas.gates.coverage import Coverage, CoverageAnswer, answer
from habeas.gates.policy import GateName, Policy
from habeas.gates.state import CourtOrderRecord, NoticeRecord, PersonLegalState

PASS, FAIL, UNKNOWN = GateOutcome.PASS, GateOutcome.FAIL, GateOutcome.UNKNOWN
G = GateName
_NAMES = {g: g.value for g in GateName}  # ``.value`` is a descriptor call a result: a lookup is a fraction of it


@dataclass(frozen=True, kw_only=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True, kw_only=True)
class GateResult:
    """A gate's answer; ``rests_on_seq`` is the ledger entry and ``rests_on_record`` the record id behind it;
    ``criterion`` the class-order criterion that decided (no_court_order_covering only)."""

    gate: GateName
    outcome: GateOutcome
    reason: Reason
    rests_on_seq: int | None = None
    rests_on_record: str | None = None
    criterion: Criterion | None = None

    @property
    def blocks(self) -> bool:
        return self.outcome is not PASS

    def check(self) -> GateCheck:
        """The public form the manifest records (``gate.evaluated``): no reason text, no personal data."""
        return GateCheck(
            gate=_NAMES[self.gate],
            outcome=self.outcome,
            reason_code=self.reason.code,
            rests_on_seq=self.rests_on_seq,
            rests_on_record=self.rests_on_record,
        )


Gate = Callable[[PersonLegalState, Leg, Policy, datetime], GateResult]


def _result(
    gate: GateName, outcome: GateOutcome, code: str, text: str, *, seq: int | None = None, record: str | None = None,
    criterion: Criterion | None = None,
) -> GateResult:
    return GateResult(
        gate=gate, outcome=outcome, reason=Reason(code=code, text=text), rests_on_seq=seq, rests_on_record=record,
        criterion=criterion,
    )


def _not_loaded(gate: GateName, what: str) -> GateResult:
    return _result(gate, UNKNOWN, f"{what.replace(' ', '-')}-not-loaded", f"{what} not loaded or not checked")


# --- the gates -----------------------------------------------------------------------------------------------


def identity_verified(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    """Mandela rule 7: nobody is received without a record of their identity."""
    gate = G.IDENTITY_VERIFIED
    if person.identity_verified is None:
        return _result(gate, UNKNOWN, "identity-not-checked", "identity has not been checked")
    if not person.identity_verified:
        return _result(gate, FAIL, "identity-unresolved", "identity is not verified", seq=person.identity_seq)
    return _result(gate, PASS, "identity-verified", "identity verified", seq=person.identity_seq)


def removal_authority_valid_for_destination(
    person: PersonLegalState, leg: Leg, policy: Policy, at: datetime
) -> GateResult:
    gate = G.REMOVAL_AUTHORITY_VALID_FOR_DESTINATION
    if person.removal_orders is None:
        return _not_loaded(gate, "removal orders")
    in_force = [o for o in person.removal_orders if o.period.contains(at)]
    to_destination = [o for o in in_force if o.destination_country == leg.destination_country]
    if not to_destination:
        if in_force:
            countries = ", ".join(sorted({o.destination_country for o in in_force}))
            return _result(
                gate,
                FAIL,
                "order-for-other-country",
                f"removal orders in force name {countries}, not {leg.destination_country}",
                seq=in_force[-1].seq,
                record=in_force[-1].order_id,
            )
        return _result(gate, FAIL, "no-removal-order-in-force", "no removal order in force")
    final = [o for o in to_destination if o.final]
    if policy.require_final_order and not final:
        latest = max(to_destination, key=lambda o: o.seq)
        return _result(
            gate, FAIL, "order-not-final", "the removal order is not final", seq=latest.seq, record=latest.order_id
        )
    best = max(final or to_destination, key=lambda o: o.seq)
    return _result(
        gate,
        PASS,
        "order-valid-for-destination",
        f"removal order to {leg.destination_country} under {best.legal_basis}",
        seq=best.seq,
        record=best.order_id,
    )


def no_protection_against_destination(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    """A protection bars removal to its country only; a third country is not barred by it."""
    gate = G.NO_PROTECTION_AGAINST_DESTINATION
    if person.protections is None:
        return _not_loaded(gate, "protections")
    for p in person.protections:
        if p.country == leg.destination_country and p.period.contains(at):
            return _result(
                gate,
                FAIL,
                "protection-against-destination",
                f"{p.kind.value.replace('_', ' ')} to {p.country} in force",
                seq=p.seq,
                record=p.protection_id,
            )
    return _result(gate, PASS, "no-protection-against-destination", f"no protection against {leg.destination_country}")


def no_stay_in_force(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    gate = G.NO_STAY_IN_FORCE
    if person.stays is None:
        return _not_loaded(gate, "stays")
    for s in person.stays:
        if s.period.contains(at) and s.country in (None, leg.destination_country):
            where = "anywhere" if s.country is None else f"to {s.country}"
            return _result(
                gate, FAIL, "stay-in-force", f"a stay of removal {where} is in force", seq=s.seq, record=s.stay_id
            )
    return _result(gate, PASS, "no-stay-in-force", "no stay of removal in force")


def no_court_order_covering(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    """An order in force (oral ones from the time issued) that names the person or whose class covers them on
    this leg. The answer names the criterion that decided: for a pass, the one that rules the person out of the
    first class order in force; for an unknown, the first fact missing."""
    gate = G.NO_COURT_ORDER_COVERING
    if person.court_orders is None:
        return _not_loaded(gate, "court orders")
    undetermined: tuple[CourtOrderRecord, CoverageAnswer] | None = None
    ruled_out: tuple[CourtOrderRecord, CoverageAnswer] | None = None
    for o in sorted(person.court_orders, key=lambda o: o.seq):
        if not o.in_force(at):
            continue
        found = answer(o.scope, person.facts, leg=leg)
        if found.coverage is Coverage.COVERED:
            how = "names the person" if o.scope.criteria is None else f"covers the person's class: {found.text}"
            return _result(
                gate, FAIL, "court-order-covers", f"{o.form.value} order {o.order_id} {how}", seq=o.seq,
                record=o.order_id,
            )
        if found.coverage is Coverage.UNDETERMINED and undetermined is None:
            undetermined = (o, found)
        if found.coverage is Coverage.NOT_COVERED and found.criterion is not None and ruled_out is None:
            ruled_out = (o, found)
    if undetermined is not None:
        o, found = undetermined
        return _result(
            gate, UNKNOWN, "class-coverage-undetermined",
            f"cannot tell whether order {o.order_id} covers the person: {found.text}", seq=o.seq, record=o.order_id,
            criterion=found.criterion,
        )
    why = "" if ruled_out is None else f" (order {ruled_out[0].order_id}: {ruled_out[1].text})"
    return _result(
        gate, PASS, "no-court-order-covering", f"no court order in force covers the person{why}",
        criterion=None if ruled_out is None else ruled_out[1].criterion,
    )


def _notice_problem(
    n: NoticeRecord, person: PersonLegalState, policy: Policy, deadline: datetime
) -> tuple[GateOutcome, str, str] | None:
    if n.served_at > deadline:
        return FAIL, "notice-too-late", f"served less than {policy.min_notice_hours} h before departure"
    if policy.notice_languages is None:
        if not person.languages:
            return UNKNOWN, "languages-unknown", "the languages the person understands are not recorded"
        if n.language not in person.languages:
            return FAIL, "notice-language-not-understood", f"served in {n.language}, not a language understood"
    elif n.language not in policy.notice_languages:
        return FAIL, "notice-language-not-accepted", f"served in {n.language}, not in a language the pack requires"
    if policy.copy_notice_to_counsel and not n.copy_to_counsel:
        assert person.counsel is not None  # checked by the caller
        if any(c.period.contains(n.served_at) for c in person.counsel):
            return FAIL, "notice-not-copied-to-counsel", "not copied to counsel of record"
    return None


def notice_served_in_time(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    """At least ``min_notice_hours`` before scheduled departure, in an accepted language, copied to counsel."""
    gate = G.NOTICE_SERVED_IN_TIME
    if person.notices is None:
        return _not_loaded(gate, "notices")
    if policy.copy_notice_to_counsel and person.counsel is None:
        return _not_loaded(gate, "counsel")
    deadline = leg.scheduled_departure - timedelta(hours=policy.min_notice_hours)
    candidates = sorted(
        (n for n in person.notices if n.content_type in policy.notice_content_types and n.served_at <= at),
        key=lambda n: n.seq,
        reverse=True,
    )
    if not candidates:
        return _result(gate, FAIL, "no-notice", "no notice of removal served")
    problems = [(n, _notice_problem(n, person, policy, deadline)) for n in candidates]
    for n, problem in problems:
        if problem is None:
            return _result(
                gate, PASS, "notice-served-in-time", f"served in {n.language} in time", seq=n.seq, record=n.notice_id
            )
    unknown = [(n, pr) for n, pr in problems if pr is not None and pr[0] is UNKNOWN]
    n, problem = unknown[0] if unknown else problems[0]
    assert problem is not None
    outcome, code, text = problem
    return _result(gate, outcome, code, text, seq=n.seq, record=n.notice_id)


def consular_notification(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    """Vienna Convention art. 36(1)(b): the right offered; a request, or the pack's mandatory list, means sent."""
    gate = G.CONSULAR_NOTIFICATION
    if person.consular is None:
        return _not_loaded(gate, "consular notifications")
    records = sorted(person.consular, key=lambda r: r.seq, reverse=True)
    if not person.nationalities and (policy.consular_mandatory_for_all or policy.consular_mandatory_nationalities):
        return _result(gate, UNKNOWN, "nationality-unknown", "nationality not recorded: cannot tell if mandatory")
    mandatory = sorted(
        person.nationalities
        if policy.consular_mandatory_for_all
        else person.nationalities & policy.consular_mandatory_nationalities
    )
    sent = {r.country: r for r in reversed(records) if r.sent_at is not None and r.sent_at <= at}
    for country in mandatory:
        if country not in sent:
            return _result(
                gate, FAIL, "consular-mandatory-not-sent", f"notification to the {country} consulate is mandatory"
            )
    if mandatory:
        last = max((sent[c] for c in mandatory), key=lambda r: r.seq)
        return _result(
            gate,
            PASS,
            "consular-sent",
            "mandatory consular notification sent",
            seq=last.seq,
            record=last.notification_id,
        )
    for r in records:
        if r.requested_at is not None and r.requested_at <= at and (r.sent_at is None or r.sent_at > at):
            return _result(
                gate,
                FAIL,
                "consular-requested-not-sent",
                "the person asked for their consulate: not yet informed",
                seq=r.seq,
                record=r.notification_id,
            )
    offered = [r for r in records if r.offered_at is not None and r.offered_at <= at]
    if not offered:
        return _result(gate, FAIL, "consular-right-not-offered", "the right to consular notification was not offered")
    return _result(
        gate,
        PASS,
        "consular-offered",
        "consular notification offered",
        seq=offered[0].seq,
        record=offered[0].notification_id,
    )


def fit_to_travel(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    gate = G.FIT_TO_TRAVEL
    m = person.medical
    if m is None or m.assessed_at > at:
        return _result(gate, UNKNOWN, "no-medical-clearance", "no medical assessment of fitness to travel")
    if not m.fit:
        return _result(gate, FAIL, "not-fit-to-travel", "assessed not fit to travel", seq=m.seq)
    return _result(gate, PASS, "fit-to-travel", "assessed fit to travel", seq=m.seq)


def agreement_covers(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    """An agreement with the receiving state in force at ``at``, accepting the person's category, quota left."""
    gate = G.AGREEMENT_COVERS
    dest = person.destination
    if dest is None:
        return _not_loaded(gate, "destination")
    a = dest.agreement
    if a is None:
        if policy.agreement_required:
            return _result(gate, FAIL, "no-agreement", f"no agreement with {leg.destination_country}")
        return _result(gate, PASS, "agreement-not-required", "the pack requires no agreement")
    if leg.destination_country not in a.parties:
        return _result(
            gate,
            FAIL,
            "agreement-not-with-destination",
            f"{leg.destination_country} is not a party",
            seq=a.seq,
            record=a.agreement_id,
        )
    if not a.period.contains(at):
        return _result(
            gate, FAIL, "agreement-not-in-force", "the agreement is not in force", seq=a.seq, record=a.agreement_id
        )
    if not person.categories:
        return _result(
            gate, UNKNOWN, "category-unknown", "the person's category is not recorded", seq=a.seq, record=a.agreement_id
        )
    if not person.categories & set(a.categories):
        return _result(
            gate,
            FAIL,
            "category-not-accepted",
            "the agreement does not accept the person's category",
            seq=a.seq,
            record=a.agreement_id,
        )
    if a.quota_remaining is not None and dest.incoming > a.quota_remaining:
        return _result(
            gate,
            FAIL,
            "quota-exhausted",
            f"{dest.incoming} incoming, {a.quota_remaining} left in the quota",
            seq=a.seq,
            record=a.agreement_id,
        )
    return _result(gate, PASS, "agreement-covers", "the agreement covers the person", seq=a.seq, record=a.agreement_id)


def destination_capacity(person: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> GateResult:
    """Occupancy plus the people incoming within the capacity the floor area allows by the pack's standard."""
    gate = G.DESTINATION_CAPACITY
    dest = person.destination
    if dest is None or dest.capacity is None:
        return _not_loaded(gate, "destination capacity")
    cap = dest.capacity
    allowed = computed_capacity(cap.floor_area_m2, policy.capacity_standard)
    total = cap.occupancy + dest.incoming
    text = f"{total} after arrival, {allowed} allowed by {policy.capacity_standard.value.upper()}"
    if total > allowed:
        return _result(gate, FAIL, "over-capacity", text, seq=cap.seq, record=cap.facility_id)
    return _result(gate, PASS, "within-capacity", text, seq=cap.seq, record=cap.facility_id)


# --- what a gate's answer turns on, where everyone on a manifest may share it ------------------------------------
#
# For a gate listed here, ``SHARED[gate](person)`` is a key such that, on one leg under one policy at one time, two
# people with equal keys get equal answers: everything of the person the gate reads is in the key (``None``: this
# person's answer is their own, work it out). A manifest's people share the destination and the court orders (one
# object each, loaded once), so those enter the key by identity. :func:`habeas.gates.evaluate.evaluate_people`
# works each shared answer out once: checking every class order against every person was a third of the
# evaluation. The gates left out rest on each person's own records (their seq), so nobody shares them.

_NONE_LOADED, _NONE_ON_RECORD = "not-loaded", "none"


def _empty_key(records: tuple[object, ...] | None) -> str | None:
    """No record at all (or none loaded) is an answer everyone shares; any record is the person's own."""
    return _NONE_LOADED if records is None else _NONE_ON_RECORD if not records else None


def _court_order_key(person: PersonLegalState) -> Hashable:
    """The orders (by identity) and every fact a class criterion reads; the person's id only if an order names
    people (:data:`FACTS_READ` lists the facts, and a test holds it to :class:`PersonFacts`'s fields)."""
    orders = person.court_orders
    if orders is None:
        return _NONE_LOADED
    f = person.facts
    named = any(o.scope.criteria is None for o in orders)
    return (
        id(orders), f.person_id if named else None, f.nationalities, f.legal_bases, f.facility_id, f.field_office,
        f.district, f.detained_since, f.designations,
    )


FACTS_READ = ("person_id", "nationalities", "legal_bases", "facility_id", "field_office", "district",
              "detained_since", "designations")

SHARED: Mapping[GateName, Callable[[PersonLegalState], Hashable | None]] = {
    G.NO_PROTECTION_AGAINST_DESTINATION: lambda p: _empty_key(p.protections),
    G.NO_STAY_IN_FORCE: lambda p: _empty_key(p.stays),
    G.NO_COURT_ORDER_COVERING: _court_order_key,
    G.AGREEMENT_COVERS: lambda p: (id(p.destination), p.categories),
    G.DESTINATION_CAPACITY: lambda p: id(p.destination),
}

GATES: Mapping[GateName, Gate] = {
    G.IDENTITY_VERIFIED: identity_verified,
    G.REMOVAL_AUTHORITY_VALID_FOR_DESTINATION: removal_authority_valid_for_destination,
    G.NO_PROTECTION_AGAINST_DESTINATION: no_protection_against_destination,
    G.NO_STAY_IN_FORCE: no_stay_in_force,
    G.NO_COURT_ORDER_COVERING: no_court_order_covering,
    G.NOTICE_SERVED_IN_TIME: notice_served_in_time,
    G.CONSULAR_NOTIFICATION: consular_notification,
    G.FIT_TO_TRAVEL: fit_to_travel,
    G.AGREEMENT_COVERS: agreement_covers,
    G.DESTINATION_CAPACITY: destination_capacity,
}
