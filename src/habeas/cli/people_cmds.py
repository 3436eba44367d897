"""`habeas person ...`: register, show, find, merge and erase people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.text import Text

from habeas.cli.bulk_cmds import person_import_cmd
from habeas.cli.common import (
    AsOption,
    AtOption,
    IdOption,
    at_or_now,
    country,
    execute,
    new_id,
    reading,
    recorded,
)
from habeas.cli.console import DataTable, out
from habeas.domain.corrections import ErasePerson, ErasureReason
from habeas.domain.errors import HabeasError
from habeas.domain.identity import IdentityMatch, MergePersons, RegisterPerson
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex

if TYPE_CHECKING:
    from habeas.services.records import RecordView

person_app = typer.Typer(
    help=(
        "People: register, show, find, merge, erase. Names, birth dates and documents go to the private payload, "
        "never into the public log.\n\n"
        "Example: `habeas person add --given José --surname García --surname Pérez --dob 1990-05-17 "
        "--nationality SV --a-number A123456789`"
    ),
    no_args_is_help=True,
)


def _document(kind: IdentifierKind, text: str, option: str) -> Identifier:
    issuer, sep, number = text.partition(":")
    if not sep:
        raise HabeasError(f"{option} {text!r} is not COUNTRY:NUMBER, e.g. SV:A1234567")
    return Identifier(kind=kind, value=number, country=country(issuer))


@person_app.command("add")
def add_cmd(
    ctx: typer.Context,
    given: Annotated[list[str] | None, typer.Option("--given", help="A given name (repeat, in order).")] = None,
    surname: Annotated[list[str] | None, typer.Option("--surname", help="A surname (at most two).")] = None,
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Another name used (repeat).")] = None,
    dob: Annotated[str | None, typer.Option("--dob", help="Date of birth: YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
    sex: Annotated[Sex, typer.Option("--sex")] = Sex.UNKNOWN,
    nationality: Annotated[
        list[str] | None, typer.Option("--nationality", help="ISO 3166-1 code (repeat for several).")
    ] = None,
    birth_country: Annotated[str | None, typer.Option("--birth-country", help="ISO 3166-1 code.")] = None,
    language: Annotated[list[str] | None, typer.Option("--language", help="ISO 639 code, e.g. es.")] = None,
    a_number: Annotated[str | None, typer.Option("--a-number", help="US alien registration number.")] = None,
    passport: Annotated[list[str] | None, typer.Option("--passport", help="COUNTRY:NUMBER (repeat).")] = None,
    national_id: Annotated[list[str] | None, typer.Option("--national-id", help="COUNTRY:NUMBER.")] = None,
    person_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Register a person; warns (and merges nothing) if they may already be registered.

    Example: habeas person add --given José --surname García --surname Pérez --dob 1990-05-17 --nationality SV
    --a-number A-123-456-789 --passport SV:A1234567
    """
    identifiers = [Identifier(kind=IdentifierKind.A_NUMBER, value=a_number, country="US")] if a_number else []
    identifiers += [_document(IdentifierKind.PASSPORT, p, "--passport") for p in passport or ()]
    identifiers += [_document(IdentifierKind.NATIONAL_ID, n, "--national-id") for n in national_id or ()]
    pid = person_id or new_id("p")
    cmd = RegisterPerson(
        person_id=pid,
        occurred_at=at_or_now(at),
        name=PersonName(given_names=tuple(given or ()), surnames=tuple(surname or ())) if given or surname else None,
        aliases=tuple(alias or ()),
        date_of_birth=None if dob is None else PartialDate.parse(dob),
        sex=sex,
        nationalities=tuple(country(n) for n in nationality or ()),
        country_of_birth=None if birth_country is None else country(birth_country),
        languages=tuple(lang.strip().lower() for lang in language or ()),
        identifiers=tuple(identifiers),
    )
    recorded("person", pid, execute(ctx, cmd, actor), new_person=pid)


def _records_table(title: str, rows: tuple[RecordView, ...], fields: tuple[str, ...]) -> DataTable:
    table = DataTable(title=title, title_justify="left")
    for col in ("entry", "kind", "id", "status", "from", "to", *fields):
        table.add_column(col)
    for r in rows:
        status = ("RETRACTED " if r.retracted else "") + (r.status or "")
        table.add_row(
            str(r.seq), r.kind.removeprefix("legal.") + (f" ({r.body['kind']})" if "kind" in r.body else ""),
            r.record_id, status, r.active_from or "", r.active_to or "",
            *(_cell(r.body.get(f)) for f in fields),
        )
    return table


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items() if v not in (None, [], ""))
    if isinstance(value, list):
        return ", ".join(map(_cell, value))
    return str(value)


