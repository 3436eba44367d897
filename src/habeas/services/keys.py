"""Officers' signing keys: made where the officer is, never stored by the ledger (only the public half is)."""

from __future__ import annotations

from habeas.ledger.note import Signer, generate_signer

OfficerKey = Signer
"""An officer's Ed25519 key pair: ``public_key`` to register, ``sign(message)`` to sign a receipt."""


def new_officer_key(officer_id: str) -> OfficerKey:
    """A fresh Ed25519 key named after the officer; refuses (NoteError) an id that cannot name a key."""
    return generate_signer(officer_id)
