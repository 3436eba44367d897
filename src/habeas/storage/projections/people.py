"""People: ``p_person`` (one row a registration) and ``p_person_key`` (the keys people are looked up by)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import BigInteger, Boolean, Column, Index, String, Table, Text, bindparam, delete, update

from habeas.domain.codec import decode_fields
from habeas.domain.errors import DomainError
from habeas.domain.events import EventType
from habeas.domain.identity import PersonIdentity, PersonMerged, locator_keys, name_key
from habeas.domain.people import PersonRegistered
from habeas.storage.projections.batch import Batch, Row
from habeas.storage.projections.rows import Applier, Batched, Recorded, UnreadableEntry
from habeas.storage.projections.schema import metadata

person = Table(
    "p_person",
    metadata,
    Column("person_id", String(100), primary_key=True),
    Column("seq", BigInteger, nullable=False),  # the registration
    Column("body", Text, nullable=False),  # public registration fields: sex, nationalities, birth country...
    Column("merged_into", String(100)),
    Column("erased", Boolean, nullable=False, default=False),
    Column("updated_seq", BigInteger, nullable=False),
)

# Search keys derived from personal data (folded names, identifiers): dropped when the person is erased.
person_key = Table(
    "p_person_key",
    metadata,
    Column("person_id", String(100), primary_key=True),
    Column("kind", String(20), primary_key=True),  # "identifier" | "name" | "locator" (exact public lookups)
    Column("key", String(400), primary_key=True),
    Index("ix_p_person_key_key", "kind", "key"),
)


def identity_keys(identity: PersonIdentity) -> set[tuple[str, str]]:
    """Search keys of a person: each identifier, each folded name in any surname order, and the public
    locator's exact keys (A-number; every name with the birth date), so each lookup is one indexed read."""
    keys = {("identifier", f"{i.kind}:{i.country or ''}:{i.value}") for i in identity.identifiers}
    keys |= {("name", " ".join(k)) for k in identity.name_keys()}
    keys |= {("locator", k) for k in locator_keys(identity)}
    return keys


def name_search_key(text: str) -> str:
    return " ".join(name_key(text))


_INSERT_PERSON = person.insert()
_INSERT_KEY = person_key.insert()
_MERGE = (
    update(person)
    .where(person.c.person_id == bindparam("k_person"))
    .values(merged_into=bindparam("v_into"), updated_seq=bindparam("v_seq"))
)
_ERASE = (
    update(person)
    .where(person.c.person_id == bindparam("k_person"))
    .values(erased=True, updated_seq=bindparam("v_seq"))
)
_DROP_KEYS = delete(person_key).where(person_key.c.person_id == bindparam("k_person"))


_IDENTITY = frozenset(f.name for f in dataclasses.fields(PersonIdentity)) - {"person_id"}


def _identity(r: Recorded) -> PersonIdentity:
    """The registration's identifying facts: from the event when live; in a rebuild decoded from the private
    payload alone (the same fields, of the same types), not the whole event."""
    if r.live:
        event = r.event
        assert isinstance(event, PersonRegistered)
        return PersonIdentity.of(event)
    held = {k: v for k, v in (r.private or {}).items() if k in _IDENTITY}  # erased: no personal data, no keys
    try:
        identity: PersonIdentity = decode_fields(PersonIdentity, {"person_id": r.stream, **held})
    except (DomainError, TypeError, ValueError) as e:
        raise UnreadableEntry(r.seq, str(e)) from e
    return identity


def _registered(batch: Batch, items: Sequence[Recorded]) -> None:
    people: list[Row] = []
    keys: list[Row] = []
    for r in items:
        people.append(
            {"person_id": r.stream, "seq": r.seq, "body": r.body_json(), "merged_into": None, "erased": False,
             "updated_seq": r.seq}
        )
        keys.extend(
            {"person_id": r.stream, "kind": k, "key": v} for k, v in sorted(identity_keys(_identity(r)))
        )
    batch.add(person, _INSERT_PERSON, people)
    batch.add(person_key, _INSERT_KEY, keys)


def _merged(batch: Batch, items: Sequence[Recorded]) -> None:
    rows = []
    for r in items:
        event = r.event
        assert isinstance(event, PersonMerged)
        rows.append({"k_person": r.stream, "v_into": event.into_person_id, "v_seq": r.seq})
    batch.add(person, _MERGE, rows)


def _erased(batch: Batch, items: Sequence[Recorded]) -> None:
    batch.add(person, _ERASE, [{"k_person": r.stream, "v_seq": r.seq} for r in items])
    batch.add(person_key, _DROP_KEYS, [{"k_person": r.stream} for r in items])


APPLIERS: dict[EventType, Applier] = {
    EventType.PERSON_REGISTERED: Batched(_registered),
    EventType.PERSON_MERGED: Batched(_merged),
    EventType.PERSON_ERASED: Batched(_erased),
}
