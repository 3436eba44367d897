"""Event vocabulary, the event base class and reconstruction of events from stored entries.

An event is a frozen keyword-only dataclass. Fields declared ``field(default=..., metadata=PRIVATE)`` hold
personal data (names, birth dates, document numbers, health and family details): they go only into
:meth:`Event.private`, the payload the ledger keeps in its private table and commits to by hash. Everything
else goes into :meth:`Event.public`, which ends up in the public leaf. ``stream`` is the opaque id of the
subject (a person, a court order, a facility...), never a name, and is carried by the entry itself, not in
either payload.

Fields declared ``metadata=CONTENT`` are private the same way; they hold what a record says about a person (an
allegation's organisation, a removal order's authority, a fitness finding), which the public log must not show
(it tells custody, not accusations: ``docs/public-log.md``) but which a caller who may read the person sees with
the record. ``PRIVATE`` fields are never shown with a record.

Private fields always have a default: after an erasure the private payload is gone, and ``event_from(type,
stream, public, None)`` must still rebuild the projections; it then gives the event with its private fields at
their defaults.

Concrete events live beside their concept (``people``, ``legal``, ``custody``...) and register themselves here
by their ``TYPE``; :func:`event_class` imports a concept's module the first time one of its types is decoded
(``HOMES`` says which), so reading a projection imports no event it does not decode.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

from habeas.domain.codec import decode_kwargs, encoder, field_types
from habeas.domain.errors import InvalidField, UnknownEventType
from habeas.domain.values import require_aware, require_id

_PRIVATE_KEY = "private"
PRIVATE: Mapping[str, bool] = MappingProxyType({_PRIVATE_KEY: True})
"""Field metadata marking personal data: ``name: str | None = field(default=None, metadata=PRIVATE)``."""
_CONTENT_KEY = "content"
CONTENT: Mapping[str, bool] = MappingProxyType({_PRIVATE_KEY: True, _CONTENT_KEY: True})
"""Field metadata marking a record's content: private in the log, shown with the record to those who may read it."""


class EventType(StrEnum):
    """Stable dotted names: they are written into the ledger, so a value here never changes meaning."""

    PERSON_REGISTERED = "person.registered"
    PERSON_ADMISSION_RECORDED = "person.admission.recorded"
    PERSON_MERGED = "person.merged"
    PERSON_ERASED = "person.erased"
    ALLEGATION_RECORDED = "allegation.recorded"
    ALLEGATION_STATUS_CHANGED = "allegation.status_changed"
    CONVICTION_RECORDED = "conviction.recorded"
    REMOVAL_ORDER_RECORDED = "legal.removal_order.recorded"
    PROTECTION_RECORDED = "legal.protection.recorded"
    STAY_RECORDED = "legal.stay.recorded"
    COURT_ORDER_RECORDED = "legal.court_order.recorded"
    NOTICE_SERVED = "legal.notice.served"
    COUNSEL_RECORDED = "legal.counsel.recorded"
    CONSULAR_RECORDED = "legal.consular.recorded"
    FACILITY_REGISTERED = "facility.registered"
    UNIT_REGISTERED = "unit.registered"
    AGENCY_REGISTERED = "agency.registered"
    OFFICER_REGISTERED = "officer.registered"
    CUSTODY_CHANGED = "custody.changed"
    ENTRY_CORRECTED = "entry.corrected"
    MANIFEST_CREATED = "manifest.created"
    MANIFEST_PERSON_ADDED = "manifest.person_added"
    MANIFEST_PERSON_STRUCK = "manifest.person_struck"
    MANIFEST_ALTERNATE_PROMOTED = "manifest.alternate_promoted"
    MANIFEST_CLEARED = "manifest.cleared"
    MANIFEST_CLEARANCE_LAPSED = "manifest.clearance_lapsed"
    MANIFEST_BOARDING_STARTED = "manifest.boarding_started"
    MANIFEST_DEPARTED = "manifest.departed"
    MANIFEST_ARRIVED = "manifest.arrived"
    MANIFEST_HANDED_OVER = "manifest.handed_over"
    MANIFEST_CLOSED = "manifest.closed"
    MANIFEST_HALTED = "manifest.halted"
    MANIFEST_RETURNED = "manifest.returned"
    MANIFEST_CANCELLED = "manifest.cancelled"
    GATE_EVALUATED = "gate.evaluated"
    HEADCOUNT_RECORDED = "headcount.recorded"
    INCIDENT_OPENED = "incident.opened"
    INCIDENT_RESOLVED = "incident.resolved"
    ACCESS_LOGGED = "access.logged"
    ACCESS_LOG_COMMITTED = "access_log.committed"
    NOTIFICATION_DUE = "notification.due"
    NOTIFICATION_SENT = "notification.sent"
    HANDOFF_RECEIPT_ISSUED = "handoff.receipt_issued"
    HANDOFF_SIGNED = "handoff.signed"
    HANDOFF_COMPLETED = "handoff.completed"
    INTAKE_CAPACITY_OVERRIDE = "intake.capacity_override"
    INTAKE_UNKNOWN_OVERRIDE = "intake.unknown_override"
    AGREEMENT_RECORDED = "agreement.recorded"
    AGREEMENT_INVOICE_ISSUED = "agreement.invoice_issued"
    FITNESS_TO_TRAVEL_RECORDED = "medical.fitness.recorded"
    RETURN_REQUIRED_OVERRIDDEN = "return_required.overridden"