@person_app.command("show")
def show_cmd(ctx: typer.Context, person_id: Annotated[str, typer.Argument(help="The person's id.")]) -> None:
    """Everything on record about a person: public fields, private fields (unless erased), custody, records.

    Allegations and convictions are listed in separate tables: an allegation is never a conviction.

    Example: habeas person show p-3f2a9c1e4b7d
    """
    from habeas.services.people import person_view

    with reading(ctx) as services:
        v = services.read(person_view, person_id)
    out.print(f"[bold]person {escape(v.person_id)}[/]  (registered at entry {v.seq})", soft_wrap=True)
    if v.merged_into:
        out.print(f"[yellow]merged into {escape(v.merged_into)}[/]: use that record", soft_wrap=True)
    if v.merged_from:
        out.print(f"records merged into this one: {escape(', '.join(v.merged_from))}", soft_wrap=True)
    facts = DataTable(show_header=False, box=None)
    facts.add_column(style="bold")
    facts.add_column()
    if v.erased:
        facts.add_row("name, birth date, documents", "erased (the public record and the log stay verifiable)")
    else:
        facts.add_row("name", v.name or "")
        if v.aliases:
            facts.add_row("aliases", "; ".join(v.aliases))
        if v.transliterations:
            facts.add_row("transliterations", "; ".join(v.transliterations))
        facts.add_row("date of birth", v.date_of_birth or "")
        facts.add_row("identifiers", "; ".join(v.identifiers))
    facts.add_row("sex", v.sex)
    facts.add_row("nationality", ", ".join(v.nationalities))
    facts.add_row("country of birth", v.country_of_birth or "")
    facts.add_row("languages", ", ".join(v.languages))
    for a in v.custody.answers():
        facts.add_row(a.question, Text.assemble(a.answer, ("" if a.seq is None else f"  (entry {a.seq})", "dim")))
    out.print(facts)
    if v.admissions:
        out.print(_records_table("Admissions (Mandela rule 7)", v.admissions, ("facility_id", "commitment_authority")))
    out.print(_records_table("Legal records", v.legal, ("authority", "granted_by", "country", "destination_country")))
    out.print(_records_table("Allegations (claims, not convictions)", v.allegations,
                             ("organisation", "source", "evidence_reference")))
    out.print(_records_table("Convictions (by a court)", v.convictions,
                             ("court", "jurisdiction", "offence", "convicted_on")))
    if v.medical:
        out.print(_records_table("Fitness to travel", v.medical, ("fit", "assessed_by", "valid_until")))


@person_app.command("find")
def find_cmd(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Option("--name", help="Any of their names; accents, case, order ignored.")
    ] = None,
    identifier: Annotated[
        str | None, typer.Option("--identifier", "--a-number", help="An A-number, passport or national id number.")
    ] = None,
    dob: Annotated[str | None, typer.Option("--dob", help="Birth date (YYYY[-MM[-DD]]) to narrow by.")] = None,
) -> None:
    """Find people by folded name, by identifier, by birth date (all given must match).

    Example: habeas person find --name "jose garcia"   (finds José García Pérez)
    Example: habeas person find --a-number A-123-456-789
    """
    from habeas.services.people import find_people

    with reading(ctx) as services:
        found = services.read(find_people, name=name, identifier=identifier, dob=dob)
    table = DataTable()
    for col in ("person", "entry", "name", "date of birth", "nationality", "note"):
        table.add_column(col)
    for m in found:
        table.add_row(
            m.person_id, str(m.seq), m.name or "(erased)", m.date_of_birth or "", ", ".join(m.nationalities),
            f"merged into {m.merged_into}" if m.merged_into else "",
        )
    out.print(table)
    out.print(f"{len(found)} found")


@person_app.command("merge")
def merge_cmd(
    ctx: typer.Context,
    survivor: Annotated[str, typer.Argument(help="The record that stays.")],
    duplicate: Annotated[str, typer.Argument(help="The record merged into it.")],
    basis: Annotated[IdentityMatch, typer.Option("--basis", help="Why they are the same person.")],
    note: Annotated[str | None, typer.Option("--note", help="Free text (private).")] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Record that DUPLICATE is the same person as SURVIVOR (an entry of its own; nothing is deleted).

    Example: habeas person merge p-aaa p-bbb --basis same_identifier
    """
    cmd = MergePersons(person_id=survivor, duplicate_id=duplicate, occurred_at=at_or_now(at), basis=basis, note=note)
    recorded(f"merge of {duplicate} into", survivor, execute(ctx, cmd, actor))


@person_app.command("erase")
def erase_cmd(
    ctx: typer.Context,
    person_id: Annotated[str, typer.Argument(help="The person whose private data is erased.")],
    reason: Annotated[ErasureReason, typer.Option("--reason", help="The lawful ground.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Erase a person's private payloads (names, birth date, documents); the public log stays verifiable.

    Example: habeas person erase p-3f2a9c1e4b7d --reason data_subject_request --yes
    """
    if not yes:
        raise HabeasError("erasure cannot be undone: add --yes to confirm")
    cmd = ErasePerson(person_id=person_id, occurred_at=at_or_now(at), reason=reason)
    recorded("erasure of", person_id, execute(ctx, cmd, actor))


# A file of people in one transaction: its own module (the importer, the progress bar), a command of this group.
person_app.command("import")(person_import_cmd)
