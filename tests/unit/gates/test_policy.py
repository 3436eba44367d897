"""Policy packs: the shipped ones load, every default has its source beside it, bad packs are refused by name."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from habeas.domain.facilities import CapacityStandard
from habeas.gates.policy import GateName, PolicyError, load_pack, policy_from_mapping, shipped_packs

PACKS = resources.files("habeas.gates").joinpath("packs")


def good() -> dict[str, Any]:
    text = PACKS.joinpath("us-federal.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_shipped_packs() -> None:
    assert shipped_packs() == ("strict-international", "us-federal")
    us = load_pack("us-federal")
    assert us.name == "us-federal"
    assert us.capacity_standard is CapacityStandard.ICRC
    assert us.notice_languages is None  # a language the person understands
    assert us.consular_mandatory_nationalities == frozenset()
    assert set(us.gates) == set(GateName)
    strict = load_pack("strict-international")
    assert strict.capacity_standard is CapacityStandard.CPT
    assert strict.consular_mandatory_for_all or "SV" in strict.consular_mandatory_nationalities
    assert strict.min_notice_hours > us.min_notice_hours


@pytest.mark.parametrize("name", ["us-federal", "strict-international"])
def test_every_default_carries_its_legal_source_in_a_comment(name: str) -> None:
    lines = PACKS.joinpath(f"{name}.yaml").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\s+- \w+", line):  # a gate: its source on the same line
            assert "#" in line, line
        if re.match(r"\s{2}\w+:", line) and not line.lstrip().startswith("#"):  # a parameter: comment above
            assert lines[i - 1].lstrip().startswith("#"), line
    text = "\n".join(lines)
    assert "(unverified" in text  # LEGAL.md marks the consular list and 11022.1's wording unverified


def test_a_pack_file_by_path(tmp_path: Path) -> None:
    data = good()
    data["name"] = "local"
    data["parameters"]["min_notice_hours"] = 24
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_pack(path).min_notice_hours == 24
    assert load_pack(str(path)).name == "local"


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for p in parents:
        data = data[p]
    data[last] = value


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("colour", "red", r"colour: unknown key"),
        ("parameters.min_notice_hour", 3, r"parameters\.min_notice_hour: unknown key"),
        ("parameters.min_notice_hours", -1, r"parameters\.min_notice_hours: expected a whole number"),
        ("parameters.min_notice_hours", "24h", r"parameters\.min_notice_hours: expected a whole number"),
        ("parameters.min_notice_hours", True, r"parameters\.min_notice_hours: expected a whole number"),
        (
            "parameters.capacity_standard",
            "un",
            r"parameters\.capacity_standard: unknown value 'un' \(one of: cpt, icrc\)",
        ),
        ("parameters.notice_languages", "spanish", r"parameters\.notice_languages: expected a list"),
        ("parameters.notice_languages", ["ES"], r"parameters\.notice_languages: 'ES' is not an ISO 639"),
        ("parameters.notice_languages", [], r"parameters\.notice_languages: empty"),
        ("parameters.consular_mandatory_nationalities", ["ve"], r"'ve' is not an ISO 3166-1"),
        ("parameters.agreement_required", "yes", r"parameters\.agreement_required: expected true or false"),
        ("parameters.notice_content_types", ["letter"], r"parameters\.notice_content_types: unknown value 'letter'"),
        ("gates", ["identity_verified", "vibes"], r"gates: unknown value 'vibes'"),
        ("gates", ["identity_verified", "identity_verified"], r"gates: a gate listed twice"),
        ("gates", [], r"gates: expected a non-empty list"),
        ("name", "US Federal", r"name: 'US Federal' is not a lower-case pack name"),
        ("parameters", [], r"parameters: expected a mapping"),
    ],
)
def test_bad_values_are_refused_naming_the_key(key: str, value: Any, message: str) -> None:
    data = good()
    _set(data, key, value)
    with pytest.raises(PolicyError, match=message) as info:
        policy_from_mapping(data, source="test.yaml")
    assert str(info.value).startswith("policy pack test.yaml: ")
    assert "\n" not in str(info.value)


def test_a_missing_parameter_is_refused() -> None:
    data = good()
    del data["parameters"]["capacity_standard"]
    with pytest.raises(PolicyError, match=r"parameters\.capacity_standard: missing"):
        policy_from_mapping(data, source="test.yaml")
    with pytest.raises(PolicyError, match=r"gates: missing"):
        policy_from_mapping({"name": "x", "parameters": {}}, source="test.yaml")
    with pytest.raises(PolicyError, match=r"\(top\): expected a mapping"):
        policy_from_mapping(["x"], source="test.yaml")


def test_unknown_pack_unreadable_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"no such shipped pack \(shipped: strict-international, us-federal\)"):
        load_pack("eu")
    with pytest.raises(PolicyError, match=r"\(file\): cannot read"):
        load_pack(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ngates: [a\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"line \d+: not valid YAML"):
        load_pack(bad)
