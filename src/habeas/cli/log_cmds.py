"""`habeas log ...`: the formats an outside verifier reads. Keep them byte-exact."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from habeas.cli.common import opened
from habeas.cli.console import err
from habeas.cli.context import settings_of
from habeas.domain.errors import HabeasError
from habeas.domain.values import MAX_BIGINT

log_app = typer.Typer(
    help=(
        "The verifiable log: signed checkpoints (C2SP), leaves, inclusion and consistency proofs, verification.\n\n"
        "Example: `habeas log prove 42 > entry42.proof` then anyone holding the verifier key "
        "(`habeas log key`) and the leaf (`habeas log leaf 42`) can check it."
    ),
    no_args_is_help=True,
)

# A seq is a BIGINT: a larger index is refused by the parser (one line), never handed to the database.
LeafIndex = Annotated[int, typer.Argument(help="0-based leaf index.", min=0, max=MAX_BIGINT)]


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@log_app.command("key")
def key_cmd(ctx: typer.Context) -> None:
    """Print the verifier key line (name+keyid+base64 key) that checkpoints are signed with."""
    from habeas.bootstrap import read_key
    from habeas.services import public_log

    _write(public_log.vkey_of(read_key(settings_of(ctx).key_path)) + "\n")


@log_app.command("checkpoint")
def checkpoint_cmd(
    ctx: typer.Context,
    size: Annotated[
        int | None, typer.Option(help="The checkpoint signed at this tree size.", min=0, max=MAX_BIGINT)
    ] = None,
) -> None:
    """Print the latest signed checkpoint (a C2SP signed note), or the one signed at --size."""
    with opened(ctx) as services:
        _write(services.checkpoint(size))


@log_app.command("checkpoints")
def checkpoints_cmd(ctx: typer.Context) -> None:
    """One line per stored checkpoint: size, time signed (UTC), root hash (base64)."""
    from habeas.services import public_log

    with opened(ctx) as services:
        stored = services.read(public_log.checkpoints)
    for cp in stored:
        sys.stdout.write(f"{cp.size} {cp.signed_at} {base64.b64encode(cp.root).decode()}\n")


@log_app.command("leaf")
def leaf_cmd(ctx: typer.Context, index: LeafIndex) -> None:
    """Write the exact leaf bytes (the canonical public entry, RFC 8785 JSON) to stdout."""
    with opened(ctx) as services:
        leaf = services.leaf(index)
    sys.stdout.buffer.write(leaf)
    sys.stdout.flush()


@log_app.command("prove")
def prove_cmd(ctx: typer.Context, index: LeafIndex) -> None:
    """Print a c2sp.org/tlog-proof@v1 proof of that leaf against the latest checkpoint."""
    with opened(ctx) as services:
        _write(services.prove(index))


@log_app.command("prove-consistency")
def prove_consistency_cmd(
    ctx: typer.Context,
    old: Annotated[int, typer.Argument(help="The older tree size.", min=0, max=MAX_BIGINT)],
    new: Annotated[
        int | None, typer.Argument(help="The newer size; default the latest checkpoint.", min=0, max=MAX_BIGINT)
    ] = None,
) -> None:
    """Print the RFC 9162 consistency proof from OLD to NEW: base64 hashes, one a line."""
    with opened(ctx) as services:
        proof = services.prove_consistency(old, new)
    _write("".join(base64.b64encode(h).decode() + "\n" for h in proof))


@log_app.command("verify")
def verify_cmd(
    ctx: typer.Context,
    from_checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--from-checkpoint", help="A signed checkpoint you already trust: verify only what came after it."
        ),
    ] = None,
    vkey: Annotated[
        str | None, typer.Option(help="The verifier key to trust (default: the one of --key).")
    ] = None,
) -> None:
    """Recompute every leaf, tile and checkpoint, and the access log's chain against the ledger's commitments to
    it; exit 0 if both hold, 1 naming the first bad index or access-log row."""
    from habeas.services import public_log

    if vkey is not None:
        _check_vkey(vkey)
    trusted = None
    if from_checkpoint is not None:
        try:
            trusted = from_checkpoint.read_text()
        except OSError as e:
            raise HabeasError(f"cannot read the trusted checkpoint {from_checkpoint}: {e.strerror}") from e
    with opened(ctx) as services:
        total = services.size()
        with Progress(
            "verifying", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err, transient=True,
            disable=not err.is_terminal,
        ) as bar:
            task = bar.add_task("verify", total=total)
            try:
                report = services.verify(vkey=vkey, trusted=trusted, progress=lambda n: bar.update(task, completed=n))
            except public_log.BadTrustedCheckpoint as e:
                raise HabeasError(f"the trusted checkpoint {from_checkpoint}: {e}") from e
    if report.ok:
        if report.size == 0:
            what = "an empty log"
        elif report.entries_checked == 0:
            what = f"nothing new since the trusted size {report.start}; the stored tree there matches it"
        else:
            what = f"entries {report.start}..{report.size - 1}"
        _write(
            f"OK: {what} verified against {report.checkpoints_checked} signed checkpoints; "
            f"{report.private_checked} private payloads match, {report.private_erased} erased; "
            f"the access log's {report.access_rows_checked} rows match the ledger's commitments\n"
        )
        return
    for p in report.problems[:10]:
        err.print(f"[bold red]FAIL[/] {escape(str(p))}")
    first = report.first_bad_index
    raise HabeasError(
        "the log does not verify" + (f": first bad index {first}" if first is not None else f": {report.problems[0]}")
    )


def _check_vkey(vkey: str) -> None:
    from habeas.services import public_log

    try:
        public_log.parse_verifier(vkey)
    except public_log.BadVerifierKey as e:
        raise HabeasError(f"--vkey is not a verifier key: {e}") from e
