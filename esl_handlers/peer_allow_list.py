"""Who may connect to the outbound socket, and a refusal log that cannot flood.

Entries are addresses, networks (CIDR) or host names; names are resolved once, when the list is
built. An IPv4 peer seen on an IPv6 socket (::ffff:a.b.c.d) is matched as IPv4.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Final

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

REFUSAL_LOG_INTERVAL: Final = 60.0


def _networks(entry: str) -> list[IpNetwork]:
    try:
        return [ipaddress.ip_network(entry, strict=False)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(entry, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ValueError(f"allowed peer {entry!r} is neither an address, a network nor a known host") from exc
    return [ipaddress.ip_network(str(info[4][0])) for info in found]


class PeerAllowList:
    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = tuple(entries)
        self._networks = [network for entry in self.entries for network in _networks(entry)]

    def allows(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
            peer = peer.ipv4_mapped
        return any(peer in network for network in self._networks)


class RefusalLog:
    """Logs a refused peer at most once per `interval` seconds, with the count since the last line."""

    def __init__(
        self,
        log: logging.Logger,
        interval: float = REFUSAL_LOG_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._interval = interval
        self._clock = clock
        self._next_at = 0.0
        self._unlogged = 0
        self.refused = 0

    def refused_peer(self, address: str, allowed: tuple[str, ...]) -> None:
        self.refused += 1
        self._unlogged += 1
        now = self._clock()
        if now < self._next_at:
            return
        self._log.warning(
            "outbound socket: refused %s (not in the allowed peers %s); %d refusal(s) since the last "
            "such line, next one in %gs at the earliest",
            address,
            ", ".join(allowed),
            self._unlogged,
            self._interval,
        )
        self._unlogged = 0
        self._next_at = now + self._interval
