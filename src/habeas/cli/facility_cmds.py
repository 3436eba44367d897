"""`habeas facility ...`, `habeas agency ...`, `habeas officer ...`: places, who runs them, who signs."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from habeas.cli.common import AsOption, AtOption, IdOption, at_or_now, country, execute, new_id, reading, recorded
from habeas.cli.console import DataTable, out
from habeas.domain.errors import HabeasError, InvalidField
from habeas.domain.facilities import (
    AgeGroup,
    DetentionCategory,
    RegisterAgency,
    RegisterFacility,
    RegisterOfficer,
    RegisterUnit,
    Separation,
)
from habeas.domain.people import Sex
from habeas.domain.values import MAX_BIGINT

facility_app = typer.Typer(
    help=(
        "Facilities and their units: declared beds beside the capacity their floor area allows (CPT 4 m², "
        "ICRC 3.4 m² a person).\n\nExample: `habeas facility add --id f-krome --name 'Krome SPC' --country US "
        "--type SPC` then `habeas facility unit add f-krome --id b1 --label 'Block 1' --area 120 --beds 40`"
    ),
    no_args_is_help=True,
)
unit_app = typer.Typer(help="Units and cells of a facility.", no_args_is_help=True)
agency_app = typer.Typer(
    help="Agencies that hold people or authorise holding them.\n\nExample: `habeas agency add --id ice "
    "--name 'US Immigration and Customs Enforcement' --country US --kind immigration`",
    no_args_is_help=True,
)
officer_app = typer.Typer(
    help="Officers of an agency, each with an Ed25519 key for signing handoffs.\n\nExample: `habeas officer add "
    "--id o-diaz --agency ice --name 'R. Díaz' --role deportation_officer --generate-key o-diaz.key`",
    no_args_is_help=True,
)
facility_app.add_typer(unit_app, name="unit")


@facility_app.command("add")
def facility_add_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="The facility's name.")],
    country_code: Annotated[str, typer.Option("--country", help="ISO 3166-1 code, e.g. US.")],
    facility_type: Annotated[str, typer.Option("--type", help="E.g. SPC, IGSA, prison, CECOT.")],
    agency: Annotated[str | None, typer.Option("--agency", help="Operating agency id (registered).")] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="Operator name (e.g. a contractor).")] = None,
    code: Annotated[str | None, typer.Option("--code", help="An external code, e.g. ICE DETLOC.")] = None,
    address: Annotated[str | None, typer.Option("--address")] = None,
    city: Annotated[str | None, typer.Option("--city")] = None,
    region: Annotated[str | None, typer.Option("--region", help="State or province.")] = None,
    postal_code: Annotated[str | None, typer.Option("--postal-code")] = None,
    capacity: Annotated[int | None, typer.Option("--capacity", help="Declared capacity (beds).")] = None,
    contact: Annotated[
        str | None, typer.Option("--contact", help="Phone or e-mail for families and counsel; the locator shows it.")
    ] = None,
    field_office: Annotated[
        str | None, typer.Option("--field-office", help="ICE field office (AOR), e.g. HOU: class orders may name it.")
    ] = None,
    district: Annotated[
        str | None, typer.Option("--district", help="Judicial district, e.g. TXSD: class orders may name it.")
    ] = None,
    facility_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Register a facility.

    Example: habeas facility add --id f-krome --name "Krome SPC" --country US --type SPC --agency ice --capacity 611
    --field-office MIA --district FLSD
    """
    fid = facility_id or new_id("f")
    cmd = RegisterFacility(
        facility_id=fid, occurred_at=at_or_now(at), name=name, country=country(country_code),
        facility_type=facility_type, operating_agency_id=agency, operator_name=operator, code=code,
        address=address, city=city, region=region, postal_code=postal_code, declared_capacity=capacity,
        contact=contact, field_office=field_office, district=district,
    )
    recorded("facility", fid, execute(ctx, cmd, actor))


