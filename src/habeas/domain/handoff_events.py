"""Handoff events: the receipt issued (its item descriptions and nonce private), each officer's signature,
and the completed handoff. Decided by :mod:`habeas.domain.handoffs`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from habeas.domain.custody import Authority, Custodian
from habeas.domain.events import PRIVATE, Event, EventType


class ItemKind(StrEnum):
    PROPERTY = "property"
    MEDICINE = "medicine"  # travels with the person (ICE 11022.1 §5.11)
    DOCUMENT = "document"  # identity and health records, court papers


class SignerRole(StrEnum):
    RELEASING = "releasing"
    RECEIVING = "receiving"


@dataclass(frozen=True, kw_only=True)
class ItemRef:
    """The public part of a :class:`~habeas.domain.handoffs.ReceiptItem`."""

    item_id: str
    person_id: str
    kind: ItemKind
    quantity: int = 1


@dataclass(frozen=True, kw_only=True)
class ItemDescription:
    item_id: str
    description: str


@dataclass(frozen=True, kw_only=True)
class HandoffReceiptIssued(Event):
    """``stream`` is the receipt id; ``occurred_at`` the handoff time. Rebuild with
    :func:`~habeas.domain.handoffs.receipt_from_event`."""

    TYPE: ClassVar[EventType] = EventType.HANDOFF_RECEIPT_ISSUED

    person_ids: tuple[str, ...]
    items: tuple[ItemRef, ...]
    releasing: Custodian
    receiving: Custodian
    place_id: str
    country: str
    authority: Authority
    manifest_id: str | None = None
    descriptions: tuple[ItemDescription, ...] = field(default=(), metadata=PRIVATE)
    nonce: str | None = field(default=None, metadata=PRIVATE)


@dataclass(frozen=True, kw_only=True)
class HandoffSigned(Event):
    """``stream`` is the receipt id; ``signature`` (base64 in the entry) is over
    :func:`~habeas.domain.handoffs.receipt_bytes`."""

    TYPE: ClassVar[EventType] = EventType.HANDOFF_SIGNED

    role: SignerRole
    officer_id: str
    agency_id: str
    signature: bytes


@dataclass(frozen=True, kw_only=True)
class HandoffCompleted(Event):
    """``stream`` is the receipt id: both signatures verified and custody passed for ``person_ids``."""

    TYPE: ClassVar[EventType] = EventType.HANDOFF_COMPLETED

    person_ids: tuple[str, ...]
    releasing: Custodian
    receiving: Custodian
    authority: Authority
    country: str
    place_id: str
