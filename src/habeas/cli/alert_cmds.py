"""`habeas legal override`: going ahead although an order requires the people's return; and telling the operator
which clearances a legal record lapsed.

A return-required alert holds the people it covers: their handoff, onward legs, boarding, departure, admission
and intake abroad are refused, naming the order. Going ahead anyway is an officer's recorded decision.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from habeas.cli.common import AsOption, AtOption, IdOption, at_or_now, execute, new_id
from habeas.cli.console import err, out

if TYPE_CHECKING:
    from habeas.services.unit_of_work import Result


def tell_lapses(result: Result) -> Result:
    """Print which manifests' clearances the record lapsed (each is back in draft and must be cleared again);
    the result without them, for the usual `recorded` line."""
    from habeas.services.clearance import ClearanceLapsed

    lapsed = [w for w in result.warnings if isinstance(w, ClearanceLapsed)]
    for w in lapsed:
        err.print(f"[yellow]warning:[/] {escape(str(w))}", soft_wrap=True)
    return replace(result, warnings=[w for w in result.warnings if not isinstance(w, ClearanceLapsed)])


def override_cmd(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(help="The court order or stay the return-required alert rests on.")],
    people: Annotated[list[str], typer.Option("--person", help="A person to go ahead with (repeat).")],
    officer: Annotated[str, typer.Option("--officer", help="The deciding officer, of the agency holding them.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept private; shown with the record).")],
    record_id: IdOption = None,
    at: AtOption = None,
    actor: AsOption = None,
) -> None:
    """Go ahead with people although ORDER requires their return (it tells the court and counsel at once).

    Example: habeas legal override co-tro-oral --person p-1 --officer o-legal --reason "order stayed on appeal"
    """
    from habeas.domain.return_overrides import OverrideReturnRequired

    oid = record_id or new_id("ov")
    result = execute(ctx, OverrideReturnRequired(
        override_id=oid, order_id=order, person_ids=tuple(people), officer_id=officer, reason=reason,
        occurred_at=at_or_now(at),
    ), actor)
    entries = ", ".join(str(s) for s in result.seqs)
    out.print(f"recorded override [bold]{escape(oid)}[/] of {escape(order)} for {escape(', '.join(people))} by "
              f"{escape(officer)} (entries {entries})", soft_wrap=True)
    err.print(f"[yellow]due at once:[/] the court that issued {escape(order)}, and the counsel of record of each "
              f"person (`habeas notification list --missed` until recorded as sent)", soft_wrap=True)
