"""The public locator (M12): where a person is, for a family, counsel or a consulate, with a proof.

A person is found only by an exact match: an A-number and the country of birth, or every given name and every
surname (folded for accents, case and word order, as `habeas person find` folds a name:
:func:`habeas.domain.identity.locator_name_key`), the full date of birth and the country of birth. A near miss (a
name missing or one letter off, another date) finds nothing, the same as a stranger's name. Each lookup is one
statement: the ``locator`` key the projection keeps (:func:`habeas.domain.identity.locator_keys`), joined to the
person, their custody, the facility and agencies it names and the leaf it rests on, beside the latest checkpoint.
A merged record's survivor costs one more statement a hop.

What a match tells: the custody state, since when, the custodian agency, the facility and how to reach it, and
for someone handed to another agency or removed abroad, to whom, where and when; never a name, a birth date or
a document. Each match carries the public leaf of the entry it rests on and a C2SP tlog-proof of that leaf, so
it can be checked offline against the log's public key. A proof is made once for each (entry, checkpoint) and
reused until the checkpoint moves (:class:`ProofCache`). The public locator is the one read anyone may send
without a login, so a lookup is kept to that one statement, with no SQLAlchemy expression built for it, and its
proof to the tiles it needs (issue 12: 6 ms of CPU a lookup before, under 0.5 ms now, measured in-process).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from typing import Any

import pycountry
from sqlalchemy import Connection, Engine, QueuePool

from habeas.domain.custody import CustodyStatus
from habeas.domain.errors import InvalidField
from habeas.domain.events import EventType
from habeas.domain.identity import fold, locator_a_number_key, locator_name_key
from habeas.domain.people import normalize_a_number
from habeas.ledger import merkle
from habeas.ledger.log import Ledger, LogError
from habeas.ledger.tiles import TILE_HEIGHT, TileReader
from habeas.ledger.tlog_proof import TLOG_PROOF_HEADER
from habeas.storage import direct, ledger_store
from habeas.storage.projections.custody import custody
from habeas.storage.projections.people import person, person_key
from habeas.storage.projections.schema import KIND, record
from habeas.storage.schema import ledger_checkpoint, ledger_entry

FACILITY = KIND[EventType.FACILITY_REGISTERED]
AGENCY = KIND[EventType.AGENCY_REGISTERED]
MAX_MERGE_HOPS = 32  # merges chain (a into b, b into c); a cycle cannot be recorded, but a bound costs nothing


@cache
def _alpha_2(code: str) -> str | None:
    found = (
        pycountry.countries.get(alpha_2=code) if len(code) == 2
        else pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    )
    return None if found is None else str(found.alpha_2)


def country_code(text: str) -> str:
    """A country of birth as the locator compares it: ISO 3166-1 alpha-2 or alpha-3 in any case (``ven``, ``VE``)
    becomes the alpha-2 code, as a person may have been registered with either; a code no country has is an
    :class:`InvalidField` (a search for it could only ever find nothing)."""
    found = _alpha_2(text.strip().upper())
    if found is None:
        raise InvalidField(
            "country_of_birth", text, "no country has this ISO 3166-1 code; give two or three letters such as SV or SLV"
        )
    return found


@dataclass(frozen=True, kw_only=True)
class ByANumber:
    a_number: str  # normalised (habeas.domain.people.normalize_a_number)
    country_of_birth: str  # alpha-2 (country_code)


@dataclass(frozen=True, kw_only=True)
class ByName:
    given_names: str
    surnames: str
    date_of_birth: date
    country_of_birth: str


LocatorQuery = ByANumber | ByName


@dataclass(frozen=True, kw_only=True)
class AgencyRef:
    agency_id: str
    name: str | None
    country: str | None


@dataclass(frozen=True, kw_only=True)
class FacilityRef:
    facility_id: str
    name: str | None
    address: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    contact: str | None


@dataclass(frozen=True, kw_only=True)
class Transfer:
    """Out of this log's custody into another's: the receiving agency (when on record), the country, the time."""

    agency: AgencyRef | None
    country: str
    at: str


@dataclass(frozen=True, kw_only=True)
class Located:
    person_id: str  # the surviving record: for the access log, never shown
    status: str
    since: str | None
    summary: str
    custodian: AgencyRef | None
    facility: FacilityRef | None
    transferred_to: Transfer | None
    authority: AgencyRef | None
    legal_basis: str | None
    seq: int  # the entry the answer rests on: the custody change, or the registration of someone never held


@dataclass(frozen=True, kw_only=True)
class Proven:
    located: Located
    leaf: bytes
    tlog_proof: str


@dataclass(frozen=True, kw_only=True)
class LocatorResult:
    matches: tuple[Proven, ...]
    checkpoint: str  # the signed note every proof is made against ("" only while the log is empty)


PARAMETERS = ("a_number", "given_names", "surnames", "date_of_birth", "country_of_birth")
NAME_FORM = ("given_names", "surnames", "date_of_birth")
FORMS = "give a_number and country_of_birth, or given_names, surnames, date_of_birth and country_of_birth"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def query_of(
    *, a_number: str | None, given_names: str | None, surnames: str | None, date_of_birth: str | None,
    country_of_birth: str | None,
) -> LocatorQuery:
    """The query a search asks, as the API's parameters and `habeas locate`'s options give it: one of the two
    forms and nothing else, each value well formed; otherwise an :class:`InvalidField` naming the parameter."""
    name_form = {"given_names": given_names, "surnames": surnames, "date_of_birth": date_of_birth}
    if a_number is not None:
        extra = next((p for p in NAME_FORM if name_form[p] is not None), None)
        if extra is not None:
            raise InvalidField(extra, name_form[extra], f"not with a_number: {FORMS}")
    elif all(v is None for v in name_form.values()):
        raise InvalidField("a_number", None, FORMS)
    else:
        missing = next((p for p in NAME_FORM if name_form[p] is None), None)
        if missing is not None:
            raise InvalidField(missing, None, f"required with the name form: {FORMS}")
    if country_of_birth is None:
        raise InvalidField("country_of_birth", None, f"required: {FORMS}")
    country = country_code(country_of_birth)
    if a_number is not None:
        return ByANumber(a_number=normalize_a_number(a_number), country_of_birth=country)
    # all three are present: checked above
    assert given_names is not None
    assert surnames is not None
    assert date_of_birth is not None
    if not _DATE.fullmatch(date_of_birth.strip()):
        raise InvalidField("date_of_birth", date_of_birth, "not a date as YYYY-MM-DD")
    try:
        born = date.fromisoformat(date_of_birth.strip())
    except ValueError as e:
        raise InvalidField("date_of_birth", date_of_birth, "not a calendar date") from e
    if not fold(given_names) and not fold(surnames):
        raise InvalidField("given_names", given_names, "given_names and surnames are both empty")
    return ByName(given_names=given_names, surnames=surnames, date_of_birth=born, country_of_birth=country)


def _key(query: LocatorQuery) -> str:
    if isinstance(query, ByANumber):
        return locator_a_number_key(query.a_number)
    return locator_name_key(query.given_names, query.surnames, query.date_of_birth.isoformat())


# One statement a lookup: the latest checkpoint, and beside it each person the key names, their custody, the records
# it names and the leaf the answer rests on (the custody change, or the registration of someone never held); one
# row with the checkpoint alone when no one matches, none while the log is empty. One statement is one snapshot, so
# the checkpoint covers every entry the answers rest on (each was committed with the entries it projects). Written
# as text for the driver (storage/direct.py): built as a Core expression, the statement's construction and cache
# key cost more than the database's work; and one statement, not one a table, is one round trip to PostgreSQL.
_ANSWER_COLUMNS = (
    "p.person_id, p.seq AS person_seq, p.body AS person_body, p.merged_into, p.erased, c.status, c.since, "
    "c.country, c.facility_id, c.custodian_agency, c.authority_agency, c.authority_basis, c.seq AS custody_seq, "
    "f.body AS facility_body, ca.body AS custodian_body, aa.body AS authority_body, e.leaf"
)
_ANSWER_JOINS = (
    f"LEFT JOIN {custody.name} c ON c.person_id = p.person_id "
    f"LEFT JOIN {record.name} f ON f.kind = ? AND f.record_id = c.facility_id "
    f"LEFT JOIN {record.name} ca ON ca.kind = ? AND ca.record_id = c.custodian_agency "
    f"LEFT JOIN {record.name} aa ON aa.kind = ? AND aa.record_id = c.authority_agency "
    f"LEFT JOIN {ledger_entry.name} e ON e.seq = COALESCE(c.seq, p.seq)"
)
_LOOKUP = direct.Sql(
    f"SELECT cp.size, cp.note, a.* FROM "
    f"(SELECT size, note FROM {ledger_checkpoint.name} ORDER BY size DESC LIMIT 1) cp LEFT JOIN "
    f"(SELECT {_ANSWER_COLUMNS} FROM {person_key.name} k JOIN {person.name} p ON p.person_id = k.person_id "
    f"{_ANSWER_JOINS} WHERE k.kind = 'locator' AND k.key = ?) a ON 1 = 1"
)
_BY_ID = direct.Sql(f"SELECT {_ANSWER_COLUMNS} FROM {person.name} p {_ANSWER_JOINS} WHERE p.person_id = ?")
_LATEST = direct.Sql(f"SELECT size, note FROM {ledger_checkpoint.name} ORDER BY size DESC LIMIT 1")
_KINDS = (FACILITY, AGENCY, AGENCY)


@dataclass(frozen=True, slots=True)
class _Answer:
    """One row of the answer statement: a person, as the locator tells them, and the leaf the answer rests on."""

    located: Located
    leaf: bytes | None
    merged_into: str | None
    erased: bool
    born_in: object  # the registration's country of birth, as recorded


def _body(text: str | None) -> dict[str, Any]:
    return {} if text is None else dict(json.loads(text))


# A facility's or agency's reference is made from its record's body once, not once an answer: a log names a few
# hundred of them, and every answer names one to three (frozen, so an answer may share them).
@lru_cache(maxsize=4096)
def _agency_ref(agency_id: str | None, body: str | None) -> AgencyRef | None:
    if agency_id is None:
        return None
    b = _body(body)
    return AgencyRef(agency_id=agency_id, name=b.get("name"), country=b.get("country"))


@lru_cache(maxsize=4096)
def _facility_ref(facility_id: str, body: str | None) -> FacilityRef:
    b = _body(body)
    return FacilityRef(
        facility_id=facility_id, name=b.get("name"), address=b.get("address"), city=b.get("city"),
        region=b.get("region"), postal_code=b.get("postal_code"), country=b.get("country"), contact=b.get("contact"),
    )


def _answer(row: Sequence[Any]) -> _Answer:
    (person_id, person_seq, person_body, merged_into, erased, status, since, country, facility_id, custodian_id,
     authority_id, basis, custody_seq, facility_body, custodian_body, authority_body, leaf) = row
    born_in = json.loads(person_body).get("country_of_birth")
    leaf_bytes = None if leaf is None else bytes(leaf)
    if status is None:  # no custody row: registered, never held
        located = Located(
            person_id=person_id, status=CustodyStatus.NOT_HELD.value, since=None,
            summary=_summary(CustodyStatus.NOT_HELD, None, None, None, None), custodian=None, facility=None,
            transferred_to=None, authority=None, legal_basis=None, seq=int(person_seq),
        )
        return _Answer(located, leaf_bytes, merged_into, bool(erased), born_in)
    custodian = _agency_ref(custodian_id, custodian_body)
    facility = None if facility_id is None else _facility_ref(facility_id, facility_body)
    transfer = None
    if status in (CustodyStatus.HANDED_OVER, CustodyStatus.REMOVED) and country is not None:
        transfer = Transfer(agency=custodian, country=country, at=since)
    located = Located(
        person_id=person_id, status=status, since=since,
        summary=_summary(status, since, custodian, facility, transfer), custodian=custodian, facility=facility,
        transferred_to=transfer, authority=_agency_ref(authority_id, authority_body), legal_basis=basis,
        seq=int(custody_seq),
    )
    return _Answer(located, leaf_bytes, merged_into, bool(erased), born_in)


def _survivor(conn: Connection, answer: _Answer) -> _Answer | None:
    """Follow merges to the record that survives; None if it is gone (erased)."""
    for _ in range(MAX_MERGE_HOPS):
        if answer.erased:
            return None
        if answer.merged_into is None:
            return answer
        row = direct.first(conn, _BY_ID, (*_KINDS, answer.merged_into))
        if row is None:
            return None
        answer = _answer(row)
    return None


def _find(conn: Connection, query: LocatorQuery) -> tuple[tuple[int, str] | None, list[_Answer]]:
    """The latest checkpoint (size, note; None while the log is empty) and the surviving people that match
    exactly, each once, in person id order."""
    rows = direct.rows(conn, _LOOKUP, (*_KINDS, _key(query)))
    if not rows:
        return None, []
    found: dict[str, _Answer] = {}
    wanted = _alpha_2(query.country_of_birth)
    merged = False
    for row in rows:
        if row[2] is None:  # the checkpoint's row, with no one beside it
            continue
        answer = _answer(row[2:])
        born_in = answer.born_in
        if answer.erased or not isinstance(born_in, str) or _alpha_2(born_in.upper()) != wanted:
            continue
        merged = merged or answer.merged_into is not None
        survivor = _survivor(conn, answer)
        if survivor is not None:
            found[survivor.located.person_id] = survivor
    # A survivor of a merge is read by a statement after the checkpoint's: read the checkpoint again after it, so
    # that it covers the entry that answer rests on.
    latest = direct.first(conn, _LATEST) if merged else rows[0]
    return (int(latest[0]), str(latest[1])), [found[pid] for pid in sorted(found)]


def _label(agency: AgencyRef | None) -> str:
    if agency is None:
        return "an agency not on record"
    return f"{agency.name} ({agency.agency_id})" if agency.name else agency.agency_id


def _summary(status: str, since: str | None, custodian: AgencyRef | None, facility: FacilityRef | None,
             transfer: Transfer | None) -> str:
    """One sentence a family can read; never a bare "not found" for someone this log has held."""
    if status == CustodyStatus.IN_CUSTODY and facility is not None:
        place = ", ".join(p for p in (facility.name or facility.facility_id, facility.city, facility.country) if p)
        return f"held by {_label(custodian)} at {place} since {since}"
    if status == CustodyStatus.IN_TRANSIT:
        return f"in transit in the custody of {_label(custodian)} since {since}"
    if status == CustodyStatus.HANDED_OVER and transfer is not None:
        return f"handed to {_label(transfer.agency)}, {transfer.country}, at {transfer.at}"
    if status == CustodyStatus.REMOVED and transfer is not None:
        return f"removed to {transfer.country} at {transfer.at}"
    if status == CustodyStatus.NOT_HELD:
        return "registered, never taken into custody by this log's agencies"
    return f"{status.replace('_', ' ')} since {since}"


Edge = Sequence[tuple[int, bytes]]
"""A tree's perfect subtrees as (height, root), largest first: the writer's :class:`~habeas.ledger.tiles.Frontier`
nodes, which are exactly these."""


@dataclass(frozen=True, slots=True)
class _Edge:
    """A tree of ``size`` leaves as the perfect subtrees it splits into (its largest power of two first, then the
    next, ...): where each starts, its height and root, and the hash of everything after each, MTH(D[end:size])."""

    size: int
    starts: tuple[int, ...]
    heights: tuple[int, ...]
    roots: tuple[bytes, ...]
    rests: tuple[bytes | None, ...]  # None after the last subtree
    outers: dict[int, str] = field(default_factory=dict, compare=False)  # subtree -> :meth:`outer` as proof lines

    @classmethod
    def of(cls, nodes: merkle.NodeReader, size: int, known: Edge | None = None, before: _Edge | None = None) -> _Edge:
        """The edge of ``size``: its roots as ``known`` gives them (the writer's frontier of this very tree), else
        those ``before`` (an edge of a smaller size) shares with it, else read. A perfect subtree never changes
        once complete, so only the subtrees the new entries closed are read: each checkpoint moves the tree on by
        an entry or a few, and reading its right edge again took a lookup more CPU than the rest of its proof."""
        starts, heights = [], []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                starts.append(start)
                heights.append(level)
                start += 1 << level
        if known is not None and [h for h, _ in known] == heights:
            roots = [root for _, root in known]
        else:
            kept = {} if before is None else dict(zip(zip(before.starts, before.heights, strict=True), before.roots,
                                                      strict=True))
            roots = [kept.get((s, h)) or nodes.node(h, s >> h) for s, h in zip(starts, heights, strict=True)]
        rests: list[bytes | None] = [None]
        for root in reversed(roots[1:]):  # right to left: MTH of the rest is the fold of the roots after it
            rests.append(root if rests[-1] is None else merkle.node_hash(root, rests[-1]))
        return cls(size, tuple(starts), tuple(heights), tuple(roots), tuple(reversed(rests)))

    def subtree(self, seq: int) -> int:
        """Which of the perfect subtrees holds leaf ``seq``."""
        i = len(self.starts) - 1
        while seq < self.starts[i]:
            i -= 1
        return i

    def inner(self, tiles: TileReader, seq: int, i: int) -> tuple[bytes, ...]:
        """The leaf's siblings inside perfect subtree ``i``, leaf upwards (read a tile at a time: each tile gives
        eight levels of them). The same in every larger tree whose edge keeps that subtree."""
        height = self.heights[i]
        hashes: list[bytes] = []
        for base in range(0, height, TILE_HEIGHT):  # tree levels base .. base + 7 are in one tile of tile level L
            levels = range(min(TILE_HEIGHT, height - base))
            first = seq >> base  # the leaf's ancestor at tree level base
            tile = first >> TILE_HEIGHT
            offset = first - (tile << TILE_HEIGHT)  # its place in the tile
            folded = tiles.levels(base // TILE_HEIGHT, tile, max(((offset >> k) ^ 1) + 1 << k for k in levels))
            hashes += [folded[k][(offset >> k) ^ 1] for k in levels]
        return tuple(hashes)

    def outer(self, i: int) -> list[bytes]:
        """The rest of PATH(seq, D[0:size]) for a leaf in subtree ``i``: the hash of the subtrees after it, then
        the roots of those before it, nearest first."""
        rest = self.rests[i]
        return [*(() if rest is None else (rest,)), *reversed(self.roots[:i])]

    def outer_lines(self, i: int) -> str:
        """:meth:`outer` as a tlog-proof's lines, each ended by a newline (made once a subtree)."""
        found = self.outers.get(i)
        if found is None:
            found = self.outers[i] = _lines(self.outer(i))
        return found

    def path(self, tiles: TileReader, seq: int) -> list[bytes]:
        """RFC 9162's PATH(seq, D[0:size]), leaf to root: the hashes :func:`merkle.inclusion_proof` folds from
        ranges."""
        i = self.subtree(seq)
        return [*self.inner(tiles, seq, i), *self.outer(i)]


