"""Hearing what every application server commits: LISTEN on PostgreSQL, one thread per watcher.

Writers notify a channel in the transaction that makes a change (schema.acd.agent_notify's
`cc_agents`, schema.acd.queue_notify's `cc_queue_stats`), whichever process or server made it.
`NotifyWatcher` keeps one dedicated psycopg 3 connection (autocommit) that runs `LISTEN` on each of
its channels and blocks in `connection.notifies()`, psycopg's generator that yields each notification
as it arrives: no polling, no query every N ms. Each `Channel` names its parser (a payload it cannot
parse is logged and ignored), its handler, and the value meaning "resync". The ACD's agent watch
(esl_handlers.agent_watch) and the live statistics (esl_handlers.live_stats_feed) are two watchers.

psycopg blocks its caller, so the connection lives in a real OS thread (the process is not
monkey-patched: `threading` is the operating system's). Changes cross to the gevent hub with
`hub.loop.run_callback_threadsafe(queue.put_nowait, change)`: the one loop call gevent documents
as safe from another thread (since 21.1); it schedules the callback and wakes the loop, whose own
thread then runs it. `put_nowait` on an unbounded gevent queue never blocks, so it is fit to run
as a hub callback; one consumer greenlet takes changes off the queue in order and calls the
channel's handler, which may therefore block (read the database through the thread pool, offer a call).

A dropped connection (server restart, pg_terminate_backend, network) ends `notifies()` with an
error; the thread reconnects with capped exponential backoff. After every successful LISTEN,
including the first, each channel's handler gets its resync value: notifications sent while nobody
listened are lost, so the handler must re-read the database. LISTEN runs before that read, so nothing
committed in between is missed (it may be heard twice: handlers tolerate that). TCP keepalives bound
how long a silently vanished network goes unnoticed. `stop()` shuts the socket down under the blocked
thread, which wakes it at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

import gevent
import gevent.queue
import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_CONNECT_OPTIONS: Final[dict[str, Any]] = {
    "autocommit": True,
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class WatcherError(Exception):
    """The watcher cannot be used with this database URL."""


@dataclass(frozen=True)
class Channel(Generic[_T]):
    """One channel listened to: `parse` turns a payload into a value (ValueError if it cannot),
    `handle` is called with each value, and with `resync` after every (re)connect."""

    name: str
    parse: Callable[[str], _T]
    handle: Callable[[_T], None]
    resync: _T


class NotifyWatcher:
    """Calls each channel's handler in a greenlet, in order, for each committed notification, and with
    its resync value after each (re)connect. `start` and `stop` are called from the gevent hub's thread.
    `application_name` names the session in pg_stat_activity, so an operator (and a test) can find it."""

    def __init__(
        self,
        database_url: str,
        channels: Sequence[Channel[Any]],
        *,
        application_name: str,
        backoff_start: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        if not channels:
            raise WatcherError("a watcher needs at least one channel")
        self._conninfo, self._shown_url = _libpq_conninfo(database_url)
        self._channels = {channel.name: channel for channel in channels}
        self._application_name = application_name
        self.log_name = application_name.removeprefix("callcenter-").replace("-", " ")
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # guards _connection between the listener thread and stop()
        self._connection: psycopg.Connection[Any] | None = None
        self._thread: threading.Thread | None = None
        self._consumer: gevent.Greenlet[Any] | None = None
        self._queue: gevent.queue.Queue[tuple[Channel[Any], Any] | None] = gevent.queue.Queue()
        self._hub = gevent.get_hub()

    @property
    def running(self) -> bool:
        """True while the listener thread lives (connected, or waiting to reconnect)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"the {self.log_name} watcher is already started")
        self._hub = gevent.get_hub()
        self._consumer = gevent.spawn(self._consume)
        self._thread = threading.Thread(target=self._listen_forever, name=self._application_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening; notifications not yet handed to a handler are dropped."""
        self._stopping.set()
        with self._lock:
            if self._connection is not None:
                _wake(self._connection)
        if self._thread is not None:
            self._thread.join(timeout)  # quick: the shut-down socket has already woken the thread
        if self._consumer is not None:
            # A handler may be reading the database in a thread: killing its greenlet would leave that
            # read running past the stop, holding a pooled connection the caller may be disposing of.
            self._queue.put_nowait(None)
            self._consumer.join(timeout)
            self._consumer.kill()
            self._consumer = None

    def _listen_forever(self) -> None:
        delay = self._backoff_start
        while not self._stopping.is_set():
            if self._listen_once():
                delay = self._backoff_start
            if self._stopping.wait(delay):
                return
            log.info("%s: reconnecting to %s", self.log_name, self._shown_url)
            delay = min(delay * 2, self._backoff_max)

    def _listen_once(self) -> bool:
        """One connection's life: LISTEN, resync, then notifications until it drops. True if LISTEN ran."""
        listening = False
        try:
            connection = psycopg.connect(
                self._conninfo, application_name=self._application_name, **_CONNECT_OPTIONS
            )
        except psycopg.Error as exc:
            log.warning("%s: cannot connect to %s: %s", self.log_name, self._shown_url, exc)
            return False
        try:
            with self._lock:
                if self._stopping.is_set():
                    return False
                self._connection = connection
            for name in self._channels:
                connection.execute(f"LISTEN {name}")
            listening = True
            for channel in self._channels.values():
                self._hand_over(channel, channel.resync)
            for notify in connection.notifies():
                self._hand_over_payload(notify.channel, notify.payload)
        except psycopg.Error as exc:
            if not self._stopping.is_set():
                log.warning("%s: lost the connection to %s: %s", self.log_name, self._shown_url, exc)
        except Exception:  # never let the thread die: a deaf server would offer no call again
            log.exception("%s: unexpected failure; reconnecting", self.log_name)
        finally:
            with self._lock:
                self._connection = None
            connection.close()
        return listening

    def _hand_over_payload(self, name: str, payload: str) -> None:
        channel = self._channels.get(name)
        if channel is None:
            return
        try:
            value = channel.parse(payload)
        except ValueError as exc:
            log.warning("%s: ignored a notification on %s: %s", self.log_name, name, exc)
            return
        self._hand_over(channel, value)

    def _hand_over(self, channel: Channel[Any], value: Any) -> None:
        if not self._stopping.is_set():
            self._hub.loop.run_callback_threadsafe(self._queue.put_nowait, (channel, value))

    def _consume(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._stopping.is_set():
                return
            channel, value = item
            try:
                channel.handle(value)
            except Exception:
                log.exception("%s: handling %s failed", self.log_name, value)


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
            f"change notifications need PostgreSQL, not {url.get_backend_name()}; "
            "on SQLite there is one server (the control socket, esl_handlers.control, wakes it)"
        )
    libpq = url.set(drivername="postgresql")
    return libpq.render_as_string(hide_password=False), libpq.render_as_string(hide_password=True)
