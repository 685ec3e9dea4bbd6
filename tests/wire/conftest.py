"""Fixtures of the wire tier: an outbound server on an ephemeral port, with a stand-in switch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from esl_handlers.outbound_server import Handler, OutboundServer
from tests.wire.standin import OutboundSwitch

Serve = Callable[..., tuple[OutboundServer, OutboundSwitch]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """serve(handler, **options) -> (OutboundServer on 127.0.0.1:<free port>, switch calling it)."""
    servers: list[OutboundServer] = []

    def start(handler: Handler, **options: Any) -> tuple[OutboundServer, OutboundSwitch]:
        settings: dict[str, Any] = {"command_timeout": 5.0, "linger_timeout": 5.0, **options}
        server = OutboundServer(handler, port=0, **settings)
        server.start()
        servers.append(server)
        return server, OutboundSwitch(server.address)

    yield start
    for server in servers:
        server.stop(timeout=1.0)
