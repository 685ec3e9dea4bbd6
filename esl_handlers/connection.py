"""A thin gevent layer over the ESL codec: one socket, one reader greenlet, FIFO replies.

FreeSWITCH answers the commands of one connection strictly in order, each with exactly one
command/reply or api/response frame, so replies are matched to requests first in, first out.
Every other frame (events, disconnect notices, auth requests) goes to `on_frame`, called in the
reader greenlet: it must not block. A protocol error or the peer closing ends this connection
only; every pending and later request then fails with `ConnectionClosed`.

With a `ReadBudget` the bytes of the partial frame the parser holds are counted in it after every
read (the budget may close this or another connection); with a `frame_deadline` a frame whose
first byte has arrived must be complete within that many seconds, or the connection is closed.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

import gevent
from gevent import socket as gsocket
from gevent.event import AsyncResult, Event
from gevent.lock import Semaphore

from esl_handlers.codec import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    EslError,
    EslParser,
    Frame,
    ProtocolError,
    RudeRejection,
    auth,
)
from esl_handlers.socket_limits import ReadBudget

log = logging.getLogger(__name__)

RECV_SIZE = 65536

Reply = CommandReply | ApiResponse
_R = TypeVar("_R", CommandReply, ApiResponse)


class ConnectionClosed(EslError):
    """The ESL connection is gone (peer closed, protocol error, or closed locally)."""


class CommandTimeout(EslError):
    """FreeSWITCH did not take or answer a command in time."""


class AuthenticationFailed(EslError):
    """FreeSWITCH refused the ESL password."""


class EslConnection:
    def __init__(
        self,
        sock: socket.socket,
        *,
        name: str,
        on_frame: Callable[[Frame], None],
        on_close: Callable[[str], None] | None = None,
        parser: EslParser | None = None,
        budget: ReadBudget | None = None,
        frame_deadline: float | None = None,
    ) -> None:
        self.name = name
        self._sock = sock
        self._on_frame = on_frame
        self._on_close = on_close
        self._parser = parser if parser is not None else EslParser()
        self._pending: deque[AsyncResult] = deque()
        self._write_lock = Semaphore()
        self._closed = Event()
        self._close_reason = ""
        self._reader: gevent.Greenlet | None = None
        self._budget = budget
        self._frame_deadline = frame_deadline
        self._frame_started = 0.0

    @property
    def closed(self) -> bool:
        return bool(self._closed.is_set())

    @property
    def close_reason(self) -> str:
        return self._close_reason

    def start(self) -> None:
        self._reader = gevent.spawn(self._read_loop)

    def wait_closed(self, timeout: float | None = None) -> bool:
        return bool(self._closed.wait(timeout))

    def command(self, data: bytes, timeout: float) -> CommandReply:
        return self._typed_request(data, timeout, CommandReply)

    def api(self, data: bytes, timeout: float) -> ApiResponse:
        return self._typed_request(data, timeout, ApiResponse)

    def request(self, data: bytes, timeout: float) -> Reply:
        """Send one command and wait for its reply (whichever kind)."""
        if self.closed:
            raise ConnectionClosed(f"{self.name}: {self._close_reason}")
        waiter = AsyncResult()
        with self._write_lock:
            self._pending.append(waiter)
            try:
                with gevent.Timeout(timeout, CommandTimeout(f"{self.name}: sending a command timed out")):
                    self._sock.sendall(data)
            except CommandTimeout:
                # Part of the command may be on the wire: the stream can no longer be trusted.
                self.close("send timed out")
                raise
            except OSError as exc:
                self.close(f"send failed: {exc}")
                raise ConnectionClosed(f"{self.name}: send failed: {exc}") from exc
        try:
            reply: Reply = waiter.get(timeout=timeout)
        except gevent.Timeout:
            # The waiter stays queued, so the late reply is consumed in order and dropped.
            raise CommandTimeout(f"{self.name}: no reply within {timeout:g} s") from None
        return reply

    def close(self, reason: str = "closed locally") -> None:
        if self.closed:
            return
        self._close_reason = reason
        self._closed.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._parser.discard()
        if self._budget is not None:
            self._budget.release(self)
        while self._pending:
            waiter = self._pending.popleft()
            if not waiter.ready():
                waiter.set_exception(ConnectionClosed(f"{self.name}: {reason}"))
        if self._on_close is not None:
            try:
                self._on_close(reason)
            except Exception:
                log.exception("%s: close handler failed", self.name)

    def _typed_request(self, data: bytes, timeout: float, kind: type[_R]) -> _R:
        reply = self.request(data, timeout)
        if not isinstance(reply, kind):
            self.close(f"expected {kind.__name__}, got {type(reply).__name__}")
            raise ConnectionClosed(f"{self.name}: replies out of step ({type(reply).__name__})")
        return reply

    def _read_loop(self) -> None:
        parser = self._parser
        while not self.closed:
            data = self._receive()
            if data is None:
                return
            if not data:
                try:
                    parser.feed_eof()
                except ProtocolError as exc:
                    self.close(f"closed by FreeSWITCH mid-frame: {exc}")
                else:
                    self.close("closed by FreeSWITCH")
                return
            was_partial = parser.buffered_bytes > 0
            try:
                frames = parser.feed(data)
            except ProtocolError as exc:
                log.warning("%s: protocol error, dropping the connection: %s", self.name, exc)
                self.close(f"protocol error: {exc}")
                return
            if not was_partial or frames:
                self._frame_started = time.monotonic()
            if self._budget is not None:
                self._budget.hold(self, parser.buffered_bytes)
            for frame in frames:
                self._dispatch(frame)

    def _receive(self) -> bytes | None:
        """The next bytes (b"" at the peer's close); None when this connection was closed instead."""
        deadline = self._frame_deadline
        if deadline is None or not self._parser.buffered_bytes:
            return self._recv()
        remaining = self._frame_started + deadline - time.monotonic()
        timer = gevent.Timeout.start_new(max(remaining, 0.0))
        try:
            return self._recv()
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            log.warning("%s: a frame not complete within %gs, dropping the connection", self.name, deadline)
            self.close(f"frame not complete within {deadline:g} s")
            return None
        finally:
            timer.close()

    def _recv(self) -> bytes | None:
        try:
            return self._sock.recv(RECV_SIZE)
        except OSError as exc:
            self.close(f"receive failed: {exc}")
            return None

    def _dispatch(self, frame: Frame) -> None:
        if isinstance(frame, CommandReply | ApiResponse):
            if not self._pending:
                log.warning("%s: reply without a pending command: %r", self.name, frame)
                return
            waiter = self._pending.popleft()
            if not waiter.ready():
                waiter.set(frame)
            return
        try:
            self._on_frame(frame)
        except Exception:
            log.exception("%s: frame handler failed", self.name)


def open_inbound(
    host: str,
    port: int,
    password: str,
    *,
    on_frame: Callable[[Frame], None],
    on_close: Callable[[str], None] | None = None,
    connect_timeout: float = 5.0,
    command_timeout: float = 5.0,
) -> EslConnection:
    """Connect to mod_event_socket and authenticate; the one place inbound clients log in.

    FreeSWITCH greets with auth/request, answers `auth` with "+OK accepted" or "-ERR invalid"
    (then a disconnect notice), and refuses a host outside its ACL with text/rude-rejection.
    Raises AuthenticationFailed, EslError or OSError; the password is never logged.
    """
    where = f"{host}:{port}"
    sock = connect_tcp(host, port, connect_timeout)
    sock.settimeout(None)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    asked = Event()

    def frames(frame: Frame) -> None:
        if isinstance(frame, AuthRequest):
            asked.set()
        elif isinstance(frame, RudeRejection):
            log.error("FreeSWITCH ESL at %s refused this host (ACL): %s", where, frame.body.strip())
        else:
            on_frame(frame)

    def closed(reason: str) -> None:
        asked.set()
        if on_close is not None:
            on_close(reason)

    conn = EslConnection(sock, name=f"event socket {where}", on_frame=frames, on_close=closed)
    conn.start()
    try:
        if not asked.wait(command_timeout) or conn.closed:
            raise EslError(conn.close_reason or "no auth request from FreeSWITCH")
        reply = conn.command(auth(password), command_timeout)
        if not reply.ok:
            raise AuthenticationFailed(reply.reply_text)
    except BaseException:
        conn.close("login failed")
        raise
    return conn


def connect_tcp(host: str, port: int, timeout: float) -> gsocket.socket:
    """A TCP connection to `host`; a numeric address is connected to without name resolution.

    gevent resolves names, and even numeric addresses under `create_connection`, in the hub's thread
    pool, where the database work of calls runs: with that pool full (a locked database), an ESL
    connect would wait behind it. FreeSWITCH's address is almost always numeric (127.0.0.1)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        sock = gsocket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect((host, port))
        except BaseException:
            sock.close()
            raise
        return sock
    return gsocket.create_connection((host, port), timeout=timeout)
