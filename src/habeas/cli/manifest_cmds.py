"""`habeas manifest ...` and `habeas alerts`: manifests, their gates, and the return-required alerts."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from habeas.cli.common import AsOption, AtOption, at_or_now, country, execute, parse_time, reading, recorded
from habeas.cli.console import DataTable, out
from habeas.cli.context import settings_of
from habeas.domain.manifest_events import CancelReason, HaltReason, ReturnReason, StrikeReason
from habeas.domain.moves import Leg, TransportMode

if TYPE_CHECKING:
    from habeas.domain.manifest_commands import ManifestCommand
    from habeas.gates.rules import GateResult
    from habeas.services.clearance import Clearance

manifest_app = typer.Typer(
    help=(
        "Manifests: who is on a leg of a journey, the alternates, the due-process gates, and the state machine "
        "draft → cleared → boarding → departed → arrived → handed_over → closed (halted, returned, cancelled).\n\n"
        "Example: `habeas manifest create --id m-1 --journey j-1 --leg-id l-1 --mode air --carrier GlobalX "
        "--vehicle GXA-6000 --from KHRL --from-country US --to MSLP --to-country SV --departs 2025-03-15T18:00:00Z "
        "--arrives 2025-03-15T22:00:00Z --person p-1` then `habeas manifest clear m-1`"
    ),
    no_args_is_help=True,
)

ManifestArg = Annotated[str, typer.Argument(help="The manifest's id.")]
PersonArg = Annotated[str, typer.Argument(help="The person's id.")]
RecordOption = Annotated[
    str | None, typer.Option("--record", help="The record behind it (a court order, a stay), if any.")
]


@manifest_app.command("create")
def create_cmd(
    ctx: typer.Context,
    manifest_id: Annotated[str, typer.Option("--id", help="The manifest's id.")],
    journey: Annotated[str, typer.Option("--journey", help="The journey's id.")],
    leg_id: Annotated[str, typer.Option("--leg-id", help="The leg's id.")],
    carrier: Annotated[str, typer.Option("--carrier", help="The carrier (airline, bus company).")],
    vehicle: Annotated[str, typer.Option("--vehicle", help="Flight number, or the vehicle's plate or number.")],
    origin: Annotated[str, typer.Option("--from", help="Where the leg leaves from (a facility id, an airport).")],
    origin_country: Annotated[str, typer.Option("--from-country", help="ISO 3166-1 code of the origin.")],
    destination: Annotated[str, typer.Option("--to", help="Where the leg goes.")],
    destination_country: Annotated[str, typer.Option("--to-country", help="ISO 3166-1 code of the destination.")],
    departs: Annotated[str, typer.Option("--departs", help="Scheduled departure, ISO 8601 with a zone.")],
    arrives: Annotated[str, typer.Option("--arrives", help="Scheduled arrival, ISO 8601 with a zone.")],
    mode: Annotated[TransportMode, typer.Option("--mode", help="air or ground.")] = TransportMode.AIR,
    leg_index: Annotated[
        int, typer.Option("--leg-index", help="The leg's place in the journey (0 first).", min=0, max=1000)
    ] = 0,
    facility: Annotated[
        str | None, typer.Option("--facility", help="The receiving facility (what the capacity gate checks).")
    ] = None,
    escort: Annotated[list[str] | None, typer.Option("--escort", help="An escort officer's id (repeat).")] = None,
    person: Annotated[list[str] | None, typer.Option("--person", help="A person aboard (repeat).")] = None,
    alternate: Annotated[list[str] | None, typer.Option("--alternate", help="An alternate, in order (repeat).")] = None,
    at: AtOption = None,
    as_: AsOption = None,
) -> None:
    """Create a manifest for one leg (draft), with the people aboard and the alternates."""
    from habeas.domain import manifest_commands as mf

    leg = Leg(
        leg_id=leg_id, mode=mode, carrier=carrier, vehicle=vehicle, origin=origin,
        origin_country=country(origin_country), destination=destination,
        destination_country=country(destination_country), scheduled_departure=parse_time(departs, "--departs"),
        scheduled_arrival=parse_time(arrives, "--arrives"), escort_officer_ids=tuple(escort or ()),
        destination_facility_id=facility,
    )
    cmd = mf.CreateManifest(
        manifest_id=manifest_id, occurred_at=at_or_now(at), journey_id=journey, leg_index=leg_index, leg=leg,
        people=tuple(person or ()), alternates=tuple(alternate or ()),
    )
    recorded("manifest", manifest_id, execute(ctx, cmd, as_))


@manifest_app.command("add")
def add_cmd(
    ctx: typer.Context, manifest_id: ManifestArg, person: PersonArg,
    alternate: Annotated[bool, typer.Option("--alternate", help="Add as an alternate, at the end of the list.")]
    = False,
    at: AtOption = None, as_: AsOption = None,
) -> None:
    """Add a person (a cleared manifest goes back to draft: it needs clearing again)."""
    from habeas.domain import manifest_commands as mf

    cmd = mf.AddToManifest(manifest_id=manifest_id, occurred_at=at_or_now(at), person_id=person, alternate=alternate)
    recorded(f"{person} on manifest", manifest_id, execute(ctx, cmd, as_))


@manifest_app.command("strike")
def strike_cmd(
    ctx: typer.Context, manifest_id: ManifestArg, person: PersonArg,
    reason: Annotated[StrikeReason, typer.Option("--reason", help="Why the person is struck.")],
    note: Annotated[str | None, typer.Option("--note", help="Free text (private).")] = None,
    at: AtOption = None, as_: AsOption = None,
) -> None:
    """Take a person (aboard or alternate) off the manifest, with a reason code."""
    from habeas.domain import manifest_commands as mf

    cmd = mf.StrikeFromManifest(
        manifest_id=manifest_id, occurred_at=at_or_now(at), person_id=person, reason=reason, note=note
    )
    recorded(f"{person} struck from manifest", manifest_id, execute(ctx, cmd, as_))


@manifest_app.command("promote")
def promote_cmd(
    ctx: typer.Context, manifest_id: ManifestArg,
    person: Annotated[str | None, typer.Argument(help="The alternate (default: the first in order).")] = None,
    at: AtOption = None, as_: AsOption = None,
) -> None:
    """Move an alternate aboard; the manifest needs clearing again."""
    from habeas.domain import manifest_commands as mf

    cmd = mf.PromoteAlternate(manifest_id=manifest_id, occurred_at=at_or_now(at), person_id=person)
    recorded("alternate promoted on manifest", manifest_id, execute(ctx, cmd, as_))


def _gate_table(outcome: Clearance) -> DataTable:
    table = DataTable(
        title=f"Gates of manifest {escape(outcome.manifest_id)} ({escape(outcome.policy)}, at "
        f"{outcome.evaluated_at.isoformat()})",
        title_justify="left",
    )
    for col in ("person", "result", "gate", "reason", "rests on"):
        table.add_column(col)
    for person, results in outcome.results.items():
        blocking = [r for r in results if r.blocks]
        if not blocking:
            table.add_row(person, "pass", f"all {len(results)}", "every gate passes", "")
            continue
        for r in blocking:
            table.add_row(person, r.outcome.value, r.gate.value, r.reason.text, _rests_on(r))
    return table


def _rests_on(r: GateResult) -> str:
    parts = [p for p in (r.rests_on_record, None if r.rests_on_seq is None else f"entry {r.rests_on_seq}") if p]
    return ", ".join(parts)


@manifest_app.command("clear")
def clear_cmd(
    ctx: typer.Context, manifest_id: ManifestArg, at: AtOption = None, as_: AsOption = None
) -> None:
    """Run every gate of the deployment's pack for the leg (`habeas --pack`, HABEAS_POLICY_PACK) for everyone
    aboard at the scheduled departure; exit 1 if anyone is blocked."""
    from habeas.domain import manifest_commands as mf
    from habeas.services.clearance import Clearance

    cmd = mf.ClearManifest(manifest_id=manifest_id, occurred_at=at_or_now(at))
    result = execute(ctx, cmd, as_)
    outcome = result.value
    assert isinstance(outcome, Clearance)
    out.print(_gate_table(outcome))
    entries = f"entries {result.seqs[0]}-{result.seqs[-1]}"
    if outcome.cleared:
        out.print(f"manifest {escape(manifest_id)} cleared: {len(outcome.results)} people ({entries})")
        return
    out.print(f"manifest {escape(manifest_id)} NOT cleared: blocked {escape(', '.join(outcome.blocked))} ({entries})")
    sys.exit(1)


def _transition(name: str, command_name: str, help_text: str) -> None:
    """``habeas manifest NAME``: the transition ``command_name`` (a class of habeas.domain.manifest_commands, named
    so that the help imports none of them)."""

    def command(ctx: typer.Context, manifest_id: ManifestArg, at: AtOption = None, as_: AsOption = None) -> None:
        from habeas.domain import manifest_commands

        cmd_type: type[ManifestCommand] = getattr(manifest_commands, command_name)
        cmd = cmd_type(manifest_id=manifest_id, occurred_at=at_or_now(at))
        recorded(f"manifest {name}", manifest_id, execute(ctx, cmd, as_))

    command.__doc__ = help_text
    manifest_app.command(name)(command)


_transition("board", "BeginBoarding", "Begin boarding (refused while a gate blocks anyone aboard).")
_transition("depart", "Depart", "Wheels-up (refused while a gate blocks anyone aboard).")
_transition("arrive", "Arrive", "Arrived at the leg's destination.")
_transition("close", "CloseManifest", "Close (refused while an incident is open).")


@manifest_app.command("hand-over")
def hand_over_cmd(
    ctx: typer.Context, manifest_id: ManifestArg,
    receipt: Annotated[str | None, typer.Option("--receipt", help="The dual-signed handoff receipt.")] = None,
    at: AtOption = None, as_: AsOption = None,
) -> None:
    """The receiving custodian signed for the people."""
    from habeas.domain import manifest_commands as mf

    cmd = mf.HandOverManifest(manifest_id=manifest_id, occurred_at=at_or_now(at), receipt_id=receipt)
    recorded("manifest handed over", manifest_id, execute(ctx, cmd, as_))


@manifest_app.command("halt")
def halt_cmd(
    ctx: typer.Context, manifest_id: ManifestArg,
    reason: Annotated[HaltReason, typer.Option("--reason", help="Why.")], record: RecordOption = None,
    at: AtOption = None, as_: AsOption = None,
) -> None:
    """Halt the manifest where it is."""
    from habeas.domain import manifest_commands as mf

    cmd = mf.HaltManifest(manifest_id=manifest_id, occurred_at=at_or_now(at), reason=reason, record_id=record)
    recorded("manifest halted", manifest_id, execute(ctx, cmd, as_))


@manifest_app.command("return")
def return_cmd(
    ctx: typer.Context, manifest_id: ManifestArg,
    reason: Annotated[ReturnReason, typer.Option("--reason", help="Why.")], record: RecordOption = None,
    at: AtOption = None, as_: AsOption = None,
) -> None:
    """Bring the people back (a court order, a stay, refused entry...)."""
    from habeas.domain import manifest_commands as mf

    cmd = mf.ReturnManifest(manifest_id=manifest_id, occurred_at=at_or_now(at), reason=reason, record_id=record)
    recorded("manifest returned", manifest_id, execute(ctx, cmd, as_))


@manifest_app.command("cancel")
def cancel_cmd(
    ctx: typer.Context, manifest_id: ManifestArg,
    reason: Annotated[CancelReason, typer.Option("--reason", help="Why.")], record: RecordOption = None,
    at: AtOption = None, as_: AsOption = None,
) -> None:
    """Cancel the manifest before it goes."""
    from habeas.domain import manifest_commands as mf

    cmd = mf.CancelManifest(manifest_id=manifest_id, occurred_at=at_or_now(at), reason=reason, record_id=record)
    recorded("manifest cancelled", manifest_id, execute(ctx, cmd, as_))


@manifest_app.command("show")
def show_cmd(ctx: typer.Context, manifest_id: ManifestArg) -> None:
    """The manifest: leg, status, who is aboard, the alternates, and each person's latest gate results."""
    from habeas.services.manifests import manifest_view

    with reading(ctx) as services:
        v = services.read(manifest_view, manifest_id)
    leg = v.leg
    out.print(f"manifest {escape(v.manifest_id)}  journey {escape(v.journey_id)} leg {v.leg_index}  status {v.status} "
              f"since {v.since}")
    out.print(
        escape(f"{leg.mode.value} {leg.carrier} {leg.vehicle}: {leg.origin} ({leg.origin_country}) → "
               f"{leg.destination} ({leg.destination_country}), departs {leg.scheduled_departure.isoformat()}"),
        soft_wrap=True,
    )
    table = DataTable(title=f"{len(v.people)} aboard, {len(v.alternates)} alternates, {len(v.struck)} struck",
                  title_justify="left")
    for col in ("person", "role", "gates", "blocking", "entry"):
        table.add_column(col)
    for role, people in (("aboard", v.people), ("alternate", v.alternates), ("struck", v.struck)):
        for p in people:
            r = v.results.get(p)
            if r is None:
                table.add_row(p, role, "not evaluated", "", "")
                continue
            blocking = ", ".join(f"{c.gate}: {c.outcome.value} ({c.reason_code})" for c in r.checks if c.blocks)
            table.add_row(p, role, "blocked" if r.blocks else "pass", blocking, str(r.seq))
    out.print(table)


