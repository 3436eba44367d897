"""`habeas demo` end to end: the seed operation through the command handlers, then verify and rebuild --check."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from habeas.domain.events import EventType
from tests.e2e.cli import invoke


def habeas(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """In-process (tests/e2e/cli.py); tests/e2e/test_cli_log.py runs the demo in a real process."""
    return invoke(*args, cwd=cwd)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("demo")
    proc = habeas("demo", "--dir", "X", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return cwd / "X", proc.stdout


def test_the_demo_prints_the_operation(run: tuple[Path, str]) -> None:
    _, out = run
    assert "SYNTHETIC" in out
    assert "261 people" in out
    assert "Policy pack: us-federal (shipped, unchanged" in out
    # capacity: 8 blocks × 32 cells × 100 m²; CPT 4 m² → 6,400, ICRC 3.4 m² per block → 8 × 941, declared 40,000
    row = next(line for line in out.splitlines() if "Centro de Confinamiento" in line and "25,600" in line)
    assert re.search(r"\b8 .* 25,600 .* 40,000 .* 20,480 .* 6,400 .* 7,528 .* 0\.64 .* 122 ", row), row
    assert re.search(r"declared 40,000 is 6\.2× the CPT figure \(6,400\)", out)
    assert re.search(r"verified: ([\d,]+) entries, \d+ signed checkpoints", out)


def test_the_demo_prints_each_catch_in_order(run: tuple[Path, str]) -> None:
    _, out = run
    titles = [line.strip() for line in out.splitlines() if "CAUGHT" in line]
    assert [t.split(")")[0] for t in titles] == ["CAUGHT (1", "CAUGHT (2", "CAUGHT (3", "CAUGHT (4",
                                                  "CAUGHT (3, continued", "CAUGHT (5", "CAUGHT (4, continued"]
    # (1) the alternate: the gate table row, resting on his protection record; struck; the rest re-cleared
    assert re.search(r"blocked p-000261\n", out)
    assert re.search(r"gate table row p-000261: no_protection_against_destination fail "
                     r"\(protection-against-destination: .*\), rests on pr-p-000261", out)
    assert "boarding refused: manifest 'mf-hrl-sal-0315': a gate blocks p-000261" in out
    assert "struck with reason code protection; re-cleared: 260 evaluated, 0 blocked, cleared=True" in out
    # (2) the order before departure: the 12 held at Willacy County
    assert re.search(r"clearance: 12 blocked \(p-000126, .* p-000137\)", out)
    # the order lands on a cleared manifest: its answer names the clearance it lapsed (issue 11)
    assert ("record a district court's class order (before departure); clearance lapsed: mf-hrl-sal-0315 back to "
            "draft") in out
    assert re.search(r"the order's answer: clearance of manifest mf-hrl-sal-0315 lapsed \(back to draft, entry \d+\): "
                     r"co-district concerns p-000126 aboard", out)
    assert re.search(r"gate table row p-000126: no_court_order_covering fail .* rests on co-district", out)
    assert "re-cleared: 248 evaluated, 0 blocked, cleared=True" in out
    # (3) the order after departure, and (3, continued) it binds: the handoff of the 125 it covers is refused
    assert re.search(r"alert return_required on co-tro-oral: 125 people aboard covered \(p-000001", out)
    assert "issue the handoff receipt for everyone on the apron (refused, nothing recorded)" in out
    assert re.search(r"receipt for all 247 on the apron refused: IssueHandoff refused: co-tro-oral requires the return "
                     r"of p-000001 \(and 124 more it names\) to US", out)
    assert ("125 stay in US custody (co-tro-oral requires their return); the 122 it does not cover are handed "
            "over") in out
    assert "return (the manifest), with the 125 the order covers" in out
    assert "0 overridden" in out
    assert "public report: operations taken on despite an order to return: 0 overrides, 0 people" in out
    # (4) the missing person; the incident blocks closing
    assert "arrival: expected 248, counted 247, missing p-000201; incident hc-arrival.discrepancy opened" in out
    assert "close refused: manifest 'mf-hrl-sal-0315' refused: incidents-open" in out
    # (5) the dual-signed receipt
    assert re.search(r"receipt hr-sal-0316: 122 people, released by officer-us-0031 and received by officer-sv-0", out)
    # the reconciliation table
    assert re.search(r"arrival .* 248 .* 247 .* p-000201 .* hc-arrival\.discrepancy", out)
    assert "not yet enforced (issue 4)" not in out
    assert "not yet enforced: the ground leg by armoured bus" not in out
    assert "a return-required alert is an alert" not in out  # it binds now


def test_the_demo_prints_the_ground_leg(run: tuple[Path, str]) -> None:
    folder, out = run
    # the pack for the receiving state's domestic leg, written into the demo folder and named in the output
    assert (folder / "sv-dgcp-ground.yaml").is_file()
    assert re.search(r"Ground legs \(airport to CECOT, 5 armoured buses of agency-sv-dgcp\): pack sv-dgcp-ground "
                     r"from \S*sv-dgcp-ground\.yaml \(written by the demo: identity_verified and destination_capacity "
                     r"only", out)
    for b in range(1, 6):
        assert f"clear bus {b} (pack sv-dgcp-ground: identity, capacity)" in out
    assert "depart on the ground legs (5 armoured buses; custodians: the Salvadoran escort officers)" in out
    # the reconciliation table: the air leg's checkpoints, then each bus at boarding, arrival and intake
    rows = [line for line in out.splitlines() if re.match(r"│ (air|bus \d) ", line)]
    checkpoints = [tuple(cell.strip() for cell in line.split("│")[1:3]) for line in rows]
    assert checkpoints[:4] == [("air", "boarding"), ("air", "departure"), ("air", "arrival"), ("air", "handoff")]
    assert sorted(checkpoints[4:]) == sorted((f"bus {b}", c) for b in range(1, 6) for c in ("boarding", "arrival",
                                                                                             "intake"))
    assert re.search(r"bus 1 .* boarding .* 25 .* 25 .* - .* - .* - ", out)
    assert "bus N = mf-mslp-cecot-0316-bN (leg-mslp-cecot-bus-N), N = 1..5" in out
    assert "5 bus manifests cleared against sv-dgcp-ground, counted at boarding, arrival and intake, closed: 5" in out
    # custody: the airport holding area, then in transit on the buses with the Salvadoran escorts
    assert re.search(r"in_custody .* agency-sv-dgcp .* us_sv_arrangement_2025 .* sv-dgcp-mslp-hold .* SV .* 122", out)
    assert re.search(r"in_transit .* agency-sv-dgcp .* us_sv_arrangement_2025 .* leg-mslp-cecot-bus-1 .* 25", out)
    # the 125 the order covers, flown back: at Port Isabel again, in US custody
    assert re.search(r"in_custody .* agency-us-ice .* aea_proclamation_2025 .* us-ice-pic .* US .* 125", out)


def _size(out: str) -> int:
    found = re.search(r"verified: ([\d,]+) entries", out)
    assert found is not None
    return int(found.group(1).replace(",", ""))


def test_verify_and_rebuild_check_pass_on_the_demo_database(run: tuple[Path, str]) -> None:
    folder, out = run
    size = _size(out)
    base = ("--db", f"sqlite:///{folder / 'habeas.db'}", "--key", str(folder / "habeas.key"))
    verify = habeas(*base, "log", "verify", cwd=folder.parent)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith(f"OK: entries 0..{size - 1}")
    rebuild = habeas(*base, "rebuild", "--check", cwd=folder.parent)
    assert rebuild.returncode == 0, rebuild.stderr
    assert rebuild.stdout.startswith(f"OK: {size} entries rebuild the projections exactly")


def _query(folder: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(folder / "habeas.db")
    try:
        return list(con.execute(sql).fetchall())
    finally:
        con.close()


def test_each_catch_is_in_the_database(run: tuple[Path, str]) -> None:
    folder, _ = run
    # (1) a gate.evaluated entry failing the alternate on no_protection_against_destination, then his strike
    evaluated = [
        json.loads(bytes(leaf))["body"] for (leaf,) in _query(
            folder, "SELECT leaf FROM ledger_entry WHERE type = 'gate.evaluated' AND stream = 'mf-hrl-sal-0315'"
        )
    ]
    failed = [
        (b["person_id"], c["rests_on_record"]) for b in evaluated for c in b["checks"]
        if c["gate"] == "no_protection_against_destination" and c["outcome"] == "fail"
    ]
    assert failed == [("p-000261", "pr-p-000261")]
    covered = {
        b["person_id"] for b in evaluated for c in b["checks"]
        if c["gate"] == "no_court_order_covering" and c["outcome"] == "fail" and c["rests_on_record"] == "co-district"
    }
    assert covered == {f"p-{i:06d}" for i in range(126, 138)}
    [(struck,)] = _query(folder, "SELECT struck FROM p_manifest WHERE manifest_id = 'mf-hrl-sal-0315'")
    assert set(json.loads(str(struck))) == {"p-000261", *covered}
    # (3) the return-required alerts, naming the 125 wartime designees aboard
    rows = _query(folder, "SELECT record_id, person_id, outcome FROM p_alert")
    oral = {p for (r, p, o) in rows if r == "co-tro-oral" and o == "fail"}
    assert oral == {f"p-{i:06d}" for i in range(1, 126)}
    # (4) the incident, open, naming the missing person; the manifest not closed
    incidents = _query(folder, "SELECT incident_id, person_ids, resolved_seq FROM p_incident")
    assert [(i, json.loads(str(p)), r) for (i, p, r) in incidents] == [("hc-arrival.discrepancy", ["p-000201"], None)]
    # (3, continued) the manifest returned on the order; no override was recorded; the 125 are at Port Isabel
    assert _query(folder, "SELECT status FROM p_manifest WHERE manifest_id = 'mf-hrl-sal-0315'") == [("returned",)]
    assert _query(folder, "SELECT COUNT(*) FROM ledger_entry WHERE type = 'return_required.overridden'") == [(0,)]
    back = _query(folder, "SELECT person_id FROM p_custody WHERE facility_id = 'us-ice-pic' AND status = 'in_custody'")
    assert oral <= {p for (p,) in back}
    # (5) the handoff completed with both signatures
    assert _query(folder, "SELECT status FROM p_handoff WHERE receipt_id = 'hr-sal-0316'") == [("completed",)]
    assert len(_query(folder, "SELECT * FROM p_handoff_signature WHERE receipt_id = 'hr-sal-0316'")) == 2


def test_the_ground_leg_is_in_the_database(run: tuple[Path, str]) -> None:
    folder, _ = run
    air = json.loads(str(_query(folder, "SELECT people FROM p_manifest WHERE manifest_id = 'mf-hrl-sal-0315'")[0][0]))
    buses = _query(
        folder, "SELECT manifest_id, journey_id, leg_index, status, destination_country, created_body, people "
        "FROM p_manifest WHERE manifest_id LIKE 'mf-mslp-cecot-0316-b%' ORDER BY manifest_id",
    )
    assert [(m, j, i, s, d) for (m, j, i, s, d, _, _) in buses] == [
        (f"mf-mslp-cecot-0316-b{b}", "jr-us-sv-0315", 1, "closed", "SV") for b in range(1, 6)
    ]
    aboard: list[str] = []
    for b, (_, _, _, _, _, body, people) in enumerate(buses, 1):
        leg = json.loads(str(body))["leg"]
        assert (leg["leg_id"], leg["mode"], leg["origin"], leg["destination"]) == (
            f"leg-mslp-cecot-bus-{b}", "ground", "MSLP", "sv-dgcp-cecot")
        assert leg["escort_officer_ids"] == [f"officer-sv-{10 + b:04d}"]
        aboard += json.loads(str(people))
    # everyone handed over at the airport (the air manifest less the one missing and the 125 the order covers) rode
    # exactly one bus
    covered = {f"p-{i:06d}" for i in range(1, 126)}
    assert sorted(aboard) == sorted(p for p in air if p != "p-000201" and p not in covered)
    assert len(aboard) == len(set(aboard)) == 122
    # cleared against the ground pack, with its two gates only
    gates = _query(folder, "SELECT DISTINCT policy, body FROM p_gate_result WHERE manifest_id LIKE 'mf-mslp-%'")
    assert {policy for (policy, _) in gates} == {"sv-dgcp-ground"}
    assert {c["gate"] for (_, body) in gates for c in json.loads(str(body))["checks"]} == {
        "identity_verified", "destination_capacity"}
    # headcounts at boarding, arrival and intake of each bus, each reconciled against that bus's manifest
    counts = _query(
        folder, "SELECT manifest_id, checkpoint, expected_count, counted_count, missing, incident_id FROM p_headcount "
        "WHERE manifest_id LIKE 'mf-mslp-%'",
    )
    assert sorted((m, c) for (m, c, *_) in counts) == sorted(
        (f"mf-mslp-cecot-0316-b{b}", c) for b in range(1, 6) for c in ("arrival", "boarding", "intake")
    )
    assert all(e == n and json.loads(str(miss)) == [] and i is None for (_, _, e, n, miss, i) in counts)
    assert sum(n for (_, c, _, n, _, _) in counts if c == "boarding") == 122
    # custody: from the airport holding area onto a bus (custodian: that bus's escort), then CECOT
    departed = _query(
        folder, "SELECT stream, leaf FROM ledger_entry WHERE type = 'custody.changed'"
    )
    bus_departures = [
        b for (_, leaf) in departed for b in [json.loads(bytes(leaf))["body"]]
        if b["transition"] == "depart" and str(b["leg_id"]).startswith("leg-mslp-cecot-bus-")
    ]
    assert len(bus_departures) == 122
    assert {b["from_status"] for b in bus_departures} == {"in_custody"}
    assert {b["custodian"]["agency_id"] for b in bus_departures} == {"agency-sv-dgcp"}
    holding = [
        b for (_, leaf) in departed for b in [json.loads(bytes(leaf))["body"]]
        if b["transition"] == "admit" and b["facility_id"] == "sv-dgcp-mslp-hold"
    ]
    assert len(holding) == 122
    assert {b["from_status"] for b in holding} == {"handed_over"}


def test_the_log_holds_domain_events_only_and_no_personal_data(run: tuple[Path, str]) -> None:
    folder, _ = run
    con = sqlite3.connect(folder / "habeas.db")
    try:
        types = Counter(t for (t,) in con.execute("SELECT type FROM ledger_entry"))
        leaks = con.execute(
            "SELECT COUNT(*) FROM ledger_entry WHERE CAST(leaf AS TEXT) LIKE '%given_names%' "
            "OR CAST(leaf AS TEXT) LIKE '%date_of_birth%' OR CAST(leaf AS TEXT) LIKE '%a_number%'"
        ).fetchone()[0]
        nationalities = Counter(
            tuple(json.loads(body)["nationalities"]) for (body,) in con.execute("SELECT body FROM p_person")
        )
        custody = Counter(
            con.execute(
                "SELECT status, facility_id, custodian_agency, authority_agency FROM p_custody"
            ).fetchall()
        )
        # what a record says is private (docs/public-log.md): an order's basis is in its private payload, an
        # allegation's organisation in none of the leaves
        orders = [
            json.loads(body) for (body,) in con.execute("SELECT body FROM p_record WHERE kind = 'legal.removal_order'")
        ]
        bases = Counter(
            json.loads(bytes(payload))["legal_basis"]
            for (payload,) in con.execute(
                "SELECT p.payload FROM ledger_private p JOIN p_record r ON r.seq = p.seq "
                "WHERE r.kind = 'legal.removal_order'"
            )
        )
        accusations = con.execute(
            "SELECT COUNT(*) FROM ledger_entry WHERE CAST(leaf AS TEXT) LIKE '%Tren de Aragua%' "
            "OR CAST(leaf AS TEXT) LIKE '%MS-13%' OR CAST(leaf AS TEXT) LIKE '%gang assessment%'"
        ).fetchone()[0]
    finally:
        con.close()
    assert set(types) <= {t.value for t in EventType}
    assert types["person.registered"] == 261
    assert types["allegation.recorded"] == 261
    assert types["conviction.recorded"] == 5
    assert types["legal.protection.recorded"] == 1
    assert types["legal.court_order.recorded"] == 3
    # admitted in Texas, departed on the air leg; the 122 the order does not cover handed over, admitted at the
    # airport holding area, departed on a bus, arrived at CECOT; the 125 it covers back at Port Isabel
    assert types["custody.changed"] == 261 + 248 + 4 * 122 + 125
    assert leaks == 0
    assert nationalities == {("VE",): 238, ("SV",): 23}
    assert bases == {"aea_proclamation_2025": 137, "ina_240_final_order": 101 + 23}
    assert {tuple(sorted(o)) for o in orders} == {("occurred_at", "order_id", "period")}
    assert accusations == 0
    assert custody == {
        ("in_custody", "sv-dgcp-cecot", "agency-sv-dgcp", "agency-us-ice"): 122,
        ("in_custody", "us-ice-wcrdftx", "agency-us-ice", "agency-us-ice"): 12,
        ("in_custody", "us-ice-pic", "agency-us-ice", "agency-us-ice"): 1 + 125,
        ("in_transit", None, "agency-us-ice", "agency-us-ice"): 1,
    }
