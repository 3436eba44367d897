"""Policy packs: which gates a jurisdiction runs and with which parameters.

A pack is a YAML file (``packs/<name>.yaml`` ships with the package; a deployment may point at its own file):

.. code-block:: yaml

    name: us-federal
    description: ...
    gates: [identity_verified, ...]
    parameters:
      min_notice_hours: 168
      ...

Every parameter must be given (a pack states each number and its legal source in a comment; there are no
hidden defaults in code), unknown keys are refused, and every refusal is a :class:`PolicyError` whose one-line
message names the pack, the key and the bad value. :class:`Policy` is a frozen value the pure gates take; only
:func:`load_pack` reads files and YAML.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from habeas.domain.errors import HabeasError
from habeas.domain.facilities import CapacityStandard
from habeas.domain.legal import NoticeContent
from habeas.gates.shipped import FOLDER, shipped_packs

E = TypeVar("E", bound=StrEnum)
UNDERSTOOD = "understood"
ALL = "all"


class GateName(StrEnum):
    IDENTITY_VERIFIED = "identity_verified"
    REMOVAL_AUTHORITY_VALID_FOR_DESTINATION = "removal_authority_valid_for_destination"
    NO_PROTECTION_AGAINST_DESTINATION = "no_protection_against_destination"
    NO_STAY_IN_FORCE = "no_stay_in_force"
    NO_COURT_ORDER_COVERING = "no_court_order_covering"
    NOTICE_SERVED_IN_TIME = "notice_served_in_time"
    CONSULAR_NOTIFICATION = "consular_notification"
    FIT_TO_TRAVEL = "fit_to_travel"
    AGREEMENT_COVERS = "agreement_covers"
    DESTINATION_CAPACITY = "destination_capacity"


class PolicyError(HabeasError, ValueError):
    """A pack that cannot be used; the message names the pack, the key and the value."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"policy pack {source}: {key}: {problem}")


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A parsed pack. ``notice_languages`` ``None`` means "a language the person understands"."""

    name: str
    description: str
    gates: tuple[GateName, ...]
    min_notice_hours: int
    notice_languages: tuple[str, ...] | None
    notice_content_types: tuple[NoticeContent, ...]
    copy_notice_to_counsel: bool
    consular_mandatory_nationalities: frozenset[str]
    consular_mandatory_for_all: bool
    capacity_standard: CapacityStandard
    agreement_required: bool
    require_final_order: bool
    # The countries whose departing legs this pack clears when it is not the deployment's first pack (a receiving
    # state's domestic leg, say); empty: the first pack of a deployment, which clears every other leg.
    jurisdictions: frozenset[str] = frozenset()
    sha256: str = ""  # SHA-256 of the pack's bytes as loaded: recorded with every gate result it gave


_TOP_KEYS = frozenset({"name", "description", "jurisdictions", "gates", "parameters"})
_PARAMETER_KEYS = (
    "min_notice_hours",
    "notice_languages",
    "notice_content_types",
    "copy_notice_to_counsel",
    "consular_mandatory_nationalities",
    "capacity_standard",
    "agreement_required",
    "require_final_order",
)


def _code_list(source: str, key: str, value: Any, *, upper: bool) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(source, key, f"expected a list of codes, got {value!r}")
    for v in value:
        ok = v.isalpha() and v.isascii() and 2 <= len(v) <= 3 and (v.isupper() if upper else v.islower())
        if not ok:
            kind = "an ISO 3166-1 country code in upper case" if upper else "an ISO 639 language code in lower case"
            raise PolicyError(source, key, f"{v!r} is not {kind}")
    return tuple(v for v in value)


def _bool(source: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(source, key, f"expected true or false, got {value!r}")
    return value


def _choice(source: str, key: str, value: Any, enum: type[E]) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise PolicyError(source, key, f"unknown value {value!r} (one of: {allowed})") from None


def policy_from_mapping(data: Any, *, source: str, sha256: str = "") -> Policy:
    """Build and validate a :class:`Policy` from a parsed pack (pure: no file, no YAML)."""
    if not isinstance(data, Mapping):
        raise PolicyError(source, "(top)", f"expected a mapping, got {type(data).__name__}")
    for key in data:
        if key not in _TOP_KEYS:
            raise PolicyError(source, str(key), f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    for key in ("name", "gates", "parameters"):
        if key not in data:
            raise PolicyError(source, key, "missing")
    name = data["name"]
    if (
        not isinstance(name, str)
        or not name
        or not all(c.isalnum() or c in "-_." for c in name)
        or name != name.lower()
    ):
        raise PolicyError(source, "name", f"{name!r} is not a lower-case pack name (a-z 0-9 - _ .)")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise PolicyError(source, "description", f"expected text, got {description!r}")

    gates_raw = data["gates"]
    if not isinstance(gates_raw, list) or not gates_raw:
        raise PolicyError(source, "gates", f"expected a non-empty list of gate names, got {gates_raw!r}")
    gates = tuple(_choice(source, "gates", g, GateName) for g in gates_raw)
    if len(set(gates)) != len(gates):
        raise PolicyError(source, "gates", "a gate listed twice")

    params = data["parameters"]
    if not isinstance(params, Mapping):
        raise PolicyError(source, "parameters", f"expected a mapping, got {params!r}")
    for key in params:
        if key not in _PARAMETER_KEYS:
            raise PolicyError(source, f"parameters.{key}", f"unknown key (known: {', '.join(_PARAMETER_KEYS)})")
    for key in _PARAMETER_KEYS:
        if key not in params:
            raise PolicyError(source, f"parameters.{key}", "missing (every parameter is stated, with its source)")

    def p(key: str) -> tuple[str, Any]:
        return f"parameters.{key}", params[key]

    key, hours = p("min_notice_hours")
    if isinstance(hours, bool) or not isinstance(hours, int) or hours < 0:
        raise PolicyError(source, key, f"expected a whole number of hours >= 0, got {hours!r}")

    key, languages = p("notice_languages")
    notice_languages = None if languages == UNDERSTOOD else _code_list(source, key, languages, upper=False)
    if notice_languages == ():
        raise PolicyError(source, key, f"empty: give languages or {UNDERSTOOD!r}")

    key, contents = p("notice_content_types")
    if not isinstance(contents, list) or not contents:
        raise PolicyError(source, key, f"expected a non-empty list of notice content types, got {contents!r}")
    content_types = tuple(_choice(source, key, c, NoticeContent) for c in contents)

    key, consular = p("consular_mandatory_nationalities")
    consular_all = consular == ALL
    mandatory = frozenset() if consular_all else frozenset(_code_list(source, key, consular, upper=True))

    jurisdictions = frozenset(_code_list(source, "jurisdictions", data.get("jurisdictions", []), upper=True))
    return Policy(
        name=name,
        description=description.strip(),
        jurisdictions=jurisdictions,
        sha256=sha256,
        gates=gates,
        min_notice_hours=hours,
        notice_languages=notice_languages,
        notice_content_types=content_types,
        copy_notice_to_counsel=_bool(source, *p("copy_notice_to_counsel")),
        consular_mandatory_nationalities=mandatory,
        consular_mandatory_for_all=consular_all,
        capacity_standard=_choice(source, *p("capacity_standard"), CapacityStandard),
        agreement_required=_bool(source, *p("agreement_required")),
        require_final_order=_bool(source, *p("require_final_order")),
    )


def load_pack(name_or_path: str | Path) -> Policy:
    """A shipped pack by name (``us-federal``), or a pack file by path (anything with a ``/`` or ``.yaml``)."""
    import yaml  # I/O at the edge: the gates and Policy themselves need only the standard library

    text_path = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text_path or text_path.endswith((".yaml", ".yml")):
        path = Path(name_or_path)
        source = str(path)
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise PolicyError(source, "(file)", f"cannot read: {e.strerror or e}") from e
    else:
        source = text_path
        if text_path not in shipped_packs():
            raise PolicyError(source, "(name)", f"no such shipped pack (shipped: {', '.join(shipped_packs())})")
        raw = resources.files("habeas.gates").joinpath(FOLDER, f"{text_path}.yaml").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PolicyError(source, "(file)", f"not UTF-8 text: {e.reason} at byte {e.start}") from e
    try:
        # The safe loader, libyaml's when PyYAML was built with it (every command checks the pack at start-up).
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(yaml)"
        raise PolicyError(source, where, f"not valid YAML: {getattr(e, 'problem', None) or e}") from e
    return policy_from_mapping(data, source=source, sha256=hashlib.sha256(raw).hexdigest())


@dataclass(frozen=True)
class Packs:
    """The deployment's packs, chosen at start-up: the first clears every leg, except legs departing from a
    country another pack declares among its ``jurisdictions`` (the receiving state's domestic leg). A request
    never names a pack: which pack a leg is cleared with is the deployment's decision, recorded with each result."""

    default: Policy
    by_country: Mapping[str, Policy]

    @classmethod
    def of(cls, policies: list[Policy]) -> Packs:
        if not policies:
            raise PolicyError("(deployment)", "packs", "no pack given")
        first, *others = policies
        by_country: dict[str, Policy] = {}
        for other in others:
            if not other.jurisdictions:
                raise PolicyError(other.name, "jurisdictions", "a deployment's second and later packs must say "
                                  "which countries' departing legs they clear (jurisdictions: [SV])")
            for country in sorted(other.jurisdictions):
                if country in by_country:
                    raise PolicyError(other.name, "jurisdictions",
                                      f"{country} is already cleared by pack {by_country[country].name}")
                by_country[country] = other
        return cls(first, by_country)

    def for_leg(self, origin_country: str) -> Policy:
        """The pack a leg departing from ``origin_country`` is cleared with."""
        return self.by_country.get(origin_country, self.default)

    def all(self) -> tuple[Policy, ...]:
        return (self.default, *dict.fromkeys(self.by_country.values()))
