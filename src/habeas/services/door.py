"""The door: every command, query and log read the entry points make goes through :class:`Services`.

It is built once, in :mod:`habeas.bootstrap`, from the wiring (handlers with their dependencies injected, the
projector, the reactions) and the policy pack loaded at start-up; nothing here reads the environment or disk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine

from habeas.domain.actors import SYSTEM_CALLER, Caller
from habeas.storage.engine import connect, snapshot

if TYPE_CHECKING:  # imported where used: a command that only reads starts without the write path
    from habeas.domain.command import Command
    from habeas.domain.events import EventType
    from habeas.gates.policy import Packs, Policy
    from habeas.ledger.log import Appender, Ledger
    from habeas.ledger.verify import VerifyReport
    from habeas.services import access, accounts, locator, rebuild, rebuild_apply
    from habeas.services.unit_of_work import Projector, Reaction, Result, UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")

Reader = Connection
"""What a query receives first: a read connection (entry points never name it)."""

Tx = Connection
"""The write transaction an ``after`` callback runs in."""

Bound = Callable[["Command", "UnitOfWork"], "Result"]
"""A handler with its dependencies injected: all it still needs is the command and the unit of work."""

Decide = Callable[..., "Result"]
"""``decide(conn, appender, cmd, caller, handler, *, now)``: one command inside a write job (``Services._decider``)."""


def _authorise(conn: Connection, cmd: Command, caller: Caller) -> None:
    # Imported where used, so a read command imports none of the write path; looked up on each call, so a test
    # that replaces habeas.services.authority.authorise watches every command authorised.
    from habeas.services.authority import authorise

    authorise(conn, cmd, caller)


class Door:
    """The half of the door that needs no signing key: queries, users and tokens, the access log. Entry points
    that only read (``habeas facility list``) or manage accounts (``habeas user add``) open this one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def read(self, query: Callable[Concatenate[Reader, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a query on a read connection of its own, passed as its first argument."""
        with connect(self.engine) as conn:  # driver errors come out as habeas.storage.errors
            return query(conn, *args, **kwargs)

    def add_user(
        self, *, user_id: str, agency_id: str, role: str, now: datetime, password: str | None = None,
        officer_id: str | None = None,
    ) -> accounts.Principal:
        """Register a user of an agency on record (the password, if any, kept as an argon2id hash)."""
        from habeas.services import accounts

        return accounts.add_user(
            self.engine, user_id=user_id, agency_id=agency_id, role=role, now=now, password=password,
            officer_id=officer_id,
        )

    def issue_token(
        self, *, user_id: str, name: str, now: datetime, valid_for: timedelta | None = None
    ) -> accounts.IssuedToken:
        """A new API token for the user: the secret is in the answer once; only its hash is kept."""
        from habeas.services import accounts

        return accounts.create_token(self.engine, user_id=user_id, name=name, now=now, valid_for=valid_for)

    def login(self, *, user_id: str, password: str, now: datetime) -> accounts.Principal | None:
        """The user if the password is theirs; counts failures per account and raises
        :class:`logins.LoginLocked` while too many have failed."""
        from habeas.services import logins

        return logins.login(self.engine, user_id=user_id, password=password, now=now)

    def list_users(self, *, agency_id: str | None = None) -> list[accounts.UserInfo]:
        """Users (of ``agency_id``, when given), with whether and by whom they were disabled."""
        from habeas.services import accounts

        return self.read(accounts.list_users, agency_id=agency_id)

    def list_tokens(
        self, *, now: datetime, agency_id: str | None = None, user_id: str | None = None
    ) -> list[accounts.TokenInfo]:
        """Tokens (of ``agency_id``'s users, or of ``user_id``, when given) and their state at ``now``."""
        from habeas.services import accounts

        return self.read(accounts.list_tokens, now=now, agency_id=agency_id, user_id=user_id)

    def revoke_token(
        self, *, token_id: str, now: datetime, by: str, agency_id: str | None = None, user_id: str | None = None
    ) -> accounts.TokenInfo:
        """Revoke a token: refused from the next request on (``agency_id``, ``user_id``: whose it must be)."""
        from habeas.services import accounts

        return accounts.revoke_token(
            self.engine, token_id=token_id, now=now, by=by, agency_id=agency_id, user_id=user_id
        )

    def disable_user(
        self, *, user_id: str, now: datetime, by: str, agency_id: str | None = None
    ) -> accounts.UserInfo:
        """Disable a user (of ``agency_id``, when given) and revoke their tokens, from the next request on."""
        from habeas.services import accounts

        return accounts.disable_user(self.engine, user_id=user_id, now=now, by=by, agency_id=agency_id)

    def refuse_owner(self) -> None:
        """Refuse (:class:`~habeas.storage.privileges.PrivilegeError`) to go on connected as the tables' owner or a
        superuser, who could switch the append-only triggers off: `habeas serve` checks it before it starts."""
        from habeas.storage import privileges

        privileges.refuse_owner(self.engine)

    def close(self) -> None:
        self.engine.dispose()


class Services(Door):
    """The whole door: :class:`Door`, and every command, the log and its proofs, verification and rebuilds."""

    def __init__(
        self,
        ledger: Ledger,
        clock: Callable[[], datetime],
        *,
        handlers: Mapping[type[Command], Bound],
        project: Projector,
        reactions: Mapping[EventType, Sequence[Reaction]],
        policy: Policy,
        packs: Packs,
        settings: Any = None,
    ) -> None:
        super().__init__(ledger.engine)
        self.ledger = ledger
        self.clock = clock
        self.policy = policy  # the deployment's pack
        self.packs = packs  # the deployment's packs, loaded at start-up: the leg's origin chooses one
        self.settings = settings
        self._handlers = handlers
        self._project = project
        self._reactions = reactions
        self._decide: Decide | None = None

    # -- writing ---------------------------------------------------------------------------------------------

    def _handler(self, cmd: Command) -> Bound:
        handler = self._handlers.get(type(cmd))
        if handler is None:
            raise TypeError(f"no handler for {type(cmd).__name__}")
        return handler

    def execute(
        self, cmd: Command, caller: Caller = SYSTEM_CALLER, *, after: Callable[[Tx, Result], None] | None = None
    ) -> Result:
        """Authorise, decide and record one command in one transaction; raises the domain's error if refused
        (:mod:`habeas.services.authority` says who may issue what).

        ``after`` runs in the same transaction once the command is recorded (the HTTP layer stores the answer to
        an idempotent request there, so the answer exists exactly when the write does).
        """
        handler = self._handler(cmd)
        decide = self._decider()
        now = self.clock()

        def job(conn: Connection, appender: Appender) -> Result:
            result = decide(conn, appender, cmd, caller, handler, now=now)
            if after is not None:
                after(conn, result)
            return result

        return self.ledger.write(job)

    def execute_many(
        self,
        cmds: Sequence[Command | tuple[Command, Caller]],
        caller: Caller = SYSTEM_CALLER,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> list[Result]:
        """Record the commands in one transaction (one signed checkpoint), in order, and return their results; a
        refusal of any of them rolls back all of them. A ``(command, caller)`` pair names its own caller (a
        handover on the apron is recorded by both agencies' officers at once). ``progress`` hears how many are
        decided so far (a progress bar; the commit comes after the last).

        The whole batch is one job of the ledger's, in one savepoint: a refusal leaves the job and the savepoint
        undoes every command of it. A savepoint a command (as there once was) undid nothing that one does not, at
        two statements a command."""
        items = [item if isinstance(item, tuple) else (item, caller) for item in cmds]
        handlers = [self._handler(cmd) for cmd, _ in items]
        decide = self._decider()
        now = self.clock()

        def job(conn: Connection, appender: Appender) -> list[Result]:
            results = []
            for (cmd, who), handler in zip(items, handlers, strict=True):
                results.append(decide(conn, appender, cmd, who, handler, now=now))
                if progress is not None:
                    progress(len(results))
            return results

        return self.ledger.write(job)

    def _decider(self) -> Decide:
        """One command inside a write job: the door's checks, then its handler, on the state it is recorded on."""
        if self._decide is not None:
            return self._decide
        from habeas.services import alert_binding, custody, facts, invariants
        from habeas.services.unit_of_work import UnitOfWork

        project, reactions, loaders = self._project, self._reactions, custody.LOADERS

        def decide(conn: Connection, appender: Appender, cmd: Command, caller: Caller, handler: Bound, *,
                   now: datetime) -> Result:
            # What the checks and the decision read is read once, and for the commands that have a loader, in
            # one query (services/facts.py); the memo ends before the command's first write.
            with facts.deciding(conn, cmd, loaders.get(type(cmd))):
                # in the command's transaction: decided on the state it is recorded on
                _authorise(conn, cmd, caller)
                alert_binding.refuse_if_bound(conn, cmd)  # an open return-required alert holds the people it covers
                # DESIGN.md's invariants, whichever path moves the person (the pack's standard, as it is now)
                invariants.check(conn, cmd, self.policy.capacity_standard)
                uow = UnitOfWork(conn, appender, caller, now, project, reactions)
                result = handler(cmd, uow)
            result.warnings += uow.notes  # what its reactions tell the caller (clearances they lapsed)
            return result

        self._decide = decide
        return decide

    # -- reading ---------------------------------------------------------------------------------------------

    def record_reads(self, reads: Sequence[access.Read]) -> None:
        """Write who read whose personal data to the append-only access log, committed before the answer goes
        out (through the ledger's group commit: concurrent requests share one transaction)."""
        from habeas.services import access

        access.record_reads(self.ledger, reads)

    def commit_access_log(self) -> bool:
        """Commit, in the ledger, access-log rows no commitment covers yet (rows an upgrade chained); False if none."""
        from habeas.services import access

        return access.commit_access_log(self.ledger)

    def public_searcher(self, address: str, at: datetime) -> str:
        """How the access log names a public locator searcher at ``address`` on ``at``'s UTC day: a keyed hash,
        the key derived from the deployment's signing key (its one secret), so no second secret to keep."""
        from habeas.services import access

        return access.public_searcher(self.ledger.signer.seed, address, at)

    def locate(self, query: locator.LocatorQuery) -> locator.LocatorResult:
        """The public locator's answer: every exact match, each with its leaf and proof."""
        from habeas.services import locator

        return locator.locate(self.ledger, query)

    # -- the public log --------------------------------------------------------------------------------------

    def prove(self, seq: int, size: int | None = None) -> str:
        """The c2sp.org/tlog-proof of entry ``seq`` against the checkpoint at ``size`` (default: the latest)."""
        from habeas.services import public_log

        return public_log.prove(self.ledger, seq, size)

    def checkpoint(self, size: int | None = None) -> str:
        """The latest signed checkpoint note, or the one signed at ``size``."""
        from habeas.services import public_log

        return public_log.checkpoint(self.ledger, size)

    def vkey(self) -> str:
        from habeas.services import public_log

        return public_log.vkey(self.ledger)

    def leaf(self, seq: int) -> bytes:
        return self.ledger.leaf(seq)

    def tile(self, level: int, index: int, width: int) -> bytes:
        from habeas.services import public_log

        return public_log.tile(self.ledger, level, index, width)

    def entries_tile(self, index: int, width: int) -> bytes:
        from habeas.services import public_log

        return public_log.entries_tile(self.ledger, index, width)

    # -- checks ----------------------------------------------------------------------------------------------

    def verify(
        self, *, trusted: str | None = None, progress: Callable[[int], None] | None = None, vkey: str | None = None
    ) -> VerifyReport:
        """Verify the whole log (or, given a trusted checkpoint note, what came after it) with its own key, or
        with the verifier key ``vkey`` (raises :class:`public_log.BadVerifierKey` if it is not one, and
        :class:`public_log.BadTrustedCheckpoint` if ``trusted`` is not a checkpoint signed by it)."""
        from habeas.ledger.note import NoteError
        from habeas.ledger.verify import verify_log
        from habeas.services import access_chain, public_log

        verifier = self.ledger.signer.verifier() if vkey is None else public_log.parse_verifier(vkey)
        # One snapshot for the log and the access log: a batch of reads commits rows and their commitment together.
        with connect(self.engine) as conn, snapshot(conn):
            try:
                report = verify_log(
                    conn, verifier, origin=verifier.name, trusted=trusted, progress=progress,
                    keep=access_chain.COMMITTED_SUFFIX,
                )
            except NoteError as e:  # the only note verify_log parses is the trusted checkpoint
                raise public_log.BadTrustedCheckpoint(str(e)) from e
            access_chain.verify_into(conn, report)
        return report

    def rebuild_check(self, progress: Callable[[int], None] | None = None) -> rebuild.RebuildReport:
        """Rebuild every projection from the log alone, with the same appliers, and compare with the live ones."""
        from habeas.services import rebuild

        return rebuild.rebuild_check(self.ledger.engine, self._project, progress)

    def rebuild_apply(self, progress: Callable[[int], None] | None = None) -> rebuild_apply.RebuildApplyReport:
        """Replace the live projections with a rebuild from the log alone, in one transaction."""
        from habeas.services import rebuild_apply

        return rebuild_apply.rebuild_apply(self.ledger.engine, self._project, progress)

    def size(self) -> int:
        """The number of entries in the log."""
        return self.ledger.size()

    def prove_consistency(self, old: int, new: int | None = None) -> list[bytes]:
        """The RFC 9162 consistency proof from tree size ``old`` to ``new`` (default: the latest checkpoint's)."""
        from habeas.services import public_log

        return public_log.prove_consistency(self.ledger, old, new)
