"""The application server's local control socket: wake-ups from `callcenter agent ...` on this machine.

On SQLite there is one application server and no NOTIFY, and the CLI runs as its own process: after
an agent command changed an agent, the CLI sends one datagram `agent <id>` to the server's unix
socket (settings.control_socket, var/control.sock), and the server hands an `AgentChange` naming
that agent to the same `on_change` the PostgreSQL watcher feeds. The message carries no state:
the board re-reads the agent's row, so a duplicate or a late datagram cannot mislead it.

Datagrams (SOCK_DGRAM) keep both sides trivial: no connection to accept or hang, one message per
datagram, and sending to a socket nobody listens on fails at once. The client is best effort: no
server running means nothing happens. The socket file is mode 0600; a malformed datagram is
logged and ignored.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import gevent
import gevent.socket

from schema.acd.agent_notify import AgentChange
from schema.acd.records import check_agent_id
from schema.errors import RecordRejected

log = logging.getLogger(__name__)

MAX_DATAGRAM: Final = 512
_PREFIX: Final = "agent "


class ControlSocketError(Exception):
    """The control socket cannot be opened (path in use by a running server, too long, no access)."""


def parse_message(data: bytes) -> AgentChange:
    """The change a control datagram announces; ValueError unless it is `agent <id>` (one optional
    trailing newline). The id is the rest of the line, spaces included."""
    try:
        line = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("not UTF-8") from exc
    line = line.removesuffix("\n")
    if not line.startswith(_PREFIX) or "\n" in line:
        raise ValueError(f"expected 'agent <id>', got {line[:80]!r}")
    agent_id = line[len(_PREFIX) :]
    try:
        check_agent_id(agent_id)
    except RecordRejected as exc:
        raise ValueError(str(exc)) from exc
    return AgentChange(agent_id=agent_id)


def send_agent_changed(path: Path, agent_id: str) -> bool:
    """Tell the local application server, if one listens on `path`, that `agent_id` changed.

    Best effort and never blocking: returns False (and says nothing) when no server listens, the
    socket is missing or full. Plain blocking-module sockets, so the CLI needs no gevent hub.
    """
    message = f"{_PREFIX}{agent_id}\n".encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            sender.sendto(message, os.fspath(path))
    except OSError:  # missing file, nobody bound (refused), buffer full, path too long
        return False
    return True


class ControlServer:
    """Receives control datagrams on `path` and calls `on_change` for each, in one greenlet."""

    def __init__(self, path: Path, on_change: Callable[[AgentChange], None]) -> None:
        self._path = path
        self._on_change = on_change
        self._socket: gevent.socket.socket | None = None
        self._greenlet: gevent.Greenlet[Any] | None = None

    @property
    def path(self) -> Path:
        return self._path

    def start(self) -> None:
        """Bind the socket (taking over a stale file a dead server left) and start receiving."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(self._path)
        receiver = gevent.socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            receiver.bind(os.fspath(self._path))
            os.chmod(self._path, 0o600)
        except OSError as exc:
            receiver.close()
            raise ControlSocketError(f"cannot open the control socket {self._path}: {exc}") from exc
        self._socket = receiver
        self._greenlet = gevent.spawn(self._receive_forever, receiver)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()

    def _receive_forever(self, receiver: gevent.socket.socket) -> None:
        while True:
            data = receiver.recv(MAX_DATAGRAM)
            try:
                change = parse_message(data)
            except ValueError as exc:
                log.warning("control socket: ignored a malformed message: %s", exc)
                continue
            try:
                self._on_change(change)
            except Exception:
                log.exception("control socket: handling the change of agent %s failed", change.agent_id)


def _remove_stale(path: Path) -> None:
    """Unlink a socket file nobody is bound to; refuse to take one a running server holds."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ControlSocketError(f"{path} exists and is not a socket; remove it or change CALLCENTER_VAR_DIR")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(os.fspath(path))
        except ConnectionRefusedError:
            path.unlink()
            return
        except OSError as exc:
            raise ControlSocketError(f"cannot use the control socket {path}: {exc}") from exc
    raise ControlSocketError(f"another application server is listening on {path}")
