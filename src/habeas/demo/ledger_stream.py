"""A synthetic custody stream for the log alone: the seed operation as ledger entries.

261 invented people (238 Venezuelan, 23 Salvadoran) are registered with their personal data in the private
payload, their allegations and legal basis recorded, admitted at a US facility, boarded, flown, handed to the
receiving state and admitted at the receiving prison. Each step is one entry; the public parts carry opaque ids
and codes only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from habeas.demo.synthetic import SYNTHETIC, PeopleFactory, SyntheticPerson
from habeas.ledger.entry import Actor, PreparedEntry, prepare_entry

T0 = datetime(2025, 3, 14, 6, 0, tzinfo=UTC)
US_AGENCY = "agency-us-ice"
SV_AGENCY = "agency-sv-dgcp"
US_FACILITY = "PISPCTX"  # ICE register code of a real Texas processing centre (public, non-personal)
SV_FACILITY = "facility-sv-cecot"
FLIGHT = "manifest-0001"

_COORDINATOR = Actor(officer="officer-us-0007", agency=US_AGENCY)
_LEGAL = Actor(officer="officer-us-0012", agency=US_AGENCY)
_ESCORT = Actor(officer="officer-us-0031", agency=US_AGENCY)
_INTAKE = Actor(officer="officer-sv-0004", agency=SV_AGENCY)


def operation_people(seed: int = 2025, venezuelans: int = 238, salvadorans: int = 23) -> list[SyntheticPerson]:
    factory = PeopleFactory(seed)
    return [factory.person("VE") for _ in range(venezuelans)] + [factory.person("SV") for _ in range(salvadorans)]


def person_entries(p: SyntheticPerson, i: int) -> Iterator[PreparedEntry]:
    """The entries of one person's journey, in the order they happen."""
    t = T0 + timedelta(minutes=2 * i)
    basis = "aea-proclamation" if p.nationality == "VE" and i % 238 < 137 else "ina-240-removal-order"
    org = "tren-de-aragua" if p.nationality == "VE" else "ms-13"

    def entry(type_: str, at: datetime, actor: Actor, body: dict[str, object], private: object = None) -> PreparedEntry:
        return prepare_entry(
            type=type_, stream=p.person_id, occurred_at=at, recorded_at=at + timedelta(seconds=30),
            actor=actor, body=body, private=private if isinstance(private, dict) else None,
        )

    yield entry("person.registered", t, _COORDINATOR,
                {"nationality": p.nationality, "languages": list(p.languages), "synthetic": True}, p.private())
    yield entry("allegation.recorded", t + timedelta(minutes=5), _COORDINATOR,
                {"organisation": org, "status": "alleged", "source": "agency-assessment"})
    yield entry("legal.removal_order.recorded", t + timedelta(minutes=9), _LEGAL,
                {"basis": basis, "destination": "SV", "final": basis != "aea-proclamation"})
    yield entry("custody.admitted", t + timedelta(hours=1), _COORDINATOR,
                {"agency": US_AGENCY, "facility": US_FACILITY})
    yield entry("manifest.boarded", T0 + timedelta(days=1, hours=11, minutes=i // 20), _ESCORT,
                {"manifest": FLIGHT, "seat": i + 1})
    yield entry("custody.in_transit", T0 + timedelta(days=1, hours=12), _ESCORT,
                {"leg": f"{FLIGHT}/air", "from": "US", "to": "SV"})
    yield entry("custody.handed_over", T0 + timedelta(days=1, hours=16), _ESCORT,
                {"from_agency": US_AGENCY, "to_agency": SV_AGENCY, "country": "SV",
                 "legal_authority": US_AGENCY, "physical_custodian": SV_AGENCY})
    yield entry("custody.admitted", T0 + timedelta(days=1, hours=18, minutes=i // 10), _INTAKE,
                {"agency": SV_AGENCY, "facility": SV_FACILITY})


def operation_stream(seed: int = 2025) -> list[list[PreparedEntry]]:
    """One list of entries a person, for appending person by person."""
    return [list(person_entries(p, i)) for i, p in enumerate(operation_people(seed))]


__all__ = ["SYNTHETIC", "operation_people", "operation_stream"]
