"""The locator's lookup, by structure (its speed is measured in benchmarks/locator.py, never here), on SQLite and
PostgreSQL: the answer, person to facility to leaf, and the checkpoint it is proved against are one statement on the
folded-name (or A-number) index; the proof of an answer is made once a checkpoint and reused until the checkpoint
moves, and made right from the tiles when it does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from habeas.domain import commands as c
from habeas.domain.actors import Actor
from habeas.domain.custody import Authority, Custodian
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName
from habeas.ledger.entry import prepare_entry
from habeas.ledger.log import Ledger
from habeas.ledger.note import Signer
from habeas.ledger.tlog_proof import parse_tlog_proof, verify_tlog_proof
from habeas.services import access, locator
from habeas.services.door import Services

T0 = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
AGENCY = "ag-a"
BY_NAME = locator.query_of(a_number=None, given_names="jose angel", surnames="GARCIA PEREZ",
                           date_of_birth="1990-05-17", country_of_birth="slv")
BY_NUMBER = locator.query_of(a_number="A-123-456-789", given_names=None, surnames=None, date_of_birth=None,
                             country_of_birth="SV")


def held(services: Services) -> int:
    """José Ángel Pérez García, admitted to a facility of agency ag-a: the seq his answer rests on."""
    services.execute(c.RegisterAgency(agency_id=AGENCY, occurred_at=T0, name="Agency A", country="US",
                                      kind="police"))
    services.execute(c.RegisterOfficer(officer_id="o-1", agency_id=AGENCY, occurred_at=T0, name="o-1",
                                       role="intake", public_key=bytes(range(32))))
    services.execute(c.RegisterFacility(facility_id="f-1", occurred_at=T0, name="Krome SPC", country="US",
                                        facility_type="spc", city="Miami", contact="+1 555 0100"))
    services.execute(c.RegisterUnit(unit_id="u-1", facility_id="f-1", occurred_at=T0, label="Block 1",
                                    floor_area_m2=Decimal("120"), declared_beds=30))
    services.execute(c.RegisterPerson(
        person_id="p-1", occurred_at=T0, name=PersonName(given_names=("José", "Ángel"), surnames=("Pérez", "García")),
        date_of_birth=PartialDate(year=1990, month=5, day=17), country_of_birth="SV", nationalities=("SV",),
        identifiers=(Identifier(kind=IdentifierKind.A_NUMBER, value="A-123-456-789", country="US"),),
    ))
    return services.execute(c.AdmitToCustody(
        person_id="p-1", occurred_at=T0 + timedelta(minutes=5), facility_id="f-1", unit_id="u-1",
        custodian=Custodian(agency_id=AGENCY, officer_id="o-1"),
        authority=Authority(agency_id=AGENCY, legal_basis="ina_241"),
    )).seqs[-1]


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block (the ledger's direct statements included), but BEGIN."""
    seen: list[str] = []
    engine = services.ledger.engine

    def heard(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if not sql.startswith("BEGIN"):  # SQLite's transaction start, which habeas issues itself: not a read
            seen.append(sql)

    event.listen(engine, "before_cursor_execute", heard)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", heard)


def test_the_answer_and_its_checkpoint_are_one_statement(make_services: Callable[[], Services]) -> None:
    services = make_services()
    seq = held(services)
    first = services.locate(BY_NAME)  # the proof made, and the tiles under it read
    with statements(services) as seen:
        again = services.locate(BY_NAME)
    # the answer (key, person, custody, facility, agencies, leaf) with the latest checkpoint: nothing else
    assert len(seen) == 1, seen
    [match] = again.matches
    assert match.located.seq == seq
    assert match.located.facility is not None
    assert match.located.facility.name == "Krome SPC"
    assert match.located.custodian is not None
    assert match.located.custodian.name == "Agency A"
    assert again == first
    assert [m.located for m in services.locate(BY_NUMBER).matches] == [match.located]


def test_a_proof_is_reused_while_the_checkpoint_stands_and_remade_when_it_moves(
    make_services: Callable[[], Services],
) -> None:
    services = make_services()
    seq = held(services)
    before = services.locate(BY_NAME)
    same = services.locate(BY_NUMBER)
    # the same checkpoint: the very proof made for the first answer
    assert same.checkpoint == before.checkpoint
    assert same.matches[0].tlog_proof is before.matches[0].tlog_proof
    # a search's access-log commitment moves the checkpoint on: a new proof, against the new checkpoint
    services.record_reads([access.Read(user_id="public:x", agency_id=access.PUBLIC_AGENCY, action="locate",
                                       subject_kind=access.PERSON, subject_id="p-1", request="GET /", at=T0)])
    after = services.locate(BY_NAME)
    assert after.checkpoint != before.checkpoint
    assert after.matches[0].tlog_proof != before.matches[0].tlog_proof
    ledger = services.ledger
    for result in (before, after):
        [match] = result.matches
        proof = parse_tlog_proof(match.tlog_proof)
        assert (proof.index, proof.checkpoint) == (seq, result.checkpoint)
        checkpoint = verify_tlog_proof(proof, match.leaf, [ledger.signer.verifier()], origin=ledger.origin)
        assert checkpoint.size == int(result.checkpoint.splitlines()[1])
    assert int(after.checkpoint.splitlines()[1]) == ledger.size()


def test_every_proof_the_cache_makes_is_the_logs_proof(make_ledger: Callable[[], tuple[Ledger, Signer]]) -> None:
    """For every leaf of every tree up to 70 leaves, and leaves of trees across tile boundaries (sizes growing, as
    checkpoints do; each asked twice), the cache's proof has the hashes of the log's own inclusion proof, though
    it reads whole nodes, not ranges."""
    ledger, _ = make_ledger()
    ledger.append([
        prepare_entry(type="custody.admitted", stream=f"p-{i}", occurred_at=T0, recorded_at=T0,
                      actor=Actor("officer-1", "agency-1"), body={"n": i})
        for i in range(700)
    ])
    cache = locator.ProofCache()
    for size in [*range(1, 71), 255, 256, 257, 511, 512, 513, 700]:
        seqs = range(size) if size <= 70 else [*range(0, size, 13), size - 2, size - 1]
        with ledger.engine.connect() as conn:
            nodes = cache.reader(conn)
            for seq in [*seqs, *seqs]:
                proof = parse_tlog_proof(cache.get(nodes, seq, size, f"checkpoint {size}\n"))
                assert list(proof.hashes) == ledger.inclusion_proof(seq, size), (seq, size)
                assert proof.index == seq
