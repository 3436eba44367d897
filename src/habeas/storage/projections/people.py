"""People: ``p_person`` (one row a registration) and ``p_person_key`` (the keys people are looked up by)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Connection, Index, String, Table, Text, delete, update

from habeas.domain.corrections import PersonErased
from habeas.domain.events import Event, EventType
from habeas.domain.identity import PersonIdentity, PersonMerged, locator_keys, name_key
from habeas.domain.people import PersonRegistered
from habeas.storage.projections.rows import Applier, body_json
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


def _registered(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, PersonRegistered)
    conn.execute(
        person.insert().values(
            person_id=event.stream, seq=seq, body=body_json(event.public()), merged_into=None, erased=False,
            updated_seq=seq,
        )
    )
    keys = identity_keys(PersonIdentity.of(event))
    if keys:
        conn.execute(person_key.insert(), [{"person_id": event.stream, "kind": k, "key": v} for k, v in sorted(keys)])


def _merged(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, PersonMerged)
    conn.execute(
        update(person)
        .where(person.c.person_id == event.stream)
        .values(merged_into=event.into_person_id, updated_seq=seq)
    )


def _erased(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, PersonErased)
    conn.execute(update(person).where(person.c.person_id == event.stream).values(erased=True, updated_seq=seq))
    conn.execute(delete(person_key).where(person_key.c.person_id == event.stream))


APPLIERS: dict[EventType, Applier] = {
    EventType.PERSON_REGISTERED: _registered,
    EventType.PERSON_MERGED: _merged,
    EventType.PERSON_ERASED: _erased,
}
