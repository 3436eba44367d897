"""The load side of the locator benchmark: ``habeas serve`` as a subprocess, wrk and its report, the machine.

wrk (https://github.com/wg/wrk, Debian package ``wrk``) keeps a fixed number of HTTP/1.1 keep-alive connections
busy (a closed loop: a connection sends its next request when the answer to the last one is in), so its latencies
are those of a server under exactly that many concurrent clients. benchmarks/locator.lua picks each request's path
and counts the answers by status.

Without wrk, :func:`load` falls back to the same closed loop written here (``python -m benchmarks.loadgen run``,
asyncio, one process): it reports the same figures, but it is Python, so it needs more of the machine's CPU for
the same load than wrk does, and on a 2-CPU machine that CPU is the server's. Each result says which generator
made it. ``python -m benchmarks.loadgen serve-profiled`` runs the API under yappi (if installed) for
``benchmarks.locator --profile``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import report

CONNECTIONS, WRK_THREADS = 50, 2
LUA = Path(__file__).with_name("locator.lua")
INSTALL_WRK = "wrk is not installed: `apt-get install wrk` (Debian/Ubuntu), then run this again"


class WrkMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:  # the first /openapi.json builds the document
            return int(r.status), r.read().decode()
    except urllib.error.HTTPError as e:
        return int(e.code), e.read().decode(errors="replace")


class Server:
    """``habeas serve`` on a free loopback port, as a subprocess; stopped (SIGTERM, then SIGKILL) on exit.

    ``profile``: the API alone (one worker) under yappi instead, its profile written to that file on exit."""

    def __init__(self, env: dict[str, str], workers: int | None, log: Path, profile: Path | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        if profile is not None:
            cmd = [sys.executable, "-m", "benchmarks.loadgen", "serve-profiled", str(self.port), str(profile)]
        else:
            cmd = [sys.executable, "-m", "habeas", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            # --allow-owner: the benchmark connects as the database's owner (on PostgreSQL, the superuser it seeds as).
            cmd += ["--log-level", "warning", "--allow-owner", *(["--workers", str(workers)] if workers else [])]
        self.command = cmd
        self.log = log
        self._log = log.open("w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"habeas serve exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            try:
                if get(self.base + "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"habeas serve did not answer /healthz within 60 s: {self.log.read_text()[-2000:]}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its worker processes (the database server's is not in it)."""
        parents: dict[int, int] = {}
        ticks: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended while we looked
                continue
            parents[int(entry.name)] = int(fields[1])
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime + stime
        tree, grown = {self.proc.pid}, True
        while grown:
            more = {pid for pid, parent in parents.items() if parent in tree} - tree
            tree |= more
            grown = bool(more)
        return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *_: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


_UNIT_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}


