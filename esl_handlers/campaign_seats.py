"""Campaign agents' seats, opened for agents who are ready and followed in the agent state machine.

`fill` (each dialer tick): every member agent of a dialling campaign who is available and has no seat
is reserved for one in the database, with the seat leg's UUID as the call, by the same atomic
reservation the ACD's offers use (schema.acd.agents.reserve_agent): no inbound call is offered to an
agent while the dialer calls their phone, and no two servers seat one agent. Then the phone is called.

The seat leg is the agent's call for as long as the seat lasts (customers come and go on it):
answered -> on call. When the seat ends the agent goes on break: `seat_ended` (the agent hung up:
they have left the campaign) or `seat_not_answered` (the phone did not answer). `callcenter agent
ready` brings them back, and the next tick calls their phone for a new seat. Facts are applied one at
a time, in the order the switch gave them, off the event listener's greenlet.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Collection
from typing import Final

import gevent
import gevent.queue
from sqlalchemy import Engine

from esl_handlers.campaign_calls import CampaignCalls
from esl_handlers.seat_legs import SeatFact
from ivr_scripts.agent_service import AgentService
from ivr_scripts.agent_states import AgentState, AgentStateError
from schema.acd.agents import reserve_agent
from schema.adapters.agent_store import SqlAgentStore
from schema.errors import StorageError
from schema.threadpool import in_thread

log = logging.getLogger(__name__)

SEAT_ENDED: Final = "seat_ended"
SEAT_NOT_ANSWERED: Final = "seat_not_answered"
_STOP: Final = ("", "", "gone")


class SeatKeeper:
    def __init__(
        self,
        calls: CampaignCalls,
        engine: Engine,
        *,
        server: str,
        clock: Callable[[], dt.datetime],
        endpoint: Callable[[str], str],
        on_agent_change: Callable[[str], None],
    ) -> None:
        """`endpoint(agent_id)`: the agent's phone; `on_agent_change(agent_id)`: the agent's stored
        state changed here (the ACD re-reads it)."""
        self._calls = calls
        self._engine = engine
        self._server = server
        self._clock = clock
        self._endpoint = endpoint
        self._on_agent_change = on_agent_change
        self._store = SqlAgentStore(engine, server)
        self._service = AgentService(self._store, None, clock)
        self._answered: set[str] = set()
        self._facts: gevent.queue.Queue[tuple[str, str, SeatFact]] = gevent.queue.Queue()
        self._worker: gevent.Greenlet | None = None

    def start(self) -> None:
        self._worker = gevent.spawn(self._follow_facts)

    def stop(self) -> None:
        """Apply the facts already given, then stop."""
        if self._worker is not None:
            self._facts.put(_STOP)
            self._worker.join(timeout=10)
            self._worker = None

    def fill(self, members: Collection[str]) -> int:
        """Open a seat for each of `members` who is available and has none; how many were opened."""
        seatless = {agent_id for agent_id in members if self._calls.seats.seat_of(agent_id) is None}
        if not seatless:
            return 0
        statuses = in_thread(self._store.all)
        opened = 0
        for status in sorted(statuses, key=lambda status: status.since):
            if status.agent_id in seatless and status.state is AgentState.AVAILABLE:
                opened += self._open(status.agent_id)
        return opened

    def _open(self, agent_id: str) -> int:
        leg = str(uuid.uuid4())
        try:
            reserved = in_thread(reserve_agent, self._engine, leg, [agent_id], self._server, self._clock())
        except StorageError as exc:
            log.error("agent %s: not reserved for a campaign seat: %s", agent_id, exc)
            return 0
        if reserved != agent_id:
            return 0  # taken meanwhile: an inbound offer, or another server's seat
        self._on_agent_change(agent_id)
        self._calls.open_seat(agent_id, self._endpoint(agent_id), leg=leg)
        log.info("agent %s: calling their phone for a campaign seat (leg %s)", agent_id, leg)
        return 1

    def on_seat(self, agent_id: str, leg: str, fact: SeatFact) -> None:
        """CampaignCalls' report of a seat answered or gone (must not block)."""
        self._facts.put((agent_id, leg, fact))

    def _follow_facts(self) -> None:
        while True:
            agent_id, leg, fact = self._facts.get()
            if not agent_id:
                return
            try:
                in_thread(self._apply, agent_id, leg, fact)
            except (AgentStateError, StorageError) as exc:
                log.error("agent %s: seat %s %s not applied: %s", agent_id, leg, fact, exc)
            self._on_agent_change(agent_id)

    def _apply(self, agent_id: str, leg: str, fact: SeatFact) -> None:
        if fact == "answered":
            self._answered.add(leg)
            self._service.answered(agent_id, leg)
            return
        if leg in self._answered:
            self._answered.discard(leg)
            self._service.call_ended(agent_id, leg, wrap_up_seconds=1)
            reason = SEAT_ENDED
        else:
            self._service.no_answer(agent_id, leg)
            reason = SEAT_NOT_ANSWERED
        self._service.go_break(agent_id, reason)
        log.info("agent %s: campaign seat %s gone; on break (%s)", agent_id, leg, reason)
