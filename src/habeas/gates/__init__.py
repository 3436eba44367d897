"""Due-process gates (pure functions) and the policy packs that choose and parameterise them.

:mod:`habeas.gates.rules` (the gates), :mod:`habeas.gates.evaluate` (running them), :mod:`habeas.gates.coverage`
and :mod:`habeas.gates.state` use only the standard library and the domain;
:func:`habeas.gates.policy.load_pack` is the one place that reads a file (a YAML pack).
"""

from habeas.gates.evaluate import (
    ReturnRequired,
    after_departure_alert,
    blocking,
    evaluate,
    evaluate_manifest,
)
from habeas.gates.policy import GateName, Policy, PolicyError, load_pack, shipped_packs
from habeas.gates.rules import GATES, GateResult, Reason
from habeas.gates.state import PersonLegalState

__all__ = [
    "GATES",
    "GateName",
    "GateResult",
    "PersonLegalState",
    "Policy",
    "PolicyError",
    "Reason",
    "ReturnRequired",
    "after_departure_alert",
    "blocking",
    "evaluate",
    "evaluate_manifest",
    "load_pack",
    "shipped_packs",
]
