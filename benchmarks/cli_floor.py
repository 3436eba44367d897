"""The floor under a habeas read command: the smallest program built from the same parts that does the same job.

A Typer app with the same options as ``habeas [--db --key --pack] facility list [--country --type --limit]``
(Typer 0.2x coerces every option through a Pydantic ``TypeAdapter``, so importing Pydantic and building the
adapters is part of any Typer command's start-up), which imports SQLAlchemy, opens the SQLite database, runs one
SELECT and prints a Rich table. ``benchmarks/cli_start.py`` runs it beside habeas so the difference is what
habeas itself adds: its own modules, the pack check, the query.
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(add_completion=False)


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db")] = None,
    key: Annotated[str | None, typer.Option("--key")] = None,
    pack: Annotated[str | None, typer.Option("--pack")] = None,
) -> None:
    ctx.obj = db or "sqlite:///habeas.db"


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    country: Annotated[str | None, typer.Option("--country")] = None,
    kind: Annotated[str | None, typer.Option("--type")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0)] = 50,
) -> None:
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import create_engine, text

    engine = create_engine(ctx.obj)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, type FROM sqlite_master LIMIT :n"), {"n": limit}).all()
    table = Table()
    table.add_column("name")
    table.add_column("type")
    for name, kind_ in rows:
        table.add_row(name, kind_)
    Console().print(table)


@app.command("other")
def _other() -> None:  # a second command, so `list` is a subcommand as habeas's are
    pass


if __name__ == "__main__":
    app()
