"""RFC 8785 canonical JSON against the cyberphone/json-canonicalization vectors (co-author of the RFC)."""

from __future__ import annotations

import enum
import gzip
import json
import math
import struct

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from habeas.ledger.canonical import MAX_SAFE_INTEGER, CanonicalError, canonical
from tests.paths import VECTORS

JCS = VECTORS / "rfc8785-jcs"
TESTDATA = JCS / "testdata"
PAIRS = sorted(p.stem for p in (TESTDATA / "input").glob("*.json"))
NUMBERS = JCS / "es6testfile-first100000.txt.gz"


def test_all_six_pairs_are_present() -> None:
    assert PAIRS == ["arrays", "french", "structures", "unicode", "values", "weird"]


@pytest.mark.parametrize("name", PAIRS)
def test_pair_is_byte_identical(name: str) -> None:
    value = json.loads((TESTDATA / "input" / f"{name}.json").read_text(encoding="utf-8"))
    want = (TESTDATA / "output" / f"{name}.json").read_bytes()
    want_hex = bytes.fromhex((TESTDATA / "outhex" / f"{name}.txt").read_text(encoding="ascii"))
    assert want == want_hex, "the vector's output/ and outhex/ disagree"
    assert canonical(value) == want


def _float(hex_bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(hex_bits.zfill(16)))[0]
    return value


def test_es6_number_formatting_first_100000() -> None:
    mismatches: list[str] = []
    lines = refused = 0
    with gzip.open(NUMBERS, "rt", encoding="ascii") as fh:
        for line in fh:
            lines += 1
            hex_bits, expected = line.rstrip("\n").split(",")
            value = _float(hex_bits)
            if not math.isfinite(value):
                with pytest.raises(CanonicalError):
                    canonical(value)
                refused += 1
                continue
            got = canonical(value).decode("ascii")
            if got != expected:
                mismatches.append(f"{hex_bits}: want {expected!r}, got {got!r}")
    assert lines == 100_000
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:5]}"
    assert lines - refused > 99_990


@pytest.mark.parametrize(
    ("hex_bits", "expected"),
    [
        # RFC 8785 Appendix B rows, independent of the file above.
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("41b3de4355555555", "333333333.3333333"),
    ],
)
def test_rfc8785_appendix_b(hex_bits: str, expected: str) -> None:
    assert canonical(_float(hex_bits)) == expected.encode("ascii")


@pytest.mark.parametrize(
    ("hex_bits", "name"),
    [
        ("7fffffffffffffff", "NaN"),
        ("7ff8000000000000", "NaN"),
        ("7ff0000000000000", "+Infinity"),
        ("fff0000000000000", "-Infinity"),
    ],
)
def test_nan_and_infinities_are_refused(hex_bits: str, name: str) -> None:
    with pytest.raises(CanonicalError, match=rf"^{re_escape(name)} is not allowed in canonical JSON at \$$"):
        canonical(_float(hex_bits))
    with pytest.raises(CanonicalError, match=r"at \$\.body\.x\[1\]$"):
        canonical({"body": {"x": [0, _float(hex_bits)]}})


def re_escape(text: str) -> str:
    return text.replace("+", r"\+")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1: "a"}, r"a key of type int \(1\) is not allowed in canonical JSON at \$$"),
        ({"a": {None: 1}}, r"key of type NoneType .* at \$\.a$"),
        ({"a b": (1, 2)}, r"a value of type tuple is not allowed .* at \$\['a b'\]$"),
        ([1, {2}], r"type set .* at \$\[1\]$"),
        ({"b": b"x"}, r"type bytes .* at \$\.b$"),
        ({"n": MAX_SAFE_INTEGER + 1}, r"integer 9007199254740992 is outside .* at \$\.n$"),
        ([-MAX_SAFE_INTEGER - 1], r"integer -9007199254740992 is outside .* at \$\[0\]$"),
        ({"s": ["ok", "\ud800"]}, r"lone surrogate .* at \$\.s\[1\]$"),
        ({"\udc00": 1}, r"lone surrogate .* at \$\['\\udc00'\]$"),
    ],
)
def test_values_without_a_canonical_form_are_refused(value: object, message: str) -> None:
    with pytest.raises(CanonicalError, match=message):
        canonical(value)


def test_a_cycle_is_refused_not_a_crash() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(CanonicalError, match="nested too deeply"):
        canonical(loop)


def test_the_safe_integer_bounds_are_accepted() -> None:
    assert canonical([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == b"[9007199254740991,-9007199254740991]"


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB33 although its code point is larger.
    assert canonical({"\ufb33": 1, "\U0001f600": 2, "a": 3}) == '{"a":3,"\U0001f600":2,"\ufb33":1}'.encode()


class Colour(enum.StrEnum):
    RED = "custody.red"


class Level(enum.IntEnum):
    HIGH = 3


def test_enum_members_are_written_as_their_values() -> None:
    assert canonical({"c": Colour.RED, "l": Level.HIGH, "f": True}) == b'{"c":"custody.red","f":true,"l":3}'


def test_escaping_is_minimal_and_lowercase() -> None:
    want = b'"\\u0000\\u001f\x7f\\"\\\\/\xe2\x80\xa8\xc3\xa9\\b\\t\\n\\f\\r"'
    assert canonical('\x00\x1f\x7f"\\/\u2028é\b\t\n\f\r') == want


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)


@given(json_values)
def test_agrees_with_the_rfc8785_package(value: object) -> None:
    assert canonical(value) == rfc8785.dumps(value)  # type: ignore[arg-type]


@given(json_values)
def test_parses_back_to_the_same_value_and_is_a_fixed_point(value: object) -> None:
    out = canonical(value)
    # Integers are parsed as floats, as a JSON number is a double: 1e20 is written "100000000000000000000".
    parsed = json.loads(out, parse_int=float)
    assert parsed == value
    assert canonical(parsed) == out
