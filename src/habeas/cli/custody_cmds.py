"""`habeas custody ...`: the four answers (who, where, since when, under what authority) and the transitions."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from habeas.cli.common import (
    AsOption,
    AtOption,
    at_or_now,
    authority,
    country,
    execute,
    opened,
    parse_custodian,
    reading,
    recorded,
)
from habeas.cli.console import DataTable, out
from habeas.domain.errors import HabeasError

if TYPE_CHECKING:
    from habeas.services.unit_of_work import Result

custody_app = typer.Typer(
    help=(
        "Custody: who holds a person, where, since when, under what authority, each answer with the entry it "
        "rests on and, with --proof, a proof anyone can check.\n\n"
        "Example: `habeas custody admit p-3f2a --facility f-krome --unit b1 --custodian o-diaz@ice "
        "--authority ice --basis ina_236` then `habeas custody show p-3f2a --proof`"
    ),
    no_args_is_help=True,
)

Person = Annotated[str, typer.Argument(help="The person's id.")]
CustodianOption = Annotated[
    str, typer.Option("--custodian", help="The responsible officer and agency: OFFICER@AGENCY.")
]
AuthorityOption = Annotated[
    str | None, typer.Option("--authority", help="The agency legally responsible (with --basis).")
]
BasisOption = Annotated[str | None, typer.Option("--basis", help="The legal basis code, e.g. ina_236.")]
RecordOption = Annotated[
    str | None, typer.Option("--record", help="The record the authority rests on (a removal order id...).")
]
ReceiptOption = Annotated[str | None, typer.Option("--receipt", help="A handoff receipt id.")]


@custody_app.command("show")
def show_cmd(
    ctx: typer.Context,
    person: Person,
    proof: Annotated[
        bool, typer.Option("--proof", help="Append the c2sp.org/tlog-proof of the custody entry.")
    ] = False,
) -> None:
    """Who holds them, where, since when, under what authority, each with the entry it rests on.

    Example: habeas custody show p-3f2a --proof > p-3f2a.proof   (check it with the leaf: habeas log leaf SEQ)
    """
    from habeas.services.custody import custody_answer

    with reading(ctx) as services:
        answer = services.read(custody_answer, person)
    if proof and answer.seq is None:
        raise HabeasError(f"person {person!r} has never been in custody: there is no custody entry to prove")
    table = DataTable(title=f"Custody of {escape(person)}: {answer.status.replace('_', ' ')}", title_justify="left")
    table.add_column("question", style="bold")
    table.add_column("answer")
    table.add_column("entry", justify="right")
    for a in answer.answers():
        table.add_row(a.question, a.answer, "" if a.seq is None else str(a.seq))
    out.print(table)
    if answer.merged_into:
        out.print(f"[yellow]this record was merged into {escape(answer.merged_into)}[/]", soft_wrap=True)
    if proof:
        assert answer.seq is not None
        with opened(ctx) as services:  # the log's proofs are read through the signing key's ledger
            text = services.prove(answer.seq)
        out.print(f"\nproof of entry {answer.seq} (check with `habeas log leaf {answer.seq}` and `habeas log key`):")
        sys.stdout.flush()
        sys.stdout.write(text)
        sys.stdout.flush()


def _done(person: str, result: Result) -> None:
    recorded("custody change for", person, result)


@custody_app.command("admit")
def admit_cmd(
    ctx: typer.Context,
    person: Person,
    facility: Annotated[str, typer.Option("--facility")],
    unit: Annotated[str, typer.Option("--unit")],
    custodian: CustodianOption,
    authority_agency: Annotated[str, typer.Option("--authority", help="The agency legally responsible.")],
    basis: Annotated[str, typer.Option("--basis", help="The legal basis code, e.g. ina_236.")],
    record: RecordOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Take a person into custody at a facility and unit.

    Example: habeas custody admit p-3f2a --facility f-krome --unit b1 --custodian o-diaz@ice --authority ice
    --basis ina_236
    """
    from habeas.domain import commands as c

    auth = authority(authority_agency, basis, record)
    assert auth is not None
    cmd = c.AdmitToCustody(person_id=person, occurred_at=at_or_now(at), facility_id=facility, unit_id=unit,
                           custodian=parse_custodian(custodian), authority=auth)
    _done(person, execute(ctx, cmd, actor))


