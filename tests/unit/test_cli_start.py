"""`habeas --help` imports none of what the commands need: the listing comes from main.LAZY, so it answers at
once; nor does a group's help (`habeas person --help`): a command module imports what its options need, and the
rest when a command runs (the time itself is measured in benchmarks/cli_start.py, not here)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from habeas.cli import main

# What a help page must not import: the database, the migrations, the API, and everything that opens them.
HEAVY = ("sqlalchemy", "alembic", "fastapi")
HEAVY_HABEAS = ("habeas.bootstrap", "habeas.services", "habeas.storage")


def _imported_by(args: list[str]) -> list[str]:
    """The heavy modules `habeas ARGS` imports, run in a fresh interpreter (standalone, as the installed command
    runs: a help page exits)."""
    probe = (
        "import sys, habeas.cli.main as m\n"
        "try:\n"
        f"    m.app({args!r}, prog_name='habeas')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {HEAVY!r} "
        f"or n.startswith({HEAVY_HABEAS!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "Usage: habeas" in proc.stdout, proc.stdout + proc.stderr
    found: list[str] = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    return found


def test_the_listing_imports_no_database_domain_or_services() -> None:
    probe = (
        "import sys, habeas.cli.main as m; m.app(['--help'], standalone_mode=False); "
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('sqlalchemy', 'alembic', 'fastapi') "
        "or n.startswith(('habeas.domain', 'habeas.services', 'habeas.storage', 'habeas.bootstrap'))))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("name", [row.name for row in main.LAZY])
def test_a_commands_help_imports_no_database_services_or_api(name: str) -> None:
    """`habeas NAME --help` loads NAME's module for its options and help, and nothing a command runs with (the
    root's settings, which open the database, are not resolved for a help page)."""
    assert _imported_by([name, "--help"]) == []


@pytest.mark.parametrize(
    "args",
    [["person", "add", "--help"], ["facility", "unit", "add", "--help"], ["manifest", "board", "--help"],
     ["legal", "add", "court-order", "--help"], ["custody"], ["facility", "unit"]],
    ids=["command", "nested command", "generated command", "sub-group's command", "bare group", "bare sub-group"],
)
def test_a_help_page_below_a_group_imports_none_either(args: list[str]) -> None:
    assert _imported_by(args) == []


def test_the_values_spelt_for_the_help_are_the_services_own() -> None:
    """Token lifetimes, the demo's groupings and the import size limit are spelt in the CLI so that its help
    imports no services and no importer."""
    from habeas.cli import account_cmds, demo_cmd, import_cmds
    from habeas.demo.runner import Grouping
    from habeas.importers.tabular import DEFAULT_MAX_BYTES
    from habeas.services.accounts import MAX_TOKEN_LIFETIME, TOKEN_LIFETIME

    assert (TOKEN_LIFETIME.days, MAX_TOKEN_LIFETIME.days) == (account_cmds.TOKEN_DAYS, account_cmds.MAX_DAYS)
    assert [(g.name, g.value) for g in demo_cmd.Transactions] == [(g.name, g.value) for g in Grouping]
    assert import_cmds.DEFAULT_MAX_BYTES == DEFAULT_MAX_BYTES


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


NOT_FOR_A_READ = (
    "habeas.gates.policy",  # the packs' parser: a shipped pack is known good by name (its own tests parse it)
    "yaml",
    "cryptography",  # signing and key derivation
    "sqlalchemy.dialects.postgresql",  # the other database's statements, built when first used
)


def test_a_read_command_on_a_shipped_pack_parses_no_pack_and_loads_no_cryptography(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    key = str(tmp_path / "h.key")
    subprocess.run([sys.executable, "-m", "habeas", "--db", db, "--key", key, "init"], capture_output=True, check=True)
    probe = (
        "import sys, habeas.cli.main as m\n"
        f"m.app(['--db', {db!r}, '--key', {key!r}, '--pack', 'us-federal', 'facility', 'list'], "
        "standalone_mode=False)\n"
        f"print([n for n in {NOT_FOR_A_READ!r} if n in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(("pack", "said"), [
    ("nope", "no such shipped pack"),
    ("us-federal,nope", "no such shipped pack"),
    ("{broken}", "not valid YAML"),
])
def test_a_read_command_still_refuses_a_bad_pack_first(tmp_path: Path, pack: str, said: str) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("gates: [\n")
    db = f"sqlite:///{tmp_path / 'h.db'}"
    subprocess.run([sys.executable, "-m", "habeas", "--db", db, "--key", str(tmp_path / "k"), "init"],
                   capture_output=True, check=True)
    proc = subprocess.run(
        [sys.executable, "-m", "habeas", "--db", db, "--pack", pack.replace("{broken}", str(broken)), "facility",
         "list"], capture_output=True, text=True,
    )
    assert proc.returncode != 0
    assert said in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
