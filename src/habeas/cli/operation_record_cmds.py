"""`habeas incident|access|notification|agreement ...`: what happens to people in custody, and what it costs.

Imported by :mod:`habeas.cli.operation_cmds`, which registers the rest of the operation's commands.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.markup import escape

from habeas.cli.common import (
    AsOption,
    AtOption,
    IdOption,
    at_or_now,
    country,
    execute,
    new_id,
    parse_custodian,
    parse_time,
    reading,
    recorded,
)
from habeas.cli.console import DataTable, out
from habeas.domain.errors import HabeasError
from habeas.domain.incidents import AccessPurpose, IncidentKind, LogAccess, ResolveIncident
from habeas.domain.notifications import RecordNotificationSent
from habeas.domain.periods import Period

incident_app = typer.Typer(help="Incidents in transit and in custody; open until resolved with a reason.",
                           no_args_is_help=True)
access_app = typer.Typer(help="Every interview of or visit to a person.", no_args_is_help=True)
notification_app = typer.Typer(help="Notifications to family, counsel, consulate and next of kin, with deadlines.",
                               no_args_is_help=True)
agreement_app = typer.Typer(help="Agreements between states, and invoices by person-days.", no_args_is_help=True)
SUBAPPS = (("incident", incident_app), ("access", access_app), ("notification", notification_app),
           ("agreement", agreement_app))

PeopleOption = Annotated[list[str], typer.Option("--person", help="A person's id (repeat for each).")]


def _decimal(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as e:
        raise HabeasError(f"{option} {text!r} is not a number") from e
    return value


# -- incidents and access --------------------------------------------------------------------------------------


@incident_app.command("open")
def incident_open_cmd(
    ctx: typer.Context,
    kind: Annotated[IncidentKind, typer.Option("--kind")],
    people: PeopleOption,
    manifest: Annotated[str | None, typer.Option("--manifest")] = None,
    facility: Annotated[str | None, typer.Option("--facility")] = None,
    leg: Annotated[str | None, typer.Option("--leg")] = None,
    serious: Annotated[bool, typer.Option("--serious")] = False,
    details: Annotated[str | None, typer.Option("--details", help="What happened (private).")] = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Open an incident. A death makes next of kin and an independent authority due at once.

    Example: habeas incident open --kind injury --person p-1 --facility f-sv --serious
    """
    from habeas.services.incidents import RecordIncident

    iid = record_id or new_id("inc")
    result = execute(ctx, RecordIncident(incident_id=iid, kind=kind, person_ids=tuple(people),
                                         occurred_at=at_or_now(at), manifest_id=manifest, facility_id=facility,
                                         leg_id=leg, serious=serious, details=details), actor)
    recorded("incident", iid, result)


@incident_app.command("resolve")
def incident_resolve_cmd(
    ctx: typer.Context,
    incident: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="A code: person_located, recount_matched...")],
    note: Annotated[str | None, typer.Option("--note", help="The detail (private).")] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Resolve an incident with a reason. Example: habeas incident resolve hc-1.discrepancy --reason person_located"""
    result = execute(ctx, ResolveIncident(incident_id=incident, occurred_at=at_or_now(at), reason=reason, note=note),
                     actor)
    recorded("resolution of incident", incident, result)


@incident_app.command("list")
def incident_list_cmd(
    ctx: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="Only those not yet resolved.")] = False,
    manifest: Annotated[str | None, typer.Option("--manifest")] = None,
) -> None:
    """Incidents, oldest first. Example: habeas incident list --open"""
    from habeas.services.incidents import incident_list

    with reading(ctx) as services:
        rows = services.read(incident_list, open_only=open_only, manifest_id=manifest)
    table = DataTable(title="Incidents", title_justify="left")
    for col in ("incident", "kind", "people", "manifest", "opened", "status", "entry"):
        table.add_column(col)
    for r in rows:
        status = "open" if r.resolved_at is None else f"resolved: {r.resolution}"
        table.add_row(r.incident_id, r.kind, ", ".join(r.person_ids), r.manifest_id or "", r.opened_at, status,
                      str(r.seq))
    out.print(table)


@access_app.command("log")
def access_log_cmd(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument()],
    purpose: Annotated[AccessPurpose, typer.Option("--purpose")],
    officer: Annotated[str | None, typer.Option("--officer", help="OFFICER@AGENCY.")] = None,
    visitor: Annotated[str | None, typer.Option("--visitor", help="A visitor's name (private).")] = None,
    facility: Annotated[str | None, typer.Option("--facility")] = None,
    ended: Annotated[str | None, typer.Option("--ended")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Log an interview or visit. Example: habeas access log p-1 --purpose legal_visit --visitor 'A. Quintero'"""
    who = None if officer is None else parse_custodian(officer)
    aid = record_id or new_id("acc")
    result = execute(ctx, LogAccess(access_id=aid, person_id=person, occurred_at=at_or_now(at), purpose=purpose,
                                    facility_id=facility, officer_id=who.officer_id if who else None,
                                    agency_id=who.agency_id if who else None,
                                    ended_at=None if ended is None else parse_time(ended, "--ended"),
                                    visitor_name=visitor, note=note), actor)
    recorded("access", aid, result)



