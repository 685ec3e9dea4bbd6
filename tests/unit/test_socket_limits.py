"""The outbound socket's guards in isolation: the shared byte budget, the allow-list, the refusal
log, and the parser's count of held bytes (tests/wire/test_outbound_socket_guard.py: over TCP)."""

from __future__ import annotations

import logging

import pytest

from esl_handlers.codec import EslParser, ProtocolError
from esl_handlers.peer_allow_list import PeerAllowList, RefusalLog
from esl_handlers.socket_limits import OutboundLimits, ReadBudget


class _Peer:
    def __init__(self) -> None:
        self.closed_because: str | None = None

    def close(self, reason: str = "closed locally") -> None:
        self.closed_because = reason


def test_the_budget_drops_the_largest_holder_when_the_total_passes_it() -> None:
    budget = ReadBudget(limit=100)
    small, large, newcomer = _Peer(), _Peer(), _Peer()
    budget.hold(small, 20)
    budget.hold(large, 70)
    budget.hold(newcomer, 30)
    assert large.closed_because is not None
    assert "100-byte budget" in large.closed_because
    assert (small.closed_because, newcomer.closed_because) == (None, None)
    assert (budget.total, budget.peak, budget.dropped) == (50, 120, 1)


def test_a_holder_that_completes_its_frame_or_leaves_frees_its_share() -> None:
    budget = ReadBudget(limit=100)
    first, second = _Peer(), _Peer()
    budget.hold(first, 60)
    budget.hold(first, 0)
    budget.hold(second, 90)
    assert budget.total == 90
    budget.release(second)
    assert budget.total == 0
    assert (first.closed_because, second.closed_because) == (None, None)


def test_limits_must_be_positive_and_name_a_peer() -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        OutboundLimits(max_body_bytes=0)
    with pytest.raises(ValueError, match="buffer_budget_bytes"):
        OutboundLimits(buffer_budget_bytes=-1)
    with pytest.raises(ValueError, match="frame_deadline"):
        OutboundLimits(frame_deadline=0.0)
    with pytest.raises(ValueError, match="allowed peer"):
        OutboundLimits(allowed_peers=())


def test_the_allow_list_takes_addresses_networks_names_and_mapped_ipv4() -> None:
    allowed = PeerAllowList(["192.0.2.7", "10.1.0.0/16", "localhost"])
    assert allowed.allows("192.0.2.7")
    assert allowed.allows("10.1.200.3")
    assert allowed.allows("127.0.0.1")
    assert allowed.allows("::ffff:192.0.2.7")
    assert not allowed.allows("192.0.2.8")
    assert not allowed.allows("127.0.0.2")
    assert not allowed.allows("not an address")


def test_an_unknown_allowed_peer_is_named() -> None:
    with pytest.raises(ValueError, match=r"no-such-host\.invalid"):
        PeerAllowList(["no-such-host.invalid"])


def test_refusals_are_logged_once_per_interval_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    refusals = RefusalLog(logging.getLogger("test.refusals"), interval=60.0, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="test.refusals")
    for _ in range(50):
        refusals.refused_peer("198.51.100.9", ("127.0.0.1",))
    now[0] += 61.0
    refusals.refused_peer("198.51.100.10", ("127.0.0.1",))
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2
    assert "198.51.100.9" in lines[0]
    assert "1 refusal(s)" in lines[0]
    assert "198.51.100.10" in lines[1]
    assert "50 refusal(s)" in lines[1]
    assert refusals.refused == 51


def test_the_parser_holds_only_the_incomplete_frame_and_frees_it_on_discard() -> None:
    parser = EslParser(max_body=1000)
    frames = parser.feed(b"Content-Type: api/response\nContent-Length: 2\n\nokContent-Type: api/resp")
    assert len(frames) == 1
    assert parser.buffered_bytes == len(b"Content-Type: api/resp")
    parser.discard()
    assert parser.buffered_bytes == 0
    with pytest.raises(ProtocolError):
        parser.feed(b"onse\n\n")