@unit_app.command("add")
def unit_add_cmd(
    ctx: typer.Context,
    facility_id: Annotated[str, typer.Argument(help="The facility the unit belongs to.")],
    unit_id: Annotated[str, typer.Option("--id", help="The unit's id within the facility.")],
    label: Annotated[str, typer.Option("--label", help="E.g. 'Block 1' or 'Cell 12'.")],
    area: Annotated[str, typer.Option("--area", help="Floor area in m², sanitary annex excluded.")],
    beds: Annotated[int, typer.Option("--beds", help="Declared beds.")],
    sex: Annotated[Sex | None, typer.Option("--sex", help="Only for people of this sex.")] = None,
    category: Annotated[
        list[DetentionCategory] | None, typer.Option("--category", help="Detention category held (repeat).")
    ] = None,
    age_group: Annotated[AgeGroup | None, typer.Option("--age-group")] = None,
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Reserved to people alleged to belong to it.")
    ] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="The unit this one is inside.")] = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Register a unit or cell with its floor area and declared beds.

    Example: habeas facility unit add f-krome --id b1 --label "Block 1" --area 120 --beds 40 --category migration
    """
    try:
        floor = Decimal(area)
    except InvalidOperation as e:
        raise HabeasError(f"--area {area!r} is not a number of square metres") from e
    cmd = RegisterUnit(
        unit_id=unit_id, facility_id=facility_id, occurred_at=at_or_now(at), label=label, floor_area_m2=floor,
        declared_beds=beds, parent_unit_id=parent,
        separation=Separation(sex=sex, categories=tuple(category or ()), age_group=age_group,
                              organisation=organisation),
    )
    recorded("unit", f"{facility_id}/{unit_id}", execute(ctx, cmd, actor))


@facility_app.command("show")
def facility_show_cmd(ctx: typer.Context, facility_id: Annotated[str, typer.Argument(help="The facility id.")]) -> None:
    """A facility, its units, and capacity by floor area (CPT, ICRC) beside the declared figures.

    Example: habeas facility show ice-krome
    """
    from habeas.services.facilities import facility_view

    with reading(ctx) as services:
        f = services.read(facility_view, facility_id)
    out.print(f"[bold]{escape(f.name)}[/]  {escape(f.facility_id)}  (registered at entry {f.seq})", soft_wrap=True)
    if f.retracted:
        out.print("[red]this registration was retracted[/]")
    facts = DataTable(show_header=False, box=None)
    facts.add_column(style="bold")
    facts.add_column()
    place = ", ".join(p for p in (f.address, f.city, f.region, f.postal_code, f.country) if p)
    for label, value in (
        ("type", f.facility_type), ("code", f.code), ("operating agency", f.operating_agency_id),
        ("operator", f.operator_name), ("address", place), ("field office", f.field_office),
        ("district", f.district),
        ("declared capacity", "not stated" if f.declared_capacity is None else str(f.declared_capacity)),
        ("held now", str(f.held_now)),
    ):
        facts.add_row(label, value or "")
    out.print(facts)
    table = DataTable(title="Units: declared beds beside capacity by floor area", title_justify="left")
    for col in ("unit", "label", "area m²", "declared beds", "CPT 4 m²", "ICRC 3.4 m²", "held now", "for", "entry"):
        table.add_column(col, justify="right" if col not in ("unit", "label", "for") else "left")
    for u in f.units:
        sep = ", ".join(f"{k} {v if not isinstance(v, list) else '/'.join(v)}" for k, v in u.separation.items() if v)
        table.add_row(u.unit_id, u.label, str(u.floor_area_m2), str(u.declared_beds), str(u.capacity_cpt),
                      str(u.capacity_icrc), str(u.held_now), sep, str(u.seq))
    if not f.units:
        out.print("no units registered: capacity by floor area unknown")
        return
    table.add_row(Text("total", style="bold"), "", str(f.floor_area_m2), str(f.declared_beds), str(f.capacity_cpt),
                  str(f.capacity_icrc), str(f.held_now), "", "")
    out.print(table)


@facility_app.command("list")
def facility_list_cmd(
    ctx: typer.Context,
    country_code: Annotated[str | None, typer.Option("--country", help="Only this country.")] = None,
    facility_type: Annotated[str | None, typer.Option("--type", help="Only this type (e.g. IGSA).")] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Rows to show (0 for all); the count is of all.", min=0, max=MAX_BIGINT)
    ] = 50,
) -> None:
    """List registered facilities; the last line counts them all.

    Example: habeas facility list --type IGSA --limit 0
    """
    from habeas.services.codes import country_exists
    from habeas.services.facilities import list_facilities

    wanted = None if country_code is None else country(country_code)
    if wanted is not None and not country_exists(wanted):  # a filter no facility can match: say so, not "0"
        raise InvalidField("--country", country_code, "no country has this ISO 3166-1 code; e.g. US or USA")
    with reading(ctx) as services:
        found = services.read(list_facilities, country=wanted, facility_type=facility_type)
    shown = found if limit <= 0 else found[:limit]
    table = DataTable()
    for col in ("facility", "name", "type", "code", "region", "country", "declared capacity", "entry"):
        table.add_column(col)
    for f in shown:
        table.add_row(f.facility_id, f.name, f.facility_type, f.code or "", f.region or "", f.country,
                      "" if f.declared_capacity is None else str(f.declared_capacity), str(f.seq))
    out.print(table)
    more = f" (showing {len(shown)}; --limit 0 for all)" if len(shown) < len(found) else ""
    out.print(f"{len(found):,} facilities{more}")


@agency_app.command("add")
def agency_add_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name")],
    country_code: Annotated[str, typer.Option("--country", help="ISO 3166-1 code.")],
    kind: Annotated[str, typer.Option("--kind", help="A lower-case code: immigration, prison, police...")],
    agency_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Register an agency.

    Example: habeas agency add --id ice --name "US Immigration and Customs Enforcement" --country US --kind immigration
    """
    aid = agency_id or new_id("a")
    cmd = RegisterAgency(agency_id=aid, occurred_at=at_or_now(at), name=name, country=country(country_code), kind=kind)
    recorded("agency", aid, execute(ctx, cmd, actor))


