"""Due-process gates (pure functions) and the policy packs that choose and parameterise them.

:mod:`habeas.gates.rules` (the gates), :mod:`habeas.gates.evaluate` (running them), :mod:`habeas.gates.coverage`
and :mod:`habeas.gates.state` use only the standard library and the domain;
:func:`habeas.gates.policy.load_pack` is the one place that reads a file (a YAML pack).

Importing the package imports none of them (reading a pack needs no gate).
"""
