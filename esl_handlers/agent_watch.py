"""Hearing every agent change on every application server: LISTEN cc_agents on PostgreSQL.

Each agent write notifies `cc_agents` with `<agent_id>:<state>:<version>` in its own transaction
(schema.acd.agent_notify), whichever process or server made it. `AgentChangeWatcher` keeps one
dedicated psycopg 3 connection (autocommit) that runs `LISTEN cc_agents` and blocks in
`connection.notifies()`, psycopg's generator that yields each notification as it arrives: no
polling, no query every N ms.

psycopg blocks its caller, so the connection lives in a real OS thread (the process is not
monkey-patched: `threading` is the operating system's). Changes cross to the gevent hub with
`hub.loop.run_callback_threadsafe(queue.put_nowait, change)`: the one loop call gevent documents
as safe from another thread (since 21.1); it schedules the callback and wakes the loop, whose own
thread then runs it. `put_nowait` on an unbounded gevent queue never blocks, so it is fit to run
as a hub callback; one consumer greenlet takes changes off the queue in order and calls
`on_change`, which may therefore block (read the database through the thread pool, offer a call).

A dropped connection (server restart, pg_terminate_backend, network) ends `notifies()` with an
error; the thread reconnects with capped exponential backoff. After every successful LISTEN,
including the first, `on_change` gets `RESYNC`: notifications sent while nobody listened are
lost, so the board must re-read every agent. TCP keepalives bound how long a silently vanished
network goes unnoticed. `stop()` shuts the socket down under the blocked thread, which wakes it
at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any, Final

import gevent
import gevent.queue
import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from schema.acd.agent_notify import CHANNEL, RESYNC, AgentChange, parse_payload

log = logging.getLogger(__name__)

# Named so an operator (and a test) can find the listening session in pg_stat_activity.
APPLICATION_NAME: Final = "callcenter-agent-watch"
_CONNECT_OPTIONS: Final[dict[str, Any]] = {
    "autocommit": True,
    "application_name": APPLICATION_NAME,
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class WatcherError(Exception):
    """The watcher cannot be used with this database URL."""


class AgentChangeWatcher:
    """Calls `on_change` in a greenlet for each committed agent change, and `RESYNC` after each
    (re)connect. `start` and `stop` are called from the gevent hub's thread."""

    def __init__(
        self,
        database_url: str,
        on_change: Callable[[AgentChange], None],
        *,
        backoff_start: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        self._conninfo, self._shown_url = _libpq_conninfo(database_url)
        self._on_change = on_change
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # guards _connection between the listener thread and stop()
        self._connection: psycopg.Connection[Any] | None = None
        self._thread: threading.Thread | None = None
        self._consumer: gevent.Greenlet[Any] | None = None
        self._queue: gevent.queue.Queue[AgentChange] = gevent.queue.Queue()
        self._hub = gevent.get_hub()

    @property
    def running(self) -> bool:
        """True while the listener thread lives (connected, or waiting to reconnect)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the agent change watcher is already started")
        self._hub = gevent.get_hub()
        self._consumer = gevent.spawn(self._consume)
        self._thread = threading.Thread(target=self._listen_forever, name="agent-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening; changes not yet handed to `on_change` are dropped."""
        self._stopping.set()
        with self._lock:
            if self._connection is not None:
                _wake(self._connection)
        if self._thread is not None:
            self._thread.join(timeout)  # quick: the shut-down socket has already woken the thread
        if self._consumer is not None:
            self._consumer.kill()
            self._consumer = None

    def _listen_forever(self) -> None:
        delay = self._backoff_start
        while not self._stopping.is_set():
            if self._listen_once():
                delay = self._backoff_start
            if self._stopping.wait(delay):
                return
            log.info("agent watch: reconnecting to %s", self._shown_url)
            delay = min(delay * 2, self._backoff_max)

    def _listen_once(self) -> bool:
        """One connection's life: LISTEN, RESYNC, then changes until it drops. True if LISTEN ran."""
        listening = False
        try:
            connection = psycopg.connect(self._conninfo, **_CONNECT_OPTIONS)
        except psycopg.Error as exc:
            log.warning("agent watch: cannot connect to %s: %s", self._shown_url, exc)
            return False
        try:
            with self._lock:
                if self._stopping.is_set():
                    return False
                self._connection = connection
            connection.execute(f"LISTEN {CHANNEL}")
            listening = True
            self._hand_over(RESYNC)
            for notify in connection.notifies():
                self._hand_over_payload(notify.payload)
        except psycopg.Error as exc:
            if not self._stopping.is_set():
                log.warning("agent watch: lost the connection to %s: %s", self._shown_url, exc)
        except Exception:  # never let the thread die: a deaf server would offer no call again
            log.exception("agent watch: unexpected failure; reconnecting")
        finally:
            with self._lock:
                self._connection = None
            connection.close()
        return listening

    def _hand_over_payload(self, payload: str) -> None:
        try:
            change = parse_payload(payload)
        except ValueError as exc:
            log.warning("agent watch: ignored a notification: %s", exc)
            return
        self._hand_over(change)

    def _hand_over(self, change: AgentChange) -> None:
        if not self._stopping.is_set():
            self._hub.loop.run_callback_threadsafe(self._queue.put_nowait, change)

    def _consume(self) -> None:
        while True:
            change = self._queue.get()
            try:
                self._on_change(change)
            except Exception:
                log.exception("agent watch: handling %s failed", change)


def _wake(connection: psycopg.Connection[Any]) -> None:
    """Shut down the connection's socket so the thread blocked reading it wakes with an error.

    A duplicate of the descriptor is shut down, not closed under the thread: shutdown acts on the
    socket itself, and the thread closes its own connection afterwards.
    """
    try:
        with socket.socket(fileno=os.dup(connection.fileno())) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: the thread is on its way out anyway


def _libpq_conninfo(database_url: str) -> tuple[str, str]:
    """The libpq URI psycopg takes for a SQLAlchemy PostgreSQL URL, and the URL to show in logs."""
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise WatcherError(f"not a database URL: {exc}") from exc
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise WatcherError(
            f"agent change notifications need PostgreSQL, not {url.get_backend_name()}; "
            "on SQLite the control socket (esl_handlers.control) wakes the server"
        )
    libpq = url.set(drivername="postgresql")
    return libpq.render_as_string(hide_password=False), libpq.render_as_string(hide_password=True)
