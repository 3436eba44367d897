"""Running the gates: every gate of a policy for one person or a whole manifest, and the alert when an order or
a stay recorded after departure binds people already gone.

The gates themselves are in :mod:`habeas.gates.rules`. ``unknown`` blocks exactly like ``fail`` (invariant 4:
missing data is not consent).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from habeas.domain.court_orders import PersonFacts
from habeas.domain.errors import InvalidField
from habeas.domain.manifest_events import GateCheck
from habeas.domain.moves import Leg
from habeas.domain.values import require_aware, require_id
from habeas.gates.coverage import Coverage, coverage
from habeas.gates.policy import Policy
from habeas.gates.rules import GATES, SHARED, Gate, GateResult
from habeas.gates.state import CourtOrderRecord, PersonLegalState, StayRecord

# --- running them --------------------------------------------------------------------------------------------


def evaluate(person_state: PersonLegalState, leg: Leg, policy: Policy, at: datetime) -> list[GateResult]:
    """Every gate of ``policy``, in the pack's order, for one person on ``leg`` at time ``at``."""
    t = require_aware("at", at)
    dest = person_state.destination
    if dest is not None and dest.country != leg.destination_country:
        raise InvalidField("destination.country", dest.country, f"not the leg's destination {leg.destination_country}")
    return [GATES[name](person_state, leg, policy, t) for name in policy.gates]


def evaluate_people(
    people: Mapping[str, PersonLegalState], leg: Leg, policy: Policy, at: datetime
) -> dict[str, list[GateResult]]:
    """:func:`evaluate` of everyone in ``people`` (a manifest), each answer the same.

    An answer that turns only on what people share (:data:`habeas.gates.rules.SHARED`: no record of a kind, the
    same facts for the class orders, the one destination) is worked out once and the result shared: results are
    immutable, so sharing one changes nothing recorded, and :func:`checks` then makes its public form once too.
    """
    t = require_aware("at", at)
    # each gate, what its answer turns on where people may share it, and the answers already worked out
    gates: list[tuple[Gate, Callable[[PersonLegalState], Hashable | None] | None, dict[Hashable, GateResult]]] = [
        (GATES[name], SHARED.get(name), {}) for name in policy.gates
    ]
    seen: set[int] = set()  # destinations already checked against the leg
    out: dict[str, list[GateResult]] = {}
    for person_id, state in people.items():
        if state.person_id != person_id:
            raise InvalidField("people", person_id, f"state is for {state.person_id!r}")
        dest = state.destination
        if dest is not None and id(dest) not in seen:
            if dest.country != leg.destination_country:
                raise InvalidField(
                    "destination.country", dest.country, f"not the leg's destination {leg.destination_country}"
                )
            seen.add(id(dest))
        row = []
        for gate, key_of, made in gates:
            key = None if key_of is None else key_of(state)
            if key is None:
                row.append(gate(state, leg, policy, t))
                continue
            found = made.get(key)
            if found is None:
                found = made[key] = gate(state, leg, policy, t)
            row.append(found)
        out[person_id] = row
    return out


def blocking(results: Iterable[GateResult]) -> list[GateResult]:
    """The results that stop a departure: ``fail`` and ``unknown`` alike."""
    return [r for r in results if r.blocks]


def checks(results: Mapping[str, Sequence[GateResult]]) -> dict[str, tuple[GateCheck, ...]]:
    """The public form of everyone's results (:meth:`GateResult.check`). A result shared by many people (on a
    manifest most gates give everyone the same answer resting on the same record, and :func:`evaluate_people`
    works it out once) gets one check, shared: a check is immutable, so sharing it changes nothing recorded."""
    made: dict[int, GateCheck] = {}  # by the result's identity (the results all live until the end)
    models: dict[tuple[object, ...], GateCheck] = {}
    out: dict[str, tuple[GateCheck, ...]] = {}
    for person_id, rs in results.items():
        row = []
        for r in rs:
            found = made.get(id(r))
            if found is None:
                found = made[id(r)] = _check(r, models)
            row.append(found)
        out[person_id] = tuple(row)
    return out


def _check(r: GateResult, models: dict[tuple[object, ...], GateCheck]) -> GateCheck:
    """``r.check()``, without validating again what a check of the same gate, outcome and reason code already
    validated: most results rest on the person's own record, so their checks differ from each other only in the
    record they name (``rests_on_*``, which :class:`GateCheck` takes as given), and checking the gate name and the
    reason code (two regular expressions and an enum look-up) again for each cost more than the rest of it."""
    key = (r.gate, r.outcome, r.reason.code)
    model = models.get(key)
    if model is None:
        model = models[key] = r.check()
    if model.rests_on_seq == r.rests_on_seq and model.rests_on_record == r.rests_on_record:
        return model
    check = object.__new__(GateCheck)
    check.__dict__.update(model.__dict__, rests_on_seq=r.rests_on_seq, rests_on_record=r.rests_on_record)
    return check


def evaluate_manifest(
    people: Mapping[str, PersonLegalState], leg: Leg, policy: Policy, at: datetime
) -> dict[str, tuple[GateCheck, ...]]:
    """The ``results`` argument of :func:`habeas.domain.manifests.clear_manifest`, for everyone aboard."""
    return checks(evaluate_people(people, leg, policy, at))


# --- after departure ------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReturnRequired:
    """A court order or stay that binds people already gone: a duty to return them.

    ``person_ids`` are covered; ``undetermined_ids`` are people the facts on record cannot rule out (a class
    criterion needs a fact not recorded): they need a decision by a person, not silence.
    """

    manifest_id: str
    record_kind: str
    record_id: str
    seq: int
    person_ids: tuple[str, ...]
    undetermined_ids: tuple[str, ...] = ()


def after_departure_alert(
    order_or_stay: CourtOrderRecord | StayRecord,
    aboard: Sequence[PersonFacts],
    *,
    manifest_id: str,
    leg: Leg,
    departed_at: datetime,
) -> ReturnRequired | None:
    """The alert for an order or stay recorded after departure that covers anyone aboard, or ``None``.

    It binds if it is in force at any moment since departure; issued before departure and learned of later is
    the worst case, not an exception. A stay limited to another country than the leg's does not bind. A class is
    checked on ``leg`` as the gate checks it at clearance (:mod:`habeas.gates.coverage`).
    """
    require_id("manifest_id", manifest_id)
    since = require_aware("departed_at", departed_at)
    if isinstance(order_or_stay, StayRecord):
        stay = order_or_stay
        relevant = stay.in_force_since(since) and stay.country in (None, leg.destination_country)
        covered = tuple(f.person_id for f in aboard if relevant and f.person_id == stay.person_id)
        if not covered:
            return None
        return ReturnRequired(
            manifest_id=manifest_id, record_kind="stay", record_id=stay.stay_id, seq=stay.seq, person_ids=covered
        )
    order = order_or_stay
    if not order.in_force_since(since):
        return None
    answers = [(f.person_id, coverage(order.scope, f, leg=leg)) for f in aboard]
    covered = tuple(p for p, a in answers if a is Coverage.COVERED)
    undetermined = tuple(p for p, a in answers if a is Coverage.UNDETERMINED)
    if not covered and not undetermined:
        return None
    return ReturnRequired(
        manifest_id=manifest_id,
        record_kind="court_order",
        record_id=order.order_id,
        seq=order.seq,
        person_ids=covered,
        undetermined_ids=undetermined,
    )
