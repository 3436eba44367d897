"""Issue 10, finding 4, over HTTP on SQLite and PostgreSQL: whoever knows a man's A-number gets his stream from
the locator's proof, and then reads the anonymous entry bundles. They tell that records were made about him, not
what they say: no organisation, source or evidence of an allegation, no court or offence of a conviction, no
removal order's authority, no stay's grantor, no admission's commitment authority (docs/public-log.md). The
officers who may read him still see all of it."""

from __future__ import annotations

from habeas.domain import commands as c
from habeas.domain.actors import Role
from habeas.ledger.entry import parse_leaf
from habeas.ledger.tiles import TILE_WIDTH
from tests.e2e.api.conftest import T0, ApiWorld

AT = "2025-03-02T10:00:00Z"
# what each record says: none of it may reach an anonymous reader
SAID = {
    "organisation": "Tren de Aragua",
    "source": "ICE I-213 field gang assessment",
    "evidence_reference": "tattoo-photo-17",
    "court": "Dade County Court",
    "offence": "unlawful carrying of a weapon",
    "authority": "IJ Krome removal proceedings",
    "granted_by": "D.D.C. Boasberg",
    "commitment_authority": "Transfer under the 2025 arrangement",
}


def _bundle(blob: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(blob):
        n = int.from_bytes(blob[pos : pos + 2], "big")
        out.append(blob[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return out


def test_the_anonymous_log_tells_records_were_made_not_what_they_say(api_world: ApiWorld) -> None:
    api_world.services.execute(c.RegisterFacility(facility_id="f-krome", occurred_at=T0, name="Krome", country="US",
                                                  facility_type="spc", operating_agency_id="ag-a"))
    person = api_world.client(Role.COORDINATOR).post("/people", json={
        "name": {"given_names": ["Yohan"], "surnames": ["Hernández"]}, "nationalities": ["VE"],
        "country_of_birth": "VE", "identifiers": [{"kind": "a_number", "value": "A-201-577-119"}],
    })
    assert person.status_code == 201, person.text
    pid = person.json()["id"]
    legal = api_world.client(Role.LEGAL)
    for path, body in (
        ("allegations", {"organisation": SAID["organisation"], "source": SAID["source"],
                         "evidence_reference": SAID["evidence_reference"]}),
        ("convictions", {"court": SAID["court"], "jurisdiction": "US", "offence": SAID["offence"],
                         "convicted_on": "2019-06-01"}),
        ("removal-orders", {"authority": SAID["authority"], "legal_basis": "aea_proclamation_2025",
                            "destination_country": "SV", "final": True}),
        ("stays", {"granted_by": SAID["granted_by"], "active_from": AT}),
    ):
        r = legal.post(f"/people/{pid}/{path}", json={**body, "occurred_at": AT})
        assert r.status_code == 201, (path, r.text)
    admitted = api_world.client(Role.COORDINATOR).post(f"/people/{pid}/admissions", json={
        "facility_id": "f-krome", "occurred_at": AT, "commitment_authority": SAID["commitment_authority"],
    })
    assert admitted.status_code == 201, admitted.text

    # An anonymous reader with the A-number: the locator's proof names the stream...
    anonymous = api_world.client()
    found = anonymous.get("/public/locator", params={"a_number": "A201577119", "country_of_birth": "VE"})
    assert found.status_code == 200, found.text
    (match,) = found.json()["matches"]
    assert parse_leaf(match["proof"]["leaf"].encode())["stream"] == pid
    # ...and the entry bundles hold every entry on it
    size = int(anonymous.get("/log/checkpoint").text.splitlines()[1])
    leaves: list[bytes] = []
    for index in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)
        path = f"/log/tile/entries/{index:03d}" + ("" if width == TILE_WIDTH else f".p/{width}")
        r = anonymous.get(path)
        assert r.status_code == 200, (path, r.text)
        leaves += _bundle(r.content)
    about_him = [parse_leaf(leaf) for leaf in leaves if parse_leaf(leaf)["stream"] == pid]
    public = b"".join(leaves).decode() + found.text
    assert [what for what in SAID.values() if what in public] == []
    # each record is there as a content-free entry that commits to its private payload
    by_type = {e["type"]: e for e in about_him}
    assert sorted(by_type["allegation.recorded"]["body"]) == ["allegation_id", "occurred_at"]
    assert sorted(by_type["conviction.recorded"]["body"]) == ["conviction_id", "occurred_at"]
    assert sorted(by_type["legal.removal_order.recorded"]["body"]) == ["occurred_at", "order_id", "period"]
    assert sorted(by_type["legal.stay.recorded"]["body"]) == ["occurred_at", "period", "stay_id"]
    assert sorted(by_type["person.admission.recorded"]["body"]) == ["admission_id", "facility_id", "occurred_at"]
    assert all(len(by_type[t]["private"]) == 64 for t in ("allegation.recorded", "conviction.recorded"))

    # the agencies' feed serves the same public entries
    feed = api_world.client(Role.COORDINATOR).get("/feed", params={"limit": 1000})
    assert feed.status_code == 200, feed.text
    assert [what for what in SAID.values() if what in feed.text] == []

    # an officer who may read him sees what the records say
    shown = legal.get(f"/people/{pid}").json()
    assert shown["allegations"][0]["body"]["organisation"] == SAID["organisation"]
    assert shown["convictions"][0]["body"]["offence"] == SAID["offence"]
    assert {r["body"].get("authority") for r in shown["legal"]} >= {SAID["authority"]}
    assert shown["admissions"][0]["body"]["commitment_authority"] == SAID["commitment_authority"]
