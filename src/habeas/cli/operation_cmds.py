"""`habeas headcount|handoff|intake ...`: the operation, step by step (incidents, access, notifications and
agreements are in :mod:`habeas.cli.operation_record_cmds`)."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.markup import escape

from habeas.cli.common import (
    AsOption,
    AtOption,
    IdOption,
    at_or_now,
    authority,
    country,
    execute,
    new_id,
    parse_custodian,
    reading,
    recorded,
)
from habeas.cli.console import DataTable, err, one_line, out
from habeas.cli.context import settings_of
from habeas.domain.errors import HabeasError
from habeas.domain.incidents import Checkpoint

if TYPE_CHECKING:
    from habeas.domain.handoffs import ReceiptItem
    from habeas.domain.intake import NoUnitAvailable

headcount_app = typer.Typer(help="Headcounts: expected against counted; a difference opens an incident.",
                            no_args_is_help=True)
handoff_app = typer.Typer(
    help="Handoffs: a receipt signed by the releasing and the receiving officer with their own keys; custody "
    "changes only when both signatures verify.\n\nExample: `habeas handoff issue --id hr-1 --person p-1 "
    "--releasing o-us@ice --receiving o-sv@dgcp --place sal --country SV --authority dhs --basis ina_241`, "
    "`habeas handoff sign hr-1 --key o-us.key --out us.sig`, the same for the receiving officer, then "
    "`habeas handoff complete hr-1 --releasing-sig @us.sig --receiving-sig @sv.sig`",
    no_args_is_help=True,
)
intake_app = typer.Typer(help="Intake: admission (Mandela rule 7) and a unit within capacity and separation.",
                         no_args_is_help=True)
SUBAPPS = (("headcount", headcount_app), ("handoff", handoff_app), ("intake", intake_app))

PeopleOption = Annotated[list[str], typer.Option("--person", help="A person's id (repeat for each).")]


def _signature(text: str, option: str) -> bytes:
    """Base64, or ``@PATH`` of a file holding it (what `habeas handoff sign --out` writes)."""
    raw = Path(text[1:]).read_text().strip() if text.startswith("@") else text
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as e:
        raise HabeasError(f"{option} is not a base64 signature") from e


# -- headcounts ------------------------------------------------------------------------------------------------


@headcount_app.command("record")
def headcount_record_cmd(
    ctx: typer.Context,
    manifest: Annotated[str, typer.Argument(help="The manifest counted.")],
    checkpoint: Annotated[Checkpoint, typer.Option("--checkpoint")],
    counted: Annotated[list[str], typer.Option("--counted", help="A person checked off (repeat, in order).")],
    expected: Annotated[
        list[str] | None, typer.Option("--expected", help="Who is expected (default: the manifest's people).")
    ] = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Check people off at a checkpoint; any difference opens an incident that blocks closing the manifest.

    Example: habeas headcount record m-1 --checkpoint arrival --counted p-1 --counted p-2
    """
    from habeas.services.incidents import RecordHeadcount

    hid = record_id or new_id("hc")
    result = execute(ctx, RecordHeadcount(headcount_id=hid, manifest_id=manifest, checkpoint=checkpoint,
                                          occurred_at=at_or_now(at), counted_person_ids=tuple(counted),
                                          expected_person_ids=None if expected is None else tuple(expected)), actor)
    recorded("headcount", hid, result)
    count = result.value
    if count.incident_id is not None:
        told = (f"missing {', '.join(count.missing) or '-'}; unexpected {', '.join(count.unexpected) or '-'}; "
                f"counted twice {', '.join(count.duplicates) or '-'}: incident {count.incident_id} opened")
        err.print(f"[red]discrepancy:[/] {escape(told)}", soft_wrap=True)
    else:
        out.print(f"{count.counted_count} of {count.expected_count} counted: reconciled")


# -- handoffs --------------------------------------------------------------------------------------------------


