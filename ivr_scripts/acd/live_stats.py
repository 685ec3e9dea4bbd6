"""Real-time statistics: a board fed by queue events and agent changes, read whenever asked.

Per queue: callers waiting now, the longest wait now, and today's offered / answered / abandoned and
service level. Per agent: state and since when, the break's reason, the call held, the wrap-up's end, and
the queue of the call (learnt from the call's ENTERQUEUE, no lookup). Nothing ticks: the longest wait
is `now - the oldest entry time`, computed when read, and "today" is the day of `now` in the board's
time zone.

The figures follow the report's KPI view v_queue_interval (docs/database.md, "Views") so the wallboard
and `callcenter report` agree:
- offered: one per exit from waiting (CONNECT, ABANDON, EXITWITHTIMEOUT, EXITWITHKEY, CALLBACK); the
  CONNECT that answers a callback ticket (its `data` begins "callback") is answered, not offered again;
- short abandons: ABANDONs with wait_s < `short_abandon_s` (the report's setting, read at start);
- service level: CONNECTs with wait_s <= the queue's threshold, divided by offered less the short
  abandons (the caller had no chance to be answered), as in the view;
- each event counts on the day of its own `at` in the board's zone, so a server whose clock is a little
  ahead or behind at midnight still lands on the right day.
Waiting: a caller is waiting from their ENTERQUEUE until their call's exit in that queue. An exit seen
before its entry (two servers' notifications, a spooled batch written late) is remembered, so the late
ENTERQUEUE does not leave a ghost caller; an entry older than `forget_after` is dropped when read (a
server killed mid-wait records no exit). A callback ticket is not a caller waiting on the line.

An event is identified like a queue_log row (call, queue, event, agent, at): the same event heard twice
(a replayed batch, a resync overlapping notifications) counts once. Agent changes carry the row's
version; an older version than the board has is ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

from dialplans.clock import Clock
from dialplans.vocabulary import ABANDON, CALLBACK, CONNECT, ENTERQUEUE, EXITWITHKEY, EXITWITHTIMEOUT
from ivr_scripts.acd.queue_events import QueueEventReport

EXIT_EVENTS: Final = frozenset({CONNECT, ABANDON, EXITWITHTIMEOUT, EXITWITHKEY, CALLBACK})
# How the offer flow begins the `data` of a callback ticket's events (ivr_scripts.acd.offer, .completion).
CALLBACK_MARK: Final = "callback"
DEFAULT_SERVICE_LEVEL_S: Final = 20.0
_PRUNE_EVERY: Final = dt.timedelta(minutes=1)
_EventKey = tuple[str, str, str, str, dt.datetime]


@dataclass(frozen=True, slots=True)
class QueueFigures:
    queue: str
    waiting: int
    longest_wait_s: float | None
    oldest_entry: dt.datetime | None  # so a wallboard can tick the longest wait itself
    offered: int
    answered: int
    answered_within_threshold: int
    abandoned: int
    short_abandons: int
    service_level: float | None
    service_level_threshold_s: float


@dataclass(frozen=True, slots=True)
class AgentFigures:
    agent_id: str
    state: str
    since: dt.datetime
    department: str | None
    reason: str | None = None
    call_uuid: str | None = None
    wrap_up_until: dt.datetime | None = None
    call_queue: str | None = None  # the queue the held call entered, when the board heard it


@dataclass(frozen=True, slots=True)
class AgentRow:
    """An agent as the database has it, for a resync."""

    agent_id: str
    state: str
    since: dt.datetime
    version: int
    department: str | None = None
    reason: str | None = None
    call_uuid: str | None = None
    wrap_up_until: dt.datetime | None = None


@dataclass(slots=True)
class _Counts:
    offered: int = 0
    answered: int = 0
    within: int = 0
    abandoned: int = 0
    short_abandons: int = 0


@dataclass(slots=True)
class _Day:
    counts: dict[str, _Counts] = field(default_factory=dict)
    seen: set[_EventKey] = field(default_factory=set)


@dataclass(slots=True)
class _Agent:
    state: str
    since: dt.datetime
    version: int
    department: str | None
    reason: str | None = None
    call_uuid: str | None = None
    wrap_up_until: dt.datetime | None = None


class LiveStats:
    """The board. `thresholds`: each queue's service-level seconds (others: DEFAULT_SERVICE_LEVEL_S), or
    a callable returning them (the dialplan's, as reloaded); a CONNECT is judged by the threshold of when
    it is heard. `short_abandon_s`: an ABANDON after less waiting than this is a short abandon.
    `on_change(part)` is called with "queues" or "agents" after a change that altered that part."""

    def __init__(
        self,
        clock: Clock,
        zone: ZoneInfo,
        *,
        thresholds: Mapping[str, float] | Callable[[], Mapping[str, float]] | None = None,
        short_abandon_s: float = 0.0,
        forget_after: dt.timedelta = dt.timedelta(hours=24),
        on_change: Callable[[str], None] | None = None,
    ) -> None:
        self._clock = clock
        self.zone = zone
        self._thresholds = thresholds if callable(thresholds) else _constant(dict(thresholds or {}))
        self.short_abandon_s = short_abandon_s
        self._forget_after = forget_after
        self._on_change = on_change or (lambda _part: None)
        self._days: dict[dt.date, _Day] = {}
        self._waiting: dict[tuple[str, str], dt.datetime] = {}  # (queue, call) -> entered at
        self._exited: dict[tuple[str, str], dt.datetime] = {}  # (queue, call) -> last exit at
        self._agents: dict[str, _Agent] = {}
        self._queue_of_call: dict[str, str] = {}  # call -> the queue it last entered
        self._pruned_at: dt.datetime | None = None

    # --- what the board hears

    def queue_event(self, event: QueueEventReport) -> bool:
        """Apply one queue event; False if it was already heard (or is not about waiting at all)."""
        if event.event != ENTERQUEUE and event.event not in EXIT_EVENTS:
            return False
        day = self._days.setdefault(self.day_of(event.at), _Day())
        key = (event.call_uuid, event.queue, event.event, event.agent_id or "", event.at)
        if key in day.seen:
            return False
        day.seen.add(key)
        place = (event.queue, event.call_uuid)
        if event.event == ENTERQUEUE:
            self._queue_of_call[event.call_uuid] = event.queue
            exited = self._exited.get(place)
            if exited is None or exited < event.at:
                self._waiting[place] = event.at
        else:
            self._leave(place, event.at)
            self._count(day.counts.setdefault(event.queue, _Counts()), event)
        self._prune()
        self._on_change("queues")
        return True

    def agent_changed(
        self,
        agent_id: str,
        state: str,
        *,
        since: dt.datetime,
        version: int | None,
        department: str | None = None,
        reason: str | None = None,
        call_uuid: str | None = None,
        wrap_up_until: dt.datetime | None = None,
    ) -> bool:
        """Apply an agent's change; False if the board already has this version or a newer one.
        `version` None: a change seen as it was saved on the only server (SQLite), applied in order."""
        known = self._agents.get(agent_id)
        if known is not None and version is not None and known.version >= version:
            return False
        if version is None:
            version = known.version if known is not None else -1
        if known is not None and known.state == state:
            since = known.since  # a change of another column: the agent is in this state since before
        kept_department = department if department is not None or known is None else known.department
        self._agents[agent_id] = _Agent(
            state, since, version, kept_department, reason, call_uuid, wrap_up_until
        )
        self._on_change("agents")
        return True

    def agent_removed(self, agent_id: str) -> None:
        if self._agents.pop(agent_id, None) is not None:
            self._on_change("agents")

    def resync(self, events: Iterable[QueueEventReport], agents: Iterable[AgentRow] = ()) -> None:
        """Forget everything and rebuild from the database's record: the queue events since the start
        of yesterday (or `forget_after` ago, if earlier) in time order, and every agent's row."""
        self._days.clear()
        self._waiting.clear()
        self._exited.clear()
        self._agents.clear()
        self._queue_of_call.clear()
        for event in sorted(events, key=lambda e: e.at):
            self.queue_event(event)
        for a in agents:
            self._agents[a.agent_id] = _Agent(
                a.state, a.since, a.version, a.department, a.reason, a.call_uuid, a.wrap_up_until
            )
        self._on_change("queues")
        self._on_change("agents")

    # --- what the board answers

    def queues(self, names: Iterable[str] = ()) -> list[QueueFigures]:
        """Every queue named, and every queue the board has heard of today or has callers waiting in."""
        now = self._clock()
        self._prune(now)
        today = self._days.get(self.day_of(now), _Day())
        known = {*names, *today.counts, *(queue for queue, _call in self._waiting)}
        return [self._figures(queue, today.counts.get(queue, _Counts()), now) for queue in sorted(known)]

    def agents(self) -> list[AgentFigures]:
        return [
            AgentFigures(
                agent_id,
                agent.state,
                agent.since,
                agent.department,
                agent.reason,
                agent.call_uuid,
                agent.wrap_up_until,
                None if agent.call_uuid is None else self._queue_of_call.get(agent.call_uuid),
            )
            for agent_id, agent in sorted(self._agents.items())
        ]

    def day_of(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.zone).date()

    def since_for_resync(self) -> dt.datetime:
        """The earliest `at` a resync must read: the start of yesterday, or `forget_after` ago."""
        now = self._clock()
        yesterday = dt.datetime.combine(self.day_of(now) - dt.timedelta(days=1), dt.time(), self.zone)
        return min(yesterday, now - self._forget_after)

    # --- inside

    def _figures(self, queue: str, counts: _Counts, now: dt.datetime) -> QueueFigures:
        entered = [at for (name, _call), at in self._waiting.items() if name == queue]
        oldest = min(entered, default=None)
        chances = counts.offered - counts.short_abandons
        return QueueFigures(
            queue=queue,
            waiting=len(entered),
            longest_wait_s=None if oldest is None else max(0.0, (now - oldest).total_seconds()),
            oldest_entry=oldest,
            offered=counts.offered,
            answered=counts.answered,
            answered_within_threshold=counts.within,
            abandoned=counts.abandoned,
            short_abandons=counts.short_abandons,
            service_level=None if chances == 0 else counts.within / chances,
            service_level_threshold_s=self.threshold(queue),
        )

    def threshold(self, queue: str) -> float:
        return float(self._thresholds().get(queue, DEFAULT_SERVICE_LEVEL_S))

    def _count(self, counts: _Counts, event: QueueEventReport) -> None:
        answers_callback = event.data is not None and event.data.startswith(CALLBACK_MARK)
        if event.event == CONNECT:
            counts.answered += 1
            if event.wait_s is not None and event.wait_s <= self.threshold(event.queue):
                counts.within += 1
        if event.event == ABANDON:
            counts.abandoned += 1
            if event.wait_s is not None and event.wait_s < self.short_abandon_s:
                counts.short_abandons += 1
        if not (event.event == CONNECT and answers_callback):
            counts.offered += 1

    def _leave(self, place: tuple[str, str], at: dt.datetime) -> None:
        entered = self._waiting.get(place)
        if entered is not None and entered <= at:
            del self._waiting[place]
        previous = self._exited.get(place)
        if previous is None or previous < at:
            self._exited[place] = at

    def _prune(self, now: dt.datetime | None = None) -> None:
        """Drop days before yesterday and entries past `forget_after`; at most once a minute, since
        it walks every entry of the last day."""
        now = now or self._clock()
        if self._pruned_at is not None and abs(now - self._pruned_at) < _PRUNE_EVERY:
            return
        self._pruned_at = now
        oldest_day = self.day_of(now) - dt.timedelta(days=1)
        for day in [day for day in self._days if day < oldest_day]:
            del self._days[day]
        horizon = now - self._forget_after
        for places in (self._waiting, self._exited):
            for place in [place for place, at in places.items() if at < horizon]:
                del places[place]
        known_calls = {call for places in (self._waiting, self._exited) for _queue, call in places}
        held = {agent.call_uuid for agent in self._agents.values()}
        for call in [call for call in self._queue_of_call if call not in known_calls and call not in held]:
            del self._queue_of_call[call]


def _constant(thresholds: Mapping[str, float]) -> Callable[[], Mapping[str, float]]:
    return lambda: thresholds
