"""The `habeas` command as a user runs it: real files, real SQLite; the demo and the refusals of a missing
database or key also in a real process."""

from __future__ import annotations

import base64
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from habeas.ledger import merkle
from habeas.ledger.checkpoint import parse_checkpoint
from habeas.ledger.note import format_vkey, generate_signer, open_note, parse_vkey
from habeas.ledger.tlog_proof import parse_tlog_proof, verify_tlog_proof
from tests.e2e.cli import invoke, real_habeas
from tests.paths import PROJECT_ROOT


def habeas(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """In-process (tests/e2e/cli.py), as bytes: `log leaf` and `log checkpoint` print exact bytes."""
    proc = invoke(*args, cwd=cwd, text=False)
    if check:
        assert proc.returncode == 0, proc.stderr.decode()
    return proc


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One demo run shared by the read-only tests below (it takes several seconds).

    A real process on purpose: `python -m habeas demo` is the README's quick start, so the installed entry point,
    its exit status and what it prints are checked as a new user meets them. One interpreter start, once.
    """
    cwd = tmp_path_factory.mktemp("demo")
    proc = real_habeas("demo", cwd=cwd, text=False)
    text = proc.stdout.decode()
    assert "verified" in text
    assert "SYNTHETIC" in text
    return cwd, text


@pytest.fixture(scope="module")
def demo(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0]


@pytest.fixture(scope="module")
def printed(demo_run: tuple[Path, str]) -> tuple[int, int]:
    """The log size and the number of signed checkpoints, as the demo printed them."""
    text = demo_run[1]
    note = text.split("Latest signed checkpoint", 1)[1].splitlines()
    size = int(note[2])  # the signed note: origin line, then the tree size
    counts = re.search(r"verified: ([\d,]+) entries, ([\d,]+) signed checkpoints", text)
    assert counts is not None, text
    entries, checkpoints = (int(g.replace(",", "")) for g in counts.groups())
    assert entries == size
    return size, checkpoints


def log(demo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return habeas("--db", "sqlite:///habeas-demo/habeas.db", "--key", "habeas-demo/habeas.key", "log", *args,
                  cwd=demo, check=check)


def one_line_error(proc: subprocess.CompletedProcess[bytes], pattern: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert re.search(pattern, err), err


def test_demo_prints_the_checkpoint_and_a_clean_verification(demo: Path, printed: tuple[int, int]) -> None:
    size, checkpoints = printed
    assert (demo / "habeas-demo" / "habeas.key").stat().st_mode & 0o777 == 0o600
    assert log(demo, "verify").stdout.decode().startswith(
        f"OK: entries 0..{size - 1} verified against {checkpoints} signed checkpoints"
    )


def test_a_second_demo_replaces_the_first(demo: Path, tmp_path: Path) -> None:
    # The first demo is the module's, copied (marker, database, key and all): a demo run costs seconds.
    shutil.copytree(demo / "habeas-demo", tmp_path / "d")
    again = habeas("demo", "--dir", str(tmp_path / "d"), "--transactions", "step", cwd=demo)
    assert b"verified" in again.stdout


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious").mkdir()
    one_line_error(habeas("demo", "--dir", "precious", cwd=tmp_path, check=False), "not a habeas demo folder")


def test_key_checkpoint_leaf_and_proof_verify_independently(demo: Path, printed: tuple[int, int]) -> None:
    size, _ = printed
    i = size // 2
    verifier = parse_vkey(log(demo, "key").stdout.decode().strip())
    note = log(demo, "checkpoint").stdout.decode()
    cp = parse_checkpoint(open_note(note, [verifier]).text)
    assert cp.size == size
    leaf = log(demo, "leaf", str(i)).stdout
    assert f'"seq":{i},'.encode() in leaf
    proof = parse_tlog_proof(log(demo, "prove", str(i)).stdout.decode())
    assert verify_tlog_proof(proof, leaf, [verifier]).size == size
    with pytest.raises(merkle.ProofError):
        verify_tlog_proof(proof, leaf.replace(f'"seq":{i},'.encode(), f'"seq":{i + 1},'.encode()), [verifier])


def test_checkpoints_listing_and_consistency_proofs(demo: Path, printed: tuple[int, int]) -> None:
    size, checkpoints = printed
    lines = log(demo, "checkpoints").stdout.decode().splitlines()
    assert len(lines) == checkpoints
    sizes = [int(line.split()[0]) for line in lines]
    assert sizes == sorted(sizes)
    assert len(set(sizes)) == len(sizes)
    assert sizes[-1] == size
    old = log(demo, "checkpoint", "--size", str(sizes[10])).stdout.decode()
    new = log(demo, "checkpoint").stdout.decode()
    verifier = parse_vkey(log(demo, "key").stdout.decode().strip())
    a = parse_checkpoint(open_note(old, [verifier]).text)
    b = parse_checkpoint(open_note(new, [verifier]).text)
    proof = [base64.b64decode(x) for x in log(demo, "prove-consistency", str(a.size)).stdout.split()]
    merkle.verify_consistency(a.size, b.size, a.root, b.root, proof)


def test_verify_from_a_trusted_checkpoint(demo: Path, tmp_path: Path, printed: tuple[int, int]) -> None:
    size, _ = printed
    second = int(log(demo, "checkpoints").stdout.split(b"\n")[1].split()[0])
    (tmp_path / "cp").write_bytes(log(demo, "checkpoint", "--size", str(second)).stdout)
    out = log(demo, "verify", "--from-checkpoint", str(tmp_path / "cp")).stdout.decode()
    assert out.startswith(f"OK: entries {second}..{size - 1}")


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (("leaf", "{beyond}"), r"no leaf at index {beyond}: the log has {size} entries"),
        (("prove", "99999"), r"no leaf 99999 in a tree of size {size}"),
        (("checkpoint", "--size", "3"), r"no checkpoint at size 3"),
        (("prove-consistency", "9", "4"), r"no consistency proof from size 9 to 4"),
        (("verify", "--vkey", "not-a-key"), r"--vkey is not a verifier key"),
        (("verify", "--from-checkpoint", "missing.cp"), r"cannot read the trusted checkpoint missing.cp"),
    ],
)
def test_bad_input_gets_one_line(
    demo: Path, printed: tuple[int, int], args: tuple[str, ...], pattern: str
) -> None:
    values = {"size": printed[0], "beyond": printed[0] + 1000}
    args = tuple(a.format(**values) for a in args)
    one_line_error(log(demo, *args, check=False), pattern.format(**values))


def test_a_malformed_trusted_checkpoint_is_refused(demo: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.cp").write_text("habeas.demo/custody-log\n12\nnot base64\n")
    one_line_error(log(demo, "verify", "--from-checkpoint", str(tmp_path / "bad.cp"), check=False),
                   "trusted checkpoint")


def test_a_wrong_key_fails_verification(demo: Path) -> None:
    other = format_vkey(generate_signer("habeas.demo/custody-log").verifier())
    proc = log(demo, "verify", "--vkey", other, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr.decode()
    assert b"does not verify" in proc.stderr


def test_missing_database_and_key_are_named(tmp_path: Path) -> None:
    # Real processes on purpose: a refusal must reach the shell as exit status 1 and one stderr line from the
    # installed entry point (`run()`), not only from the app under CliRunner.
    one_line_error(real_habeas("--db", "sqlite:///nowhere.db", "log", "checkpoint", cwd=tmp_path, check=False,
                               text=False), "no database at nowhere.db")
    one_line_error(real_habeas("--key", "nokey", "log", "key", cwd=tmp_path, check=False, text=False),
                   "no signing key at nokey")


def test_tampering_is_named_by_verify(demo: Path, tmp_path: Path) -> None:
    shutil.copytree(demo / "habeas-demo", tmp_path / "d")  # a copy of the module's demo, to tamper with
    con = sqlite3.connect(tmp_path / "d" / "habeas.db")
    for trig in ("update", "delete"):
        con.execute(f"DROP TRIGGER ledger_entry_no_{trig}")
    leaf = con.execute("SELECT leaf FROM ledger_entry WHERE seq = 777").fetchone()[0]
    con.execute("UPDATE ledger_entry SET leaf = ? WHERE seq = 777", (leaf.replace(b'"type":"', b'"type":"x'),))
    con.commit()
    con.close()
    proc = habeas("--db", "sqlite:///d/habeas.db", "--key", "d/habeas.key", "log", "verify", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert b"first bad index 777" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_init_is_idempotent_and_never_overwrites_the_key(tmp_path: Path) -> None:
    first = habeas("init", "--origin", "agency.example/log", cwd=tmp_path).stdout
    key = (tmp_path / "habeas.key").read_bytes()
    second = habeas("init", cwd=tmp_path).stdout
    assert (tmp_path / "habeas.key").read_bytes() == key
    assert first.splitlines()[-1] == second.splitlines()[-1]  # the same verifier key
    vkey = (tmp_path / "habeas.key.vkey").read_text().strip()
    assert vkey.startswith("agency.example/log+")
    assert vkey in first.decode()


def test_readme_has_exactly_two_quick_start_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.S)
    assert len(blocks) == 2
    assert all(len(b.strip().splitlines()) == 1 for b in blocks)
    assert "habeas demo" in blocks[0]
    assert "pytest" in blocks[1]


def test_a_leaf_past_the_log_and_a_bad_policy_pack_are_one_line(tmp_path: Path) -> None:
    # Before: an index past what SQLite's integers hold ended in the driver's OverflowError with a traceback,
    # and a read command ran with a HABEAS_POLICY_PACK that names no pack.
    habeas("init", cwd=tmp_path)
    one_line_error(habeas("log", "leaf", "99999999999999999999999", cwd=tmp_path, check=False), r"index")
    one_line_error(habeas("log", "leaf", "5", cwd=tmp_path, check=False),
                   r"no leaf at index 5: the log has no entries yet")
    one_line_error(invoke("manifest", "list", cwd=tmp_path, env={"HABEAS_POLICY_PACK": "nope.yaml"}, text=False),
                   r"policy pack nope\.yaml")