_REGISTRY: dict[EventType, type[Event]] = {}

# The concept module (under habeas.domain) that defines each event class. A class registers itself when its
# module is imported; decoding an entry imports the module then, so a command that decodes nothing (a read of a
# projection) does not pay for importing every concept at start-up. A test checks this table against the classes.
HOMES: Mapping[EventType, str] = MappingProxyType({
    EventType.PERSON_REGISTERED: "people",
    EventType.PERSON_ADMISSION_RECORDED: "people",
    EventType.PERSON_MERGED: "identity",
    EventType.PERSON_ERASED: "corrections",
    EventType.ALLEGATION_RECORDED: "allegations",
    EventType.ALLEGATION_STATUS_CHANGED: "allegations",
    EventType.CONVICTION_RECORDED: "allegations",
    EventType.REMOVAL_ORDER_RECORDED: "legal",
    EventType.PROTECTION_RECORDED: "legal",
    EventType.STAY_RECORDED: "legal",
    EventType.COURT_ORDER_RECORDED: "court_orders",
    EventType.NOTICE_SERVED: "legal",
    EventType.COUNSEL_RECORDED: "legal",
    EventType.CONSULAR_RECORDED: "legal",
    EventType.FACILITY_REGISTERED: "facilities",
    EventType.UNIT_REGISTERED: "facilities",
    EventType.AGENCY_REGISTERED: "facilities",
    EventType.OFFICER_REGISTERED: "facilities",
    EventType.CUSTODY_CHANGED: "custody",
    EventType.ENTRY_CORRECTED: "corrections",
    EventType.MANIFEST_CREATED: "manifest_events",
    EventType.MANIFEST_PERSON_ADDED: "manifest_events",
    EventType.MANIFEST_PERSON_STRUCK: "manifest_events",
    EventType.MANIFEST_ALTERNATE_PROMOTED: "manifest_events",
    EventType.MANIFEST_CLEARED: "manifest_events",
    EventType.MANIFEST_CLEARANCE_LAPSED: "manifest_events",
    EventType.MANIFEST_BOARDING_STARTED: "manifest_events",
    EventType.MANIFEST_DEPARTED: "manifest_events",
    EventType.MANIFEST_ARRIVED: "manifest_events",
    EventType.MANIFEST_HANDED_OVER: "manifest_events",
    EventType.MANIFEST_CLOSED: "manifest_events",
    EventType.MANIFEST_HALTED: "manifest_events",
    EventType.MANIFEST_RETURNED: "manifest_events",
    EventType.MANIFEST_CANCELLED: "manifest_events",
    EventType.GATE_EVALUATED: "manifest_events",
    EventType.HEADCOUNT_RECORDED: "headcounts",
    EventType.INCIDENT_OPENED: "incidents",
    EventType.INCIDENT_RESOLVED: "incidents",
    EventType.ACCESS_LOGGED: "incidents",
    EventType.ACCESS_LOG_COMMITTED: "access_log",
    EventType.NOTIFICATION_DUE: "notifications",
    EventType.NOTIFICATION_SENT: "notifications",
    EventType.HANDOFF_RECEIPT_ISSUED: "handoff_events",
    EventType.HANDOFF_SIGNED: "handoff_events",
    EventType.HANDOFF_COMPLETED: "handoff_events",
    EventType.INTAKE_CAPACITY_OVERRIDE: "intake",
    EventType.INTAKE_UNKNOWN_OVERRIDE: "intake",
    EventType.AGREEMENT_RECORDED: "agreements",
    EventType.AGREEMENT_INVOICE_ISSUED: "agreements",
    EventType.FITNESS_TO_TRAVEL_RECORDED: "medical",
    EventType.RETURN_REQUIRED_OVERRIDDEN: "return_overrides",
})


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event. ``occurred_at`` is when it happened in the world (UTC); recording may be later."""

    TYPE: ClassVar[EventType]

    stream: str
    occurred_at: datetime

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("TYPE")
        if event_type is not None:
            if event_type in _REGISTRY:
                raise TypeError(f"two event classes for {event_type}")
            _REGISTRY[event_type] = cls

    def __post_init__(self) -> None:
        require_id("stream", self.stream)
        object.__setattr__(self, "occurred_at", require_aware("occurred_at", self.occurred_at))

    @classmethod
    def private_names(cls) -> tuple[str, ...]:
        return _names(cls)[0]

    @classmethod
    def content_names(cls) -> tuple[str, ...]:
        """The private fields that are the record's content (``metadata=CONTENT``)."""
        return _names(cls)[1]

    @classmethod
    def public_names(cls) -> tuple[str, ...]:
        return _names(cls)[2]

    def public(self) -> dict[str, Any]:
        """The JSON-safe public body: no names, birth dates or document numbers.

        Computed once an event and kept (the event is frozen, so it cannot go stale): the ledger encodes it into
        the entry and the projections store it, and encoding was done once for each. Treat it as read-only.
        """
        body: dict[str, Any] | None = self.__dict__.get(_PUBLIC)
        if body is None:
            body = {n: enc(getattr(self, n)) for n, enc in _encoders(type(self))[0]}
            object.__setattr__(self, _PUBLIC, body)
        return body

    def public_encoded(self, encode: Callable[[dict[str, Any]], bytes]) -> bytes:
        """``encode(self.public())``, computed once and kept as :meth:`public` is: the ledger's canonical JSON of
        the body, which the entry and the projections' body column both hold (encoded once for the two)."""
        text: bytes | None = self.__dict__.get(_PUBLIC_ENCODED)
        if text is None:
            text = encode(self.public())
            object.__setattr__(self, _PUBLIC_ENCODED, text)
        return text

    def private(self) -> dict[str, Any] | None:
        """The JSON-safe personal data, or ``None`` when this event type carries none (computed once, as
        :meth:`public`)."""
        fields = _encoders(type(self))[1]
        if not fields:
            return None
        payload: dict[str, Any] | None = self.__dict__.get(_PRIVATE_BODY)
        if payload is None:
            payload = {n: enc(getattr(self, n)) for n, enc in fields}
            object.__setattr__(self, _PRIVATE_BODY, payload)
        return payload


