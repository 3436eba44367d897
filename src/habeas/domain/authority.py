"""Refusals of who may do what: a role that may not issue a command, an agency that is not the one it must be.

Who may issue each command is decided once, in the door (:mod:`habeas.services.authority`), from the caller and
the state; these are the answers it gives. They are refusals of the caller, not of the request's content: the
HTTP layer answers them 403 with the code.
"""

from __future__ import annotations

from habeas.domain.errors import DomainError


class Forbidden(DomainError):
    """The caller's role may not issue this command."""

    code = "forbidden"

    def __init__(self, command: str, role: str, permission: str) -> None:
        self.command = command
        self.role = role
        self.permission = permission
        super().__init__(f"role {role} may not {permission} ({command})")


class NotTheCustodian(Forbidden):
    """A custody step (or a handoff) by an agency that does not hold the person. Custody passes between agencies
    only by a completed dual-signed handoff."""

    code = "not-the-custodian"

    def __init__(self, command: str, person_id: str, agency: str, holder: str, *, named: str | None = None) -> None:
        self.command = command
        self.person_id = person_id
        self.agency = agency
        self.holder = holder
        what = (f"person {person_id} is held by agency {holder}, not {agency}" if named is None else
                f"agency {agency} names a custodian of agency {named} for person {person_id}")
        DomainError.__init__(
            self,
            f"{command}: {what}; custody passes between agencies only by a completed dual-signed handoff "
            "(POST /handoffs, `habeas handoff issue`)",
        )


class NotYours(Forbidden):
    """A write to something another agency owns: its reference data (facilities, units, officers), the entries
    it recorded, a manifest, handoff or agreement it is not party to; or, for agencies, anyone but the
    deployment's operator."""

    code = "not-yours"

    def __init__(self, command: str, what: str, owner: str, agency: str) -> None:
        self.command = command
        self.what = what
        self.owner = owner
        self.agency = agency
        DomainError.__init__(self, f"{command}: {what} belongs to {owner}, not to agency {agency}")
