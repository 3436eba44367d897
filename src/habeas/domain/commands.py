"""The index of every command: each is defined beside the concept whose decisions take it, and named here.

``from habeas.domain import commands as c`` then ``c.RegisterPerson(...)``. This module imports the concept
modules; none of them imports it (the base class is :class:`habeas.domain.command.Command`).
"""

from __future__ import annotations

from habeas.domain.allegations import ChangeAllegationStatus, RecordAllegation, RecordConviction
from habeas.domain.command import Command
from habeas.domain.corrections import AmendEntry, ErasePerson, RetractEntry
from habeas.domain.court_orders import RecordCourtOrder
from habeas.domain.custody_commands import (
    AdmitToCustody,
    ArriveAtFacility,
    ChangeAuthority,
    DepartOnLeg,
    HandOver,
    ReassignCustodian,
    RecordDeath,
    RecordEscape,
    Rehouse,
    Release,
    Remove,
)
from habeas.domain.facilities import RegisterAgency, RegisterFacility, RegisterOfficer, RegisterUnit
from habeas.domain.identity import MergePersons, RegisterPerson
from habeas.domain.legal import (
    RecordConsularNotification,
    RecordCounsel,
    RecordNotice,
    RecordProtection,
    RecordRemovalOrder,
    RecordStay,
)
from habeas.domain.manifest_commands import (
    AddToManifest,
    Arrive,
    BeginBoarding,
    CancelManifest,
    ClearManifest,
    CloseManifest,
    CreateManifest,
    Depart,
    HaltManifest,
    HandOverManifest,
    ManifestCommand,
    PlanJourney,
    PromoteAlternate,
    RecordGateResults,
    RequireReclearance,
    ReturnManifest,
    StrikeFromManifest,
)
from habeas.domain.medical import RecordFitnessToTravel
from habeas.domain.people import RecordAdmission

__all__ = [  # the imports above say which concept module defines each
    "AddToManifest",
    "AdmitToCustody",
    "AmendEntry",
    "Arrive",
    "ArriveAtFacility",
    "BeginBoarding",
    "CancelManifest",
    "ChangeAllegationStatus",
    "ChangeAuthority",
    "ClearManifest",
    "CloseManifest",
    "Command",
    "CreateManifest",
    "Depart",
    "DepartOnLeg",
    "ErasePerson",
    "HaltManifest",
    "HandOver",
    "HandOverManifest",
    "ManifestCommand",
    "MergePersons",
    "PlanJourney",
    "PromoteAlternate",
    "ReassignCustodian",
    "RecordAdmission",
    "RecordAllegation",
    "RecordConsularNotification",
    "RecordConviction",
    "RecordCounsel",
    "RecordCourtOrder",
    "RecordDeath",
    "RecordEscape",
    "RecordFitnessToTravel",
    "RecordGateResults",
    "RecordNotice",
    "RecordProtection",
    "RecordRemovalOrder",
    "RecordStay",
    "RegisterAgency",
    "RegisterFacility",
    "RegisterOfficer",
    "RegisterPerson",
    "RegisterUnit",
    "Rehouse",
    "Release",
    "Remove",
    "RequireReclearance",
    "RetractEntry",
    "ReturnManifest",
    "StrikeFromManifest",
]
