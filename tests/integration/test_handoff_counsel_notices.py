"""A completed handoff makes counsel's notice due for each person on the receipt with counsel of record, read for
the whole receipt at once (services/handoffs.py): a retracted counsel record is none, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from habeas.domain import commands as c
from habeas.domain.corrections import RetractEntry
from habeas.domain.periods import Period
from habeas.storage.projections.notifications import notification
from tests.integration import bulk_world as bw
from tests.integration.test_services import MakeServices


def test_counsel_is_told_of_the_transfer_only_where_counsel_is_of_record(
    make_services: MakeServices, tmp_path: Path
) -> None:
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 4)
    period = Period(active_from=bw.T0, active_to=bw.T0 + timedelta(days=365))
    for person_id in ("p-001", "p-002"):
        seq = services.execute(c.RecordCounsel(
            counsel_id=f"c-{person_id}", person_id=person_id, occurred_at=bw.T0, name="Counsel (synthetic)",
            appearance_filed=True, period=period, bar_number="B-1", contact="law office",
        ), bw.ICE).seq
        if person_id == "p-002":
            services.execute(RetractEntry(corrected_seq=seq, occurred_at=bw.T0 + timedelta(minutes=1),
                                          reason="wrong_person"))
    bw.fly(services, ids)
    bw.hand_over(services, ids)
    with services.ledger.engine.connect() as conn:
        told = {(r.person_id, r.recipient) for r in conn.execute(
            select(notification.c.person_id, notification.c.recipient)
            .where(notification.c.related_id == bw.RECEIPT)
        )}
    assert {p for p, recipient in told if recipient == "counsel"} == {"p-001"}
    assert {p for p, recipient in told if recipient != "counsel"} == set(ids)