def _item(text: str, n: int) -> ReceiptItem:
    from habeas.domain.handoff_events import ItemKind
    from habeas.domain.handoffs import ReceiptItem

    parts = text.split(":", 3)
    if len(parts) < 3:
        raise HabeasError(f"--item {text!r} is not PERSON:KIND:DESCRIPTION[:QUANTITY] (kind: property, medicine, "
                          "document)")
    person, kind, description = parts[:3]
    quantity = int(parts[3]) if len(parts) == 4 and parts[3].isdigit() else 1
    return ReceiptItem(item_id=f"item-{n}", person_id=person, kind=ItemKind(kind), description=description,
                       quantity=quantity)


@handoff_app.command("issue")
def handoff_issue_cmd(
    ctx: typer.Context,
    people: PeopleOption,
    releasing: Annotated[str, typer.Option("--releasing", help="The releasing officer: OFFICER@AGENCY.")],
    receiving: Annotated[str, typer.Option("--receiving", help="The receiving officer: OFFICER@AGENCY.")],
    place: Annotated[str, typer.Option("--place", help="Where the handoff happens.")],
    country_code: Annotated[str, typer.Option("--country")],
    authority_agency: Annotated[str, typer.Option("--authority", help="The agency legally responsible after.")],
    basis: Annotated[str, typer.Option("--basis", help="The legal basis code, e.g. ina_241.")],
    record: Annotated[str | None, typer.Option("--record")] = None,
    manifest: Annotated[str | None, typer.Option("--manifest")] = None,
    items: Annotated[
        list[str] | None, typer.Option("--item", help="PERSON:KIND:DESCRIPTION[:QUANTITY], repeat for each.")
    ] = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Issue a receipt for both officers to sign. Example: see `habeas handoff --help`."""
    from habeas.services.handoffs import IssueHandoff

    auth = authority(authority_agency, basis, record)
    assert auth is not None
    rid = record_id or new_id("hr")
    result = execute(ctx, IssueHandoff(
        receipt_id=rid, person_ids=tuple(people), releasing=parse_custodian(releasing),
        receiving=parse_custodian(receiving), place_id=place, country=country(country_code), at=at_or_now(at),
        authority=auth, manifest_id=manifest, items=tuple(_item(t, n) for n, t in enumerate(items or (), 1)),
    ), actor)
    recorded("handoff receipt", rid, result)
    out.print(f"both officers sign it: habeas handoff sign {escape(rid)} --key OFFICER.key", soft_wrap=True)


@handoff_app.command("sign")
def handoff_sign_cmd(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument()],
    key: Annotated[Path, typer.Option("--key", help="The officer's private key file.")],
    out_path: Annotated[Path | None, typer.Option("--out", help="Also write the signature (base64) here.")] = None,
) -> None:
    """Sign the receipt's canonical bytes with an officer's key; prints the signature (base64).

    Example: habeas handoff sign hr-1 --key o-us.key --out us.sig
    """
    from habeas.bootstrap import read_key
    from habeas.domain.handoffs import receipt_bytes
    from habeas.services.handoffs import handoff_receipt, officer_key

    signer = read_key(key)
    with reading(ctx) as services:
        signed = services.read(handoff_receipt, receipt)
        roles = [
            role for role, who in (("releasing", signed.releasing), ("receiving", signed.receiving))
            if services.read(officer_key, who.officer_id) == signer.public_key
        ]
    signature = base64.b64encode(signer.sign(receipt_bytes(signed))).decode()
    if not roles:
        told = (f"{key} is not the registered key of {signed.releasing.officer_id} or {signed.receiving.officer_id}: "
                "the handoff will refuse this signature")
        err.print(f"[yellow]warning:[/] {escape(told)}", soft_wrap=True)
    else:
        err.print(f"signed as the {' and '.join(roles)} officer", soft_wrap=True)
    if out_path is not None:
        out_path.write_text(signature + "\n")
    out.print(signature, soft_wrap=True)


@handoff_app.command("complete")
def handoff_complete_cmd(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument()],
    releasing_sig: Annotated[str, typer.Option("--releasing-sig", help="Base64, or @FILE.")],
    receiving_sig: Annotated[str, typer.Option("--receiving-sig", help="Base64, or @FILE.")],
    actor: AsOption = None,
) -> None:
    """Complete the handoff: custody passes for everyone on the receipt only if both signatures verify."""
    from habeas.services.handoffs import CompleteHandoff

    result = execute(ctx, CompleteHandoff(receipt_id=receipt,
                                          releasing_signature=_signature(releasing_sig, "--releasing-sig"),
                                          receiving_signature=_signature(receiving_sig, "--receiving-sig")), actor)
    recorded("completed handoff", receipt, result)


@handoff_app.command("show")
def handoff_show_cmd(ctx: typer.Context, receipt: Annotated[str, typer.Argument()]) -> None:
    """The receipt, its status and its signatures. Example: habeas handoff show hr-1"""
    from habeas.services.handoffs import handoff_view

    with reading(ctx) as services:
        view = services.read(handoff_view, receipt)
    table = DataTable(title=f"Handoff {escape(receipt)}: {view.status}", title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for name, value in (
        ("people", ", ".join(view.person_ids)), ("releasing", view.releasing),
        ("receiving (physical custodian)", view.receiving), ("legal authority", view.authority),
        ("place", f"{view.place_id} ({view.country})"), ("at", view.at), ("issued in entry", str(view.seq)),
        ("completed in entry", "" if view.completed_seq is None else str(view.completed_seq)),
    ):
        table.add_row(name, value)
    for role, who, seq in view.signatures:
        table.add_row(f"{role} signature", f"{who} (entry {seq})")
    out.print(table)


# -- intake ----------------------------------------------------------------------------------------------------


@intake_app.command("admit")
def intake_admit_cmd(
    ctx: typer.Context,
    custodian: Annotated[str, typer.Option("--custodian", help="OFFICER@AGENCY.")],
    commitment: Annotated[str, typer.Option("--commitment-authority", help="Who committed them (rule 7).")],
    person: Annotated[str | None, typer.Argument(help="The person (or --manifest for everyone on it).")] = None,
    facility: Annotated[str | None, typer.Option("--facility")] = None,
    manifest: Annotated[
        str | None, typer.Option("--manifest", help="An arrived manifest: everyone on it, in one transaction.")
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Default: the first unit that can take them.")] = None,
    authority_agency: Annotated[str | None, typer.Option("--authority")] = None,
    basis: Annotated[str | None, typer.Option("--basis")] = None,
    record: Annotated[str | None, typer.Option("--record")] = None,
    receipt: Annotated[str | None, typer.Option("--receipt", help="The handoff receipt they came with.")] = None,
    override_reason: Annotated[
        str | None,
        typer.Option("--override-reason", help="Why to house them in --unit over capacity, or though a fact its "
                     "separation turns on (birth date, sex) is not recorded."),
    ] = None,
    override_by: Annotated[str | None, typer.Option("--override-by", help="The officer authorising it.")] = None,
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Admit a person and house them within computed capacity (the deployment's policy pack) and separation, by
    what their record says: age from the recorded birth date on the day of intake, sex, convictions, allegations.

    Example: habeas intake admit p-1 --facility f-sv --custodian o-sv@dgcp --commitment-authority DGCP

    Everyone on an arrived manifest, in one transaction (people a count did not find are left out, and named):
    habeas intake admit --manifest m-1 --custodian o-sv@dgcp --commitment-authority DGCP --receipt hr-1
    """
    if manifest is not None:  # a bus or a plane: habeas.cli.bulk_cmds
        from habeas.cli.bulk_cmds import admit_manifest

        given = {"PERSON": person, "--unit": unit, "--override-reason": override_reason, "--id": record_id}
        admit_manifest(
            ctx, manifest, custodian=custodian, commitment=commitment, facility=facility,
            authority_agency=authority_agency, basis=basis, record=record, receipt=receipt, at=at, actor=actor,
            one_person=[k for k, v in given.items() if v is not None],
        )
        return
    from habeas.domain import commands as c
    from habeas.domain.intake import CapacityOverride, IntakeCapacityOverride, IntakeUnknownOverride, NoUnitAvailable
    from habeas.services.intake import AdmitAtIntake

    if person is None or facility is None:
        raise HabeasError("name the PERSON and --facility, or --manifest ID for everyone on an arrived manifest")
    if (override_reason is None) != (override_by is None):
        raise HabeasError("an override needs both --override-reason and --override-by")
    aid = record_id or new_id("adm")
    override = None if override_reason is None or override_by is None else CapacityOverride(
        reason=override_reason, authorised_by=override_by
    )
    try:
        result = execute(ctx, AdmitAtIntake(
            admission=c.RecordAdmission(person_id=person, admission_id=aid, facility_id=facility,
                                        occurred_at=at_or_now(at), commitment_authority=commitment),
            custodian=parse_custodian(custodian), unit_id=unit, authority=authority(authority_agency, basis, record),
            receipt_id=receipt, override=override,
        ), actor)
    except NoUnitAvailable as refused:
        _no_unit(refused)
    recorded("admission", aid, result)
    out.print(f"housed in unit {escape(str(result.value))}")
    for w in result.warnings:
        if isinstance(w, IntakeCapacityOverride):
            told = (f"unit {w.unit_id} now holds {w.occupancy} of a computed {w.capacity} ({w.standard}); override by "
                    f"{w.authorised_by}: {w.reason}")
            err.print(f"[yellow]over capacity:[/] {escape(told)}", soft_wrap=True)
        elif isinstance(w, IntakeUnknownOverride):
            missing = ", ".join(str(m) for m in w.missing)
            err.print(f"[yellow]housed in unit {escape(w.unit_id)} though not recorded:[/] "
                      f"{escape(f'{missing}; override by {w.authorised_by}: {w.reason}')}", soft_wrap=True)


def _no_unit(refused: NoUnitAvailable) -> NoReturn:
    """Every unit's reason, one line each: a count alone does not tell the officer what to do."""
    units = "unit" if len(refused.reasons) == 1 else "units"
    told = f"no unit can take person {refused.person_id!r}: {len(refused.reasons)} {units} refused" + (
        f". {refused.hint}" if refused.hint else "")
    err.print(f"[bold red]error:[/] {escape(told)}", soft_wrap=True)
    for reason in refused.reasons:
        err.print(f"  {one_line(reason)}", soft_wrap=True, markup=False)
    raise typer.Exit(1)


@intake_app.command("capacity")
def intake_capacity_cmd(
    ctx: typer.Context,
    facility: Annotated[str | None, typer.Option("--facility")] = None,
) -> None:
    """Occupancy against computed and declared capacity, by the standard of the deployment's policy pack (`habeas
    --pack`, HABEAS_POLICY_PACK), the one intake and clearance judge by. Example: habeas intake capacity
    --facility f-sv"""
    from habeas.bootstrap import load_packs
    from habeas.services.facilities import capacity

    policy = load_packs(settings_of(ctx).pack)[0]
    with reading(ctx) as services:
        rows = services.read(capacity, policy.capacity_standard, facility)
    table = DataTable(title=escape(f"Capacity ({policy.capacity_standard}, the standard of policy pack {policy.name})"),
                      title_justify="left")
    for col in ("facility", "floor m²", "computed", "declared", "held", "overrides"):
        table.add_column(col)
    for f in rows:
        table.add_row(f.facility_id, str(f.floor_area_m2), str(f.computed_capacity),
                      "" if f.declared_capacity is None else str(f.declared_capacity), str(f.occupancy),
                      str(f.overrides))
    out.print(table)
