"""The legal states of a manifest's people read their ``person`` row, ``custody`` row and identifier keys in one
statement: the states say what the three reads said (checked against :func:`people_facts`, which still reads
them apart), for people held, registered without any identifier, and not registered at all, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from habeas.domain import commands as c
from habeas.domain.court_orders import PersonFacts
from habeas.gates.state import PersonLegalState
from habeas.services import legal_state
from habeas.services.door import Services

from .test_class_orders import DEPARTS, PEOPLE, T0, leg, world

MakeServices = Callable[..., Services]
Read = tuple[dict[str, PersonLegalState], dict[str, PersonFacts]]


def test_one_read_of_person_custody_and_keys_says_what_three_did(make_services: MakeServices) -> None:
    services = make_services()
    world(services)
    services.execute(c.RegisterPerson(person_id="p-no-papers", occurred_at=T0, nationalities=("HN",),
                                      languages=("es",)))
    people = [*PEOPLE, "p-home", "p-no-papers", "p-nobody"]

    def read(conn: Connection) -> Read:
        states = legal_state.manifest_legal_states(conn, people, leg("l-1", "SV"), DEPARTS)
        return states, legal_state.people_facts(conn, people)

    states, facts = services.read(read)
    assert list(states) == people
    for p in people:
        assert states[p].facts == facts[p], p
    held = states["p-covered"]
    assert held.facts.facility_id == "f-hou"
    assert held.facts.legal_bases == {"aea_proclamation_2025"}
    assert held.identity_verified is True
    assert held.languages == {"es"}
    no_papers = states["p-no-papers"]
    assert no_papers.identity_verified is None
    assert no_papers.facts.nationalities == {"HN"}
    assert no_papers.facts.facility_id is None
    nobody = states["p-nobody"]
    assert (nobody.identity_verified, nobody.identity_seq, nobody.languages) == (None, None, frozenset())
    assert nobody.facts.nationalities == frozenset()
