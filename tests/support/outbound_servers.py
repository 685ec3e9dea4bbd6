"""Outbound servers on ephemeral ports, each with a stand-in switch calling it (the wire tier's `serve`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from esl_handlers.outbound_server import Handler, OutboundServer
from tests.support.standin import OutboundSwitch

Serve = Callable[..., tuple[OutboundServer, OutboundSwitch]]


class OutboundServers:
    """Starts servers on 127.0.0.1:<free port> and stops every one it started."""

    def __init__(self) -> None:
        self._servers: list[OutboundServer] = []

    def start(self, handler: Handler, **options: Any) -> tuple[OutboundServer, OutboundSwitch]:
        settings: dict[str, Any] = {"command_timeout": 5.0, "linger_timeout": 5.0, **options}
        server = OutboundServer(handler, port=0, **settings)
        server.start()
        self._servers.append(server)
        return server, OutboundSwitch(server.address)

    def stop_all(self) -> None:
        for server in self._servers:
            server.stop(timeout=1.0)
