"""Local ports for SIPp, test switches and their servers: random, free when handed out, and never in the
kernel's ephemeral range.

A port taken with bind(("127.0.0.1", 0)) comes from the ephemeral range (32768-60999 on Linux), the
range every outgoing connection also takes its local port from; between the probe and the real bind,
another program's connection may take it (seen when two test runs share a machine: a FreeSWITCH
profile could not bind its SIP port). Listening ports are therefore drawn from 10000-15999, below
FreeSWITCH's RTP range (16384 up) and the ephemeral range, and SIPp's media from 40000-49999.

`CALLCENTER_PORT_BLOCK=i/n` (set by tests/run_tiers.py for each of its parallel runs) gives a run only
the i-th of n equal slices of each range, so runs side by side never draw the same port.
"""

from __future__ import annotations

import os
import random
import socket
from collections import deque
from collections.abc import Sequence

PORT_BLOCK_ENV = "CALLCENTER_PORT_BLOCK"
LISTEN_PORTS = range(10000, 16000)
MEDIA_PORTS = range(40000, 50000)
_RECENT = 256  # ports handed out lately, not handed out again before their owner has bound them
_recent: deque[int] = deque(maxlen=_RECENT)


def block_of(ports: range, setting: str | None) -> range:
    """The slice of `ports` that `setting` ("i/n", 0-based) gives this process; all of it when unset."""
    if not setting:
        return ports
    try:
        index, count = (int(part) for part in setting.split("/"))
    except ValueError:
        raise ValueError(f"{PORT_BLOCK_ENV} must be i/n, e.g. 1/3, got {setting!r}") from None
    if not 0 <= index < count:
        raise ValueError(f"{PORT_BLOCK_ENV}: need 0 <= i < n, got {setting!r}")
    size = len(ports) // count
    return range(ports.start + index * size, ports.start + (index + 1) * size)


def _free(host: str, port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port(
    host: str = "127.0.0.1",
    *,
    kinds: Sequence[int] = (socket.SOCK_DGRAM,),
    span: int = 1,
    step: int = 1,
    ports: range = LISTEN_PORTS,
) -> int:
    """A port of this process's block of `ports` (a multiple of `step`) free for every socket kind in
    `kinds`, with the `span - 1` ports above it free too; not one handed out lately."""
    block = block_of(ports, os.environ.get(PORT_BLOCK_ENV))
    first = block.start + (-block.start % step)
    candidates = list(range(first, block.stop - span + 1, step))
    random.shuffle(candidates)
    for base in candidates:
        taken = range(base, base + span)
        if any(port in _recent for port in taken):
            continue
        if all(_free(host, port, kind) for port in taken for kind in kinds):
            _recent.extend(taken)
            return base
    raise OSError(f"no free ports on {host} in {block.start}-{block.stop - 1}")


def free_udp_port(host: str = "127.0.0.1") -> int:
    return free_port(host)


def free_tcp_port(host: str = "127.0.0.1") -> int:
    return free_port(host, kinds=(socket.SOCK_STREAM,))


def free_sip_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP: sofia listens on both."""
    return free_port(host, kinds=(socket.SOCK_DGRAM, socket.SOCK_STREAM))


def free_media_port(host: str = "127.0.0.1") -> int:
    """An even port whose pair and the pair two above (SIPp's RTP echo uses both) are free."""
    return free_port(host, span=4, step=2, ports=MEDIA_PORTS)
