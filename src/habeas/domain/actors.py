"""Who acts: the actor an entry names, the roles users hold, and the caller a command travels with.

The ledger names an ``Actor`` (officer and agency, opaque ids) in every entry. A ``Caller`` is who issues a
command through the door: the actor, and where it is known the user and their role, so that who may do what can
be decided in one place from the caller and the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused an entry: an officer (an opaque id) of an agency (an opaque id)."""

    officer: str
    agency: str

    def as_json(self) -> dict[str, str]:
        return {"agency": self.agency, "officer": self.officer}


SYSTEM = Actor(officer="system", agency="system")


class Role(StrEnum):
    COORDINATOR = "coordinator"
    LEGAL = "legal"
    ESCORT = "escort"
    INTAKE = "intake"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # An independent auditor (an inspectorate, an ombudsperson): the only role that reads the public locator's
    # searches in the access log, so that the agencies a family searches never learn who searched.
    OVERSIGHT = "oversight"


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who issues a command or a query: an officer of an agency, with the user and role when it came in
    through a login (the command line acts as an operator of the deployment and has no role)."""

    agency: str
    officer: str
    role: Role | None = None
    user_id: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(officer=self.officer, agency=self.agency)

    @classmethod
    def of(cls, actor: Actor, *, role: Role | None = None, user_id: str | None = None) -> Caller:
        return cls(agency=actor.agency, officer=actor.officer, role=role, user_id=user_id)


SYSTEM_CALLER = Caller.of(SYSTEM)