def _duration_us(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if m is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * _UNIT_US[m.group(2)]


def parse_wrk(out: str) -> dict[str, Any]:
    """wrk's text report (p50, p99, requests/s, non-2xx) and the script's exact counts (``LOCATOR_JSON``)."""
    pct = {int(m.group(1)): _duration_us(m.group(2)) for m in re.finditer(r"^\s+(\d+)%\s+(\S+)\s*$", out, re.M)}
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    script = re.search(r"^LOCATOR_JSON (.*)$", out, re.M)
    if rps is None or 50 not in pct or 99 not in pct or script is None:
        raise RuntimeError(f"cannot read wrk's report:\n{out}")
    exact = json.loads(script.group(1))
    statuses = {int(k): v for k, v in exact["statuses"].items()}
    return {
        "requests_per_s": float(rps.group(1)),
        "p50_ms": pct[50] / 1e3,
        "p75_ms": pct.get(75, float("nan")) / 1e3,
        "p90_ms": pct.get(90, float("nan")) / 1e3,
        "p99_ms": pct[99] / 1e3,
        "max_ms": exact["max_us"] / 1e3,
        "requests": exact["requests"],
        "seconds": exact["duration_us"] / 1e6,
        "statuses": statuses,
        "non_2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300),
        "wrk_non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True))
        if sock
        else {"connect": 0, "read": 0, "write": 0, "timeout": 0},
    }


def _cpu_busy_idle() -> tuple[int, int]:
    """All CPUs' busy and idle jiffies since boot (/proc/stat), for the machine's share busy during a run."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle, idle


def load(
    base: str, paths: Path, seconds: int, server: Server | None = None, *, connections: int = CONNECTIONS
) -> dict[str, Any]:
    """One run of ``seconds`` with wrk, or without it the Python closed loop (:func:`run_closed_loop`); with
    ``server``, also the CPU the server used. Fewer connections than wrk threads would leave threads idle, so one
    connection gets one thread."""
    if shutil.which("wrk") is not None:
        cmd = [
            "wrk", "--latency", f"-t{min(WRK_THREADS, connections)}", f"-c{connections}", f"-d{seconds}s",
            "--timeout", "10s", "-s", str(LUA), base, "--", str(paths),
        ]
        generator = "wrk"
    else:
        cmd = [
            sys.executable, "-m", "benchmarks.loadgen", "run", "--url", base, "--paths", str(paths),
            "--connections", str(connections), "--seconds", str(seconds),
        ]
        generator = "benchmarks/loadgen.py (Python; wrk is not installed)"
    load_before, (busy0, idle0) = os.getloadavg(), _cpu_busy_idle()
    cpu0, wall0 = (server.cpu_seconds() if server else 0.0), time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    cpu = (server.cpu_seconds() - cpu0) if server else float("nan")
    wall = time.monotonic() - wall0
    busy1, idle1 = _cpu_busy_idle()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    row = parse_wrk(proc.stdout) if generator == "wrk" else parse_closed_loop(proc.stdout)
    row.update(
        generator=generator,
        connections=connections,
        load_before=load_before,
        load_after=os.getloadavg(),
        machine_busy=(busy1 - busy0) / max(1, (busy1 - busy0) + (idle1 - idle0)),
        server_cpu_cores=cpu / wall,
        server_cpu_ms_per_request=cpu / max(1, row["requests"]) * 1e3,
        command=" ".join(cmd),
        report=proc.stdout,
    )
    return row


wrk = load  # the name the benchmark had when wrk was the only generator


# --- the Python closed loop (when wrk is missing) -----------------------------------------------------------------


async def _connection(
    host: str, port: int, paths: list[str], *, deadline: float, rng: random.Random, out: dict[str, Any]
) -> None:
    """One keep-alive connection sending its next request when the last answer is in, until ``deadline``."""
    reader, writer = await asyncio.open_connection(host, port)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    latencies, statuses = out["latencies"], out["statuses"]
    try:
        while time.monotonic() < deadline:
            request = f"GET {rng.choice(paths)} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
            started = time.perf_counter_ns()
            writer.write(request)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter_ns() - started) // 1000)
            statuses[str(status)] += 1
    except (ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
        out["errors"] += 1
    finally:
        writer.close()


async def _closed_loop(url: str, paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
    host, _, port = url.removeprefix("http://").partition(":")
    out: dict[str, Any] = {"latencies": [], "statuses": Counter(), "errors": 0}
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(
        _connection(host, int(port), paths, deadline=deadline, rng=random.Random(k), out=out)
        for k in range(connections)
    ))
    out["duration_us"] = int((time.perf_counter() - started) * 1e6)
    return out


def run_closed_loop(url: str, paths_file: Path, connections: int, seconds: float) -> dict[str, Any]:
    """What wrk's report and benchmarks/locator.lua give, from the Python closed loop."""
    paths = [line for line in paths_file.read_text().splitlines() if line]
    out = asyncio.run(_closed_loop(url, paths, connections, seconds))
    latencies = sorted(out["latencies"])
    if not latencies:
        raise RuntimeError(f"no answer from {url} in {seconds} s")

    def pct(p: float) -> int:
        return int(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))])

    return {
        "duration_us": out["duration_us"], "requests": len(latencies), "p50_us": pct(50), "p75_us": pct(75),
        "p90_us": pct(90), "p99_us": pct(99), "max_us": latencies[-1], "statuses": dict(out["statuses"]),
        "errors": out["errors"],
    }


def parse_closed_loop(out: str) -> dict[str, Any]:
    """The closed loop's JSON line as :func:`parse_wrk` gives wrk's report."""
    exact = json.loads(out.strip().splitlines()[-1])
    statuses = {int(k): v for k, v in exact["statuses"].items()}
    seconds = exact["duration_us"] / 1e6
    return {
        "requests_per_s": exact["requests"] / seconds,
        "p50_ms": exact["p50_us"] / 1e3,
        "p75_ms": exact["p75_us"] / 1e3,
        "p90_ms": exact["p90_us"] / 1e3,
        "p99_ms": exact["p99_us"] / 1e3,
        "max_ms": exact["max_us"] / 1e3,
        "requests": exact["requests"],
        "seconds": seconds,
        "statuses": statuses,
        "non_2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300),
        "wrk_non_2xx_3xx": 0,
        "socket_errors": {"connect": 0, "read": exact["errors"], "write": 0, "timeout": 0},
    }


# --- the floor under a logged lookup: one durable commit ----------------------------------------------------------


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": ordered[len(ordered) // 2] * 1e3,
        "p99_ms": ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)] * 1e3,
        "commits": len(ordered),
    }