# -- notifications ---------------------------------------------------------------------------------------------


@notification_app.command("sent")
def notification_sent_cmd(
    ctx: typer.Context,
    notification: Annotated[str, typer.Argument()],
    person: Annotated[str, typer.Option("--person")],
    channel: Annotated[str, typer.Option("--channel", help="phone, email, in_person...")],
    contact: Annotated[str | None, typer.Option("--contact", help="Whom it reached (private).")] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Record that a notification went out.

    Example: habeas notification sent inc-1.nok.p-1 --person p-1 --channel phone
    """
    result = execute(ctx, RecordNotificationSent(notification_id=notification, person_id=person,
                                                 occurred_at=at_or_now(at), channel=channel, contact=contact), actor)
    recorded("notification sent", notification, result)


@notification_app.command("list")
def notification_list_cmd(
    ctx: typer.Context,
    person: Annotated[str | None, typer.Option("--person")] = None,
    missed_only: Annotated[bool, typer.Option("--missed", help="Only those past their deadline, unsent.")] = False,
    now_text: Annotated[str | None, typer.Option("--now", help="Judge deadlines at this time (default now).")] = None,
) -> None:
    """Notifications and their deadlines. Example: habeas notification list --missed"""
    from habeas.services.notifications import missed_notifications, notification_list

    now = datetime.now(UTC) if now_text is None else parse_time(now_text, "--now")
    with reading(ctx) as services:
        rows = services.read(notification_list, person)
        missed = {o.notification_id for o in services.read(missed_notifications, now)}
    table = DataTable(title="Notifications", title_justify="left")
    for col in ("notification", "person", "to", "reason", "due", "sent", "status", "entry"):
        table.add_column(col)
    for r in rows:
        if missed_only and r.notification_id not in missed:
            continue
        status = "MISSED" if r.notification_id in missed else ("sent" if r.sent_at else "pending")
        table.add_row(r.notification_id, r.person_id, r.recipient, r.reason, r.due_at, r.sent_at or "", status,
                      str(r.seq))
    out.print(table)


# -- agreements ------------------------------------------------------------------------------------------------


@agreement_app.command("add")
def agreement_add_cmd(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Option("--id")],
    sending: Annotated[str, typer.Option("--sending", help="The sending state (ISO 3166 alpha-2).")],
    receiving: Annotated[str, typer.Option("--receiving", help="The receiving state.")],
    active_from: Annotated[str, typer.Option("--from")],
    categories: Annotated[list[str], typer.Option("--category", help="A category accepted (repeat).")],
    per_diem: Annotated[str, typer.Option("--per-diem")],
    currency: Annotated[str, typer.Option("--currency")] = "USD",
    active_to: Annotated[str | None, typer.Option("--to", help="Exclusive end of the term.")] = None,
    minimum: Annotated[str, typer.Option("--minimum", help="Guaranteed minimum per invoice.")] = "0",
    quota: Annotated[int | None, typer.Option("--quota", min=0, max=100_000_000)] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Record an agreement. Example: habeas agreement add --id ag-1 --sending US --receiving SV --from 2025-03-01
    --category migration --per-diem 20 --quota 300"""
    from habeas.domain.agreements import Agreement, RecordAgreement

    term = Period(active_from=parse_time(active_from, "--from"),
                  active_to=None if active_to is None else parse_time(active_to, "--to"))
    agreement = Agreement(agreement_id=agreement_id, sending_state=country(sending), receiving_state=country(receiving),
                          term=term, categories=tuple(categories), per_diem=_decimal(per_diem, "--per-diem"),
                          currency=currency.upper(), guaranteed_minimum=_decimal(minimum, "--minimum"), quota=quota)
    result = execute(ctx, RecordAgreement(agreement=agreement, occurred_at=at_or_now(at)), actor)
    recorded("agreement", agreement_id, result)


@agreement_app.command("invoice")
def agreement_invoice_cmd(
    ctx: typer.Context,
    agreement_id: Annotated[str, typer.Argument()],
    active_from: Annotated[str, typer.Option("--from")],
    active_to: Annotated[str, typer.Option("--to", help="Exclusive end of the period; not after now.")],
    record_id: IdOption = None,
    actor: AsOption = None,
) -> None:
    """Invoice a closed period by person-days (one per midnight held). Example: habeas agreement invoice ag-1
    --from 2025-03-01 --to 2025-04-01"""
    from habeas.domain.agreements import InvoiceIssued
    from habeas.services.agreements import IssueInvoice

    iid = record_id or new_id("inv")
    period = Period(active_from=parse_time(active_from, "--from"), active_to=parse_time(active_to, "--to"))
    result = execute(ctx, IssueInvoice(agreement_id=agreement_id, invoice_id=iid, period=period), actor)
    recorded("invoice", iid, result)
    issued = result.value
    assert isinstance(issued, InvoiceIssued)
    minimum = " (guaranteed minimum)" if issued.minimum_applied else ""
    people = len(issued.lines)
    out.print(f"{issued.person_days} person-days, {people} {'person' if people == 1 else 'people'}: "
              f"{issued.amount} {escape(issued.currency)}{minimum}")