@manifest_app.command("list")
def list_cmd(ctx: typer.Context) -> None:
    """Every manifest and its status."""
    from habeas.services.manifests import list_manifests

    with reading(ctx) as services:
        rows = services.read(list_manifests)
    table = DataTable()
    for col in ("manifest", "journey", "leg", "status", "to", "departs", "aboard", "entry"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.manifest_id, r.journey_id, str(r.leg_index), r.status, r.destination_country,
                      r.scheduled_departure, str(r.aboard), str(r.updated_seq))
    out.print(table)


def alerts_cmd(ctx: typer.Context, at: AtOption = None) -> None:
    """Return-required alerts (a court order or stay that reaches people already departed: it holds them until
    they are back, or `habeas legal override` lets them go on), then open incidents, missed notifications and
    capacity, as of --at (default now; capacity by the deployment pack's standard)."""
    from habeas.bootstrap import load_packs
    from habeas.services.alert_binding import overrides
    from habeas.services.alerts import operation_alerts
    from habeas.services.manifests import alerts

    when = at_or_now(at)
    standard = load_packs(settings_of(ctx).pack)[0].capacity_standard
    with reading(ctx) as services:
        returns = services.read(alerts)
        overridden = services.read(overrides)
        others = services.read(operation_alerts, when, standard)
    if not returns and not others:
        out.print("no alerts")
        return
    if returns:
        table = DataTable(title="Return required", title_justify="left")
        for col in ("manifest", "record", "record entry", "people covered", "to decide", "overridden", "raised",
                    "entry"):
            table.add_column(col)
        for a in returns:
            gone = [f"{p} ({overridden[(a.record_id, p)]})" for p in (*a.person_ids, *a.undetermined_ids)
                    if (a.record_id, p) in overridden]
            table.add_row(
                a.manifest_id, a.record_id, "" if a.record_seq is None else str(a.record_seq),
                ", ".join(a.person_ids), ", ".join(a.undetermined_ids), ", ".join(gone), a.raised_at, str(a.seq),
            )
        out.print(table)
    if others:
        table = DataTable(title="Incidents, notifications, capacity", title_justify="left")
        for col in ("kind", "subject", "what", "entry"):
            table.add_column(col)
        for o in others:
            table.add_row(o.kind, o.subject_id, o.message, str(o.seq))
        out.print(table)