# Where an event keeps its encoded bodies: attributes outside the dataclass fields, so equality, hashing and repr
# (which read the fields only) never see them.
_PUBLIC = "_encoded_public"
_PUBLIC_ENCODED = "_encoded_public_bytes"
_PRIVATE_BODY = "_encoded_private"
_NAMES: dict[type[Event], tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
_Fields = tuple[tuple[str, Callable[[Any], Any]], ...]
_ENCODERS: dict[type[Event], tuple[_Fields, _Fields]] = {}


def _names(cls: type[Event]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(private, content, public) field names of an event class, worked out once a class."""
    names = _NAMES.get(cls)
    if names is None:
        fields = dataclasses.fields(cls)
        names = _NAMES[cls] = (
            tuple(f.name for f in fields if f.metadata.get(_PRIVATE_KEY)),
            tuple(f.name for f in fields if f.metadata.get(_CONTENT_KEY)),
            tuple(f.name for f in fields if not f.metadata.get(_PRIVATE_KEY) and f.name != "stream"),
        )
    return names


def _encoders(cls: type[Event]) -> tuple[_Fields, _Fields]:
    """(name, encoder) of the public and of the private fields, in declaration order, found once a class."""
    found = _ENCODERS.get(cls)
    if found is None:
        hints = field_types(cls)
        private, _, public = _names(cls)
        found = _ENCODERS[cls] = (
            tuple((n, encoder(hints[n])) for n in public), tuple((n, encoder(hints[n])) for n in private)
        )
    return found


def event_class(event_type: str) -> type[Event]:
    try:
        known = EventType(event_type)
    except ValueError as e:
        raise UnknownEventType(event_type) from e
    cls = _REGISTRY.get(known)
    if cls is None:
        importlib.import_module(f"habeas.domain.{HOMES[known]}")  # registers the class (see HOMES)
        cls = _REGISTRY[known]
    return cls


def event_from(type: str, stream: str, public: dict[str, Any], private: dict[str, Any] | None) -> Event:
    """Rebuild an event from a stored entry; ``private=None`` (erased) gives the private fields' defaults."""
    cls = event_class(type)
    kwargs = decode_kwargs(cls, public, only=set(cls.public_names()))
    private_names = cls.private_names()
    if private is not None:
        if not private_names:
            raise InvalidField("private", private, f"{type} carries no private payload")
        kwargs |= decode_kwargs(cls, private, only=set(private_names))
    return cls(stream=stream, **kwargs)
