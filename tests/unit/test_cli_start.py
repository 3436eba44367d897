"""`habeas --help` imports none of what the commands need: the listing comes from main.LAZY, so it answers at
once (the time itself is measured in benchmarks/cli_start.py, not here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from habeas.cli import main


def test_the_listing_imports_no_database_domain_or_services() -> None:
    probe = (
        "import sys, habeas.cli.main as m; m.app(['--help'], standalone_mode=False); "
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('sqlalchemy', 'alembic', 'fastapi') "
        "or n.startswith(('habeas.domain', 'habeas.services', 'habeas.storage', 'habeas.bootstrap'))))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_every_listed_command_loads_and_is_named_as_listed() -> None:
    from typer.main import get_command

    group = get_command(main.app)
    for row in main.LAZY:
        command = group.get_command(None, row.name)  # type: ignore[attr-defined]
        assert command is not None
        assert command.name == row.name


def test_the_origin_main_shows_is_the_one_init_writes() -> None:
    from habeas import bootstrap

    assert main.DEFAULT_ORIGIN == bootstrap.DEFAULT_ORIGIN


WRITE_PATH = (
    "habeas.wiring",  # every handler and applier
    "habeas.services.authority",
    "habeas.services.invariants",
    "habeas.services.alert_binding",
    "habeas.services.clearance",
    "habeas.storage.projections.catalog",
    "habeas.domain.commands",  # the index of every command
    "habeas.domain.manifest_events",
    "habeas.gates.evaluate",
    "alembic",
)


def test_a_read_command_imports_none_of_the_write_path(tmp_path: Path) -> None:
    """`habeas facility list` opens a Door (queries only): no handler, applier, gate or migration is imported."""
    db = f"sqlite:///{tmp_path / 'h.db'}"
    key = str(tmp_path / "h.key")
    subprocess.run(
        [sys.executable, "-m", "habeas", "--db", db, "--key", key, "init"], capture_output=True, check=True
    )
    probe = (
        "import sys, habeas.cli.main as m\n"
        f"m.app(['--db', {db!r}, '--key', {key!r}, 'facility', 'list'], standalone_mode=False)\n"
        f"print([n for n in {WRITE_PATH!r} if n in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "0 facilities" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"
