"""The address a request comes from: what the per-address rate limits and the access log key on.

It is the connection's peer, unless the peer is a proxy named in configuration (``habeas serve --trusted-proxy``
or ``HABEAS_TRUSTED_PROXIES``; none by default). Behind a trusted proxy it is the address that proxy put in
``X-Forwarded-For``: walking the header from the right, past the addresses of trusted proxies, the first one
that is not a trusted proxy is the client (anything left of it the client may have written itself).

Only ``X-Forwarded-For`` is read, the header proxies append to (nginx ``$proxy_add_x_forwarded_for``, HAProxy
``option forwardfor``, Caddy, cloud load balancers). ``Forwarded`` (RFC 7239) is not: a proxy that sets one
header passes the other through as the client sent it, so believing both would believe the client.

This is the one place forwarded headers are read: ``habeas serve`` turns uvicorn's own reading off (uvicorn
trusts ``X-Forwarded-For`` from 127.0.0.1 by default, so anyone on the host, or any local proxy that passes the
header through, could choose their address).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from habeas.api.context import state_of
from habeas.domain.errors import HabeasError

ENV_TRUSTED = "HABEAS_TRUSTED_PROXIES"
EXTRA = "trusted_proxies"  # create_app(..., trusted_proxies=[...]): addresses or networks, or a TrustedProxies
UNKNOWN = "unknown"  # no peer address (a Unix socket): every such request is one client

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BadTrustedProxy(HabeasError):
    """A trusted proxy that is not an IP address or network."""

    def __init__(self, entry: str, source: str) -> None:
        self.entry = entry
        super().__init__(
            f"{source} {entry[:80]!r} is not an IP address or network (such as 10.0.0.5 or 10.0.0.0/24); "
            "name each proxy in front of habeas that sets X-Forwarded-For"
        )


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as X-Forwarded-For or a peer gives it (``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``, ``::1``)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str], source: str = "--trusted-proxy") -> TrustedProxies:
        """Addresses and networks; ``source`` names where they came from in the error for a bad one."""
        networks = []
        for entry in entries:
            if not entry.strip():
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise BadTrustedProxy(entry.strip(), source) from None
        return cls(tuple(networks))

    @classmethod
    def from_environment(cls) -> TrustedProxies:
        """``HABEAS_TRUSTED_PROXIES``: addresses and networks separated by commas; none when unset."""
        return cls.parse(os.environ.get(ENV_TRUSTED, "").split(","), ENV_TRUSTED)

    def as_text(self) -> str:
        """The form :meth:`from_environment` reads (how ``habeas serve`` hands them to its workers)."""
        return ",".join(str(n) for n in self.networks)

    def trusts(self, address: str) -> bool:
        if not self.networks:  # no proxy named (the usual case): no need to parse the address of every request
            return False
        ip = _ip(address)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket's IPv4 peer, ::ffff:10.0.0.5
        return ip is not None and any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded_for: Sequence[str]) -> str:
        """The client of a connection from ``peer`` that carried these ``X-Forwarded-For`` header values."""
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        nearest = peer
        for hop in reversed(hops):
            ip = _ip(hop)
            if ip is None:
                # A trusted proxy should only ever append addresses: something else is not believed, and the
                # request counts as the nearest proxy's (its limit shared by everyone behind it, which fails safe).
                return nearest
            if not self.trusts(str(ip)):
                return str(ip)
            nearest = str(ip)
        return nearest  # every hop a trusted proxy: the request began at the farthest of them


def trusted_of(extras: dict[str, Any]) -> TrustedProxies:
    """The app's trusted proxies (``create_app(..., trusted_proxies=...)``), parsed once and kept."""
    given = extras.get(EXTRA)
    if isinstance(given, TrustedProxies):
        return given
    parsed = TrustedProxies.parse(given or ())
    extras[EXTRA] = parsed
    return parsed


def client_address(request: Request) -> str:
    """The address of the client that sent ``request``, as the rate limits and the access log know it."""
    peer = request.client.host if request.client is not None else UNKNOWN
    return trusted_of(state_of(request).extras).client(peer, request.headers.getlist("x-forwarded-for"))
