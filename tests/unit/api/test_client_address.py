"""Whose address a request is, from its peer and X-Forwarded-For (no server: the rule itself)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from habeas.api.client_address import BadTrustedProxy, TrustedProxies
from habeas.services.logins import lock_for

PROXY = TrustedProxies.parse(["10.0.0.5", "10.1.0.0/16", "fd00::/8"])


def test_with_no_trusted_proxy_the_header_is_ignored() -> None:
    assert TrustedProxies().client("127.0.0.1", ["198.51.100.7"]) == "127.0.0.1"


def test_from_an_untrusted_peer_the_header_is_ignored() -> None:
    assert PROXY.client("192.0.2.1", ["198.51.100.7"]) == "192.0.2.1"


@pytest.mark.parametrize(
    ("header", "client"),
    [
        (["198.51.100.7"], "198.51.100.7"),
        # Whatever the client wrote left of what the proxy appended is not believed.
        (["6.6.6.6, 198.51.100.7"], "198.51.100.7"),
        # A chain of trusted proxies is walked past; header lines are joined in order.
        (["6.6.6.6", "198.51.100.7, 10.1.2.3"], "198.51.100.7"),
        (["198.51.100.7:4711"], "198.51.100.7"),
        (["[2001:db8::1]:443"], "2001:db8::1"),
        # Not an address: the request counts as the nearest proxy's.
        (["198.51.100.7, unknown"], "10.0.0.5"),
        (["_hidden, 10.1.0.9"], "10.1.0.9"),
        # Every hop a trusted proxy: the farthest of them.
        (["10.1.0.9, 10.1.0.8"], "10.1.0.9"),
        ([], "10.0.0.5"),
    ],
)
def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client(header: list[str], client: str) -> None:
    assert PROXY.client("10.0.0.5", header) == client


def test_a_dual_stack_peer_is_matched_as_ipv4_and_ipv6_networks_work() -> None:
    assert PROXY.client("::ffff:10.0.0.5", ["198.51.100.7"]) == "198.51.100.7"
    assert PROXY.client("fd00::1", ["2001:db8::9"]) == "2001:db8::9"


def test_the_setting_round_trips_and_refuses_names() -> None:
    assert TrustedProxies.parse(PROXY.as_text().split(",")) == PROXY
    with pytest.raises(BadTrustedProxy, match=r"--trusted-proxy 'proxy\.example' is not an IP address"):
        TrustedProxies.parse(["proxy.example"])


def test_the_lock_doubles_from_the_fifth_failure_to_15_minutes() -> None:
    assert [lock_for(n).total_seconds() for n in range(1, 9)] == [0, 0, 0, 0, 1, 2, 4, 8]
    assert lock_for(15) == lock_for(10_000) == timedelta(minutes=15)
