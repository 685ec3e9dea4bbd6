"""The inbound ESL client: subscribes to FreeSWITCH's call events and hands each one on.

It connects to mod_event_socket (127.0.0.1:8021 by default), authenticates, subscribes with
`event plain ...`, and calls `on_event(event)` for every event in the reader greenlet. That
callback must not block: FreeSWITCH drops a listener that falls 500 events behind, so the
database side queues and batches (esl_handlers.db_writer).

On any failure or close it reconnects with capped, jittered exponential backoff. A wrong
password is reported as such and retried slowly. The password is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from typing import Final, Literal

import gevent
from gevent.event import Event

from esl_handlers.codec import DisconnectNotice, EslError, Frame, event, exit_, filter_
from esl_handlers.codec import Event as EslEvent
from esl_handlers.connection import AuthenticationFailed, EslConnection, open_inbound

log = logging.getLogger(__name__)

DEFAULT_EVENTS: Final = ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE")

__all__ = ["DEFAULT_EVENTS", "AuthenticationFailed", "EventListener"]


class EventListener:
    def __init__(
        self,
        on_event: Callable[[EslEvent], None],
        host: str = "127.0.0.1",
        port: int = 8021,
        password: str = "ClueCon",  # noqa: S107 - FreeSWITCH's own default (event_socket.conf.xml)
        events: Sequence[str] = DEFAULT_EVENTS,
        *,
        event_format: Literal["plain", "json"] = "plain",
        connect_timeout: float = 5.0,
        command_timeout: float = 5.0,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        retry_after_auth_failure: float = 60.0,
        filters: Sequence[tuple[str, str]] = (),
        on_session: Callable[[EslConnection], None] | None = None,
        on_lost: Callable[[str], None] | None = None,
        purpose: str = "call events",
    ) -> None:
        """`filters`: `filter <header> <value>` after the subscription (FreeSWITCH then sends only
        events matching one of them). `on_session(conn)` runs as each session's connection opens,
        before the subscription, so it is there for the first event (it must not block);
        `on_lost(reason)` runs when a subscribed session ends."""
        self._on_event = on_event
        self._filters = tuple(filter_(header, value) for header, value in filters)
        self._on_session = on_session
        self._on_lost = on_lost
        self._purpose = purpose
        self._host = host
        self._port = port
        self._password = password
        self._subscribe = event(event_format, events)
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._retry_after_auth_failure = retry_after_auth_failure
        self._stopping = Event()
        self._connected = Event()
        self._conn: EslConnection | None = None
        self._runner: gevent.Greenlet | None = None
        self.sessions = 0
        """How many times a subscription was established (1 + reconnections)."""

    @property
    def connected(self) -> bool:
        return bool(self._connected.is_set())

    @property
    def where(self) -> str:
        return f"{self._host}:{self._port}"

    def start(self) -> None:
        if self._runner is None:
            self._stopping.clear()
            self._runner = gevent.spawn(self._run)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        conn = self._conn
        if conn is not None and not conn.closed:
            with contextlib.suppress(EslError):
                conn.command(exit_(), min(timeout, self._command_timeout))
            conn.close("listener stopped")
        if self._runner is not None:
            self._runner.join(timeout)
            self._runner.kill(block=False)
            self._runner = None

    def wait_connected(self, timeout: float | None = None) -> bool:
        return bool(self._connected.wait(timeout))

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self._session()
                failures = 0
                delay = self._backoff(failures)
                if not self._stopping.is_set():
                    log.warning("lost FreeSWITCH ESL at %s; waiting (retry in %.1fs)", self.where, delay)
            except AuthenticationFailed:
                delay = self._retry_after_auth_failure
                log.error(
                    "FreeSWITCH ESL at %s rejected the password; check the event socket password "
                    "in the settings (retry in %.0fs)",
                    self.where,
                    delay,
                )
            except (OSError, EslError) as exc:
                delay = self._backoff(failures)
                failures += 1
                log.warning("waiting for FreeSWITCH ESL at %s (retry in %.1fs): %s", self.where, delay, exc)
            finally:
                self._connected.clear()
                self._conn = None
            self._stopping.wait(delay)

    def _session(self) -> None:
        def on_frame(frame: Frame) -> None:
            if isinstance(frame, EslEvent):
                self._deliver(frame)
            elif isinstance(frame, DisconnectNotice):
                log.debug("FreeSWITCH ESL at %s: disconnect notice", self.where)

        conn = open_inbound(
            self._host,
            self._port,
            self._password,
            on_frame=on_frame,
            connect_timeout=self._connect_timeout,
            command_timeout=self._command_timeout,
        )
        self._conn = conn
        if self._on_session is not None:
            self._on_session(conn)
        try:
            for command in (self._subscribe, *self._filters):
                reply = conn.command(command, self._command_timeout)
                if not reply.ok:
                    raise EslError(f"{command.decode().strip()} refused: {reply.reply_text}")
            self.sessions += 1
            self._connected.set()
            log.info("connected to FreeSWITCH ESL at %s for %s", self.where, self._purpose)
            conn.wait_closed()
        finally:
            conn.close("session over")
            if self._on_lost is not None and self._connected.is_set():
                self._on_lost(conn.close_reason)

    def _deliver(self, frame: EslEvent) -> None:
        try:
            self._on_event(frame)
        except Exception:
            log.exception("event handler failed on %s", frame.name)

    def _backoff(self, failures: int) -> float:
        ceiling = min(self._retry_max, self._retry_initial * (2**failures))
        return float(ceiling / 2 + random.uniform(0, ceiling / 2))
