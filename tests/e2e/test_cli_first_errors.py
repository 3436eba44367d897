"""What a first-time user provokes (found trying the README's commands by hand): each answers one line naming
what is wrong, no traceback, nothing printed as something else."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import real_habeas


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    """A read on a PostgreSQL server that does not answer was a SQLAlchemy traceback."""
    proc = real_habeas("--db", "postgresql://nobody@127.0.0.1:1/none", "facility", "list", cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("error: the database could not serve")
    assert "Connection refused" in line


def test_an_error_quoting_a_file_shows_its_text_as_written(tmp_path: Path) -> None:
    """An unknown column copied from the file into the error was read as an emoji code (``a:x:b`` shown as
    ``a❌b``): the text of a file, a name or an id is shown as it is."""
    real_habeas("init", cwd=tmp_path)
    people = tmp_path / "people.csv"
    people.write_text("person_id,given_names,surname,a:x:b\np-1,Ana,Ruiz,1\n", encoding="utf-8")
    proc = real_habeas("person", "import", str(people), cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert "'a:x:b'" in proc.stderr
    assert "\u274c" not in proc.stderr
