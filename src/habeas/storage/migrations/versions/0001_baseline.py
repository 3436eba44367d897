"""Baseline: the schema habeas created before it had migrations (create_schema + create_projections).

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-05

Frozen: every table, index, trigger and the head row is written out here, not taken from habeas's table
definitions, which will move on; a later change to the schema is a later revision. A test builds one database
with this revision and one with the pre-migration ``create_schema`` + ``create_projections`` and asserts the
two are identical, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_baseline"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# SHA-256 of the empty string: the root of the empty log (RFC 6962), which the head row starts at.
EMPTY_ROOT = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
# Tables the triggers refuse UPDATE and DELETE on (and, on PostgreSQL, TRUNCATE); erasure deletes private rows,
# so those refuse UPDATE only.
APPEND_ONLY = ("ledger_entry", "ledger_tile_hash", "ledger_checkpoint", "access_log")
NO_UPDATE = ("ledger_private",)


def upgrade() -> None:
    _ledger()
    _access()
    _projections()
    _triggers()
    head = sa.table(
        "ledger_head", sa.column("id", sa.SmallInteger), sa.column("size", sa.BigInteger),
        sa.column("root", sa.LargeBinary),
    )
    op.execute(head.insert().values(id=1, size=0, root=EMPTY_ROOT))


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: drop the database instead")


def _ledger() -> None:
    op.create_table(
        "ledger_checkpoint",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("size"),
    )
    op.create_table(
        "ledger_entry",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_ledger_entry_stream", "ledger_entry", ["stream", "seq"])
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_ledger_head_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ledger_tile_hash",
        sa.Column("tile_level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("tile_level", "idx"),
    )
    op.create_table(
        "ledger_private",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("salt", sa.LargeBinary(length=32), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["ledger_entry.seq"]),
        sa.PrimaryKeyConstraint("seq"),
    )

def _access() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("request", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_subject", "access_log", ["subject_kind", "subject_id"])
    op.create_table(
        "api_idempotency",
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("idem_key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "idem_key"),
    )
    op.create_table(
        "api_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("expires_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
        sa.UniqueConstraint("token_id"),
    )
    op.create_table(
        "api_user",
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("officer_id", sa.String(length=100), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )

def _projections() -> None:
    op.create_table(
        "p_access",
        sa.Column("access_id", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.String(length=40), nullable=False),
        sa.Column("ended_at", sa.String(length=40), nullable=True),
        sa.Column("facility_id", sa.String(length=100), nullable=True),
        sa.Column("leg_id", sa.String(length=100), nullable=True),
        sa.Column("officer_id", sa.String(length=100), nullable=True),
        sa.Column("agency_id", sa.String(length=100), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("access_id"),
    )
    op.create_index("ix_p_access_person", "p_access", ["person_id"])
    op.create_table(
        "p_agreement",
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("sending_state", sa.String(length=3), nullable=False),
        sa.Column("receiving_state", sa.String(length=3), nullable=False),
        sa.Column("active_from", sa.String(length=40), nullable=False),
        sa.Column("active_to", sa.String(length=40), nullable=True),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("per_diem", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("guaranteed_minimum", sa.String(length=40), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id"),
    )
    op.create_table(
        "p_alert",
        sa.Column("manifest_id", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("gate", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=100), nullable=False),
        sa.Column("record_seq", sa.BigInteger(), nullable=True),
        sa.Column("raised_at", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "record_id", "person_id"),
    )
    op.create_index("ix_p_alert_seq", "p_alert", ["seq"])
    op.create_table(
        "p_capacity_override",
        sa.Column("admission_id", sa.String(length=200), nullable=False),
        sa.Column("facility_id", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("occupancy", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("standard", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("authorised_by", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("admission_id"),
    )
    op.create_index("ix_p_capacity_override_facility", "p_capacity_override", ["facility_id"])
    op.create_table(
        "p_correction",
        sa.Column("corrected_seq", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("corrected_seq", "seq"),
    )
    op.create_table(
        "p_custody",
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("since", sa.String(length=40), nullable=True),
        sa.Column("facility_id", sa.String(length=100), nullable=True),
        sa.Column("unit_id", sa.String(length=100), nullable=True),
        sa.Column("leg_id", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("custodian_agency", sa.String(length=100), nullable=True),
        sa.Column("custodian_officer", sa.String(length=100), nullable=True),
        sa.Column("authority_agency", sa.String(length=100), nullable=True),
        sa.Column("authority_basis", sa.String(length=200), nullable=True),
        sa.Column("authority_record", sa.String(length=100), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_index("ix_p_custody_facility", "p_custody", ["facility_id"])
    op.create_table(
        "p_gate_result",
        sa.Column("manifest_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("policy", sa.String(length=100), nullable=False),
        sa.Column("evaluated_at", sa.String(length=40), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "person_id"),
    )
    op.create_table(
        "p_handoff",
        sa.Column("receipt_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("manifest_id", sa.String(length=100), nullable=True),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("person_ids", sa.Text(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("releasing_agency", sa.String(length=100), nullable=False),
        sa.Column("releasing_officer", sa.String(length=100), nullable=False),
        sa.Column("receiving_agency", sa.String(length=100), nullable=False),
        sa.Column("receiving_officer", sa.String(length=100), nullable=False),
        sa.Column("place_id", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("authority_agency", sa.String(length=100), nullable=False),
        sa.Column("authority_basis", sa.String(length=200), nullable=False),
        sa.Column("authority_record", sa.String(length=100), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("completed_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("receipt_id"),
    )
    op.create_table(
        "p_handoff_signature",
        sa.Column("receipt_id", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("officer_id", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("receipt_id", "role"),
    )
    op.create_table(
        "p_headcount",
        sa.Column("headcount_id", sa.String(length=200), nullable=False),
        sa.Column("manifest_id", sa.String(length=100), nullable=False),
        sa.Column("checkpoint", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.String(length=40), nullable=False),
        sa.Column("expected_count", sa.Integer(), nullable=False),
        sa.Column("counted_count", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("unexpected", sa.Text(), nullable=False),
        sa.Column("duplicates", sa.Text(), nullable=False),
        sa.Column("incident_id", sa.String(length=200), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("headcount_id"),
    )
    op.create_index("ix_p_headcount_manifest", "p_headcount", ["manifest_id"])
    op.create_table(
        "p_incident",
        sa.Column("incident_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("person_ids", sa.Text(), nullable=False),
        sa.Column("manifest_id", sa.String(length=100), nullable=True),
        sa.Column("checkpoint", sa.String(length=20), nullable=True),
        sa.Column("facility_id", sa.String(length=100), nullable=True),
        sa.Column("leg_id", sa.String(length=100), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("independent_report_required", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.String(length=40), nullable=False),
        sa.Column("resolved_at", sa.String(length=40), nullable=True),
        sa.Column("resolution", sa.String(length=100), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("resolved_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index("ix_p_incident_manifest", "p_incident", ["manifest_id"])
    op.create_table(
        "p_invoice",
        sa.Column("invoice_id", sa.String(length=200), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("period_from", sa.String(length=40), nullable=False),
        sa.Column("period_to", sa.String(length=40), nullable=False),
        sa.Column("person_days", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("minimum_applied", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    op.create_index("ix_p_invoice_agreement", "p_invoice", ["agreement_id"])
    op.create_table(
        "p_manifest",
        sa.Column("manifest_id", sa.String(length=100), nullable=False),
        sa.Column("journey_id", sa.String(length=100), nullable=False),
        sa.Column("leg_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("since", sa.String(length=40), nullable=False),
        sa.Column("destination_country", sa.String(length=3), nullable=False),
        sa.Column("scheduled_departure", sa.String(length=40), nullable=False),
        sa.Column("created_body", sa.Text(), nullable=False),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("alternates", sa.Text(), nullable=False),
        sa.Column("struck", sa.Text(), nullable=False),
        sa.Column("cleared_at", sa.String(length=40), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("manifest_id"),
    )
    op.create_index("ix_p_manifest_journey", "p_manifest", ["journey_id", "leg_index"])
    op.create_table(
        "p_manifest_person",
        sa.Column("manifest_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "person_id"),
    )
    op.create_index("ix_p_manifest_person_person", "p_manifest_person", ["person_id"])
    op.create_table(
        "p_notification",
        sa.Column("notification_id", sa.String(length=300), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("recipient", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("made_due_at", sa.String(length=40), nullable=False),
        sa.Column("due_at", sa.String(length=40), nullable=False),
        sa.Column("legal_source", sa.String(length=100), nullable=False),
        sa.Column("related_id", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=100), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("sent_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_index("ix_p_notification_person", "p_notification", ["person_id"])
    op.create_table(
        "p_person",
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("merged_into", sa.String(length=100), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "p_person_key",
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.PrimaryKeyConstraint("person_id", "kind", "key"),
    )
    op.create_index("ix_p_person_key_key", "p_person_key", ["kind", "key"])
    op.create_table(
        "p_record",
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=True),
        sa.Column("parent_id", sa.String(length=100), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("active_from", sa.String(length=40), nullable=True),
        sa.Column("active_to", sa.String(length=40), nullable=True),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "record_id"),
    )
    op.create_index("ix_p_record_parent", "p_record", ["parent_id", "kind"])
    op.create_index("ix_p_record_person", "p_record", ["person_id", "kind"])
    op.create_index("ix_p_record_seq", "p_record", ["seq"])
    op.create_table(
        "p_scope",
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "subject_kind", "subject_id"),
    )
    op.create_index("ix_p_scope_subject", "p_scope", ["subject_kind", "subject_id"])


def _triggers() -> None:
    # The same statements, in the same order, as storage.ledger_store.install_triggers made them; driver SQL so
    # the PostgreSQL function body is stored exactly as before (a test compares it).
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for table in APPEND_ONLY + NO_UPDATE:
            refused = ("UPDATE", "DELETE") if table in APPEND_ONLY else ("UPDATE",)
            for verb in refused:
                conn.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
                )
        return
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION habeas_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%% is append-only: %% refused', TG_TABLE_NAME, TG_OP "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    for table in APPEND_ONLY + NO_UPDATE:
        verbs = "UPDATE OR DELETE" if table in APPEND_ONLY else "UPDATE"
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE {verbs} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION habeas_refuse_change()"
        )
        if table in APPEND_ONLY:
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION habeas_refuse_change()"
            )
