"""Issue 11: every `habeas` command's failure paths answer one line, never a traceback.

The commands are discovered by walking the Typer app (every command and subcommand, whatever is added later), and
each is run (a) with no arguments, (b) with unknown ids, and (c) with a malformed value for each option that takes
one (a time, a date, a country, a number, an officer, a choice, a path, an id or a text), on SQLite and on
PostgreSQL: first against an initialised, empty database, then against the same database with a little data in it
(so an id names something and the malformed value is reached). Each run must raise nothing, and a run that fails
must say so in exactly one line on stderr; runs that must fail (a missing required value, an unknown id in an empty
log, a value no parser accepts) must exit non-zero, a usage error with 2.

Speed: the click command is built from the Typer app once here (Typer's ``CliRunner.invoke`` rebuilds it on every
call, 150 ms of the 160 a call costs), so about two thousand runs take seconds.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from habeas.cli.main import app
from tests.conftest import Db
from tests.e2e.cli import TERMINAL, _as_in_a_new_process

AT = "2025-03-01T12:00:00Z"
UNKNOWN = "no-such-id"

# Commands that do their work when given nothing (a full demo run; a server that never returns): never run bare.
# Every run of `serve` also names a database that does not exist, so that a value it accepts still starts nothing.
NOT_BARE = {("demo",), ("serve",)}
SANDBOXED = {("serve",)}
# Commands whose argument names a new record: an unknown id there is a valid one.
NEW_ID = {("user", "add")}

TIMES = {"--at", "--departs", "--arrives", "--ended", "--now", "--offered", "--requested", "--sent", "--from", "--to",
         "--detained-before", "--detained-from"}
DATES = {"--dob", "--date-of-birth", "--convicted-on", "--valid-until"}
COUNTRIES = {"--country", "--country-of-birth", "--birth-country", "--nationality", "--from-country", "--to-country",
             "--destination", "--jurisdiction", "--sending", "--receiving"}
NUMBERS = {"--area", "--per-diem", "--minimum", "--max-bytes"}
PLACES = {("manifest", "create", "--from"), ("manifest", "create", "--to")}  # airports, not times

# (a good value, malformed values that must be refused, malformed values that may be accepted)
KINDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "time": (AT, ("yesterday", "2025-03-01T12:00:00"), ()),
    "date": ("1990-05-17", ("1990-02-30", "17/05/1990"), ()),
    "country": ("SV", ("ZZZZ", "1"), ()),
    "number": ("120", ("abc", "NaN"), ("-1", "1e-30", "inf", "9" * 40)),
    "int": ("1", ("abc",), ("-1", "9" * 40)),
    "choice": ("", ("nonsense",), ()),
    "officer": ("o-1@ice", ("nobody",), ()),
    "a-number": ("A-123-456-789", ("X-12",), ()),
    "path": ("", (), ("", "exists.txt")),  # a path may name a new file: nothing is surely malformed
    # empty; and long, with what Rich would read as markup (a name, an id or a note is echoed back or listed)
    "text": ("x1", (), ("", "[/x] " + "x" * 3000)),
}
# Refused before anything is read or written, by the same code whatever the database: run on SQLite only.
PARSED = {"time", "date", "country", "choice", "officer", "a-number"}

# What an id names in the world with data (by the parameter's name); anything else gets its kind's good value.
IDS = {
    "person": "p-1", "person_id": "p-1", "survivor": "p-1", "duplicate": "p-2", "--person": "p-1",
    "facility_id": "f-1", "--facility": "f-1", "--unit": "b1", "--agency": "ice", "--authority": "ice",
    "manifest_id": "m-1", "manifest": "m-1", "--manifest": "m-1", "--leg": "l-1", "--basis": "ina_236",
    "--counted": "p-1", "--kind": "immigration", "--role": "coordinator", "agreement_id": "ag-1", "index": "0",
    "old": "1", "new": "2", "user_id": "ana",
}


@dataclass(frozen=True)
class Param:
    name: str  # the option's first flag (--at), or the argument's name (person)
    kind: str
    required: bool
    argument: bool
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    params: tuple[Param, ...]

    @property
    def arguments(self) -> list[Param]:
        return [p for p in self.params if p.argument]


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    must_fail: bool
    usage: bool = False  # the option parser refuses it: exit 2


def _annotation(param: Any) -> Any:
    """The parameter's Python type: Typer 0.2x keeps it on the parameter; click's own types are the fallback."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        annotation = descriptor.annotation
        return typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else annotation
    return {"INT": int, "PATH": Path}.get(getattr(param.type, "name", "").upper(), str)


