"""A manifest evaluated at once (``evaluate_people``) answers exactly as each person evaluated alone (``evaluate``):
the answers it works out once and shares, the checks it makes without validating again, and the class criteria a
class works out once change nothing recorded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from habeas.domain import codec
from habeas.domain.court_orders import ClassCriteria, CourtOrderScope, OrderForm, PersonFacts
from habeas.domain.errors import InvalidField
from habeas.domain.manifest_events import GateCheck, GateEvaluated
from habeas.gates.evaluate import checks, evaluate, evaluate_manifest, evaluate_people
from habeas.gates.rules import FACTS_READ, SHARED
from habeas.gates.state import CourtOrderRecord, PersonLegalState, StayRecord
from habeas.ledger.entry import EntryError
from habeas.services import legal_records

from .builders import AT, EVER, LEG, LONG_AGO, destination, person, policy, withholding_to

CLASS = CourtOrderRecord(
    order_id="co-class", form=OrderForm.ORAL, issued_at=LONG_AGO, period=EVER, seq=20,
    scope=CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",), legal_basis_in=("aea_designation",))),
)
THIRD = CourtOrderRecord(
    order_id="co-third", form=OrderForm.WRITTEN, issued_at=LONG_AGO, period=EVER, seq=21,
    scope=CourtOrderScope(criteria=ClassCriteria(any_third_country=True, field_office_in=("HOU",))),
)
NAMED = CourtOrderRecord(
    order_id="co-named", form=OrderForm.WRITTEN, issued_at=LONG_AGO, period=EVER, seq=22,
    scope=CourtOrderScope(person_ids=("p-03",)),
)


def _facts(pid: str, **changes: object) -> PersonFacts:
    base = PersonFacts(person_id=pid, nationalities=frozenset({"VE"}), legal_bases=frozenset({"ina_241"}),
                       facility_id="f-harlingen")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _manifest(orders: tuple[CourtOrderRecord, ...]) -> dict[str, PersonLegalState]:
    """People who share much and differ in one thing each: what a shared answer must tell apart."""
    dest = destination()
    stay = StayRecord(stay_id="st-1", person_id="p-05", country=None, period=EVER, seq=30)
    people = [
        person("p-00", court_orders=orders, destination=dest),
        person("p-01", court_orders=orders, destination=dest),
        person("p-02", court_orders=orders, destination=dest, facts=_facts("p-02", legal_bases=frozenset())),
        person("p-03", court_orders=orders, destination=dest),  # named by NAMED
        person("p-04", court_orders=orders, destination=dest, protections=(withholding_to("SV"),)),
        person("p-05", court_orders=orders, destination=dest, stays=(stay,)),
        person("p-06", court_orders=orders, destination=dest, protections=None, stays=None),
        person("p-07", court_orders=orders, destination=dest, categories=frozenset()),
        person("p-08", court_orders=orders, destination=dest, categories=frozenset({"aea_designation"}),
               facts=_facts("p-08", legal_bases=frozenset({"aea_designation"}))),
        person("p-09", court_orders=orders, destination=dest,
               facts=_facts("p-09", nationalities=frozenset({"SV"}), field_office="HOU")),
        person("p-10", court_orders=orders, destination=dest, facts=_facts("p-10", field_office="HOU")),
        person("p-11", court_orders=orders, destination=dest,
               facts=_facts("p-11", nationalities=frozenset(), field_office="HOU")),
        person("p-12", court_orders=orders, destination=dest,
               facts=_facts("p-12", detained_since=datetime(2024, 1, 1, tzinfo=UTC))),
        person("p-13", court_orders=None, destination=dest),
        person("p-14", court_orders=orders, destination=None),
        person("p-15", court_orders=orders, destination=destination(incoming=100_000)),
    ]
    return {p.person_id: p for p in people}


ORDER_SETS = [(), (CLASS,), (CLASS, THIRD), (NAMED, CLASS, THIRD)]


@pytest.mark.parametrize("orders", ORDER_SETS)
@pytest.mark.parametrize("pack", [policy(), policy(agreement_required=False)])
def test_everyone_at_once_answers_as_each_alone(orders: tuple[CourtOrderRecord, ...], pack: object) -> None:
    people = _manifest(orders)
    alone = {p: evaluate(s, LEG, pack, AT) for p, s in people.items()}  # type: ignore[arg-type]
    together = evaluate_people(people, LEG, pack, AT)  # type: ignore[arg-type]
    assert together == alone
    assert checks(together) == checks(alone)
    assert evaluate_manifest(people, LEG, pack, AT) == checks(alone)  # type: ignore[arg-type]
    # the outcomes differ among these people: a shared answer did not flatten them
    assert len({tuple(c.outcome for c in cs) for cs in checks(together).values()}) > 3


def test_the_results_recorded_are_the_same_bytes() -> None:
    people = _manifest((NAMED, CLASS, THIRD))
    alone = {p: tuple(r.check() for r in evaluate(s, LEG, policy(), AT)) for p, s in people.items()}
    together = checks(evaluate_people(people, LEG, policy(), AT))
    for p in people:
        one, other = (GateEvaluated(stream="m-1", occurred_at=AT, person_id=p, policy="us-federal", checks=c)
                      for c in (alone[p], together[p]))
        assert one == other
        assert codec.encode(one.checks, tuple[GateCheck, ...]) == codec.encode(other.checks, tuple[GateCheck, ...])
        assert [vars(c) for c in one.checks] == [vars(c) for c in other.checks]
        assert [hash(c) for c in one.checks] == [hash(c) for c in other.checks]


def test_a_check_made_without_validating_again_is_a_check_like_any_other() -> None:
    people = {p.person_id: p for p in (person("p-1", identity_seq=11), person("p-2", identity_seq=12))}
    made = checks(evaluate_people(people, LEG, policy(), AT))
    first, second = made["p-1"][0], made["p-2"][0]
    assert type(second) is GateCheck
    assert second == GateCheck(gate="identity_verified", outcome=first.outcome, reason_code=first.reason_code,
                               rests_on_seq=12, rests_on_record=None)
    assert first.rests_on_seq == 11  # the model it was made from is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        second.rests_on_seq = 1  # type: ignore[misc]


def test_the_court_order_key_reads_every_fact_a_criterion_may_read() -> None:
    """A fact added to PersonFacts must be added to the key, or two people differing in it would share an answer."""
    assert set(FACTS_READ) == {f.name for f in dataclasses.fields(PersonFacts)}
    key = SHARED[next(g for g in SHARED if g.value == "no_court_order_covering")]
    base = person("p-1", court_orders=(CLASS,))
    for name in FACTS_READ:
        value = getattr(base.facts, name)
        other = {"person_id": "p-2"}.get(name) or (
            value | {"XX"} if isinstance(value, frozenset)
            else datetime(2020, 1, 1, tzinfo=UTC) if name == "detained_since" else "other"
        )
        change: dict[str, Any] = {name: other}
        changed = dataclasses.replace(base.facts, **change)
        if name == "person_id":  # only an order naming people reads whom it concerns
            assert key(dataclasses.replace(base, person_id="p-2", facts=changed)) == key(base)
            named = dataclasses.replace(base, court_orders=(NAMED,))
            assert key(dataclasses.replace(named, person_id="p-2", facts=changed)) != key(named)
        else:
            assert key(dataclasses.replace(base, facts=changed)) != key(base), name


def test_a_destination_for_another_country_is_refused_as_alone() -> None:
    people = {"p-1": person("p-1", destination=dataclasses.replace(destination(), country="HN"))}
    with pytest.raises(InvalidField) as alone:
        evaluate(people["p-1"], LEG, policy(), AT)
    with pytest.raises(InvalidField) as together:
        evaluate_people(people, LEG, policy(), AT)
    assert str(together.value) == str(alone.value)
    with pytest.raises(InvalidField, match="state is for"):
        evaluate_people({"p-2": person("p-1")}, LEG, policy(), AT)


def test_a_class_works_out_its_criteria_once_and_nothing_else_sees_it() -> None:
    k = ClassCriteria(nationality_in=("VE",), detained_before=datetime(2025, 1, 1, tzinfo=UTC))
    same = ClassCriteria(nationality_in=("VE",), detained_before=datetime(2025, 1, 1, tzinfo=UTC))
    assert k == same
    assert hash(k) == hash(same)
    assert repr(k) == repr(same)
    assert k.criteria() == tuple(c for c in k.criteria())  # the order of Criterion
    assert [c.value for c in k.criteria()] == ["nationality", "detained_before"]
    wider = dataclasses.replace(k, legal_basis_in=("ina_241",))
    assert [c.value for c in wider.criteria()] == ["nationality", "legal_basis", "detained_before"]
    assert codec.encode(k, ClassCriteria) == codec.encode(same, ClassCriteria)
    assert "_criteria" not in str(codec.encode(k, ClassCriteria))
    facts = _facts("p-1", detained_since=datetime(2024, 1, 1, tzinfo=UTC))
    assert [m.match.value for m in wider.matches(facts, None)] == ["holds", "holds", "holds"]


def test_json_in_one_call_answers_as_one_at_a_time() -> None:
    texts = ['{"a": 1}', '{"b": [1, 2]}', "{}"]
    assert legal_records.json_many(texts) == [{"a": 1}, {"b": [1, 2]}, {}]
    assert legal_records.json_many([]) == []
    # a text that is not one object is parsed alone, and fails (or not) as it always has
    with pytest.raises(ValueError, match="Extra data"):
        legal_records.json_many(['{"a": 1}, {"b": 2}', "[1]"])
    assert legal_records.json_many(["[1]", '{"a": 1}']) == [[1], {"a": 1}]
    leaves = [b'{"body": {"x": 1}}', b'{"y": "\\u00e9"}']
    assert legal_records._leaves(leaves) == [{"body": {"x": 1}}, {"y": "é"}]
    for damaged in ([b'{"a": 1}', b"{"], [b'{"a": 1}, {"b": 2}'], [b"[1]"], [b'{"a": 1', b'"b": 2}', b"{},{}"]):
        with pytest.raises(EntryError):
            legal_records._leaves(damaged)

