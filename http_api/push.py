"""Server-sent events to agents' open sessions: the screen pop arrives the moment the ACD offers a call.

`PushHub` keeps, per agent id, the sessions that have `GET /api/events` open (an agent may have
several: a desktop and a tablet). `publish` puts a message on each of their queues and returns how
many it reached; it never blocks. A queue is bounded: when a client reads too slowly the oldest
message is dropped and counted (`dropped`), because a screen pop is only worth anything now.

The hub lives in the gevent hub's thread: publish from greenlets of the same process (gevent
queues are not thread-safe).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import gevent.queue

log = logging.getLogger(__name__)

SCREENPOP_EVENT: Final = "screenpop"
_EVENT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the three line ends SSE knows


@dataclass(frozen=True, slots=True)
class PushMessage:
    event: str
    data: str

    def encode(self) -> bytes:
        """The message as an SSE frame: one `data:` line per line of data, then a blank line."""
        lines = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(self.data))
        return f"event: {self.event}\n{lines}\n".encode()


_CLOSED: Final = PushMessage("", "")  # a sentinel: the hub is closing, the stream ends


class Subscription:
    """One open session's queue."""

    def __init__(self, hub: PushHub, agent_id: str, size: int) -> None:
        self.agent_id = agent_id
        self.dropped = 0
        self._hub = hub
        self._queue: gevent.queue.Queue[PushMessage] = gevent.queue.Queue(maxsize=size)

    def offer(self, message: PushMessage) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            self._hub.dropped += 1
            log.warning(
                "agent %s: a slow event stream lost a message (%d so far)", self.agent_id, self.dropped
            )
        self._queue.put_nowait(message)

    def next_message(self, timeout: float) -> PushMessage | None:
        """The next message, or None when `timeout` seconds pass without one."""
        try:
            message: PushMessage = self._queue.get(timeout=timeout)
        except gevent.queue.Empty:
            return None
        return message

    def close(self) -> None:
        self._hub.unsubscribe(self)


class PushHub:
    def __init__(self, *, queue_size: int = 32, keepalive_seconds: float = 15.0) -> None:
        if queue_size < 1 or keepalive_seconds <= 0:
            raise ValueError("queue_size must be at least 1 and keepalive_seconds positive")
        self.queue_size = queue_size
        self.keepalive_seconds = keepalive_seconds
        self.dropped = 0  # messages dropped from slow sessions, all agents together
        self._sessions: dict[str, list[Subscription]] = {}

    def subscribe(self, agent_id: str) -> Subscription:
        subscription = Subscription(self, agent_id, self.queue_size)
        self._sessions.setdefault(agent_id, []).append(subscription)
        log.info("agent %s: event stream opened (%d open)", agent_id, self.sessions(agent_id))
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        sessions = self._sessions.get(subscription.agent_id, [])
        if subscription in sessions:
            sessions.remove(subscription)
            log.info("agent %s: event stream closed (%d open)", subscription.agent_id, len(sessions))
        if not sessions:
            self._sessions.pop(subscription.agent_id, None)

    def sessions(self, agent_id: str) -> int:
        return len(self._sessions.get(agent_id, ()))

    def publish(self, agent_id: str, event: str, data: str) -> int:
        """Queue `data` as event `event` for every open session of the agent; how many it reached."""
        if not _EVENT_NAME.fullmatch(event):
            raise ValueError(f"event name {event!r}: letters, digits, '_', '.', '-' (at most 64)")
        message = PushMessage(event, data)
        sessions = list(self._sessions.get(agent_id, ()))
        for subscription in sessions:
            subscription.offer(message)
        return len(sessions)

    def close(self) -> None:
        """End every open stream (the server is stopping)."""
        for sessions in list(self._sessions.values()):
            for subscription in list(sessions):
                subscription.offer(_CLOSED)


class EventStream:
    """The body of a `text/event-stream` response over one subscription (a WSGI iterable).

    It opens with a comment, so the client has the headers at once; sends a `: keepalive` comment
    when nothing happened for the hub's keepalive interval (a dead client shows up as a failed write);
    and unsubscribes when the server closes it (the client went, or the server stops).
    """

    def __init__(self, subscription: Subscription, keepalive_seconds: float) -> None:
        self._subscription = subscription
        self._keepalive = keepalive_seconds
        self._opened = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if not self._opened:
            self._opened = True
            return b": connected\nretry: 3000\n\n"
        message = self._subscription.next_message(self._keepalive)
        if message is None:
            return b": keepalive\n\n"
        if message is _CLOSED:
            raise StopIteration
        return message.encode()

    def close(self) -> None:
        self._subscription.close()
