"""The load side of the locator benchmark: ``habeas serve`` as a subprocess, wrk and its report, the machine.

wrk (https://github.com/wg/wrk, Debian package ``wrk``) keeps a fixed number of HTTP/1.1 keep-alive connections
busy (a closed loop: a connection sends its next request when the answer to the last one is in), so its latencies
are those of a server under exactly that many concurrent clients. benchmarks/locator.lua picks each request's path
and counts the answers by status.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
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
        with urllib.request.urlopen(url, timeout=10) as r:
            return int(r.status), r.read().decode()
    except urllib.error.HTTPError as e:
        return int(e.code), e.read().decode(errors="replace")


class Server:
    """``habeas serve`` on a free loopback port, as a subprocess; stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, env: dict[str, str], workers: int | None, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
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
            self.proc.wait(15)
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


def wrk(
    base: str, paths: Path, seconds: int, server: Server | None = None, *, connections: int = CONNECTIONS
) -> dict[str, Any]:
    """One wrk run of ``seconds``; with ``server``, also the CPU the server used. Fewer connections than wrk
    threads would leave threads idle, so one connection gets one thread."""
    cmd = [
        "wrk",
        "--latency",
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
        "--",
        str(paths),
    ]
    load_before, (busy0, idle0) = os.getloadavg(), _cpu_busy_idle()
    cpu0, wall0 = (server.cpu_seconds() if server else 0.0), time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    cpu = (server.cpu_seconds() - cpu0) if server else float("nan")
    wall = time.monotonic() - wall0
    busy1, idle1 = _cpu_busy_idle()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    row = parse_wrk(proc.stdout)
    row.update(
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


def machine(pg_url: str | None) -> dict[str, Any]:
    """The ledger benchmarks' machine facts, and the load generator's and web stack's versions."""
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return {
        **report.machine(pg_url),
        "wrk": (wrk_v.stdout or wrk_v.stderr).splitlines()[0].strip(),
        "uvicorn": report.version("uvicorn"),
        "fastapi": report.version("fastapi"),
    }
