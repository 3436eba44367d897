"""The root command's context: the settings every command reads (--db, --key, then the environment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported when a command runs, not for `habeas --help`
    from habeas.bootstrap import Settings


@dataclass
class Context:
    settings: Settings


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (sqlite:///PATH or postgresql://...). [env: HABEAS_DATABASE_URL]", show_default=False
    ),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", help="Signing key file. [env: HABEAS_SIGNING_KEY; default: ./habeas.key]"),
]
PackOption = Annotated[
    str | None,
    typer.Option(
        "--pack",
        help="The deployment's policy pack: a shipped name (us-federal, strict-international) or a YAML file; "
        "several, comma-separated, for legs departing other jurisdictions (each later pack declares its "
        "`jurisdictions`). Chosen by the operator at start-up: no request can name one. "
        "[env: HABEAS_POLICY_PACK; default: us-federal]",
        show_default=False,
    ),
]


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root command put in its context object (any object with a ``settings`` attribute)."""
    from habeas.bootstrap import Settings

    settings = getattr(ctx.find_root().obj, "settings", None)
    assert isinstance(settings, Settings)
    return settings
