"""The names of the policy packs shipped with habeas (package data), known without parsing any of them."""

from __future__ import annotations

from importlib import resources

FOLDER = "packs"


def shipped_packs() -> tuple[str, ...]:
    """Names of the packs shipped with habeas."""
    folder = resources.files("habeas.gates").joinpath(FOLDER)
    return tuple(sorted(f.name.removesuffix(".yaml") for f in folder.iterdir() if f.name.endswith(".yaml")))
