"""The outbound socket against hostile peers, over real TCP: allow-list, frame size, frame deadline,
and the global budget of bytes held by partial frames (docs/reliability.md, "The outbound socket")."""

from __future__ import annotations

import contextlib
import logging
import os
import time

import gevent
import pytest
from gevent import socket

from esl_handlers.connection import RECV_SIZE
from esl_handlers.esl_channel import EslChannel
from esl_handlers.socket_limits import OutboundLimits
from tests.support.outbound_servers import Serve
from tests.support.standin import CallScript

pytestmark = pytest.mark.wire

MIB = 1024 * 1024


def _answer_and_hang_up(channel: EslChannel) -> None:
    channel.answer()
    channel.hangup()


def _dial(address: tuple[str, int], source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.connect(address)
    return sock


def _read_until_closed(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes (or resets: it closed with our bytes unread);
    raises gevent.Timeout if it does not close."""
    received = b""
    with gevent.Timeout(timeout), contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(RECV_SIZE):
            received += chunk
    return received


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_a_peer_outside_the_allow_list_is_closed_unserved_and_logged_once(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[EslChannel] = []
    server, _ = serve(called.append)  # the default allow-list: 127.0.0.1
    caplog.set_level(logging.WARNING, logger="esl_handlers.outbound_server")

    for _ in range(5):
        with _dial(server.address, source="127.0.0.2") as sock:
            sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK\n\n")
            assert _read_until_closed(sock, timeout=2.0) == b""  # not even `connect` was sent

    assert called == []
    assert server.refused_peers == 5
    refusals = [record for record in caplog.records if "127.0.0.2" in record.getMessage()]
    assert len(refusals) == 1


def test_a_listed_peer_is_still_served(serve: Serve) -> None:
    server, switch = serve(_answer_and_hang_up, limits=OutboundLimits(allowed_peers=("127.0.0.0/8",)))
    call = switch.run_call(CallScript())
    assert [app for app, _ in call.executed] == ["answer"]
    assert server.refused_peers == 0


def test_a_frame_over_the_maximum_closes_the_connection_at_once(serve: Serve) -> None:
    server, _ = serve(_answer_and_hang_up, command_timeout=30.0)
    with _dial(server.address) as sock:
        assert sock.recv(RECV_SIZE) == b"connect\n\n"
        sock.sendall(b"Content-Type: api/response\nContent-Length: %d\n\n" % (MIB + 1))
        assert _read_until_closed(sock, timeout=2.0) == b""


def test_a_frame_trickled_past_the_deadline_drops_the_peer(serve: Serve) -> None:
    server, _ = serve(_answer_and_hang_up, command_timeout=30.0, limits=OutboundLimits(frame_deadline=0.5))
    with _dial(server.address) as sock:
        assert sock.recv(RECV_SIZE) == b"connect\n\n"
        sock.sendall(b"Content-Type: api/response\nContent-Length: 100\n\n")
        started = time.monotonic()
        closed = False
        with gevent.Timeout(3.0):
            while not closed:
                try:
                    sock.sendall(b"x")  # one byte every 50 ms: alive, but never a whole frame
                    gevent.sleep(0.05)
                except OSError:
                    closed = True
        assert 0.4 < time.monotonic() - started < 2.0


def test_a_hundred_hostile_peers_stay_within_the_budget_while_a_call_is_served(serve: Serve) -> None:
    budget = 8 * MIB
    server, switch = serve(
        _answer_and_hang_up,
        command_timeout=30.0,
        limits=OutboundLimits(buffer_budget_bytes=budget, frame_deadline=30.0),
    )
    header = b"Content-Type: api/response\nContent-Length: 1000000\n\n"
    body_part = b"x" * 900_000  # one byte string shared by every peer: the test's side costs nothing
    rss_before = _rss_bytes()

    def hostile() -> socket.socket:
        sock = _dial(server.address)
        try:
            sock.recv(RECV_SIZE)
            sock.sendall(header)
            sock.sendall(body_part)
        except OSError:
            pass  # dropped over the budget: what the test wants
        return sock

    peers = [gevent.spawn(hostile) for _ in range(100)]
    try:
        gevent.joinall(peers, timeout=20.0, raise_error=True)
        gevent.sleep(0.2)
        rss_grown = _rss_bytes() - rss_before
        call = switch.run_call(CallScript())
    finally:
        for peer in peers:
            if peer.value is not None:
                peer.value.close()

    assert [app for app, _ in call.executed] == ["answer"]
    assert server.peak_held_bytes <= budget + RECV_SIZE
    assert server.held_bytes <= budget
    assert rss_grown < 40 * MIB, f"RSS grew by {rss_grown / MIB:.0f} MiB"
