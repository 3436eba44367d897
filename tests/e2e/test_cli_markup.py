"""Stored text is shown as it was typed: a name, a label or a court holding ``[bold]x[/]`` or ``[red`` is data, never
Rich markup (issue 11). Each command that shows stored free text prints it literally, brackets and all."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import habeas

# What Rich would read as markup: a style and its end (rendered as a bold "x", the brackets lost), and an open bracket.
MARK = "[bold]x[/] [red"
T0 = "2025-03-01T08:00:00Z"


def _text(label: str) -> str:
    """A short label (so no table wraps the cell at the tests' 200 columns), then the markup."""
    return f"{label} {MARK}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An agency, an officer, a facility with two units, two people with records, a manifest and a token, each
    free-text field holding markup."""
    cwd = tmp_path_factory.mktemp("markup")
    steps: list[tuple[str, ...]] = [
        ("init",),
        ("agency", "add", "--id", "ice", "--name", _text("agency"), "--country", "US", "--kind", "immigration",
         "--at", "2025-01-01"),
        ("officer", "add", "--id", "o-diaz", "--agency", "ice", "--name", _text("officer"), "--role",
         "deportation_officer", "--generate-key", "o-diaz.key", "--at", "2025-01-01"),
        ("facility", "add", "--id", "f-k", "--name", _text("krome"), "--country", "US", "--type", _text("spc"),
         "--agency", "ice", "--operator", _text("operator"), "--code", _text("code"), "--address", _text("street"),
         "--city", _text("city"), "--region", _text("region"), "--contact", _text("phone"), "--at", "2025-01-01"),
        ("facility", "unit", "add", "f-k", "--id", "b1", "--label", _text("block"), "--area", "120", "--beds", "40",
         "--category", "migration", "--organisation", _text("reserved"), "--at", "2025-01-01"),
        ("facility", "unit", "add", "f-k", "--id", "b2", "--label", "Tiny", "--area", "2", "--beds", "1",
         "--at", "2025-01-01"),
        ("person", "add", "--id", "p-1", "--given", _text("José"), "--surname", "García", "--alias", _text("alias"),
         "--dob", "1990-05-17", "--nationality", "SV", "--birth-country", "SV", "--a-number", "A-123-456-789",
         "--at", T0),
        ("legal", "add", "protection", "p-1", "--id", "pr-1", "--kind", "cat_deferral", "--country", "SV",
         "--granted-by", _text("judge"), "--at", T0),
        ("legal", "add", "allegation", "p-1", "--id", "al-1", "--organisation", _text("org"), "--source",
         _text("source"), "--evidence", _text("doc"), "--at", T0),
        ("legal", "add", "conviction", "p-1", "--id", "cv-1", "--court", _text("court"), "--jurisdiction", "US",
         "--offence", _text("offence"), "--convicted-on", "2019-06-01", "--at", T0),
        ("custody", "admit", "p-1", "--facility", "f-k", "--unit", "b1", "--custodian", "o-diaz@ice", "--authority",
         "ice", "--basis", "ina_236", "--at", "2025-03-02T00:00:00Z"),
        ("person", "add", "--id", "p-2", "--given", "Ana", "--surname", "Ruiz", "--dob", "1980-01-01", "--sex",
         "female", "--at", T0),
        ("manifest", "create", "--id", "m-1", "--journey", "j-1", "--leg-id", "l-1", "--carrier", _text("carrier"),
         "--vehicle", _text("plane"), "--from", "KHRL", "--from-country", "US", "--to", "MSLP", "--to-country", "SV",
         "--departs", "2025-03-15T09:00:00Z", "--arrives", "2025-03-15T13:00:00Z", "--person", "p-1",
         "--at", "2025-03-03T00:00:00Z"),
        ("user", "add", "ana", "--agency", "ice", "--role", "coordinator"),
        ("token", "create", "ana", "--name", _text("desk")),
    ]
    for step in steps:
        habeas(*step, cwd=cwd)
    return cwd


SHOWN = [
    pytest.param(("person", "show", "p-1"), ("José", "alias", "judge", "org", "source", "doc", "court", "offence",
                                             "krome", "block"), id="person-show"),
    pytest.param(("person", "find", "--name", "jose"), ("José",), id="person-find"),
    pytest.param(("facility", "list"), ("krome", "spc", "code", "region"), id="facility-list"),
    pytest.param(("facility", "show", "f-k"), ("krome", "spc", "code", "operator", "street", "city", "region",
                                               "block", "reserved"), id="facility-show"),
    pytest.param(("agency", "list"), ("agency",), id="agency-list"),
    pytest.param(("custody", "show", "p-1"), ("krome", "block"), id="custody-show"),
    pytest.param(("locate", "--a-number", "A-123-456-789", "--country-of-birth", "SV"),
                 ("agency", "krome", "street", "city", "region", "phone"), id="locate"),
    pytest.param(("manifest", "show", "m-1"), ("carrier", "plane"), id="manifest-show"),
    pytest.param(("token", "list"), ("desk",), id="token-list"),
]


@pytest.mark.parametrize(("args", "labels"), SHOWN)
def test_stored_text_is_printed_as_typed(world: Path, args: tuple[str, ...], labels: tuple[str, ...]) -> None:
    shown = habeas(*args, cwd=world).stdout
    missing = [_text(label) for label in labels if _text(label) not in shown]
    assert not missing, f"`habeas {' '.join(args)}` lost the brackets of {missing}:\n{shown}"


def test_an_override_reason_is_printed_as_typed(world: Path) -> None:
    """Intake over capacity names the officer's free-text reason on stderr; and the commitment authority shows in
    the person's admissions."""
    admitted = habeas("intake", "admit", "p-2", "--facility", "f-k", "--unit", "b2", "--custodian", "o-diaz@ice",
                      "--commitment-authority", _text("dgcp"), "--authority", "ice", "--basis", "ina_236",
                      "--override-reason", _text("why"), "--override-by", "o-diaz", "--at", "2025-03-06T00:00:00Z",
                      cwd=world)
    assert "over capacity:" in admitted.stderr
    assert _text("why") in admitted.stderr, admitted.stderr
    assert _text("dgcp") in habeas("person", "show", "p-2", cwd=world).stdout
