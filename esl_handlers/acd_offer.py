"""The ACD server's records of one queued call, and one run of the offer flow for it.

`WaitingCaller` is what the server keeps while a caller waits (ticket, settings, how the offer
settled, what the caller's own channel saw); `Conversation` a call bridged to an agent until it ends.
`OfferAttempt` feeds `ivr_scripts.acd.offer.offer_call`: candidates reserved lazily, one at a time just
before they are rung (ring-all: every free agent reserved first, then rung together as one `RingGroup`),
and the offer's agent facts applied through the `AgentDesk`; each agent rung is told to the
`OfferObserver` (the screen pop), for a single offer and for every member of a ring-all group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

from gevent.event import AsyncResult
from gevent.event import Event as GEvent

from esl_handlers.acd_agents import AgentDesk
from ivr_scripts.acd import AgentTarget, DispatchBoard, DispatchError, QueueSettings, QueueTicket
from ivr_scripts.acd.agent_legs import AgentLegReport
from ivr_scripts.acd.offer_model import Candidate, RingGroup

EndedBy = Literal["caller", "agent"]
log = logging.getLogger(__name__)


class OfferObserver(Protocol):
    def offered(self, agent_id: str, call_uuid: str, caller_number: str) -> None:
        """Agent `agent_id` is being rung for the call; must return at once (it runs in the offer flow)."""
        ...


class _NobodyWatchesOffers:
    def offered(self, agent_id: str, call_uuid: str, caller_number: str) -> None:
        del agent_id, call_uuid, caller_number


NOBODY_WATCHES_OFFERS: Final[OfferObserver] = _NobodyWatchesOffers()


@dataclass(eq=False)
class Conversation:
    """A queued call bridged to an agent; `done` is set once its end has been recorded."""

    ticket: QueueTicket
    settings: QueueSettings
    agent_id: str
    agent_leg: str
    customer_leg: str | None
    watched: bool  # the caller's own channel reports the end
    done: GEvent = field(default_factory=GEvent)
    ended_by: EndedBy | None = None  # set before `done`
    leg: AgentLegReport | None = None  # the answered agent leg, reported again with its end


@dataclass(eq=False)
class WaitingCaller:
    """A caller in a queue (or a callback ticket without a caller on the line)."""

    ticket: QueueTicket
    settings: QueueSettings
    settled: AsyncResult = field(default_factory=AsyncResult)  # Conversation, or None if not connected
    caller_hung_up: bool = False
    ended_by: EndedBy | None = None  # the caller's channel saw the bridge end (maybe before _settle ran)


class OfferAttempt:
    """One run of `offer_call` for a call: lazily reserved candidates and the agent facts (AgentEvents)."""

    def __init__(
        self,
        desk: AgentDesk,
        board: DispatchBoard,
        waiting: WaitingCaller,
        target: Callable[[str], AgentTarget],
        *,
        offers: OfferObserver = NOBODY_WATCHES_OFFERS,
    ) -> None:
        """`target(agent_id)`: the agent's phone and their leg's own variables."""
        self._desk = desk
        self._offers = offers
        self._board = board
        self._target = target
        self._ticket = waiting.ticket
        self._max_no_answer = waiting.settings.max_no_answer
        self._reserved_not_rung: set[str] = set()

    def targets(self) -> Iterator[Candidate]:
        call_uuid = self._ticket.call_uuid
        try:
            offer = self._board.offer_for_call(call_uuid)
            candidates = self._board.candidates_for_call(call_uuid)
        except DispatchError:
            return
        if offer is not None and len(offer.agent_ids) > 1:  # ring-all
            yield from self._ring_all(call_uuid, offer.agent_ids)
            return
        for agent_id in candidates:
            if self._ticket.state != "waiting":
                return
            if not self._board.agent(agent_id).available:
                continue  # taken since the list was made
            if not self._desk.reserve(call_uuid, agent_id):
                continue
            self._reserved_not_rung = {agent_id}
            yield self._target(agent_id)

    def _ring_all(self, call_uuid: str, agent_ids: tuple[str, ...]) -> Iterator[RingGroup]:
        """Reserve every free agent of the offer one by one (each atomic, some may be taken meanwhile),
        then hand the reserved ones over to be rung together, once."""
        group: list[AgentTarget] = []
        for agent_id in agent_ids:
            if self._ticket.state != "waiting":
                break
            if self._board.agent(agent_id).available and self._desk.reserve(call_uuid, agent_id):
                self._reserved_not_rung.add(agent_id)
                group.append(self._target(agent_id))
        if group:
            yield RingGroup(tuple(group))

    def release_unrung(self) -> None:
        agent_ids, self._reserved_not_rung = self._reserved_not_rung, set()
        for agent_id in sorted(agent_ids):
            self._desk.release(self._ticket.call_uuid, agent_id)

    def ring(self, agent_id: str, call_uuid: str) -> None:
        self._reserved_not_rung.discard(agent_id)
        self._desk.apply(lambda service: service.ring(agent_id, call_uuid))
        try:
            self._offers.offered(agent_id, call_uuid, self._ticket.caller_number)
        except Exception:  # a screen pop must never cost the caller the offer
            log.exception("call %s: offer observer failed for agent %s", call_uuid, agent_id)

    def answered(self, agent_id: str, call_uuid: str) -> None:
        self._desk.apply(lambda service: service.answered(agent_id, call_uuid))

    def no_answer(self, agent_id: str, call_uuid: str) -> None:
        self._desk.apply(
            lambda service: service.no_answer(agent_id, call_uuid), max_no_answer=self._max_no_answer
        )

    def caller_abandoned(self, agent_id: str, call_uuid: str) -> None:
        self._desk.apply(lambda service: service.caller_abandoned(agent_id, call_uuid))

    def offer_failed(self, agent_id: str, call_uuid: str) -> None:
        self._desk.apply(lambda service: service.caller_abandoned(agent_id, call_uuid))
