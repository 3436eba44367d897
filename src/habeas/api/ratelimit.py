"""A token bucket per client, in memory: the public locator's rate limit, and the login's.

Each client (its address, from habeas.api.client_address: X-Forwarded-For counts only from a trusted proxy) has
a bucket of ``burst`` tokens refilled at ``per_second``; a request takes one token or is refused with the time
until the next token. The buckets live in one process: behind several workers each
worker limits on its own, so the effective limit is the worker count times this one (the benchmark and the
deployment notes say so).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from habeas.api.client_address import client_address
from habeas.api.context import state_of
from habeas.api.problems import ApiProblem

DEFAULT_RATE = (20, 1.0)
ENV_RATE = "HABEAS_LOCATOR_RATE"
MAX_CLIENTS = 100_000  # buckets kept before the full ones are dropped: a full bucket is the same as none

log = logging.getLogger("habeas.api")


@dataclass
class RateLimiter:
    burst: int
    per_second: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # client -> (tokens, at)
    # Handlers run in a thread pool: read-modify-write of a bucket must not interleave.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.burst < 1 or not self.per_second > 0 or not math.isfinite(self.per_second):
            raise ValueError(f"a rate limit needs burst >= 1 and per_second > 0, not {self.burst}/{self.per_second}")

    def take(self, client: str) -> float | None:
        """Take one token for ``client``: None when allowed, else the seconds until a token is back."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > MAX_CLIENTS:
                    self._prune(now)
                return None
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.per_second

    def _prune(self, now: float) -> None:
        full = [c for c, (tokens, at) in self._buckets.items() if tokens + (now - at) * self.per_second >= self.burst]
        for client in full:
            del self._buckets[client]


def parse_rate(text: str) -> tuple[int, float]:
    """``"burst/per_second"``, as in ``HABEAS_LOCATOR_RATE=20/1``."""
    burst_s, sep, rate_s = text.strip().partition("/")
    if not sep:
        raise ValueError(f"{ENV_RATE}={text!r}: expected burst/per_second, such as 20/1")
    burst, rate = int(burst_s), float(rate_s)
    RateLimiter(burst, rate)  # the same checks as the limiter itself
    return burst, rate


def configured_rate(extras: dict[str, Any]) -> tuple[int, float]:
    """The app's ``rate_limit=(burst, per_second)``, else ``HABEAS_LOCATOR_RATE``, else the default."""
    given = extras.get("rate_limit")
    if given is not None:
        burst, rate = given
        return int(burst), float(rate)
    env = os.environ.get(ENV_RATE)
    if env is None:
        return DEFAULT_RATE
    try:
        return parse_rate(env)
    except ValueError:
        # A public endpoint must keep answering: a typo in the setting is reported loudly, not turned into 500s.
        log.exception("%s=%r is not burst/per_second; using %s/%s", ENV_RATE, env, *DEFAULT_RATE)
        return DEFAULT_RATE


def per_client(name: str, what: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency that spends one of the client's tokens for ``name`` (a limiter of its own), or answers 429.

    It runs before the parameters are checked, so malformed requests spend tokens too.
    """

    async def dependency(request: Request) -> None:
        spend(request, name, what)

    return dependency


def spend(request: Request, name: str, what: str, address: str | None = None) -> None:
    """Spend one of the client's tokens for ``name``, or refuse with 429 and the time until the next token. What
    :func:`per_client` does, for a route that checks its own parameters and must spend the token first (and
    may pass the client's ``address`` it has already worked out)."""
    limiter = limiter_for(state_of(request).extras, name)
    wait = limiter.take(client_address(request) if address is None else address)
    if wait is not None:
        retry = max(1, math.ceil(wait))
        raise ApiProblem(
            429, "rate-limited", "Too many requests",
            f"{what} answers {limiter.burst} requests at once and {limiter.per_second:g} a second per client; "
            f"retry in {retry} s",
            headers={"Retry-After": str(retry)}, retry_after=retry,
        )


def limiter_for(extras: dict[str, Any], name: str) -> RateLimiter:
    """The app's limiter called ``name``, made on first use and kept in the app's extras."""
    key = f"{name}_limiter"
    found = extras.get(key)
    if isinstance(found, RateLimiter):
        return found
    # setdefault is atomic: two first requests racing both get the one limiter that was stored.
    limiter: RateLimiter = extras.setdefault(key, RateLimiter(*configured_rate(extras)))
    return limiter
