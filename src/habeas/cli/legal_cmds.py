"""`habeas legal add ...`: the records that decide where a person may be taken, and allegations apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from habeas.cli.alert_cmds import override_cmd, tell_lapses
from habeas.cli.common import (
    AsOption,
    AtOption,
    IdOption,
    at_or_now,
    country,
    execute,
    new_id,
    optional_time,
    parse_date,
    parse_time,
    recorded,
)
from habeas.domain.allegations import AdjudicationOutcome, AllegationStatus
from habeas.domain.court_orders import CourtOrderDirective, OrderForm
from habeas.domain.legal import NoticeContent, ProtectionKind

if TYPE_CHECKING:
    from habeas.domain.periods import Period

legal_app = typer.Typer(
    help="Legal records, allegations and convictions.\n\nExample: `habeas legal add protection p-3f2a "
    "--kind cat_deferral --country SV --granted-by 'IJ Miami'`",
    no_args_is_help=True,
)
add_app = typer.Typer(
    help="Record one legal record, allegation or conviction about a person (each is an entry of the log).",
    no_args_is_help=True,
)
legal_app.add_typer(add_app, name="add")
legal_app.command("override")(override_cmd)

Person = Annotated[str, typer.Argument(help="The person's id.")]
FromOption = Annotated[str | None, typer.Option("--from", help="Start of the period (default: --at).")]
ToOption = Annotated[str | None, typer.Option("--to", help="End of the period, exclusive (default: open).")]


def _period(at: str | None, start: str | None, end: str | None) -> Period:
    from habeas.domain.periods import Period

    return Period(
        active_from=parse_time(start, "--from") if start else at_or_now(at), active_to=optional_time(end, "--to")
    )


@add_app.command("removal-order")
def removal_order_cmd(
    ctx: typer.Context,
    person: Person,
    authority: Annotated[str, typer.Option("--authority", help="Who ordered it, e.g. 'IJ Krome'.")],
    basis: Annotated[str, typer.Option("--basis", help="Legal basis code, e.g. ina_240.")],
    destination: Annotated[str, typer.Option("--destination", help="Country of removal (ISO 3166-1).")],
    final: Annotated[bool, typer.Option("--final/--not-final", help="Administratively final?")] = False,
    start: FromOption = None,
    end: ToOption = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """A removal order.

    Example: habeas legal add removal-order p-3f2a --authority "IJ Krome" --basis ina_240 --destination SV --final
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("ro")
    cmd = c.RecordRemovalOrder(
        order_id=rid, person_id=person, occurred_at=at_or_now(at), authority=authority, legal_basis=basis,
        destination_country=country(destination), final=final, period=_period(at, start, end),
    )
    recorded("removal order", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("protection")
def protection_cmd(
    ctx: typer.Context,
    person: Person,
    kind: Annotated[ProtectionKind, typer.Option("--kind")],
    protected_from: Annotated[str, typer.Option("--country", help="The country removal to which is barred.")],
    granted_by: Annotated[str, typer.Option("--granted-by", help="The court or officer who granted it.")],
    start: FromOption = None,
    end: ToOption = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """A protection from removal to one country.

    Example: habeas legal add protection p-3f2a --kind cat_deferral --country SV --granted-by "IJ Miami"
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("pr")
    cmd = c.RecordProtection(
        protection_id=rid, person_id=person, occurred_at=at_or_now(at), kind=kind, country=country(protected_from),
        granted_by=granted_by, period=_period(at, start, end),
    )
    recorded("protection", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("stay")
def stay_cmd(
    ctx: typer.Context,
    person: Person,
    granted_by: Annotated[str, typer.Option("--granted-by")],
    limited_to: Annotated[
        str | None, typer.Option("--country", help="Stays removal to this country only (default: anywhere).")
    ] = None,
    start: FromOption = None,
    end: ToOption = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """A stay of removal.

    Example: habeas legal add stay p-3f2a --granted-by "D.D.C." --to 2025-04-01
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("st")
    cmd = c.RecordStay(
        stay_id=rid, person_id=person, occurred_at=at_or_now(at), granted_by=granted_by,
        country=None if limited_to is None else country(limited_to), period=_period(at, start, end),
    )
    recorded("stay", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("court-order")
def court_order_cmd(
    ctx: typer.Context,
    court: Annotated[str, typer.Option("--court")],
    docket: Annotated[str, typer.Option("--docket")],
    directive: Annotated[CourtOrderDirective, typer.Option("--directive")],
    form: Annotated[OrderForm, typer.Option("--form", help="Oral orders bind from the moment spoken.")] = (
        OrderForm.WRITTEN
    ),
    person: Annotated[list[str] | None, typer.Option("--person", help="A person it names (repeat).")] = None,
    nationality: Annotated[list[str] | None, typer.Option("--nationality", help="Class: nationality.")] = None,
    destination: Annotated[
        list[str] | None, typer.Option("--destination", help="Class: removal to this country (repeat).")
    ] = None,
    any_third_country: Annotated[bool, typer.Option(
        "--any-third-country", help="Class: removal to a country of none of the person's nationalities.")] = False,
    legal_basis: Annotated[list[str] | None, typer.Option("--legal-basis", help="Class: legal basis.")] = None,
    facility: Annotated[list[str] | None, typer.Option("--facility", help="Class: held at facility.")] = None,
    field_office: Annotated[
        list[str] | None, typer.Option("--field-office", help="Class: held in this ICE field office, e.g. HOU.")
    ] = None,
    district: Annotated[
        list[str] | None, typer.Option("--district", help="Class: held in this judicial district, e.g. TXSD.")
    ] = None,
    detained_from: Annotated[str | None, typer.Option(
        "--detained-from", help="Class: custody began at or after (ISO 8601 with zone).")] = None,
    detained_before: Annotated[str | None, typer.Option(
        "--detained-before", help="Class: custody began before (ISO 8601 with zone).")] = None,
    designation: Annotated[list[str] | None, typer.Option("--designation", help="Class: designation.")] = None,
    confirms: Annotated[str | None, typer.Option("--confirms", help="The oral order this confirms.")] = None,
    start: FromOption = None,
    end: ToOption = None,
    record_id: IdOption = None,
    at: Annotated[str | None, typer.Option("--at", help="When issued (ISO 8601 with zone); default now.")] = None,
    actor: AsOption = None,
) -> None:
    """A court order naming people (--person) or a class: --nationality, --destination or --any-third-country,
    --legal-basis, --facility, --field-office, --district, --detained-from/--detained-before, --designation.

    Every criterion given must hold; one whose fact is not recorded for a person blocks them until it is.

    Example: habeas legal add court-order --court D.D.C. --docket 25-cv-766 --form oral --directive halt_removal
    --nationality VE --legal-basis aea_1798 --any-third-country --detained-before 2025-03-15T23:59:00Z
    """
    from habeas.domain import commands as c
    from habeas.domain.court_orders import ClassCriteria, CourtOrderScope

    criteria = None
    dates = (optional_time(detained_from, "--detained-from"), optional_time(detained_before, "--detained-before"))
    if (nationality or destination or any_third_country or legal_basis or facility or field_office or district
            or designation or dates != (None, None)):
        criteria = ClassCriteria(
            nationality_in=tuple(country(n) for n in nationality or ()),
            destination_in=tuple(country(d) for d in destination or ()), any_third_country=any_third_country,
            legal_basis_in=tuple(legal_basis or ()), detained_at_facility_in=tuple(facility or ()),
            field_office_in=tuple(field_office or ()), district_in=tuple(district or ()),
            detained_from=dates[0], detained_before=dates[1], designation_in=tuple(designation or ()),
        )
    rid = record_id or new_id("co")
    cmd = c.RecordCourtOrder(
        order_id=rid, issued_at=at_or_now(at), court=court, docket=docket, form=form, directive=directive,
        scope=CourtOrderScope(person_ids=tuple(person or ()), criteria=criteria), period=_period(at, start, end),
        confirms_order_id=confirms,
    )
    recorded("court order", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("notice")
def notice_cmd(
    ctx: typer.Context,
    person: Person,
    language: Annotated[str, typer.Option("--language", help="ISO 639 code of the language served in.")],
    content: Annotated[NoticeContent, typer.Option("--content")],
    copy_to_counsel: Annotated[bool, typer.Option("--copy-to-counsel/--no-copy-to-counsel")] = False,
    served_by: Annotated[str | None, typer.Option("--served-by", help="Officer id.")] = None,
    record_id: IdOption = None,
    at: Annotated[str | None, typer.Option("--at", help="When served (ISO 8601 with zone); default now.")] = None,
    actor: AsOption = None,
) -> None:
    """A notice served.

    Example: habeas legal add notice p-3f2a --language es --content third_country_removal --copy-to-counsel
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("nt")
    cmd = c.RecordNotice(
        notice_id=rid, person_id=person, served_at=at_or_now(at), language=language.strip().lower(),
        content_type=content, copy_to_counsel=copy_to_counsel, served_by_officer_id=served_by,
    )
    recorded("notice", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("counsel")
def counsel_cmd(
    ctx: typer.Context,
    person: Person,
    name: Annotated[str, typer.Option("--name", help="Counsel's name (private).")],
    appearance_filed: Annotated[bool, typer.Option("--appearance-filed/--no-appearance-filed")] = False,
    bar_number: Annotated[str | None, typer.Option("--bar-number")] = None,
    contact: Annotated[str | None, typer.Option("--contact")] = None,
    start: FromOption = None,
    end: ToOption = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Counsel of record.

    Example: habeas legal add counsel p-3f2a --name "A. Lawyer" --appearance-filed
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("cn")
    cmd = c.RecordCounsel(
        counsel_id=rid, person_id=person, occurred_at=at_or_now(at), name=name, appearance_filed=appearance_filed,
        period=_period(at, start, end), bar_number=bar_number, contact=contact,
    )
    recorded("counsel", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("consular")
def consular_cmd(
    ctx: typer.Context,
    person: Person,
    consulate: Annotated[str, typer.Option("--country", help="The consulate's country.")],
    mandatory: Annotated[bool, typer.Option("--mandatory/--not-mandatory")] = False,
    offered: Annotated[str | None, typer.Option("--offered", help="When notification was offered.")] = None,
    requested: Annotated[str | None, typer.Option("--requested", help="When the person asked for it.")] = None,
    sent: Annotated[str | None, typer.Option("--sent", help="When it was sent.")] = None,
    record_id: IdOption = None,
    actor: AsOption = None,
) -> None:
    """Consular notification (Vienna Convention art. 36).

    Example: habeas legal add consular p-3f2a --country SV --offered 2025-03-14T10:00:00Z
    --requested 2025-03-14T10:05:00Z
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("cs")
    cmd = c.RecordConsularNotification(
        notification_id=rid, person_id=person, country=country(consulate), mandatory=mandatory,
        offered_at=optional_time(offered, "--offered"), requested_at=optional_time(requested, "--requested"),
        sent_at=optional_time(sent, "--sent"),
    )
    recorded("consular notification", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("fitness")
def fitness_cmd(
    ctx: typer.Context,
    person: Person,
    fit: Annotated[bool, typer.Option("--fit/--unfit", help="The assessment's finding: fit to travel or not.")],
    assessed_by: Annotated[str, typer.Option("--assessed-by", help="The clinician's or officer's id.")],
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help="When the assessment stops holding, exclusive (default: open).")
    ] = None,
    restrictions: Annotated[
        str | None, typer.Option("--restrictions", help="A restriction code, e.g. wheelchair.")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Clinical notes (private).")] = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """An assessment of fitness to travel (the fit_to_travel gate rests on the latest one).

    Example: habeas legal add fitness p-3f2a --fit --assessed-by clin-7 --valid-until 2025-03-20T00:00:00Z
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("fa")
    cmd = c.RecordFitnessToTravel(
        assessment_id=rid, person_id=person, occurred_at=at_or_now(at), fit=fit, assessed_by=assessed_by,
        valid_until=optional_time(valid_until, "--valid-until"), restrictions=restrictions, notes=notes,
    )
    recorded("fitness assessment", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("allegation")
def allegation_cmd(
    ctx: typer.Context,
    person: Person,
    organisation: Annotated[str, typer.Option("--organisation", help="The organisation alleged.")],
    source: Annotated[str, typer.Option("--source", help="Who alleges it.")],
    evidence: Annotated[str | None, typer.Option("--evidence", help="Reference to the evidence.")] = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """An allegation (a claim, never a conviction).

    Example: habeas legal add allegation p-3f2a --organisation "Tren de Aragua" --source "ICE I-213"
    --evidence doc-17
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("al")
    cmd = c.RecordAllegation(
        allegation_id=rid, person_id=person, occurred_at=at_or_now(at), organisation=organisation, source=source,
        evidence_reference=evidence,
    )
    recorded("allegation", rid, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("allegation-status")
def allegation_status_cmd(
    ctx: typer.Context,
    allegation: Annotated[str, typer.Argument(help="The allegation's id.")],
    to: Annotated[AllegationStatus, typer.Option("--to")],
    outcome: Annotated[AdjudicationOutcome | None, typer.Option("--outcome", help="For an adjudication.")] = None,
    decided_by: Annotated[str | None, typer.Option("--decided-by", help="For an adjudication.")] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Move an allegation's status.

    Example: habeas legal add allegation-status al-1 --to adjudicated --outcome not_sustained
    --decided-by "IJ Miami"
    """
    from habeas.domain import commands as c

    cmd = c.ChangeAllegationStatus(
        allegation_id=allegation, occurred_at=at_or_now(at), to_status=to, outcome=outcome, decided_by=decided_by
    )
    recorded(f"allegation status {to.value} for", allegation, tell_lapses(execute(ctx, cmd, actor)))


@add_app.command("conviction")
def conviction_cmd(
    ctx: typer.Context,
    person: Person,
    court: Annotated[str, typer.Option("--court")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="ISO 3166-1 country of the court.")],
    offence: Annotated[str, typer.Option("--offence")],
    convicted_on: Annotated[str, typer.Option("--convicted-on", help="The court's date, YYYY-MM-DD.")],
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """A conviction by a court.

    Example: habeas legal add conviction p-3f2a --court "Dade County Court" --jurisdiction US
    --offence "driving without a licence" --convicted-on 2019-06-01
    """
    from habeas.domain import commands as c

    rid = record_id or new_id("cv")
    cmd = c.RecordConviction(
        conviction_id=rid, person_id=person, occurred_at=at_or_now(at), court=court,
        jurisdiction=country(jurisdiction), offence=offence, convicted_on=parse_date(convicted_on, "--convicted-on"),
    )
    recorded("conviction", rid, tell_lapses(execute(ctx, cmd, actor)))
