"""Batches through the door: many ordinary commands in ONE transaction, or none of them.

Nothing here decides anything a single command would not: each person is registered by ``RegisterPerson``,
departs by ``DepartOnLeg`` and is admitted by ``AdmitAtIntake``, authorised and decided by their own handlers in
:meth:`~habeas.services.door.Services.execute_many`. The commands a batch records are built by a query first
(:func:`departure`, :func:`manifest_intake_plan` with :func:`intake_commands`), so a caller moving several
manifests at once (a day of flights) can record them all in one transaction. What a batch adds is the answer
when one item is refused: which item (its index and the row or person it came from), with the item's own error,
and the promise that nothing of the batch was recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, select

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.actors import Caller
from habeas.domain.command import Command
from habeas.domain.custody import Authority, Custodian, CustodyStatus
from habeas.domain.errors import HabeasError, UnknownRecord
from habeas.domain.identity import IdentityWarning, PersonIdentity, find_duplicates
from habeas.domain.incidents import IncidentKind
from habeas.domain.manifest_intake import ManifestIntakePlan, plan_manifest_intake
from habeas.services.door import Services
from habeas.services.ids import new_id
from habeas.services.incidents import incident_list
from habeas.services.intake import AdmitAtIntake
from habeas.services.unit_of_work import Result
from habeas.storage.projections.custody import custody
from habeas.storage.projections.manifests import load_manifest

_MAX_ID = 128  # what an opaque id may hold (habeas.domain.values.require_id)
# A count that did not find someone, or an escape, leaves them out of an intake until the incident is resolved.
_NOT_FOUND = frozenset({IncidentKind.HEADCOUNT_DISCREPANCY.value, IncidentKind.ESCAPE.value})


class BatchRefused(HabeasError):
    """One item of a batch was refused, so the whole batch was and nothing was recorded; ``cause`` is the item's
    own error (its HTTP status is the batch's), ``index`` its place in the batch (0-based), ``item`` what a
    person calls it (``row 7``, ``person p-3``)."""

    def __init__(self, index: int, item: str, cause: HabeasError) -> None:
        self.index = index
        self.item = item
        self.cause = cause
        super().__init__(f"{item}: {cause}; nothing of the batch was recorded")


def execute_batch(
    services: Services,
    commands: Sequence[Command],
    caller: Caller,
    *,
    item: Callable[[int], str],
    progress: Callable[[int], None] | None = None,
) -> list[Result]:
    """:meth:`Services.execute_many`, with a refusal named by the item it came from (``item(index)``)."""
    done = 0

    def heard(n: int) -> None:
        nonlocal done
        done = n
        if progress is not None:
            progress(n)

    try:
        return services.execute_many(commands, caller, progress=heard)
    except HabeasError as e:
        if done >= len(commands):  # every item was decided: the commit itself failed, not an item
            raise
        raise BatchRefused(done, item(done), e) from e


# -- registering people ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Registered:
    person_id: str
    seqs: tuple[int, ...]
    warnings: tuple[IdentityWarning, ...]


def register_people(
    services: Services,
    commands: Sequence[c.RegisterPerson],
    caller: Caller,
    *,
    item: Callable[[int], str],
    progress: Callable[[int], None] | None = None,
) -> list[Registered]:
    """Register everyone in one transaction; each warning names a record that may be the same person (one
    registered earlier in the same batch included: registration never merges)."""
    results = execute_batch(services, commands, caller, item=item, progress=progress)
    return [
        Registered(person_id=cmd.person_id, seqs=tuple(r.seqs),
                   warnings=tuple(dict.fromkeys([*(w for w in r.warnings if isinstance(w, IdentityWarning)), *more])))
        for cmd, r, more in zip(commands, results, within_batch(commands), strict=True)
    ]


def within_batch(commands: Sequence[c.RegisterPerson]) -> list[list[IdentityWarning]]:
    """For each registration, the earlier ones of the same batch that may be the same person.

    The door compares a registration with people on record; an earlier row of the same transaction is not yet
    readable there (the log's entries are written when the batch commits), so the batch compares its own rows,
    with the domain's rule, each against only the rows that share an identifier or a folded name with it.
    """
    seen: dict[object, list[PersonIdentity]] = {}
    out: list[list[IdentityWarning]] = []
    for cmd in commands:
        new = PersonIdentity(person_id=cmd.person_id, name=cmd.name, aliases=cmd.aliases,
                             transliterations=cmd.transliterations, date_of_birth=cmd.date_of_birth,
                             identifiers=cmd.identifiers)
        keys: list[object] = [*new.identifiers, *new.name_keys()]
        candidates = {o.person_id: o for k in keys for o in seen.get(k, ())}
        out.append(find_duplicates(new, candidates.values()))
        for k in keys:
            seen.setdefault(k, []).append(new)
    return out


# -- the departure of a manifest ---------------------------------------------------------------------------------


def departure(
    conn: Connection, manifest_id: str, *, custodian: Custodian, occurred_at: datetime,
    authority: Authority | None = None,
) -> list[Command]:
    """What the departure of a boarding manifest records (a query: nothing is recorded): each person aboard departs
    on its leg in ``custodian``'s custody, in manifest order, then the manifest departs. The struck and the
    alternates stay; whoever is already on the leg is not departed twice. The door decides each as it would one
    at a time (invariant 4: a person departs only through a boarding manifest whose gates pass for them)."""
    manifest = load_manifest(conn, manifest_id, with_results=False)
    if manifest is None:
        raise UnknownRecord("manifest", manifest_id)
    leg_id = manifest.leg.leg_id
    on_leg = set(conn.execute(
        select(custody.c.person_id).where(and_(
            custody.c.person_id.in_(manifest.people), custody.c.status == CustodyStatus.IN_TRANSIT.value,
            custody.c.leg_id == leg_id,
        ))
    ).scalars())
    commands: list[Command] = [
        c.DepartOnLeg(person_id=p, occurred_at=occurred_at, leg_id=leg_id, custodian=custodian, authority=authority)
        for p in manifest.people if p not in on_leg
    ]
    commands.append(mf.Depart(manifest_id=manifest_id, occurred_at=occurred_at))
    return commands


def depart_manifest(
    services: Services,
    manifest_id: str,
    caller: Caller,
    *,
    custodian: Custodian,
    occurred_at: datetime,
    authority: Authority | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Result]:
    """Everyone aboard departs and the manifest departs, in one transaction (:func:`departure`); a refusal names
    the person (or the manifest) it came from, and nothing is recorded."""
    commands = services.read(departure, manifest_id, custodian=custodian, occurred_at=occurred_at,
                             authority=authority)

    def item(i: int) -> str:
        person = getattr(commands[i], "person_id", None)
        return f"person {person}" if person is not None else f"manifest {manifest_id}"

    return execute_batch(services, commands, caller, item=item, progress=progress)


# -- the intake of a manifest ------------------------------------------------------------------------------------


def manifest_intake_plan(conn: Connection, manifest_id: str, facility_id: str | None = None) -> ManifestIntakePlan:
    """Who the intake of ``manifest_id`` admits, and who it leaves out and why (a query: nothing is recorded).

    Read before the intake's transaction: should anyone's custody change in between, their own admission is
    refused in the door, the whole batch with it, and a second run plans again from what is then recorded."""
    manifest = load_manifest(conn, manifest_id, with_results=False)
    missing: dict[str, str] = {}
    held_at: dict[str, str | None] = {}
    if manifest is not None:
        for incident in incident_list(conn, open_only=True, manifest_id=manifest_id):
            if incident.kind in _NOT_FOUND:
                missing.update(dict.fromkeys(incident.person_ids, incident.incident_id))
        rows = conn.execute(
            select(custody.c.person_id, custody.c.facility_id).where(and_(
                custody.c.person_id.in_(manifest.people), custody.c.status == CustodyStatus.IN_CUSTODY.value,
            ))
        )
        held_at = {r.person_id: r.facility_id for r in rows}
    return plan_manifest_intake(manifest, manifest_id, facility_id=facility_id, missing=missing, held_at=held_at)


@dataclass(frozen=True, kw_only=True)
class Admitted:
    person_id: str
    admission_id: str
    unit_id: str
    seqs: tuple[int, ...]


def admission_id(manifest_id: str, person_id: str) -> str:
    """``adm-<manifest>-<person>``: a second intake of the same person from the same manifest is refused as a
    duplicate admission rather than recorded twice (a random id when that would be too long)."""
    chosen = f"adm-{manifest_id}-{person_id}"
    return chosen if len(chosen) <= _MAX_ID else new_id("adm")


def intake_commands(
    plan: ManifestIntakePlan,
    *,
    custodian: Custodian,
    commitment_authority: str,
    occurred_at: datetime,
    authority: Authority | None = None,
    receipt_id: str | None = None,
) -> list[AdmitAtIntake]:
    """The admissions :func:`admit_manifest` records for a plan: each person it admits, into the unit the rules
    choose, no override."""
    return [
        AdmitAtIntake(
            admission=c.RecordAdmission(
                person_id=p, admission_id=admission_id(plan.manifest_id, p), facility_id=plan.facility_id,
                occurred_at=occurred_at, commitment_authority=commitment_authority,
            ),
            custodian=custodian, authority=authority, receipt_id=receipt_id,
        )
        for p in plan.admit
    ]


def admit_manifest(
    services: Services,
    plan: ManifestIntakePlan,
    caller: Caller,
    *,
    custodian: Custodian,
    commitment_authority: str,
    occurred_at: datetime,
    authority: Authority | None = None,
    receipt_id: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Admitted]:
    """Admit everyone the plan names, each into the unit the rules choose, in one transaction. No override: going
    over capacity, or housing someone whose separation facts are not recorded, is decided one person at a time."""
    commands = intake_commands(plan, custodian=custodian, commitment_authority=commitment_authority,
                               occurred_at=occurred_at, authority=authority, receipt_id=receipt_id)
    results = execute_batch(services, commands, caller, item=lambda i: f"person {plan.admit[i]}", progress=progress)
    return [
        Admitted(
            person_id=cmd.admission.person_id, admission_id=cmd.admission.admission_id, unit_id=str(r.value),
            seqs=tuple(r.seqs),
        )
        for cmd, r in zip(commands, results, strict=True)
    ]