def _lines(hashes: Sequence[bytes]) -> str:
    return "".join(f"{base64.b64encode(h).decode()}\n" for h in hashes)


def _tlog_proof(seq: int, lines: str, note: str) -> str:
    """The c2sp.org/tlog-proof@v1 text :func:`habeas.ledger.tlog_proof.format_tlog_proof` makes (no extra data),
    from the hashes already written as lines: a proof is mostly lines kept from earlier proofs."""
    return f"{TLOG_PROOF_HEADER}\nindex {seq}\n{lines}\n{note}"


class ProofCache:
    """The tlog-proofs of one log: each made once for the latest checkpoint and reused while it stands.

    A proof depends only on the entry and the tree size, so the proof made for one answer is the proof of every
    later answer resting on the same entry until the checkpoint moves. Each search that finds someone moves it
    (its access-log commitment is an entry), so what outlives a checkpoint is kept too: the leaf's siblings inside
    its perfect subtree (the same in every tree that still has the subtree), and the tree's right edge
    (:class:`_Edge`), taken from the writer's frontier when this process wrote that very tree (``known``), else
    built from the last one; a new proof is then those, joined. Tiles are read through this cache's
    (full tiles never change), on the lookup's own connection (:meth:`reader`): a proof costs a lookup no second
    connection and no read of the log's head.
    """

    PROOFS = 50_000  # proofs kept for one checkpoint (about 1.5 kB each) before they start again

    def __init__(self, known: Callable[[int, str], Edge | None] | None = None) -> None:
        self._lock = threading.Lock()
        self._known = known
        self._proofs: dict[int, str] = {}  # seq -> the proof against the latest checkpoint
        self._inner: dict[tuple[int, int, int], str] = {}  # (seq, subtree start, height) -> its siblings' lines
        self._edge: _Edge | None = None  # of the latest size
        self._tiles: OrderedDict[tuple[int, int], list[list[bytes]]] = OrderedDict()

    def reader(self, conn: Connection) -> TileReader:
        """The tree's nodes read on ``conn`` through this cache's tiles (a partial tile is read again when a node
        beyond what was kept of it is asked for)."""
        return TileReader(lambda level, start, n: ledger_store.read_tile_hashes(conn, level, start, n),
                          _cache=self._tiles)

    def get(self, nodes: TileReader, seq: int, size: int, note: str) -> str:
        """The proof of entry ``seq`` against the checkpoint ``note`` of tree ``size``, its nodes read through
        ``nodes`` (:meth:`reader`): the same object for every answer while that checkpoint is the latest."""
        if not 0 <= seq < size:  # a projection row ahead of the checkpoint: a damaged store
            raise LogError(f"no leaf {seq} in a tree of size {size}")
        with self._lock:
            edge = self._edge
            if edge is not None and edge.size == size and (hit := self._proofs.get(seq)) is not None:
                return hit
        if edge is None or edge.size != size:
            known = None if self._known is None else self._known(size, note)
            edge = _Edge.of(nodes, size, known, edge if edge is not None and edge.size < size else None)
        i = edge.subtree(seq)
        key = (seq, edge.starts[i], edge.heights[i])
        inner = self._inner.get(key)
        if inner is None:
            inner = _lines(edge.inner(nodes, seq, i))
        proof = _tlog_proof(seq, inner + edge.outer_lines(i), note)
        with self._lock:
            if len(self._inner) >= self.PROOFS:
                self._inner = {}
            self._inner[key] = inner
            kept = self._edge
            if kept is None or size > kept.size:
                # the checkpoint moved on: what was kept for the old size is no one's answer any more
                kept, self._edge, self._proofs = edge, edge, {}
            if kept.size == size:  # not an older checkpoint, read by a lookup that started before it moved
                if len(self._proofs) >= self.PROOFS:
                    self._proofs = {}
                # Two lookups that made the same proof at once both answer with the first one kept.
                proof = self._proofs.setdefault(seq, proof)
        return proof


