"""The root command's context: the settings every command reads (--db, --key, then the environment)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported when a command runs, not for `habeas --help`
    from habeas.bootstrap import Settings


@dataclass
class Context:
    """The root command's options, resolved into :class:`habeas.bootstrap.Settings` when first asked for (the root
    asks before any command runs; a help page asks for nothing, and imports no database)."""

    db: str | None = None
    key: str | None = None
    pack: str | None = None
    _settings: Settings | None = field(default=None, init=False, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from habeas.bootstrap import Settings, check_packs

            settings = Settings.resolve(self.db, self.key, self.pack)
            # The deployment's policy pack is configuration: a bad --pack or HABEAS_POLICY_PACK is refused here.
            check_packs(settings.pack)
            self._settings = settings
        return self._settings


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
