"""How long `habeas` takes to answer, as a person at a terminal runs it: a real process each time.

Side by side with the floor under it, in the same run: the interpreter alone (``python -c pass``), the interpreter
importing Typer (what any Typer command pays), and ``benchmarks/cli_floor.py``, the smallest Typer + SQLAlchemy +
Rich program with the read command's options that reads the same database (what any such command pays). Targets
(issue 11): ``habeas --help`` <= 0.3 s, a read command <= 0.5 s; the part habeas adds to a read is what is left
over the floor.
``python -m benchmarks --only cli`` runs it and writes results-cli.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
FLOOR = Path(__file__).with_name("cli_floor.py")


def _median(argv: list[str], cwd: Path) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks --only cli")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args(argv)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        subprocess.run([py, "-m", "habeas", "init"], cwd=cwd, check=True, capture_output=True)
        rows = [
            ("python -c pass (the floor)", [py, "-c", "pass"], None),
            ("python -c 'import typer'", [py, "-c", "import typer"], None),
            ("habeas --help", [py, "-m", "habeas", "--help"], 0.3),
            ("habeas person --help", [py, "-m", "habeas", "person", "--help"], None),
            ("Typer+SQLAlchemy floor of a read", [py, str(FLOOR), "--db", "sqlite:///habeas.db", "list"], None),
            ("habeas facility list (a read)", [py, "-m", "habeas", "facility", "list"], 0.5),
        ]
        results = [{"command": name, "median_s": _median(cmd, cwd), "target_s": target} for name, cmd, target in rows]
    floor = results[0]["median_s"]
    for r in results:
        target = r["target_s"]
        verdict = "" if target is None else ("  PASS" if r["median_s"] <= target else "  FAIL")
        print(f"{r['command']:32} {r['median_s']:6.3f} s  {r['median_s'] / floor:5.1f}x the floor{verdict}")
    by_name = {r["command"]: r["median_s"] for r in results}
    own = by_name["habeas facility list (a read)"] - by_name["Typer+SQLAlchemy floor of a read"]
    print(f"habeas's own part of a read: {own:.3f} s over the floor of the same parts")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results-cli.json").write_text(json.dumps({"runs": RUNS, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
