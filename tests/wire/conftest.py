"""Fixtures of the wire tier: an outbound server on an ephemeral port, with a stand-in switch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.outbound_servers import OutboundServers, Serve


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(handler, **options) -> (OutboundServer on 127.0.0.1:<free port>, switch calling it)."""
    servers = OutboundServers()
    yield servers.start
    servers.stop_all()