def _kind(path: tuple[str, ...], param: Any) -> tuple[str, tuple[str, ...]]:
    annotation = _annotation(param)
    name = param.opts[0] if param.param_type_name == "option" else param.name
    if inspect.isclass(annotation) and issubclass(annotation, Enum):
        return "choice", tuple(str(m.value) for m in annotation)
    if annotation is int:
        return "int", ()
    if inspect.isclass(annotation) and issubclass(annotation, Path):
        return "path", ()
    if (*path, name) in PLACES:
        return "text", ()
    if "OFFICER@AGENCY" in (param.help or "") or name in {"--as", "--custodian"}:
        return "officer", ()
    for kind, names in (("time", TIMES), ("date", DATES), ("country", COUNTRIES), ("number", NUMBERS)):
        if name in names:
            return kind, ()
    if name == "--a-number":
        return "a-number", ()
    return "text", ()


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[Command]:
    # through click's own questions: the top level's commands are imported when asked for (habeas.cli.lazy)
    for name in sorted(group.list_commands(None)):
        command = group.get_command(None, name)
        here = (*path, name)
        if hasattr(command, "commands"):
            yield from _commands(command, here)
            continue
        params = []
        for p in command.params:
            if p.param_type_name == "option" and (p.is_flag or p.name == "help"):
                continue  # a flag takes no value
            kind, choices = _kind(here, p)
            name_ = p.opts[0] if p.param_type_name == "option" else p.name
            params.append(Param(name=name_, kind=kind, required=bool(p.required), argument=p.param_type_name ==
                                "argument", choices=choices))
        yield Command(here, tuple(params))


def _good(param: Param, world: World) -> str:
    if param.kind == "choice":
        return param.choices[0]
    if param.kind == "path":
        return str(world.exists)
    return world.ids.get(param.name, KINDS[param.kind][0])


def _line(command: Command, param: Param, value: str, world: World) -> tuple[str, ...]:
    """The command with every argument and required option good (as the world names them), and ``param`` set to
    ``value``."""
    args: list[str] = list(command.path)
    for p in command.params:
        chosen = value if p == param else _good(p, world) if p.required else None
        if chosen is None:
            continue
        args += [chosen] if p.argument else [p.name, chosen]
    return tuple(args)


def _cases(command: Command, world: World) -> Iterator[Case]:
    required = any(p.required for p in command.params)
    if command.path not in NOT_BARE and not world.storage_only:
        yield Case(command.path, must_fail=required, usage=required)
    if command.arguments:
        args = list(command.path)
        for p in command.params:
            if p.argument:
                args.append("999999" if p.kind == "int" else str(world.missing) if p.kind == "path" else UNKNOWN)
            elif p.required:
                args += [p.name, _good(p, world)]
        yield Case(tuple(args), must_fail=world.empty and command.path not in NEW_ID)
    for p in command.params:
        if world.storage_only and p.kind in PARSED:
            continue
        _, refused, accepted = KINDS[p.kind]
        for value in refused:
            yield Case(_line(command, p, value, world), must_fail=True, usage=p.kind in ("int", "choice"))
        for value in accepted:
            given = str(world.exists) if p.kind == "path" and value else value
            yield Case(_line(command, p, given, world), must_fail=False)


@dataclass
class World:
    db: Db
    cwd: Path
    empty: bool
    ids: dict[str, str]
    storage_only: bool = False  # only what reaches the database: its own failures (PostgreSQL's)

    @property
    def exists(self) -> Path:
        return self.cwd / "exists.txt"

    @property
    def missing(self) -> Path:
        return self.cwd / "missing" / "file.csv"

    def env(self) -> dict[str, str]:
        return {**self.db.env(), **TERMINAL}


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None


class Runner:
    """`habeas ARGS` in this process, as tests/e2e/cli.py runs it, but with the click command built once."""

    def __init__(self) -> None:
        self.cli = get_command(app)
        self.runner = CliRunner()

    def __call__(self, args: Sequence[str], env: dict[str, str]) -> Outcome:
        with _as_in_a_new_process(env), self.runner.isolation(env=env) as (out, err, _):
            code, exception = 0, None
            try:
                self.cli.main(args=list(args), prog_name="habeas")
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except Exception as e:  # a traceback the real command would print
                code, exception = 1, e
            return Outcome(code, out.getvalue().decode(), err.getvalue().decode(), exception)


