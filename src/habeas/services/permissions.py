"""What each role may do: the permission table the API's routes and the door's authorisation read."""

from __future__ import annotations

from enum import StrEnum

from habeas.domain.actors import Role


class Permission(StrEnum):
    """Stable dotted names; the API declares one per route and the authorisation matrix test walks them."""

    READ = "records.read"  # facilities, agencies, manifests, alerts: no personal data
    PEOPLE_READ = "people.read"  # personal data: every such read is logged
    PEOPLE_WRITE = "people.write"
    ADMISSION_WRITE = "admission.write"
    LEGAL_WRITE = "legal.write"
    CUSTODY_WRITE = "custody.write"
    REFERENCE_WRITE = "reference.write"  # facilities and units
    AGENCY_WRITE = "agency.write"  # agencies and officers
    MANIFEST_WRITE = "manifest.write"
    HEADCOUNT_WRITE = "headcount.write"
    HANDOFF_WRITE = "handoff.write"
    HANDOFF_SIGN = "handoff.sign"
    INTAKE_WRITE = "intake.write"
    INCIDENT_WRITE = "incident.write"
    NOTIFICATION_WRITE = "notification.write"
    AGREEMENT_READ = "agreement.read"
    AGREEMENT_WRITE = "agreement.write"
    FEED_READ = "feed.read"
    ACCESS_LOG_READ = "access_log.read"
    ACCOUNTS_ADMIN = "accounts.admin"  # list and disable the agency's users, list and revoke their tokens


_ALL = frozenset(Role)
_AGENCY = _ALL - {Role.OVERSIGHT}
_R = Role
# Admin may do everything inside its agency; the auditor reads everything its agency may see and writes nothing.
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.READ: _ALL,
    Permission.PEOPLE_READ: _AGENCY,
    Permission.PEOPLE_WRITE: frozenset({_R.COORDINATOR, _R.ADMIN}),
    Permission.ADMISSION_WRITE: frozenset({_R.COORDINATOR, _R.INTAKE, _R.ADMIN}),
    Permission.LEGAL_WRITE: frozenset({_R.LEGAL, _R.ADMIN}),
    Permission.CUSTODY_WRITE: frozenset({_R.COORDINATOR, _R.ESCORT, _R.INTAKE, _R.ADMIN}),
    Permission.REFERENCE_WRITE: frozenset({_R.COORDINATOR, _R.ADMIN}),
    Permission.AGENCY_WRITE: frozenset({_R.ADMIN}),
    Permission.MANIFEST_WRITE: frozenset({_R.COORDINATOR, _R.ADMIN}),
    Permission.HEADCOUNT_WRITE: frozenset({_R.ESCORT, _R.INTAKE, _R.COORDINATOR, _R.ADMIN}),
    Permission.HANDOFF_WRITE: frozenset({_R.COORDINATOR, _R.ESCORT, _R.ADMIN}),
    Permission.HANDOFF_SIGN: frozenset({_R.ESCORT, _R.INTAKE, _R.ADMIN}),
    Permission.INTAKE_WRITE: frozenset({_R.INTAKE, _R.ADMIN}),
    Permission.INCIDENT_WRITE: frozenset({_R.ESCORT, _R.INTAKE, _R.COORDINATOR, _R.ADMIN}),
    Permission.NOTIFICATION_WRITE: frozenset({_R.LEGAL, _R.COORDINATOR, _R.ADMIN}),
    Permission.AGREEMENT_READ: frozenset({_R.COORDINATOR, _R.AUDITOR, _R.ADMIN}),
    Permission.AGREEMENT_WRITE: frozenset({_R.COORDINATOR, _R.ADMIN}),
    Permission.FEED_READ: _ALL,
    Permission.ACCESS_LOG_READ: frozenset({_R.AUDITOR, _R.ADMIN, _R.OVERSIGHT}),
    Permission.ACCOUNTS_ADMIN: frozenset({_R.ADMIN}),
}


def allowed(role: Role, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]
