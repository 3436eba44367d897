"""The locator's token bucket, on a clock the test moves."""

from __future__ import annotations

import pytest

from habeas.api import ratelimit
from habeas.api.ratelimit import RateLimiter, configured_rate, limiter_for, parse_rate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_token_a_period() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 0.5, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    assert limiter.take("a") == pytest.approx(2.0)  # one token every 2 s
    clock.now += 1.0
    assert limiter.take("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.take("a") is None
    assert limiter.take("a") == pytest.approx(2.0)


def test_clients_have_their_own_buckets_and_refill_only_to_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 1.0, clock=clock)
    assert [limiter.take("a"), limiter.take("a"), limiter.take("b")] == [None, None, None]
    assert limiter.take("a") is not None
    clock.now += 1_000
    assert [limiter.take("a"), limiter.take("a")] == [None, None]
    assert limiter.take("a") is not None


def test_full_buckets_are_dropped_when_there_are_too_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_CLIENTS", 3)
    clock = Clock()
    limiter = RateLimiter(1, 1.0, clock=clock)
    for client in "abc":
        limiter.take(client)
    clock.now += 10
    limiter.take("d")  # the fourth client: a, b and c have refilled and go
    assert list(limiter._buckets) == ["d"]


@pytest.mark.parametrize("text", ["20", "x/1", "0/1", "5/0", "5/-1", "5/inf"])
def test_a_bad_setting_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - int(), float() and the limiter each word it their way
        parse_rate(text)


def test_the_setting_comes_from_the_app_then_the_environment_then_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ratelimit.ENV_RATE, raising=False)
    assert configured_rate({}) == ratelimit.DEFAULT_RATE
    monkeypatch.setenv(ratelimit.ENV_RATE, "50/2.5")
    assert configured_rate({}) == (50, 2.5)
    assert configured_rate({"rate_limit": (3, 0.001)}) == (3, 0.001)


def test_one_limiter_an_app() -> None:
    extras: dict[str, object] = {"rate_limit": (3, 1.0)}
    first = limiter_for(extras, "locator")
    assert limiter_for(extras, "locator") is first
    assert (first.burst, first.per_second) == (3, 1.0)


def test_a_bad_environment_setting_is_logged_and_the_default_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ratelimit.ENV_RATE, "twenty")
    assert configured_rate({}) == ratelimit.DEFAULT_RATE
    assert "HABEAS_LOCATOR_RATE='twenty' is not burst/per_second" in caplog.text
