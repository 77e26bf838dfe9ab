"""The client's address: the peer, or what a trusted proxy says the peer was (docs/auth.md)."""

import ipaddress
from functools import cache

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, networks: tuple[Network, ...]
) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request: Request) -> str:
    """The peer's address, unless the peer is a configured proxy: then the right-most address
    in X-Forwarded-For that is not itself a configured proxy (the left part is whatever the
    client wrote, so it is never believed)."""
    peer = request.client.host if request.client else "unknown"
    networks = _networks(tuple(request.app.state.settings.trusted_proxies))
    if not _trusted(_ip(peer), networks):
        return peer
    hops = [hop for value in request.headers.getlist("x-forwarded-for") for hop in value.split(",")]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return peer  # a proxy we trust would not write this: count the proxy itself
        if not _trusted(address, networks):
            return str(address)
    return peer