@custody_app.command("depart")
def depart_cmd(
    ctx: typer.Context,
    person: Person,
    leg: Annotated[str, typer.Option("--leg", help="The transport leg's id (a flight, a bus).")],
    custodian: CustodianOption,
    authority_agency: AuthorityOption = None,
    basis: BasisOption = None,
    record: RecordOption = None,
    receipt: ReceiptOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Board a transport leg; the escort becomes the custodian (the authority stays unless given).

    Example: habeas custody depart p-3f2a --leg flt-0315 --custodian o-escort@ice
    """
    from habeas.domain import commands as c

    cmd = c.DepartOnLeg(person_id=person, occurred_at=at_or_now(at), leg_id=leg, custodian=parse_custodian(custodian),
                        authority=authority(authority_agency, basis, record), receipt_id=receipt)
    _done(person, execute(ctx, cmd, actor))


@custody_app.command("arrive")
def arrive_cmd(
    ctx: typer.Context,
    person: Person,
    facility: Annotated[str, typer.Option("--facility")],
    unit: Annotated[str, typer.Option("--unit")],
    custodian: CustodianOption,
    authority_agency: AuthorityOption = None,
    basis: BasisOption = None,
    record: RecordOption = None,
    receipt: ReceiptOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Arrive from a leg at a facility and unit.

    Example: habeas custody arrive p-3f2a --facility f-cecot --unit m3 --custodian o-guard@dgcp
    """
    from habeas.domain import commands as c

    cmd = c.ArriveAtFacility(person_id=person, occurred_at=at_or_now(at), facility_id=facility, unit_id=unit,
                             custodian=parse_custodian(custodian), authority=authority(authority_agency, basis, record),
                             receipt_id=receipt)
    _done(person, execute(ctx, cmd, actor))


@custody_app.command("hand-over")
def hand_over_cmd(
    ctx: typer.Context,
    person: Person,
    to_country: Annotated[str, typer.Option("--country", help="Where the receiving agency holds them.")],
    custodian: CustodianOption,
    authority_agency: Annotated[str, typer.Option("--authority", help="The agency legally responsible.")],
    basis: Annotated[str, typer.Option("--basis", help="The legal basis code.")],
    record: RecordOption = None,
    receipt: ReceiptOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Hand over to another agency that keeps no record here; CUSTODIAN is its receiving officer.

    Example: habeas custody hand-over p-3f2a --country SV --custodian o-guard@dgcp --authority ice --basis ina_241
    """
    from habeas.domain import commands as c

    auth = authority(authority_agency, basis, record)
    assert auth is not None
    cmd = c.HandOver(person_id=person, occurred_at=at_or_now(at), country=country(to_country),
                     custodian=parse_custodian(custodian), authority=auth, receipt_id=receipt)
    _done(person, execute(ctx, cmd, actor))


@custody_app.command("release")
def release_cmd(
    ctx: typer.Context,
    person: Person,
    reason: Annotated[str, typer.Option("--reason", help="A lower-case code, e.g. bond, court_order, parole.")],
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Release from custody.

    Example: habeas custody release p-3f2a --reason court_order
    """
    from habeas.domain import commands as c

    _done(person, execute(ctx, c.Release(person_id=person, occurred_at=at_or_now(at), reason=reason), actor))


@custody_app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    person: Person,
    to_country: Annotated[str, typer.Option("--country", help="The country they were delivered to.")],
    reason: Annotated[str | None, typer.Option("--reason", help="A lower-case code.")] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Delivered to a country and let go there.

    Example: habeas custody remove p-3f2a --country MX
    """
    from habeas.domain import commands as c

    cmd = c.Remove(person_id=person, occurred_at=at_or_now(at), country=country(to_country), reason=reason)
    _done(person, execute(ctx, cmd, actor))
