"""`habeas locate`: the public locator at a counter, for a clerk asking on behalf of a family, counsel or a consulate.

The same two forms and the same exact match as GET /public/locator (services/locator.py), the same answer read as
a table, and with --proof the c2sp.org/tlog-proof of the entry it rests on. Each search that found someone is
written to the access log as the API writes it, under the agency "public" that only oversight reads (so the agency
holding the person does not learn who was asked about); the searcher is the deployment's operator, named as
such (``cli``): a keyed pseudonym hides an anonymous searcher's address, and a command line has none to hide.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from habeas.cli.common import opened
from habeas.cli.console import DataTable, out
from habeas.domain.errors import HabeasError, InvalidField

if TYPE_CHECKING:
    from habeas.services import locator

REQUEST = "habeas locate"
NO_MATCH = (
    "no match: the locator finds only an exact A-number, or every name with the full birth date, each with the "
    "country of birth"
)


def _option(parameter: str) -> str:
    return "--" + parameter.replace("_", "-")


def _in_options(text: str) -> str:
    """The service's message names the API's parameters (a_number); here they are options (--a-number)."""
    from habeas.services import locator

    return re.sub("|".join(locator.PARAMETERS), lambda m: _option(m.group(0)), text)


def _agency(ref: locator.AgencyRef | None) -> str:
    if ref is None:
        return ""
    named = f"{ref.name} ({ref.agency_id})" if ref.name else ref.agency_id
    return ", ".join(p for p in (named, ref.country) if p)


def _table(found: locator.Located) -> DataTable:
    f, t = found.facility, found.transferred_to
    table = DataTable(show_header=False)
    table.add_column("question", style="bold")
    table.add_column("answer", overflow="fold")
    place = "" if f is None else ", ".join(p for p in (f.address, f.city, f.region, f.postal_code, f.country) if p)
    moved = "" if t is None else " ".join(p for p in (_agency(t.agency) or None, t.country, "at", t.at) if p)
    for question, answer in (
        ("status", found.status.replace("_", " ")),
        ("since", found.since or ""),
        ("custodian", _agency(found.custodian)),
        ("facility", "" if f is None else f"{f.name or ''} ({f.facility_id})".strip()),
        ("address", place),
        ("contact", "" if f is None else f.contact or ""),
        ("transferred to", moved),
        ("authority", _agency(found.authority)),
        ("legal basis", found.legal_basis or ""),
        ("entry", str(found.seq)),
    ):
        table.add_row(question, answer)
    return table


def locate_cmd(
    ctx: typer.Context,
    a_number: Annotated[str | None, typer.Option("--a-number", help="e.g. A-123-456-789 (with --country-of-birth).")]
    = None,
    given_names: Annotated[
        str | None, typer.Option("--given-names", help="All given names (accents, case and order do not matter).")
    ] = None,
    surnames: Annotated[str | None, typer.Option("--surnames", help="All surnames, in any order.")] = None,
    date_of_birth: Annotated[str | None, typer.Option("--date-of-birth", help="YYYY-MM-DD.")] = None,
    country_of_birth: Annotated[
        str | None, typer.Option("--country-of-birth", help="ISO 3166-1 alpha-2 or alpha-3 code, e.g. SV or SLV.")
    ] = None,
    proof: Annotated[
        bool, typer.Option("--proof", help="Append the c2sp.org/tlog-proof of each entry an answer rests on.")
    ] = False,
) -> None:
    """Where a person is held, or to whom and where they were handed: what the public locator answers, for a
    clerk at a counter. An exact match only (a near miss finds no one); each search that found someone is in the
    access log, as the operator's, for oversight.

    Example: habeas locate --a-number A-123-456-789 --country-of-birth SV --proof

    Example: habeas locate --given-names "José Ángel" --surnames "García Pérez" --date-of-birth 1990-05-17
    --country-of-birth SLV
    """
    from habeas.services import access, locator
    from habeas.services.accounts import OPERATOR

    try:
        query = locator.query_of(
            a_number=a_number, given_names=given_names, surnames=surnames, date_of_birth=date_of_birth,
            country_of_birth=country_of_birth,
        )
    except InvalidField as e:
        raise HabeasError(f"{_option(e.field)}: {_in_options(e.reason)}") from e
    with opened(ctx) as services:  # the proofs are read through the signing key's ledger
        result = services.locate(query)
        now = services.clock()
        services.record_reads([
            access.Read(user_id=OPERATOR, agency_id=access.PUBLIC_AGENCY, action="locate", subject_kind=access.PERSON,
                        subject_id=proven.located.person_id, request=REQUEST, at=now)
            for proven in result.matches
        ])
    if not result.matches:
        out.print(NO_MATCH, soft_wrap=True)
        return
    for proven in result.matches:
        out.print(f"[bold]{escape(proven.located.summary)}[/]", soft_wrap=True)  # a sentence: never wrapped
        out.print(_table(proven.located))
    if proof:
        for proven in result.matches:
            seq = proven.located.seq
            out.print(f"\nproof of entry {seq} (check with `habeas log leaf {seq}` and `habeas log key`):")
            sys.stdout.flush()
            sys.stdout.write(proven.tlog_proof)
            sys.stdout.flush()
