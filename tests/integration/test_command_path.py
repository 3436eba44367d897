"""The command path (issue 12): how many statements registering and admitting a person takes through the door,
and what reading a decision's facts once, and a batch without a savepoint a command, must not change.

Speed itself is measured in benchmarks/commands.py; these tests pin the structure it rests on, on SQLite and
PostgreSQL (the `db` fixture).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, text

from habeas.domain import commands as c
from habeas.domain.actors import Actor, Caller
from habeas.domain.custody import Authority, Custodian
from habeas.domain.errors import AlreadyExists, InvalidTransition, UnknownRecord
from habeas.domain.invariants import OverCapacity
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.services.door import Services
from habeas.storage import direct
from habeas.storage.engine import begin
from habeas.storage.errors import StorageConflict, StorageError

MakeServices = Callable[..., Services]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ICE = Caller.of(Actor(officer="officer-1", agency="ice"))
CUSTODIAN = Custodian(agency_id="ice", officer_id="officer-1")
AUTHORITY = Authority(agency_id="ice", legal_basis="ina_236")

# What one register and one admit may cost, each in a transaction of its own, once warm: the decision's reads
# (register: who shares a search key and whether the id is taken, one query; admit: every fact it rests on, the
# unit's other occupants counted among them, one query), the projections' writes, and the ledger's own (lock and
# move the head, the entry, its private payload, the checkpoint). Before
# issue 12 the pair took 37, each built as a new SQLAlchemy expression.
MOST_STATEMENTS = 19
DECISION_READS = {"register": 1, "admit": 1}


def world(services: Services, *, floor_area: str = "40") -> None:
    services.execute_many([
        c.RegisterAgency(agency_id="ice", occurred_at=T0, name="ICE", country="US", kind="immigration"),
        c.RegisterOfficer(officer_id="officer-1", agency_id="ice", occurred_at=T0, name="SYNTHETIC officer",
                          role="intake", public_key=bytes(range(32))),
        c.RegisterFacility(facility_id="f-1", occurred_at=T0, name="SYNTHETIC facility", country="US",
                           facility_type="spc", operating_agency_id="ice"),
        c.RegisterUnit(unit_id="u-1", facility_id="f-1", occurred_at=T0, label="u-1",
                       floor_area_m2=Decimal(floor_area), declared_beds=12),
    ])


GIVEN = ("Ana", "Berta", "Carla", "Delia", "Elena", "Flor")


def register(person_id: str, a_number: str) -> c.RegisterPerson:
    """A synthetic person whose name is their own (no duplicate warning) unless two commands share an id."""
    given = GIVEN[int(person_id.rsplit("-", 1)[1]) % len(GIVEN)]
    return c.RegisterPerson(
        person_id=person_id, occurred_at=T0,
        name=PersonName(given_names=("SYNTHETIC", given), surnames=("Ruiz", "Paz")),
        date_of_birth=PartialDate(year=1990, month=5, day=17), sex=Sex.FEMALE, nationalities=("SV",),
        country_of_birth="SV", languages=("es",),
        identifiers=(Identifier(kind=IdentifierKind.A_NUMBER, value=a_number, country="US"),),
    )


def admit(person_id: str) -> c.AdmitToCustody:
    return c.AdmitToCustody(person_id=person_id, occurred_at=T0 + timedelta(hours=1), facility_id="f-1",
                            unit_id="u-1", custodian=CUSTODIAN, authority=AUTHORITY)


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """Every statement the engine sends inside the block (an executemany once), as its text."""
    seen: list[str] = []

    def heard(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(services.engine, "before_cursor_execute", heard)
    try:
        yield seen
    finally:
        event.remove(services.engine, "before_cursor_execute", heard)


def _reads(seen: list[str]) -> list[str]:
    """The SELECTs a decision made (the ledger's lock of its head is the batch's, not the decision's)."""
    return [s for s in seen if s.upper().startswith("SELECT") and "FROM ledger_head" not in s]


def test_register_and_admit_take_few_statements(make_services: MakeServices) -> None:
    services = make_services()
    world(services)
    services.execute(register("p-0", "A200000000"), ICE)  # warm: first statements compiled, pool open
    services.execute(admit("p-0"), ICE)
    with statements(services) as on_register:
        services.execute(register("p-1", "A200000001"), ICE)
    with statements(services) as on_admit:
        services.execute(admit("p-1"), ICE)
    assert len(_reads(on_register)) == DECISION_READS["register"], on_register
    assert len(_reads(on_admit)) == DECISION_READS["admit"], on_admit
    assert len(on_register) + len(on_admit) <= MOST_STATEMENTS, [*on_register, *on_admit]
    assert services.verify().ok
    assert services.rebuild_check().ok


def test_a_batch_reads_each_command_after_the_ones_before_it(make_services: MakeServices) -> None:
    """The facts a decision reads are never older than the commands before it in the same batch: the person
    registered one command earlier is admitted, and a second admission of them is refused as the state says."""
    services = make_services()
    world(services)
    results = services.execute_many([register("p-1", "A200000001"), admit("p-1"), register("p-2", "A200000002"),
                                     admit("p-2")], ICE)
    assert [len(r.seqs) for r in results] == [1, 1, 1, 1]
    size = services.size()
    with pytest.raises(InvalidTransition):
        services.execute_many([register("p-3", "A200000003"), admit("p-3"), admit("p-3")], ICE)
    with pytest.raises(AlreadyExists):
        services.execute_many([register("p-4", "A200000004"), register("p-4", "A200000004")], ICE)
    with pytest.raises(UnknownRecord):
        services.execute_many([admit("p-5"), register("p-5", "A200000005")], ICE)
    assert services.size() == size  # a refusal of any command rolls back all of them
    with services.engine.connect() as conn:
        held = conn.execute(text("SELECT person_id FROM p_custody ORDER BY person_id")).scalars().all()
        people = conn.execute(text("SELECT person_id FROM p_person ORDER BY person_id")).scalars().all()
    assert held == ["p-1", "p-2"]
    assert people == ["p-1", "p-2"]
    assert services.verify().ok
    assert services.rebuild_check().ok


@pytest.mark.parametrize("room", [2, 70])  # a cell; a unit holding more than an admission's facts count
def test_a_full_unit_refuses_naming_everyone_it_holds(make_services: MakeServices, room: int) -> None:
    """The unit's occupants are counted only up to a bound while there is room; a refusal still names how many it
    holds."""
    services = make_services()
    world(services, floor_area=str(Decimal("3.4") * room))  # ICRC's 3.4 m2 a person: the us-federal pack's standard
    people = [f"p-{k}" for k in range(1, room + 2)]
    for k in range(0, room, 50):
        services.execute_many([cmd for p in people[k : min(k + 50, room)] for cmd in (register(p, f"A3{p[2:]:>08}"),
                                                                                    admit(p))], ICE)
    services.execute(register(people[-1], "A399999999"), ICE)
    with pytest.raises(OverCapacity) as refused:
        services.execute(admit(people[-1]), ICE)
    assert (refused.value.held, refused.value.capacity) == (room, room)


def test_a_statement_sent_straight_to_the_driver_fails_and_is_heard_as_any_other(make_services: MakeServices) -> None:
    """The command path's statements skip SQLAlchemy's execution (habeas.storage.direct): their errors still come
    out as habeas's storage errors, and the engine's listeners still hear them."""
    services = make_services()
    with pytest.raises(StorageError, match="nope"):
        services.read(lambda conn: direct.rows(conn, direct.Sql("SELECT nope FROM p_person")))
    with pytest.raises(StorageConflict), begin(services.engine) as conn:
        direct.execute(conn, direct.Sql("INSERT INTO ledger_head (id, size, root) VALUES (1, 0, ?)"), (b"x",))
    with statements(services) as seen:
        assert services.read(lambda conn: direct.first(conn, direct.Sql("SELECT size FROM ledger_head WHERE id = ?"),
                                                       (1,))) == (0,)
    assert seen == ["SELECT size FROM ledger_head WHERE id = " + ("?" if services.engine.dialect.name == "sqlite"
                                                                   else "%s")]