@agency_app.command("list")
def agency_list_cmd(ctx: typer.Context) -> None:
    """List agencies and how many officers each has registered.

    Example: habeas agency list
    """
    from habeas.services.facilities import list_agencies

    with reading(ctx) as services:
        agencies = services.read(list_agencies)
    table = DataTable()
    for col in ("agency", "name", "country", "kind", "officers", "entry"):
        table.add_column(col)
    for a in agencies:
        table.add_row(a.agency_id, a.name, a.country, a.kind, str(a.officers), str(a.seq))
    out.print(table)
    out.print(f"{len(agencies)} agencies")


@officer_app.command("add")
def officer_add_cmd(
    ctx: typer.Context,
    agency: Annotated[str, typer.Option("--agency", help="The officer's agency id.")],
    name: Annotated[str, typer.Option("--name", help="Full name (private).")],
    role: Annotated[str, typer.Option("--role", help="A lower-case code, e.g. deportation_officer.")],
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="Their Ed25519 public key, 32 bytes in base64.")
    ] = None,
    generate_key: Annotated[
        Path | None, typer.Option("--generate-key", help="Make a key pair; write the private key here (0600).")
    ] = None,
    badge: Annotated[str | None, typer.Option("--badge", help="Badge number (private).")] = None,
    officer_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Register an officer with the public key they will sign handoffs with.

    Example: habeas officer add --id o-diaz --agency ice --name "R. Díaz" --role deportation_officer
    --generate-key o-diaz.key
    """
    from habeas.bootstrap import write_key
    from habeas.services.keys import new_officer_key

    oid = officer_id or new_id("o")
    if (public_key is None) == (generate_key is None):
        raise HabeasError("give exactly one of --public-key BASE64 or --generate-key PATH")
    if public_key is not None:
        try:
            key = base64.b64decode(public_key, validate=True)
        except binascii.Error as e:
            raise HabeasError(f"--public-key {public_key!r} is not base64") from e
    cmd = RegisterOfficer(officer_id=oid, agency_id=agency, occurred_at=at_or_now(at), name=name, role=role,
                          public_key=b"", badge_number=badge)
    if generate_key is None:
        result = execute(ctx, replace(cmd, public_key=key), actor)
    else:
        signer = new_officer_key(oid)
        key = signer.public_key
        # The private key is on disk before the public one is recorded, so a recorded key always has an owner.
        write_key(generate_key, signer)
        try:
            result = execute(ctx, replace(cmd, public_key=key), actor)
        except BaseException:
            generate_key.unlink()
            raise
        out.print(f"private key written to {escape(str(generate_key))} (0600); keep it with the officer",
                  soft_wrap=True)
    recorded("officer", oid, result)
    out.print(f"public key {base64.b64encode(key).decode()}", soft_wrap=True)


@officer_app.command("list")
def officer_list_cmd(
    ctx: typer.Context,
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency's officers.")] = None,
) -> None:
    """List officers with their public keys.

    Example: habeas officer list --agency ice
    """
    from habeas.services.facilities import list_officers

    with reading(ctx) as services:
        officers = services.read(list_officers, agency_id=agency)
    table = DataTable()
    for col in ("officer", "agency", "role", "public key", "entry"):
        table.add_column(col)
    for o in officers:
        table.add_row(o.officer_id, o.agency_id, o.role, o.public_key, str(o.seq))
    out.print(table)
    out.print(f"{len(officers)} officers")