def commit_latency_sqlite(path: Path, commits: int) -> dict[str, float]:
    """One row inserted and committed, ``commits`` times, in a scratch SQLite file opened as habeas opens its own
    (storage/engine.py: WAL, synchronous=FULL): what any durable answer waits for at least, on this disk."""
    import sqlite3

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE floor (id INTEGER PRIMARY KEY, at TEXT NOT NULL)")
        took = []
        for _ in range(commits):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO floor (at) VALUES (?)", (time.time(),))
            conn.execute("COMMIT")
            took.append(time.perf_counter() - started)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return _percentiles(took)


def commit_latency_postgres(url: str, schema: str, commits: int) -> dict[str, float]:
    """The same on PostgreSQL: a row inserted and committed (the server's own synchronous_commit), over loopback."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}".floor (id bigserial PRIMARY KEY, at double precision NOT NULL)')
        try:
            took = []
            insert = f'INSERT INTO "{schema}".floor (at) VALUES (%s)'
            for _ in range(commits):
                started = time.perf_counter()
                with conn.transaction():
                    conn.execute(insert, (time.time(),))
                took.append(time.perf_counter() - started)
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return _percentiles(took)


def postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


# --- the API under a profiler (benchmarks.locator --profile) ------------------------------------------------------


def serve_profiled(port: int, out: Path) -> None:
    """The API of HABEAS_DATABASE_URL on ``port`` under yappi (CPU clock, every thread) until SIGTERM; then the
    profile, in pstats form, in ``out``. uvicorn runs in a thread, so that this thread can stop it and save."""
    import uvicorn
    import yappi  # type: ignore[import-untyped]  # measuring only: `pip install yappi` (not a dependency)

    from habeas.api.app import app_from_env

    app = app_from_env()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    yappi.set_clock_type("cpu")
    yappi.start()
    thread = threading.Thread(target=server.run)
    thread.start()
    signal.sigwait({signal.SIGTERM})
    server.should_exit = True
    thread.join()
    yappi.stop()
    yappi.get_func_stats().save(str(out), type="pstat")


def profile_summary(stats_file: Path, endpoint_file: str, endpoint: str, top: int = 20) -> list[str]:
    """A profile's own time by package (per request of ``endpoint``, in ``endpoint_file``) and its top functions."""
    import pstats

    stats: dict[Any, Any] = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
    requests = max(
        (calls for (file, _, name), (_, calls, *_) in stats.items()
         if file.endswith(endpoint_file) and name == endpoint),
        default=1,
    )
    by_package: Counter[str] = Counter()
    for (file, _, _), (_, _, own, *_) in stats.items():
        found = re.search(r"site-packages/([^/]+)", file) or re.search(r"src/(habeas/[^/]+(?:/[^/.]+)?)", file)
        by_package[found.group(1) if found else Path(file).name] += own
    total = sum(by_package.values())
    lines = [f"{requests:,} requests; own CPU time by package, share of all (yappi's own overhead included):"]
    lines += [f"{share / total:6.1%}  {name}" for name, share in by_package.most_common(top)]
    lines.append("top functions by own time:")
    ranked = sorted(stats.items(), key=lambda item: -item[1][2])[:top]
    for (file, line, name), (_, calls, own, cumulative, _) in ranked:
        lines.append(f"{own / total:6.1%}  {calls:>8,} calls  {name} ({Path(file).name}:{line}), cumulative "
                     f"{cumulative / total:.1%}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadgen", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    run = sub.add_parser("run", help="the closed loop wrk would run; one JSON line of results")
    run.add_argument("--url", required=True)
    run.add_argument("--paths", type=Path, required=True, help="a file of request paths, one a line")
    run.add_argument("--connections", type=int, default=CONNECTIONS)
    run.add_argument("--seconds", type=float, default=10)
    prof = sub.add_parser("serve-profiled", help="the API under yappi until SIGTERM")
    prof.add_argument("port", type=int)
    prof.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.what == "run":
        print(json.dumps(run_closed_loop(args.url, args.paths, args.connections, args.seconds)))
    else:
        serve_profiled(args.port, args.out)
    return 0


def machine(pg_url: str | None) -> dict[str, Any]:
    """The ledger benchmarks' machine facts, and the load generator's and web stack's versions."""
    generator = "benchmarks/loadgen.py (wrk is not installed)"
    if shutil.which("wrk") is not None:
        wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        generator = (wrk_v.stdout or wrk_v.stderr).splitlines()[0].strip()
    return {
        **report.machine(pg_url),
        "wrk": generator,
        "uvicorn": report.version("uvicorn"),
        "fastapi": report.version("fastapi"),
    }


if __name__ == "__main__":
    sys.exit(main())
