"""Projection tables: what reads see. They are derived from the ledger alone and can be rebuilt from it.

Each row keeps the seq of the entry it rests on, so an answer can always be proven. Bodies are the events'
public JSON in canonical form, so a rebuilt table compares equal byte for byte.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table, Text

projection_metadata = MetaData()

person = Table(
    "p_person",
    projection_metadata,
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
    projection_metadata,
    Column("person_id", String(100), primary_key=True),
    Column("kind", String(20), primary_key=True),  # "identifier" | "name" | "locator" (exact public lookups)
    Column("key", String(400), primary_key=True),
    Index("ix_p_person_key_key", "kind", "key"),
)

custody = Table(
    "p_custody",
    projection_metadata,
    Column("person_id", String(100), primary_key=True),
    Column("status", String(40), nullable=False),
    Column("since", String(40)),
    Column("facility_id", String(100)),
    Column("unit_id", String(100)),
    Column("leg_id", String(100)),
    Column("country", String(3)),
    Column("custodian_agency", String(100)),
    Column("custodian_officer", String(100)),
    Column("authority_agency", String(100)),
    Column("authority_basis", String(200)),
    Column("authority_record", String(100)),
    Column("seq", BigInteger, nullable=False),  # the custody.changed entry this state rests on
    Index("ix_p_custody_facility", "facility_id"),
)

# Every other record (legal records, allegations, convictions, court orders, admissions, facilities, units,
# agencies, officers): one row a record, keyed by its kind and id.
record = Table(
    "p_record",
    projection_metadata,
    Column("kind", String(60), primary_key=True),
    Column("record_id", String(200), primary_key=True),
    Column("person_id", String(100)),
    Column("parent_id", String(100)),  # the facility of a unit, the agency of an officer
    Column("seq", BigInteger, nullable=False),
    Column("status", String(40)),
    Column("active_from", String(40)),
    Column("active_to", String(40)),
    Column("retracted", Boolean, nullable=False, default=False),
    Column("body", Text, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    Index("ix_p_record_person", "person_id", "kind"),
    Index("ix_p_record_seq", "seq"),
    Index("ix_p_record_parent", "parent_id", "kind"),
)

correction = Table(
    "p_correction",
    projection_metadata,
    Column("corrected_seq", BigInteger, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("action", String(20), nullable=False),
    Column("body", Text, nullable=False),
)



def projection_tables() -> list[Table]:
    """Every projection table, including those other modules define on ``projection_metadata``."""
    return list(projection_metadata.sorted_tables)