def _written(ledger: Ledger) -> Callable[[int, str], Edge | None]:
    """The right edge of the tree of ``size`` the checkpoint ``note`` signs, if this process's writer has it in
    memory (it wrote that tree last), checked against the note's root; None otherwise (another process wrote on,
    or the writer moved on already). Holds the ledger weakly: :data:`_LOOKUPS` is keyed by it."""
    ref = weakref.ref(ledger)

    def known(size: int, note: str) -> Edge | None:
        found = ref()
        if found is None:
            return None
        lines = note.split("\n", 3)
        try:
            root = base64.b64decode(lines[2], validate=True) if len(lines) > 3 else None
        except ValueError:
            return None
        return None if root is None else found.written_edge(size, root)

    return known


class Lookups:
    """What the locator keeps for one log: its proofs, and a gate that lets at most as many lookups read at once as
    the engine's pool keeps connections, less one for the writer. More would not go faster on a few CPUs, and each
    beyond the pool makes SQLAlchemy open an overflow connection and close it again after the lookup (measured
    under 50 clients: one lookup in five opened a SQLite connection, with its PRAGMAs)."""

    def __init__(self, ledger: Ledger) -> None:
        self.proofs = ProofCache(_written(ledger))
        pool = ledger.engine.pool
        size = pool.size() if isinstance(pool, QueuePool) else 2
        self.gate = threading.BoundedSemaphore(max(1, size - 1))


