"""The live statistics as the API serves them: JSON views of the board, and a coalescing SSE stream.

`LiveFeed` wraps the process's `ivr_scripts.acd.live_stats.LiveStats` (it is the board's `on_change`):
it counts a revision per part ("queues", "agents") and wakes the streams. A `StatsStream` keeps no
queue of messages, only the revisions it last sent: when woken it sends each part whose revision moved,
as a whole snapshot of that part, then sleeps until `interval` has passed since that send. A burst of
events therefore costs each client at most one message per part per interval, and a slow client is
never more than one snapshot behind: there is nothing to pile up, so nothing to bound or drop.

Who sees what (the CRM's roles, schema.viewer): queue figures are shown to every role (an agent's
wallboard shows the calls waiting); agents' states to a manager all, to a supervisor their department's
agents, to an agent their own row. The feed lives in the gevent hub's thread, like PushHub.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Final

import gevent
import gevent.event
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dialplans.clock import Clock
from ivr_scripts.acd.live_stats import AgentFigures, LiveStats
from schema.viewer import Viewer

PARTS: Final = ("queues", "agents")
DEFAULT_INTERVAL: Final = 0.25


class LiveModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QueueLive(LiveModel):
    """One queue now, and today so far (the day in the call center's zone: docs/reports.md)."""

    queue: str
    day: dt.date = Field(description="The day the counts are for, in the call center's time zone.")
    waiting: int = Field(description="Callers in the queue now (callback tickets not included).")
    longest_wait_s: float | None = Field(description="How long the longest-waiting caller has waited.")
    oldest_entry: AwareDatetime | None = Field(description="When that caller entered the queue.")
    offered: int = Field(description="Calls that left waiting today: answered, abandoned, timed out, ...")
    answered: int
    answered_within_threshold: int
    abandoned: int
    short_abandons: int = Field(description="Abandons after less waiting than the report's short_abandon_s.")
    service_level: float | None = Field(
        description="answered_within_threshold / (offered - short_abandons); null: none."
    )
    service_level_threshold_s: float


class AgentLive(LiveModel):
    agent_id: str
    state: str
    since: AwareDatetime
    in_state_s: float = Field(description="Seconds in this state when the figures were read.")
    department: str | None = None
    reason: str | None = Field(default=None, description="Why on a break (on_break only).")
    call_uuid: str | None = Field(default=None, description="The call held (reserved to wrap_up).")
    wrap_up_until: AwareDatetime | None = Field(default=None, description="When wrap-up ends (wrap_up only).")
    call_queue: str | None = Field(
        default=None, description="The queue the held call came through, when this server heard it enter."
    )


class LiveFeed:
    def __init__(
        self,
        board_factory: Callable[[Callable[[str], None]], LiveStats],
        clock: Clock,
        *,
        queue_names: Callable[[], Iterable[str]] = tuple,
        interval: float = DEFAULT_INTERVAL,
        keepalive_seconds: float = 15.0,
    ) -> None:
        """`board_factory(on_change)` makes the board this feed follows."""
        self.board = board_factory(self._changed)
        self.interval = interval
        self.keepalive_seconds = keepalive_seconds
        self.revisions = dict.fromkeys(PARTS, 0)
        self.closed = False
        self._clock = clock
        self._queue_names = queue_names
        self._wake = gevent.event.Event()

    def queues(self) -> list[QueueLive]:
        day = self.board.day_of(self._clock())
        return [QueueLive(day=day, **dataclasses.asdict(q)) for q in self.board.queues(self._queue_names())]

    def agents(self, viewer: Viewer) -> list[AgentLive]:
        now = self._clock()
        return [
            AgentLive(
                agent_id=a.agent_id,
                state=a.state,
                since=a.since,
                in_state_s=max(0.0, (now - a.since).total_seconds()),
                department=a.department,
                reason=a.reason,
                call_uuid=a.call_uuid,
                wrap_up_until=a.wrap_up_until,
                call_queue=a.call_queue,
            )
            for a in self.board.agents()
            if sees_agent(viewer, a)
        ]

    def wait(self, timeout: float) -> None:
        """Until the next change (or close), at most `timeout` seconds."""
        self._wake.wait(timeout)

    def close(self) -> None:
        """End every open stream (the server is stopping)."""
        self.closed = True
        self._changed("queues")

    def _changed(self, part: str) -> None:
        self.revisions[part] += 1
        wake, self._wake = self._wake, gevent.event.Event()
        wake.set()


def sees_agent(viewer: Viewer, agent: AgentFigures) -> bool:
    if viewer.sees_everything:
        return True
    if viewer.role == "supervisor":
        return agent.department is not None and agent.department == viewer.department
    return agent.agent_id == viewer.agent_id


class StatsStream:
    """The body of `GET /api/stats/stream` for one viewer (a WSGI iterable)."""

    def __init__(self, feed: LiveFeed, viewer: Viewer) -> None:
        self._feed = feed
        self._viewer = viewer
        self._sent: dict[str, int] | None = None
        self._sent_at = 0.0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._sent is None:  # the snapshot on connect
            self._sent = {}
            return b": connected\nretry: 3000\n\n" + self._messages()
        gap = self.interval_left()
        if gap > 0:
            gevent.sleep(gap)  # coalesce: whatever changes meanwhile goes in one message per part
        if not self._moved() and not self._feed.closed:
            self._feed.wait(self._feed.keepalive_seconds)
        if self._feed.closed:
            raise StopIteration
        if not self._moved():
            return b": keepalive\n\n"
        return self._messages()

    def interval_left(self) -> float:
        return self._sent_at + self._feed.interval - time.monotonic()

    def close(self) -> None:
        """Nothing to release: the stream holds no subscription, only the revisions it sent."""

    def _moved(self) -> bool:
        sent = self._sent or {}
        return any(self._feed.revisions[part] != sent.get(part) for part in PARTS)

    def _messages(self) -> bytes:
        sent = self._sent if self._sent is not None else {}
        frames = []
        for part in PARTS:
            revision = self._feed.revisions[part]
            if sent.get(part) == revision:
                continue
            sent[part] = revision
            frames.append(f"event: {part}\ndata: {self._encode(part)}\n\n".encode())
        self._sent = sent
        self._sent_at = time.monotonic()
        return b"".join(frames)

    def _encode(self, part: str) -> str:
        views: list[QueueLive] | list[AgentLive]
        views = self._feed.queues() if part == "queues" else self._feed.agents(self._viewer)
        return "[" + ",".join(view.model_dump_json() for view in views) + "]"
