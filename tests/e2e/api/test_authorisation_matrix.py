"""The authorisation matrix: every route × every role × own agency / other agency, and anonymous, over HTTP.

What each route demands is read off its dependency (a Guard: a permission, and the path parameter whose subject
must be in the caller's agency's view); what each role may do is the table that tests/unit/api pins. The test
checks that the server enforces exactly that: 401 without a token, 403 for a role without the permission
(before anything else is looked at), 404 for a subject of another agency (the answer an unknown id gets), and
neither 401, 403 nor that 404 where the role and the agency may act (the request then fails or succeeds on its
merits: an empty body is usually a 422).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi.routing import APIRoute

from habeas.api.app import ROUTERS
from habeas.api.context import GUARDS, Guard
from habeas.domain import commands as c
from habeas.domain.actors import Role
from habeas.domain.custody import Authority, Custodian
from habeas.domain.incidents import Checkpoint
from habeas.domain.manifest_commands import CreateManifest
from habeas.domain.moves import Leg, TransportMode
from habeas.ledger.note import generate_signer
from habeas.services.handoffs import IssueHandoff
from habeas.services.incidents import RecordHeadcount
from habeas.services.permissions import allowed
from habeas.storage.projections.scope import HANDOFF, INCIDENT, MANIFEST, PERSON
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld

# Routes anyone may call: the locator, the public log, logging in, liveness.
PUBLIC = re.compile(r"^(/public/.*|/log/.*|/auth/token|/healthz)$")
AGENCY_C = "ag-c"


@dataclass(frozen=True)
class Subjects:
    own: dict[str, str]
    other: dict[str, str]


def _arrange(world: ApiWorld) -> Subjects:
    """For each kind a route can be scoped by, a subject agency A sees and one only agency B sees."""
    run = world.services.execute
    run(c.RegisterAgency(agency_id=AGENCY_C, occurred_at=T0, name="Agency C", country="SV", kind="police"))
    signers = {}
    for agency in (AGENCY_A, AGENCY_B, AGENCY_C):
        signers[agency] = generate_signer(f"o-{agency}")
        run(c.RegisterOfficer(officer_id=f"o-{agency}", agency_id=agency, occurred_at=T0, name="Officer",
                              role="escort", public_key=signers[agency].public_key))
        run(c.RegisterFacility(facility_id=f"f-{agency}", occurred_at=T0, name="F", country="US",
                               facility_type="spc"))
        run(c.RegisterUnit(unit_id="u", facility_id=f"f-{agency}", occurred_at=T0, label="U",
                           floor_area_m2=Decimal(400), declared_beds=100))
    own, other = {}, {}
    for agency, target, out in ((AGENCY_A, AGENCY_B, own), (AGENCY_B, AGENCY_C, other)):
        actor = world.actor(agency)
        who = Custodian(agency_id=agency, officer_id=f"o-{agency}")
        pid = f"p-{agency}"
        run(c.RegisterPerson(person_id=pid, occurred_at=T0, nationalities=("VE",)), actor)
        run(c.AdmitToCustody(person_id=pid, occurred_at=T0, facility_id=f"f-{agency}", unit_id="u", custodian=who,
                             authority=Authority(agency_id=agency, legal_basis="ina_241")), actor)
        run(CreateManifest(manifest_id=f"m-{agency}", occurred_at=T0, journey_id=f"j-{agency}", leg_index=0,
                           leg=_leg(f"f-{target}"), people=(pid,)), actor)
        run(IssueHandoff(receipt_id=f"hr-{agency}", person_ids=(pid,), releasing=who,
                         receiving=Custodian(agency_id=target, officer_id=f"o-{target}"), place_id="apt",
                         country="SV", at=T0, authority=Authority(agency_id=target, legal_basis="agreement"),
                         items=()), actor)
        # A headcount with someone missing opens an incident (after the receipt: none names a missing man).
        run(RecordHeadcount(headcount_id=f"hc-{agency}", manifest_id=f"m-{agency}", checkpoint=Checkpoint.ARRIVAL,
                            occurred_at=T0, counted_person_ids=(), expected_person_ids=(pid,)), actor)
        out.update({PERSON: pid, MANIFEST: f"m-{agency}", HANDOFF: f"hr-{agency}",
                    INCIDENT: f"hc-{agency}.discrepancy"})
    return Subjects(own=own, other=other)


def _leg(destination: str) -> Leg:
    return Leg(
        leg_id="l-1", mode=TransportMode.AIR, carrier="C", vehicle="V", origin="KHRL", origin_country="US",
        destination="MSLP", destination_country="SV", scheduled_departure=T0 + timedelta(days=30),
        scheduled_arrival=T0 + timedelta(days=30, hours=4), destination_facility_id=destination,
    )


def _guard(route: APIRoute) -> Guard | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call in GUARDS:
            return GUARDS[dep.call]
        stack.extend(dep.dependencies)
    return None


def _url(route: APIRoute, guard: Guard | None, subject: str | None) -> str:
    def fill(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        if guard is not None and name == guard.scope_param and subject is not None:
            return subject
        return "0" if name in ("seq",) else f"x-{name}"

    return re.sub(r"\{([^}]+)\}", fill, route.path_format)


def _call(client: httpx.Client, method: str, url: str) -> httpx.Response:
    return client.request(method, url, json=None if method in ("GET", "HEAD", "DELETE") else {})


def test_every_route_enforces_its_role_and_scope(api_world: ApiWorld) -> None:
    subjects = _arrange(api_world)
    # Each module's own router: the app's route list holds included routers, not their routes, in FastAPI 0.16x.
    routes = [r for module in ROUTERS for r in module.router.routes if isinstance(r, APIRoute)]
    guarded = [(r, g) for r in routes if (g := _guard(r)) is not None]
    unguarded = sorted(r.path for r in routes if _guard(r) is None)
    assert all(PUBLIC.match(p) for p in unguarded), f"routes with no permission declared: {unguarded}"
    assert len(guarded) > 40  # the whole API, not a handful

    anon = api_world.client()
    clients = {role: api_world.client(role, AGENCY_A) for role in Role}
    problems: list[str] = []
    for route, guard in guarded:
        for method in sorted(route.methods - {"HEAD"}):
            cases: list[tuple[str, str | None]] = [("own", None)]
            if guard.scope_kind is not None:
                cases = [("own", subjects.own[guard.scope_kind]), ("other", subjects.other[guard.scope_kind])]
            for label, subject in cases:
                url = _url(route, guard, subject)
                r = _call(anon, method, url)
                if r.status_code != 401:
                    problems.append(f"anonymous {method} {url}: {r.status_code}")
                for role, client in clients.items():
                    problems += _judge(_call(client, method, url), role, guard, label, subject, f"{method} {url}")
    assert not problems, "\n".join(problems)


def _judge(r: httpx.Response, role: Role, guard: Guard, label: str, subject: str | None, what: str) -> list[str]:  # noqa: PLR0917
    body: dict[str, Any] = r.json() if r.headers.get("content-type", "").endswith("json") else {}
    where = f"{role.value} of {AGENCY_A} {what} ({label})"
    if r.status_code >= 500:
        return [f"{where}: {r.status_code} {r.text[:200]}"]
    if not allowed(role, guard.permission):
        if r.status_code != 403 or body.get("permission") != guard.permission.value:
            return [f"{where}: expected 403 for {guard.permission.value}, got {r.status_code} {r.text[:200]}"]
        return []
    scoped_404 = r.status_code == 404 and body.get("type") == "urn:habeas:problem:unknown-record" and (
        subject is not None and subject in r.text
    )
    if label == "other":
        if not scoped_404:
            return [f"{where}: expected 404 naming {subject}, got {r.status_code} {r.text[:200]}"]
        return []
    if r.status_code in (401, 403) or scoped_404:
        return [f"{where}: refused although allowed: {r.status_code} {r.text[:200]}"]
    return []
