"""`habeas demo`: the seed operation on a fresh SQLite database, then its signed checkpoint and verification."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress
from rich.table import Table

from habeas.bootstrap import Settings, init, open_ledger
from habeas.cli.main import app, err, out
from habeas.demo.ledger_stream import operation_stream
from habeas.demo.synthetic import SYNTHETIC
from habeas.errors import HabeasError
from habeas.ledger.verify import verify_log

MARKER = ".habeas-demo"


def _fresh_dir(path: Path) -> None:
    """Make ``path`` an empty demo folder; refuse to wipe a folder that a demo did not create."""
    if path.exists():
        if not (path / MARKER).exists():
            raise HabeasError(f"{path} exists and is not a habeas demo folder; choose another --dir")
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by `habeas demo`; deleted by the next run\n")


@app.command("demo")
def demo_cmd(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo database and key (replaced on each run).")
    ] = Path("habeas-demo"),
) -> None:
    """Run the seed operation (261 synthetic people, US to El Salvador) into a new log and verify it."""
    started = time.perf_counter()
    _fresh_dir(directory)
    settings = Settings(db_url=f"sqlite:///{directory / 'habeas.db'}", key_path=directory / "habeas.key")
    signer = init(settings, "habeas.demo/custody-log")
    out.print(f"[bold]habeas demo[/]  ({SYNTHETIC})")
    out.print(f"database {settings.db_url}, signing key {settings.key_path} (0600)\n")
    ledger = open_ledger(settings)
    stream = operation_stream()
    counts: dict[str, int] = {}
    with Progress("appending", BarColumn(), MofNCompleteColumn(), console=err, transient=True,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task("append", total=len(stream))
        for entries in stream:
            ledger.append(entries)
            for e in entries:
                counts[e.type] = counts.get(e.type, 0) + 1
            bar.advance(task)
    table = Table(title="Entries appended (one transaction and one signed checkpoint a person)")
    table.add_column("type")
    table.add_column("count", justify="right")
    for type_, n in counts.items():
        table.add_row(type_, str(n))
    table.add_row("[bold]total[/]", f"[bold]{sum(counts.values())}[/]")
    out.print(table)
    cp = ledger.checkpoint()
    out.print("\n[bold]Latest signed checkpoint[/] (C2SP signed note):")
    out.print(cp.note, end="", markup=False, soft_wrap=True)
    with ledger.engine.connect() as conn:
        report = verify_log(conn, signer.verifier(), origin=signer.name)
    ledger.engine.dispose()
    if not report.ok:
        raise HabeasError(f"the demo log does not verify: {report.problems[0]}")
    out.print(
        f"\n[bold green]verified[/]: {report.entries_checked} entries, {report.checkpoints_checked} signed "
        f"checkpoints, {report.private_checked} private payloads match their commitments "
        f"({time.perf_counter() - started:.1f} s)"
    )
    out.print(f"Try: habeas --db {settings.db_url} --key {settings.key_path} log prove 0", soft_wrap=True)
