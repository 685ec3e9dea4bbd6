"""Offering a waiting call to agents, one at a time, until one answers (how the call ended is
recorded by ivr_scripts.acd.completion).

Rules (docs/acd.md):
- Candidates are rung in order, each for `ring_timeout`, showing the caller's number and name. The
  iterable is consumed lazily: the server may reserve each agent just before yielding it.
- Each leg gets its UUID up front (`origination_uuid`), so a caller who leaves while an agent rings
  (hang-up, exit key, callback request) tears the ringing leg down at once through the ticket.
- Answered: the ticket is claimed, the waiting loop woken, the caller bridged to the leg; CONNECT
  is recorded with the wait, and the agent service hears `answered`.
- No answer, busy or failed: RINGNOANSWER for that agent (data: the cause), `no_answer` for the
  agent service (which counts it), then the next candidate.
- The caller gone before or while an agent rings or answers: the leg is hung up, the agent service
  hears `caller_abandoned` (the agent is released without a no-answer), and the offer stops.
- Callback tickets: the agent is rung first, shown "Callback <name or number>" and the customer's
  number; once the agent answers the customer is dialled (showing the number they had called) and
  the two legs are bridged. An unanswered customer releases the agent without a no-answer and
  counts an attempt; after `callback_attempts` the ticket is given up (`callback_failed`).
- Ring-all (a `RingGroup` of agents reserved together): one originate rings them all at once, each leg
  with its own UUID; the first to answer takes the call as above and the others are released without a
  no-answer (FreeSWITCH hangs them up with LOSE_RACE). Nobody answering: RINGNOANSWER and a no-answer
  for each. A caller leaving while they ring cancels every leg.
- A switch error (the request itself failed) releases the agent with `offer_failed` and raises
  `OfferFailed`; the caller stays where the switch left them, for the server to handle.
- Every agent rung is reported as an agent leg once settled (ivr_scripts.acd.agent_legs).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from dialplans.clock import Clock
from dialplans.vocabulary import (
    CONNECT,
    NORMAL_CLEARING,
    ORIGINATOR_CANCEL,
    RINGNOANSWER,
    QueueEventName,
)
from ivr_scripts.acd.agent_legs import BRIDGE_FAILED, LegLog, LegOutcome, unanswered_outcome
from ivr_scripts.acd.caller_id import ANONYMOUS, caller_id_text
from ivr_scripts.acd.offer_model import (
    AgentEvents,
    AgentTarget,
    Candidate,
    OfferFailed,
    OfferOutcome,
    RingGroup,
)
from ivr_scripts.acd.queue_events import QueueEventReport, QueueEventSink
from ivr_scripts.acd.settings import QueueSettings
from ivr_scripts.acd.waiting import QueueTicket
from ivr_scripts.switch import Originated, Switch, SwitchError

# Channel variables set on every agent leg, for the agent's screen-pop, the CDR and the reconciler.
VAR_QUEUE: Final = "cc_queue"
VAR_CALL_UUID: Final = "cc_call_uuid"
VAR_AGENT: Final = "cc_agent"
VAR_CALLBACK: Final = "cc_callback"
ORIGINATE_UUID_VAR: Final = "origination_uuid"
CANCEL_CAUSE: Final = ORIGINATOR_CANCEL


def new_leg_uuid() -> str:
    return str(uuid.uuid4())


def offer_call(
    switch: Switch,
    ticket: QueueTicket,
    candidates: Iterable[Candidate],
    settings: QueueSettings,
    agent_events: AgentEvents,
    *,
    events: QueueEventSink,
    clock: Clock,
    new_uuid: Callable[[], str] = new_leg_uuid,
) -> OfferOutcome:
    """Ring `candidates` in order for `ticket` until one answers; see the module rules."""
    leg_log = LegLog(events, ticket.call_uuid, ticket.queue, clock, callback=ticket.callback is not None)
    flow = _OfferFlow(switch, ticket, settings, agent_events, events, clock, new_uuid, leg_log)
    return flow.run(candidates)


@dataclass(slots=True)
class _OfferFlow:
    switch: Switch
    ticket: QueueTicket
    settings: QueueSettings
    agent_events: AgentEvents
    events: QueueEventSink
    clock: Clock
    new_uuid: Callable[[], str]
    leg_log: LegLog

    def run(self, candidates: Iterable[Candidate]) -> OfferOutcome:
        not_answered: list[str] = []
        is_callback = self.ticket.callback is not None
        for target in candidates:
            if not self._still_waiting(is_callback):  # the server releases what it reserved but never rang
                return OfferOutcome("caller_left", not_answered=tuple(not_answered))
            if isinstance(target, RingGroup):
                outcome = self._offer_to_group(target.targets, is_callback, tuple(not_answered))
                if outcome is not None:
                    return outcome
                not_answered.extend(member.agent_id for member in target.targets)
                continue
            outcome = self._offer_to(target, is_callback, tuple(not_answered))
            if outcome is not None:
                return outcome
            not_answered.append(target.agent_id)
        if not self._still_waiting(is_callback):
            return OfferOutcome("caller_left", not_answered=tuple(not_answered))
        return OfferOutcome("no_agent", not_answered=tuple(not_answered))

    def _still_waiting(self, is_callback: bool) -> bool:
        # A callback requested mid-offer changes how the call must be offered: stop and let dispatch retry.
        return self.ticket.state == "waiting" and (self.ticket.callback is not None) == is_callback

    def _offer_to(
        self, target: AgentTarget, is_callback: bool, not_answered: tuple[str, ...]
    ) -> OfferOutcome | None:
        """One agent: an outcome that ends the offer, or None to try the next candidate."""
        ticket, agent = self.ticket, target.agent_id
        number, name, variables = self._shown_to_agents(is_callback)
        variables |= {**dict(target.variables), VAR_AGENT: agent}  # this agent's leg alone
        self.agent_events.ring(agent, ticket.call_uuid)
        leg_uuid = self.new_uuid()
        self.leg_log.ringing(agent)
        leg = self._ring(
            target.endpoint,
            agent,
            leg_uuid,
            number=number,
            name=name,
            timeout=self.settings.ring_timeout,
            variables=variables,
            agent_leg=True,
        )
        if leg.result == "answered":
            self.leg_log.picked_up(agent)
        if not self._still_waiting(is_callback):
            if leg.result == "answered":
                self._hang_up_quietly(leg.leg_uuid)
            self.agent_events.caller_abandoned(agent, ticket.call_uuid)
            self.leg_log.ended(agent, leg_uuid, "caller_abandoned", leg.cause)
            return OfferOutcome("caller_left", agent_id=agent, not_answered=not_answered)
        if leg.result != "answered":
            self._record(RINGNOANSWER, agent, data=leg.cause)
            self.agent_events.no_answer(agent, ticket.call_uuid)
            self.leg_log.ended(agent, leg_uuid, unanswered_outcome(leg.cause), leg.cause)
            return None
        return self._take(agent, leg.leg_uuid, is_callback, not_answered)

    def _take(
        self, agent: str, agent_leg: str | None, is_callback: bool, not_answered: tuple[str, ...]
    ) -> OfferOutcome:
        """`agent` answered on `agent_leg`: dial the callback's customer, or bridge the waiting caller."""
        assert agent_leg is not None
        self.ticket.claim(agent)
        if is_callback:
            return self._dial_customer(agent, agent_leg, not_answered)
        self.ticket.wake()
        return self._connect(agent, self.ticket.call_uuid, agent_leg, not_answered)

    def _offer_to_group(
        self, group: Sequence[AgentTarget], is_callback: bool, not_answered: tuple[str, ...]
    ) -> OfferOutcome | None:
        """Ring-all: every agent of `group` at once. The winner goes on as in `_offer_to`; the others are
        released without a no-answer (they lost the race, not their fault); nobody answering is a
        RINGNOANSWER and a no-answer for each."""
        ticket = self.ticket
        if len(group) == 1:
            return self._offer_to(group[0], is_callback, not_answered)
        number, name, variables = self._shown_to_agents(is_callback)
        legs = {self.new_uuid(): target for target in group}
        for target in group:
            self.agent_events.ring(target.agent_id, ticket.call_uuid)
        self.leg_log.ringing(*(target.agent_id for target in group))
        leg = self._ring_all(group, legs, number=number, name=name, variables=variables)
        winner = legs.get(leg.leg_uuid or "") if leg.result == "answered" else None
        if leg.result == "answered" and winner is None:
            # An answer on a leg the offer did not name: nobody to credit or blame; release them all.
            self._hang_up_quietly(leg.leg_uuid)
            self._release_all(legs, "failed", leg.cause)
            return None
        if winner is not None:
            self.leg_log.picked_up(winner.agent_id)
        if not self._still_waiting(is_callback):
            self._hang_up_quietly(leg.leg_uuid if winner is not None else None)
            self._release_all(legs, "caller_abandoned", leg.cause)
            return OfferOutcome("caller_left", not_answered=not_answered)
        if winner is None:
            for leg_uuid, target in legs.items():
                self._record(RINGNOANSWER, target.agent_id, data=leg.cause)
                self.agent_events.no_answer(target.agent_id, ticket.call_uuid)
                self.leg_log.ended(target.agent_id, leg_uuid, unanswered_outcome(leg.cause), leg.cause)
            return None
        self._release_all({u: t for u, t in legs.items() if t is not winner}, "lost_race", None)
        return self._take(winner.agent_id, leg.leg_uuid, is_callback, not_answered)

    def _release_all(self, legs: dict[str, AgentTarget], outcome: LegOutcome, cause: str | None) -> None:
        """Release the agents of ring-all `legs` (leg UUID -> agent) without a no-answer."""
        for leg_uuid, target in legs.items():
            self.agent_events.caller_abandoned(target.agent_id, self.ticket.call_uuid)
            self.leg_log.ended(target.agent_id, leg_uuid, outcome, cause)

    def _shown_to_agents(self, is_callback: bool) -> tuple[str, str, dict[str, str]]:
        """The caller ID number and name an agent's phone shows, and the variables of every agent leg."""
        ticket = self.ticket
        number = caller_id_text(ticket.caller_number, ANONYMOUS)
        name = caller_id_text(ticket.caller_name, number)
        variables = {VAR_QUEUE: ticket.queue, VAR_CALL_UUID: ticket.call_uuid}
        if is_callback:
            name = f"Callback {name}"
            variables[VAR_CALLBACK] = "true"
        return number, name, variables

    def _ring_all(
        self,
        group: Sequence[AgentTarget],
        legs: dict[str, AgentTarget],
        *,
        number: str,
        name: str,
        variables: dict[str, str],
    ) -> Originated:
        """One originate for every leg of `legs` (leg UUID -> its agent of `group`); while they ring,
        a caller leaving the ticket cancels them all."""
        ticket = self.ticket
        ticket.cancel_ringing = lambda: self._hang_up_all(legs, CANCEL_CAUSE)
        try:
            return self.switch.originate_any(
                [(target.endpoint, leg_uuid) for leg_uuid, target in legs.items()],
                caller_id_number=number,
                caller_id_name=name,
                timeout=self.settings.ring_timeout,
                variables=variables,
                leg_variables={u: {**dict(t.variables), VAR_AGENT: t.agent_id} for u, t in legs.items()},
            )
        except SwitchError as exc:
            self._hang_up_all(legs, CANCEL_CAUSE)
            for leg_uuid, target in legs.items():
                self.agent_events.offer_failed(target.agent_id, ticket.call_uuid)
                self.leg_log.ended(target.agent_id, leg_uuid, "failed")
            raise OfferFailed(f"ringing {len(group)} agents failed: {exc}", group[0].agent_id) from exc
        finally:
            ticket.cancel_ringing = None

    def _hang_up_all(self, legs: Iterable[str], cause: str) -> None:
        for leg_uuid in legs:
            self._hang_up_quietly(leg_uuid, cause)

    def _ring(
        self,
        endpoint: str,
        agent: str,
        leg_uuid: str,
        *,
        number: str,
        name: str,
        timeout: float,
        variables: dict[str, str],
        agent_leg: bool,
    ) -> Originated:
        """Originate with a known leg UUID; an agent's leg is cancelled if the caller leaves as it rings."""
        if agent_leg:
            self.ticket.cancel_ringing = lambda: self._hang_up_quietly(leg_uuid, CANCEL_CAUSE)
        try:
            originated = self.switch.originate(
                endpoint,
                caller_id_number=number,
                caller_id_name=name,
                timeout=timeout,
                variables={**variables, ORIGINATE_UUID_VAR: leg_uuid},
            )
        except SwitchError as exc:
            self._hang_up_quietly(leg_uuid, CANCEL_CAUSE)
            self.agent_events.offer_failed(agent, self.ticket.call_uuid)
            if agent_leg:
                self.leg_log.ended(agent, leg_uuid, "failed")
            raise OfferFailed(f"originate to {endpoint} failed: {exc}", agent) from exc
        finally:
            self.ticket.cancel_ringing = None
        if originated.result == "answered" and originated.leg_uuid is None:
            return Originated(originated.result, leg_uuid, originated.cause)
        return originated

    def _dial_customer(self, agent: str, agent_leg: str, not_answered: tuple[str, ...]) -> OfferOutcome:
        ticket = self.ticket
        callback = ticket.callback
        assert callback is not None
        endpoint = self.settings.callback_endpoint.replace("{number}", callback.number)
        variables = {VAR_QUEUE: ticket.queue, VAR_CALL_UUID: ticket.call_uuid, VAR_CALLBACK: "true"}
        # The customer leg is uuid_bridge's originator: when the agent hangs up, end it (not its `&park()`).
        variables["hangup_after_bridge"] = "true"
        try:
            customer = self._ring(
                endpoint,
                agent,
                self.new_uuid(),
                number=caller_id_text(callback.caller_id_number, ANONYMOUS),
                name=caller_id_text(callback.caller_id_number, ANONYMOUS),
                timeout=self.settings.callback_ring_timeout,
                variables=variables,
                agent_leg=False,
            )
        except OfferFailed:
            self._hang_up_quietly(agent_leg)
            self.leg_log.ended(agent, agent_leg, "failed")
            ticket.release()
            raise
        if customer.result != "answered":
            self._hang_up_quietly(agent_leg)
            self.agent_events.caller_abandoned(agent, ticket.call_uuid)
            self.leg_log.ended(agent, agent_leg, "callback_unanswered", customer.cause)
            callback.attempts += 1
            ticket.release()
            if callback.attempts >= self.settings.callback_attempts:
                ticket.fail("callback_failed")
            return OfferOutcome(
                "callback_unanswered", agent_id=agent, agent_leg=agent_leg, not_answered=not_answered
            )
        assert customer.leg_uuid is not None
        return self._connect(
            agent, customer.leg_uuid, agent_leg, not_answered, customer_leg=customer.leg_uuid
        )

    def _connect(
        self,
        agent: str,
        caller_leg: str,
        agent_leg: str,
        not_answered: tuple[str, ...],
        *,
        customer_leg: str | None = None,
    ) -> OfferOutcome:
        ticket = self.ticket
        try:
            self.switch.bridge(caller_leg, agent_leg)
        except SwitchError as exc:
            self._hang_up_quietly(agent_leg)
            if customer_leg is not None:
                self._hang_up_quietly(customer_leg)
            self.agent_events.caller_abandoned(agent, ticket.call_uuid)
            abandoned = ticket.state == "abandoned"
            self.leg_log.ended(agent, agent_leg, "caller_abandoned" if abandoned else "failed", BRIDGE_FAILED)
            if abandoned:
                return OfferOutcome("caller_left", agent_id=agent, not_answered=not_answered)
            ticket.fail("failed")
            raise OfferFailed(f"bridging {caller_leg} to agent {agent} failed: {exc}", agent) from exc
        now = self.clock()
        if not ticket.connect(now):  # the caller hung up while the bridge was being set up
            self._hang_up_quietly(agent_leg)
            self.agent_events.caller_abandoned(agent, ticket.call_uuid)
            self.leg_log.ended(agent, agent_leg, "caller_abandoned")
            return OfferOutcome("caller_left", agent_id=agent, not_answered=not_answered)
        self._record(CONNECT, agent, at=now)
        self.agent_events.answered(agent, ticket.call_uuid)
        answered = self.leg_log.ended(agent, agent_leg, "answered")
        return OfferOutcome(
            "connected",
            agent_id=agent,
            agent_leg=agent_leg,
            customer_leg=customer_leg,
            not_answered=not_answered,
            answered_leg=answered,
        )

    def _record(
        self, event: QueueEventName, agent: str, *, data: str | None = None, at: dt.datetime | None = None
    ) -> None:
        now = at or self.clock()
        ticket = self.ticket
        if ticket.callback is not None:
            data = "callback" if data is None else f"callback {data}"
        self.events.record(
            QueueEventReport(
                event=event,
                call_uuid=ticket.call_uuid,
                queue=ticket.queue,
                agent_id=agent,
                wait_s=ticket.wait_s if event == CONNECT else ticket.waited(now),
                at=now,
                data=data,
            )
        )

    def _hang_up_quietly(self, leg_uuid: str | None, cause: str = NORMAL_CLEARING) -> None:
        if leg_uuid is None:
            return
        # The leg is gone or the switch unreachable: either way there is nothing more to do here.
        with contextlib.suppress(SwitchError):
            self.switch.hangup(leg_uuid, cause)