_LOOKUPS: weakref.WeakKeyDictionary[Ledger, Lookups] = weakref.WeakKeyDictionary()
_LOOKUPS_LOCK = threading.Lock()


def lookups(ledger: Ledger) -> Lookups:
    """The ledger's :class:`Lookups`: one a log (an app may serve several ledgers; tests make many)."""
    found = _LOOKUPS.get(ledger)
    if found is None:
        with _LOOKUPS_LOCK:
            found = _LOOKUPS.get(ledger)
            if found is None:
                found = _LOOKUPS[ledger] = Lookups(ledger)
    return found


def _connect(engine: Engine) -> Connection:
    """A connection for one lookup. On PostgreSQL in autocommit: the lookup is one statement, and a transaction
    would cost a round trip for its BEGIN and another for the ROLLBACK when the connection goes back to the pool.
    SQLite's connections already run statements outside a transaction unless habeas begins one
    (storage/engine.py), and SQLAlchemy's autocommit would hand them back to the pool changed."""
    conn = engine.connect()
    return conn.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else conn


def locate(ledger: Ledger, query: LocatorQuery) -> LocatorResult:
    """Every exact match with its proof, against the latest checkpoint, read after the answers (so it covers
    the entries they rest on)."""
    kept = lookups(ledger)
    proofs = kept.proofs
    with kept.gate, _connect(ledger.engine) as conn:
        latest, answers = _find(conn, query)
        if latest is None:  # an empty log: there is no one to find either
            return LocatorResult(matches=(), checkpoint="")
        size, note = latest
        nodes = proofs.reader(conn)
        proven = []
        for answer in answers:
            loc = answer.located
            if answer.leaf is None:  # a projection row ahead of the log it is built from: a damaged store
                raise LogError(f"the locator's answer rests on entry {loc.seq}, which the log does not hold")
            proven.append(Proven(located=loc, leaf=answer.leaf, tlog_proof=proofs.get(nodes, loc.seq, size, note)))
    return LocatorResult(matches=tuple(proven), checkpoint=note)
