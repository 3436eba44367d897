"""Due-process gates (pure functions) and the policy packs that choose and parameterise them.

:mod:`habeas.gates.evaluate` and :mod:`habeas.gates.state` use only the standard library and the domain;
:func:`habeas.gates.policy.load_pack` is the one place that reads a file (a YAML pack).
"""

from habeas.gates.evaluate import (
    GATES,
    GateResult,
    Reason,
    ReturnRequired,
    after_departure_alert,
    blocking,
    evaluate,
    evaluate_manifest,
)
from habeas.gates.policy import GateName, Policy, PolicyError, load_pack, shipped_packs
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