def _problem(case: Case, outcome: Outcome) -> str | None:
    """What is wrong with how the command answered the case, if anything."""
    shown = f"habeas {' '.join(a if len(a) < 60 else a[:20] + '...' for a in case.args)}"
    lines = outcome.stderr.strip().splitlines()
    if outcome.exception is not None:
        return f"{shown}: raised {type(outcome.exception).__name__}: {outcome.exception}"
    if "Traceback" in outcome.stderr + outcome.stdout:
        return f"{shown}: printed a traceback"
    if case.must_fail and outcome.code == 0:
        return f"{shown}: exit 0 for what must fail"
    if outcome.code != 0 and len(lines) != 1:
        return f"{shown}: exit {outcome.code} with {len(lines)} lines on stderr: {outcome.stderr[:300]!r}"
    if case.usage and outcome.code != 2:
        return f"{shown}: a usage error, but exit {outcome.code}: {outcome.stderr.strip()[:200]}"
    return None


DATA = [
    ("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration", "--at", AT),
    ("officer", "add", "--id", "o-1", "--agency", "ice", "--name", "R. Díaz", "--role", "deportation_officer",
     "--generate-key", "o-1.key", "--at", AT),
    ("facility", "add", "--id", "f-1", "--name", "Krome", "--country", "US", "--type", "SPC", "--at", AT),
    ("facility", "unit", "add", "f-1", "--id", "b1", "--label", "B1", "--area", "120", "--beds", "40", "--at", AT),
    ("person", "add", "--id", "p-1", "--given", "José", "--surname", "Pérez", "--dob", "1990-05-17",
     "--birth-country", "SV", "--a-number", "A-123-456-789", "--at", AT),
    ("person", "add", "--id", "p-2", "--given", "Ana", "--surname", "López", "--dob", "1985-01-02", "--at", AT),
    ("custody", "admit", "p-1", "--facility", "f-1", "--unit", "b1", "--custodian", "o-1@ice", "--authority", "ice",
     "--basis", "ina_236", "--at", AT),
    ("manifest", "create", "--id", "m-1", "--journey", "j-1", "--leg-id", "l-1", "--carrier", "GlobalX",
     "--vehicle", "GXA-6143", "--from", "KHRL", "--from-country", "US", "--to", "MSLP", "--to-country", "SV",
     "--departs", "2025-03-15T09:00:00Z", "--arrives", "2025-03-15T13:00:00Z", "--person", "p-1", "--at", AT),
    ("user", "add", "ana", "--agency", "ice", "--role", "coordinator"),
]


def _walk(run: Runner, world: World) -> tuple[int, list[str]]:
    count, problems = 0, []
    for command in _commands(run.cli):
        sandbox = ("--db", f"sqlite:///{world.cwd / 'absent.db'}") if command.path in SANDBOXED else ()
        for case in _cases(command, world):
            count += 1
            problem = _problem(case, run((*sandbox, *case.args), world.env()))
            if problem is not None:
                problems.append(problem)
    return count, problems


def test_every_command_fails_in_one_line(db: Db, tmp_path: Path) -> None:
    """On SQLite, the whole walk, on an empty log and on one with data; on PostgreSQL, on the log with data, the
    runs whose values reach the database (ids, texts, numbers, paths): what the parsers refuse is the same code
    on both, and the walk stays within a minute."""
    run = Runner()
    world = World(db, tmp_path, empty=True, ids={})
    world.exists.write_text("not what any command reads\n")
    counted, problems = 0, []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)  # files a command writes (an officer's key) land here
        assert run(("init", "--origin", "test.habeas/failures"), world.env()).code == 0
        if db.kind == "sqlite":
            counted, problems = _walk(run, world)
        for step in DATA:
            done = run(step, world.env())
            assert done.exception is None, (step, done.exception)
            assert done.code == 0, (step, done.stderr)
        world.empty, world.ids, world.storage_only = False, IDS, db.kind != "sqlite"
        more, found = _walk(run, world)
    assert counted + more > 500  # the walk found the commands (84 when this was written) and their options
    assert not problems + found, "\n".join(problems + found)


def test_a_bare_group_still_shows_its_help() -> None:
    outcome = Runner()(("custody",), TERMINAL)
    assert outcome.exception is None
    assert "Usage:" in outcome.stdout + outcome.stderr
    assert "admit" in outcome.stdout + outcome.stderr


def test_the_walk_still_reads_each_parameters_type() -> None:
    """The walk reads each parameter's type where this Typer keeps it; should a Typer release move it, every
    parameter would look like text and the walk would test much less: fail here instead."""
    kinds = {p.kind for c in _commands(get_command(app)) for p in c.params}
    assert {"int", "choice", "path", "time", "country", "officer", "text"} <= kinds
