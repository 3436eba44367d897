"""``python -m benchmarks --only SECTION ...``: what follows the section is the section's own command line.

The defect this holds: the top-level parser took ``--backend``, ``--pg-url``, ``--workdir`` and ``--profile`` (it
has options of those names) before the section saw them, so ``--only ice-air --backend postgres`` ran SQLite."""

from __future__ import annotations

import pytest
from benchmarks.__main__ import SECTIONS, split_section


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_everything_after_the_section_is_the_sections(section: str) -> None:
    tail = ["--backend", "postgres", "--pg-url", "postgresql://x/y", "--workdir", "/tmp/w", "--profile"]
    assert split_section(["--quick", "--only", section, *tail]) == (["--quick", "--only", section], tail)
    assert split_section([f"--only={section}", *tail]) == ([f"--only={section}"], tail)


def test_other_runs_keep_their_whole_command_line() -> None:
    line = ["--only", "locator", "--backend", "sqlite", "--seconds", "5"]
    assert split_section(line) == (line, [])
    assert split_section(["--only"]) == (["--only"], [])
