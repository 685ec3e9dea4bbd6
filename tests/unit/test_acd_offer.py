"""Offering a call to agents over a scripted switch: no-answer and busy to an answer, abandons, callbacks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pytest

from esl_handlers import app_args
from ivr_scripts.acd.completion import complete_call
from ivr_scripts.acd.offer import offer_call
from ivr_scripts.acd.offer_model import AgentTarget, OfferFailed, OfferOutcome, RingGroup
from ivr_scripts.acd.queue_events import MemoryQueueEvents
from ivr_scripts.acd.settings import QueueSettings
from ivr_scripts.acd.waiting import QueueTicket, wait_in_queue
from ivr_scripts.channel import CallInfo
from ivr_scripts.switch import LiveChannel, Originated, OriginateResult, SwitchError
from tests.fakes.clock import START, FakeClock
from tests.fakes.hold_channel import CALL, Press, ScriptedChannel

SETTINGS = QueueSettings(ring_timeout=15, callback_ring_timeout=25, callback_attempts=2)


@dataclass(frozen=True)
class Ring:
    """How one originate ends: after `seconds`, with `result` and `cause`; `meanwhile` runs while it rings."""

    result: OriginateResult
    seconds: float = 5
    cause: str = ""
    meanwhile: Callable[[], None] | None = None
    leg_uuid: str | None = None  # None: the switch reports the origination_uuid it was given
    error: bool = False


@dataclass(frozen=True)
class GroupRing:
    """How one ring-all originate ends: `winner` (an endpoint) answers after `seconds`, or nobody does."""

    winner: str | None
    seconds: float = 5
    cause: str = "SUCCESS"
    meanwhile: Callable[[], None] | None = None
    error: bool = False


@dataclass
class Originate:
    endpoint: str
    caller_id_number: str
    caller_id_name: str
    timeout: float
    variables: dict[str, str]


@dataclass
class RingingSwitch:
    clock: FakeClock
    rings: dict[str, list[Ring]]
    bridge_fails: bool = False
    group_rings: list[GroupRing] = field(default_factory=list)
    originates: list[Originate] = field(default_factory=list)
    group_originates: list[tuple[list[tuple[str, str]], Originate, dict[str, dict[str, str]]]] = field(
        default_factory=list
    )
    bridges: list[tuple[str, str]] = field(default_factory=list)
    hangups: list[tuple[str, str]] = field(default_factory=list)

    def originate(
        self,
        endpoint: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
    ) -> Originated:
        variables = dict(variables or {})
        # Refused the way EslSwitch refuses values inside originate's {...} block.
        app_args.endpoint(endpoint)
        for value in (caller_id_number, caller_id_name, *variables.values()):
            app_args.originate_value(value, "originate value")
        self.originates.append(Originate(endpoint, caller_id_number, caller_id_name, timeout, variables))
        ring = self.rings[endpoint].pop(0)
        if ring.error:
            raise SwitchError("-ERR socket closed")
        leg = variables["origination_uuid"]
        if ring.meanwhile is not None:
            self.clock.advance(ring.seconds / 2)
            ring.meanwhile()
            if (leg, "ORIGINATOR_CANCEL") in self.hangups:
                return Originated("no_answer", None, "ORIGINATOR_CANCEL")
            self.clock.advance(ring.seconds / 2)
        else:
            self.clock.advance(ring.seconds)
        answered = ring.result == "answered"
        return Originated(ring.result, (ring.leg_uuid or leg) if answered else None, ring.cause)

    def originate_any(
        self,
        endpoints: Sequence[tuple[str, str]],
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
        leg_variables: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Originated:
        per_leg = {leg: dict(values) for leg, values in (leg_variables or {}).items()}
        for endpoint_, _ in endpoints:
            app_args.endpoint(endpoint_)
        for value in (caller_id_number, caller_id_name, *(variables or {}).values()):
            app_args.originate_value(value, "originate value")
        common = Originate("", caller_id_number, caller_id_name, timeout, dict(variables or {}))
        self.group_originates.append((list(endpoints), common, per_leg))
        ring = self.group_rings.pop(0)
        if ring.error:
            raise SwitchError("-ERR socket closed")
        legs = [leg for _, leg in endpoints]
        if ring.meanwhile is not None:
            self.clock.advance(ring.seconds / 2)
            ring.meanwhile()
            if all((leg, "ORIGINATOR_CANCEL") in self.hangups for leg in legs):
                return Originated("failed", None, "ORIGINATOR_CANCEL")
            self.clock.advance(ring.seconds / 2)
        else:
            self.clock.advance(ring.seconds)
        winners = [leg for endpoint_, leg in endpoints if endpoint_ == ring.winner]
        if winners:
            return Originated("answered", winners[0], "SUCCESS")
        return Originated("no_answer", None, ring.cause)

    def bridge(self, caller_uuid: str, leg_uuid: str) -> None:
        if self.bridge_fails:
            raise SwitchError(f"-ERR no such channel {caller_uuid}")
        self.bridges.append((caller_uuid, leg_uuid))

    def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        self.hangups.append((uuid, cause))

    def channels(self) -> list[LiveChannel]:
        return []


@dataclass
class AgentLog:
    heard: list[tuple[str, str]] = field(default_factory=list)

    def ring(self, agent_id: str, call_uuid: str) -> None:
        self._add("ring", agent_id, call_uuid)

    def answered(self, agent_id: str, call_uuid: str) -> None:
        self._add("answered", agent_id, call_uuid)

    def no_answer(self, agent_id: str, call_uuid: str) -> None:
        self._add("no_answer", agent_id, call_uuid)

    def caller_abandoned(self, agent_id: str, call_uuid: str) -> None:
        self._add("caller_abandoned", agent_id, call_uuid)

    def offer_failed(self, agent_id: str, call_uuid: str) -> None:
        self._add("offer_failed", agent_id, call_uuid)

    def _add(self, what: str, agent_id: str, call_uuid: str) -> None:
        assert call_uuid == CALL
        self.heard.append((what, agent_id))


def endpoint(agent: str) -> str:
    return f"user/{agent}@callcenter.local"


def targets(*agents: str) -> list[AgentTarget]:
    return [AgentTarget(agent, endpoint(agent)) for agent in agents]


@dataclass
class Offer:
    clock: FakeClock
    switch: RingingSwitch
    ticket: QueueTicket
    agents: AgentLog
    events: MemoryQueueEvents
    woken: list[str]
    legs: Iterator[str]

    def run(
        self, candidates: Sequence[AgentTarget | RingGroup], settings: QueueSettings = SETTINGS
    ) -> OfferOutcome:
        return offer_call(
            self.switch,
            self.ticket,
            candidates,
            settings,
            self.agents,
            events=self.events,
            clock=self.clock,
            new_uuid=lambda: next(self.legs),
        )


def make_offer(rings: dict[str, list[Ring]], *, waited_before: float = 40) -> Offer:
    clock = FakeClock()
    switch = RingingSwitch(clock, rings)
    info = CallInfo(CALL, "+15551234567", "Jane Doe", "4001")
    ticket = QueueTicket.for_call(info, "sales", START - dt.timedelta(seconds=waited_before))
    woken: list[str] = []
    ticket.wake = lambda: woken.append("wake")
    legs = (f"leg-{n}" for n in range(1, 100))
    return Offer(clock, switch, ticket, AgentLog(), MemoryQueueEvents(), woken, legs)


def events_of(offer: Offer) -> list[tuple[str, str | None, float | None, str | None]]:
    return [(e.event, e.agent_id, e.wait_s, e.data) for e in offer.events.events]


LegRow = tuple[str, str, str, float, float | None, float | None, str | None]


def legs_of(offer: Offer) -> list[LegRow]:
    """Each agent leg reported: agent, leg, outcome, offered at, answered at, ended at (seconds after
    START), cause."""

    def since_start(at: dt.datetime | None) -> float | None:
        return None if at is None else (at - START).total_seconds()

    return [
        (
            leg.agent_id,
            leg.leg_uuid,
            leg.outcome,
            (leg.offered_at - START).total_seconds(),
            since_start(leg.answered_at),
            since_start(leg.ended_at),
            leg.cause,
        )
        for leg in offer.events.legs
    ]


def test_no_answer_busy_and_failure_pass_the_call_on_until_an_agent_answers() -> None:
    offer = make_offer(
        {
            endpoint("1001"): [Ring("no_answer", 15, "NO_ANSWER")],
            endpoint("1002"): [Ring("busy", 1, "USER_BUSY")],
            endpoint("1003"): [Ring("failed", 0, "USER_NOT_REGISTERED")],
            endpoint("1004"): [Ring("answered", 6, "SUCCESS")],
        }
    )

    outcome = offer.run(targets("1001", "1002", "1003", "1004", "1005"))

    assert outcome == OfferOutcome(
        "connected",
        agent_id="1004",
        agent_leg="leg-4",
        not_answered=("1001", "1002", "1003"),
        answered_leg=offer.events.legs[-1],
    )
    assert legs_of(offer) == [
        ("1001", "leg-1", "no_answer", 0, None, 15, "NO_ANSWER"),
        ("1002", "leg-2", "rejected", 15, None, 16, "USER_BUSY"),
        ("1003", "leg-3", "failed", 16, None, 16, "USER_NOT_REGISTERED"),
        ("1004", "leg-4", "answered", 16, 22, None, None),
    ]
    assert events_of(offer) == [
        ("RINGNOANSWER", "1001", 55, "NO_ANSWER"),
        ("RINGNOANSWER", "1002", 56, "USER_BUSY"),
        ("RINGNOANSWER", "1003", 56, "USER_NOT_REGISTERED"),
        ("CONNECT", "1004", 62, None),
    ]
    assert offer.agents.heard == [
        ("ring", "1001"),
        ("no_answer", "1001"),
        ("ring", "1002"),
        ("no_answer", "1002"),
        ("ring", "1003"),
        ("no_answer", "1003"),
        ("ring", "1004"),
        ("answered", "1004"),
    ]
    first = offer.switch.originates[0]
    assert (first.caller_id_number, first.caller_id_name, first.timeout) == ("+15551234567", "Jane Doe", 15)
    assert first.variables == {
        "cc_queue": "sales",
        "cc_call_uuid": CALL,
        "cc_agent": "1001",
        "origination_uuid": "leg-1",
    }
    assert offer.switch.bridges == [(CALL, "leg-4")]
    assert offer.woken == ["wake"]
    assert (offer.ticket.state, offer.ticket.agent_id, offer.ticket.wait_s) == ("connected", "1004", 62)
    assert offer.ticket.connected_at == START + dt.timedelta(seconds=22)


@pytest.mark.parametrize(
    ("number", "name", "shown"),
    [
        ("+15551234567", "", ("+15551234567", "+15551234567")),
        ("", "", ("anonymous", "anonymous")),
        ("1001", "O'Brien, Pat {VIP}", ("1001", "O Brien Pat VIP")),
        ("+1555$x", "Zoë Ünal", ("+1555 x", "Zoë Ünal")),
    ],
)
def test_caller_id_shown_to_the_agent_is_always_safe_and_never_empty(
    number: str, name: str, shown: tuple[str, str]
) -> None:
    offer = make_offer({endpoint("1001"): [Ring("answered")]})
    offer.ticket.caller_number, offer.ticket.caller_name = number, name
    offer.run(targets("1001"))
    sent = offer.switch.originates[0]
    assert (sent.caller_id_number, sent.caller_id_name) == shown


def test_candidates_are_taken_one_at_a_time_and_not_past_the_answer() -> None:
    taken: list[str] = []

    def lazily() -> Iterator[AgentTarget]:
        for target in targets("1001", "1002", "1003"):
            taken.append(target.agent_id)  # the server would reserve the agent here
            yield target

    offer = make_offer({endpoint("1001"): [Ring("no_answer")], endpoint("1002"): [Ring("answered")]})
    offer_call(
        offer.switch,
        offer.ticket,
        lazily(),
        SETTINGS,
        offer.agents,
        events=offer.events,
        clock=offer.clock,
        new_uuid=lambda: next(offer.legs),
    )
    assert taken == ["1001", "1002"]


def test_when_nobody_answers_the_caller_stays_queued() -> None:
    offer = make_offer({endpoint("1001"): [Ring("no_answer")], endpoint("1002"): [Ring("busy")]})
    outcome = offer.run(targets("1001", "1002"))
    assert outcome == OfferOutcome("no_agent", not_answered=("1001", "1002"))
    assert offer.ticket.state == "waiting"
    assert offer.switch.bridges == []
    assert offer.events.names() == ["RINGNOANSWER", "RINGNOANSWER"]


def test_a_caller_hanging_up_while_an_agent_rings_tears_the_leg_down_and_stops() -> None:
    offer = make_offer({}, waited_before=10)

    def caller_hangs_up() -> None:  # what wait_in_queue does in the caller's greenlet
        offer.ticket.leave("abandoned", offer.clock())

    offer.switch.rings = {
        endpoint("1001"): [Ring("no_answer", 15, "NO_ANSWER")],
        endpoint("1002"): [Ring("answered", 8, meanwhile=caller_hangs_up)],
    }
    outcome = offer.run(targets("1001", "1002", "1003"))

    assert outcome == OfferOutcome("caller_left", agent_id="1002", not_answered=("1001",))
    assert offer.switch.hangups == [("leg-2", "ORIGINATOR_CANCEL")]
    assert [o.endpoint for o in offer.switch.originates] == [endpoint("1001"), endpoint("1002")]
    assert offer.agents.heard[-2:] == [("ring", "1002"), ("caller_abandoned", "1002")]
    assert offer.events.names() == ["RINGNOANSWER"]  # no RINGNOANSWER for 1002: the agent did nothing wrong
    assert legs_of(offer) == [
        ("1001", "leg-1", "no_answer", 0, None, 15, "NO_ANSWER"),
        ("1002", "leg-2", "caller_abandoned", 15, None, 19, "ORIGINATOR_CANCEL"),
    ]
    assert offer.ticket.cancel_ringing is None
    assert offer.ticket.wait_s == 10 + 15 + 4


def test_a_caller_leaving_just_as_the_agent_answers_releases_the_answered_leg() -> None:
    offer = make_offer({})

    def caller_presses_exit() -> None:
        offer.ticket.cancel_ringing = None  # the leg is answered already: nothing left to cancel
        offer.ticket.leave("exited", offer.clock())

    offer.switch.rings = {endpoint("1001"): [Ring("answered", 4, meanwhile=caller_presses_exit)]}
    outcome = offer.run(targets("1001"))

    assert outcome.result == "caller_left"
    assert offer.switch.hangups == [("leg-1", "NORMAL_CLEARING")]
    assert offer.switch.bridges == []
    assert offer.agents.heard == [("ring", "1001"), ("caller_abandoned", "1001")]
    assert offer.events.names() == []
    assert legs_of(offer) == [("1001", "leg-1", "caller_abandoned", 0, 4, 4, None)]


def test_a_ticket_no_longer_waiting_is_not_offered() -> None:
    offer = make_offer({})
    offer.ticket.leave("timed_out", offer.clock())
    assert offer.run(targets("1001")) == OfferOutcome("caller_left")
    assert offer.switch.originates == []
    assert offer.agents.heard == []


def test_a_failed_bridge_releases_the_agent_and_raises() -> None:
    offer = make_offer({endpoint("1001"): [Ring("answered")]})
    offer.switch.bridge_fails = True
    with pytest.raises(OfferFailed) as failure:
        offer.run(targets("1001"))
    assert failure.value.agent_id == "1001"
    assert offer.switch.hangups == [("leg-1", "NORMAL_CLEARING")]
    assert offer.agents.heard == [("ring", "1001"), ("caller_abandoned", "1001")]
    assert offer.ticket.state == "failed"
    assert offer.events.names() == []
    assert legs_of(offer) == [("1001", "leg-1", "failed", 0, 5, 5, "BRIDGE_FAILED")]


def test_a_failed_bridge_after_the_caller_hung_up_is_the_callers_abandon() -> None:
    offer = make_offer({endpoint("1001"): [Ring("answered")]})

    def caller_hangs_up_as_the_hold_ends() -> None:
        offer.ticket.leave("abandoned", offer.clock())

    offer.ticket.wake = caller_hangs_up_as_the_hold_ends
    offer.switch.bridge_fails = True
    outcome = offer.run(targets("1001"))
    assert outcome == OfferOutcome("caller_left", agent_id="1001")
    assert offer.agents.heard == [("ring", "1001"), ("caller_abandoned", "1001")]
    assert legs_of(offer) == [("1001", "leg-1", "caller_abandoned", 0, 5, 5, "BRIDGE_FAILED")]


def test_a_switch_error_while_ringing_releases_the_agent_without_a_no_answer() -> None:
    offer = make_offer({endpoint("1001"): [Ring("no_answer", error=True)]})
    with pytest.raises(OfferFailed, match="originate to user/1001"):
        offer.run(targets("1001", "1002"))
    assert offer.agents.heard == [("ring", "1001"), ("offer_failed", "1001")]
    assert offer.switch.hangups == [("leg-1", "ORIGINATOR_CANCEL")]
    assert offer.ticket.state == "waiting"
    assert legs_of(offer) == [("1001", "leg-1", "failed", 0, None, 0, "SWITCH_ERROR")]


CUSTOMER = "loopback/+15551234567/default"


def callback_offer(rings: dict[str, list[Ring]]) -> Offer:
    offer = make_offer(rings, waited_before=0)
    assert offer.ticket.request_callback(START + dt.timedelta(seconds=40))
    return offer


def test_a_callback_rings_the_agent_first_then_dials_the_customer_and_bridges_them() -> None:
    offer = callback_offer(
        {
            endpoint("1001"): [Ring("no_answer", 15, "NO_ANSWER")],
            endpoint("1002"): [Ring("answered", 5)],
            CUSTOMER: [Ring("answered", 10)],
        }
    )

    outcome = offer.run(targets("1001", "1002"))

    assert outcome == OfferOutcome(
        "connected",
        agent_id="1002",
        agent_leg="leg-2",
        customer_leg="leg-3",
        not_answered=("1001",),
        answered_leg=offer.events.legs[-1],
    )
    # The agent's ring time ends when the agent answers, before the customer is dialled.
    assert legs_of(offer) == [
        ("1001", "leg-1", "no_answer", 0, None, 15, "NO_ANSWER"),
        ("1002", "leg-2", "answered", 15, 20, None, None),
    ]
    assert [leg.callback for leg in offer.events.legs] == [True, True]
    to_agent, to_customer = offer.switch.originates[1:]
    # The agent sees who it is before the customer's phone rings.
    assert (to_agent.endpoint, to_agent.caller_id_name, to_agent.caller_id_number) == (
        endpoint("1002"),
        "Callback Jane Doe",
        "+15551234567",
    )
    assert to_agent.variables["cc_callback"] == "true"
    # The customer sees the number they called.
    assert (to_customer.endpoint, to_customer.caller_id_number, to_customer.timeout) == (CUSTOMER, "4001", 25)
    assert offer.switch.bridges == [("leg-3", "leg-2")]
    assert events_of(offer) == [
        ("RINGNOANSWER", "1001", 15, "callback NO_ANSWER"),
        ("CONNECT", "1002", 30, "callback"),
    ]
    assert offer.agents.heard[-2:] == [("ring", "1002"), ("answered", "1002")]
    assert offer.woken == []  # nobody is on hold any more


def test_an_unanswered_callback_releases_the_agent_and_gives_up_after_the_attempts() -> None:
    offer = callback_offer(
        {
            endpoint("1001"): [Ring("answered"), Ring("answered")],
            CUSTOMER: [Ring("no_answer", 25, "NO_ANSWER"), Ring("busy", 2, "USER_BUSY")],
        }
    )

    first = offer.run(targets("1001"))
    assert first == OfferOutcome("callback_unanswered", agent_id="1001", agent_leg="leg-1")
    assert offer.switch.hangups == [("leg-1", "NORMAL_CLEARING")]
    assert offer.agents.heard == [("ring", "1001"), ("caller_abandoned", "1001")]
    assert offer.ticket.state == "waiting"
    assert offer.ticket.callback is not None
    assert offer.ticket.callback.attempts == 1

    second = offer.run(targets("1001"))
    assert second.result == "callback_unanswered"
    ticket = offer.ticket  # read anew: the asserts above narrowed offer.ticket.state to "waiting"
    assert ticket.state == "callback_failed"
    assert ticket.callback is not None
    assert ticket.callback.attempts == 2
    assert offer.run(targets("1001")).result == "caller_left"
    assert offer.events.names() == []
    assert [(leg.leg_uuid, leg.outcome, leg.cause) for leg in offer.events.legs] == [
        ("leg-1", "callback_unanswered", "NO_ANSWER"),
        ("leg-3", "callback_unanswered", "USER_BUSY"),
    ]


def test_a_callback_requested_while_an_agent_rings_stops_that_offer() -> None:
    offer = make_offer({})

    def caller_asks_for_a_callback() -> None:
        offer.ticket.request_callback(offer.clock())

    offer.switch.rings = {endpoint("1001"): [Ring("no_answer", 6, meanwhile=caller_asks_for_a_callback)]}
    outcome = offer.run(targets("1001", "1002"))
    assert outcome.result == "caller_left"
    assert offer.switch.hangups == [("leg-1", "ORIGINATOR_CANCEL")]
    assert offer.agents.heard == [("ring", "1001"), ("caller_abandoned", "1001")]
    assert offer.ticket.callback is not None
    assert offer.ticket.state == "waiting"  # next time it is offered as a callback


def test_from_the_callback_key_to_the_callback_call() -> None:
    clock = FakeClock()
    channel = ScriptedChannel(clock, [Press("*", 20)])
    ticket = QueueTicket.for_call(channel.info, "sales", START)
    events = MemoryQueueEvents()
    waited = wait_in_queue(
        channel,
        ticket,
        QueueSettings(callback_key="*"),
        position=lambda: 3,
        expected_wait=lambda: None,
        clock=clock,
        events=events,
    )
    assert waited.kind == "callback"

    clock.advance(300)  # the caller's turn comes
    switch = RingingSwitch(clock, {endpoint("1001"): [Ring("answered", 5)], CUSTOMER: [Ring("answered", 5)]})
    agents = AgentLog()
    legs = iter(["agent-leg", "customer-leg"])
    outcome = offer_call(
        switch,
        ticket,
        targets("1001"),
        SETTINGS,
        agents,
        events=events,
        clock=clock,
        new_uuid=lambda: next(legs),
    )

    assert outcome.result == "connected"
    assert [o.endpoint for o in switch.originates] == [endpoint("1001"), CUSTOMER]
    assert switch.originates[0].caller_id_name == "Callback Jane Doe"
    assert switch.bridges == [("customer-leg", "agent-leg")]
    assert [(e.event, e.wait_s) for e in events.events] == [
        ("ENTERQUEUE", 0),
        ("CALLBACK", 20),
        ("CONNECT", 332),
    ]


@pytest.mark.parametrize(
    ("ended_by", "event"),
    [("caller", "COMPLETECALLER"), ("agent", "COMPLETEAGENT"), ("transfer", "TRANSFER")],
)
def test_completion_records_wait_and_talk_seconds_once(
    ended_by: Literal["caller", "agent", "transfer"], event: str
) -> None:
    offer = make_offer({endpoint("1001"): [Ring("answered", 5)]}, waited_before=30)
    offer.run(targets("1001"))
    offer.clock.advance(125)

    talk = complete_call(offer.ticket, ended_by, events=offer.events, clock=offer.clock)

    assert talk == 125
    assert events_of(offer)[-1] == (event, "1001", 35, None)
    assert offer.events.events[-1].talk_s == 125
    assert offer.ticket.state == "completed"
    assert complete_call(offer.ticket, "caller", events=offer.events, clock=offer.clock) is None
    assert len(offer.events.events) == 2


def test_completion_reports_the_answered_leg_with_its_end_and_talk_time_once() -> None:
    offer = make_offer({endpoint("1001"): [Ring("answered", 5)]})
    answered = offer.run(targets("1001")).answered_leg
    assert answered is not None
    offer.clock.advance(125)

    complete_call(offer.ticket, "agent", events=offer.events, clock=offer.clock, leg=answered)
    complete_call(offer.ticket, "caller", events=offer.events, clock=offer.clock, leg=answered)

    assert legs_of(offer) == [
        ("1001", "leg-1", "answered", 0, 5, None, None),
        ("1001", "leg-1", "answered", 0, 5, 130, None),
    ]
    assert offer.events.legs[-1].talk_s == 125


def test_completion_of_a_call_never_connected_records_nothing() -> None:
    offer = make_offer({})
    assert complete_call(offer.ticket, "caller", events=offer.events, clock=offer.clock) is None
    assert offer.events.events == []


# -- ring-all: a group rung at once ---------------------------------------------------------------


def group(*agents: str) -> list[RingGroup]:
    return [RingGroup(tuple(targets(*agents)))]


def test_ring_all_rings_the_group_in_one_originate_and_the_first_to_answer_takes_the_call() -> None:
    offer = make_offer({})
    offer.switch.group_rings = [GroupRing(endpoint("1002"), 6)]

    outcome = offer.run(group("1001", "1002", "1003"))

    assert outcome == OfferOutcome(
        "connected", agent_id="1002", agent_leg="leg-2", answered_leg=offer.events.legs[-1]
    )
    # One leg per agent rung; the losers lost the race.
    assert legs_of(offer) == [
        ("1001", "leg-1", "lost_race", 0, None, 6, "LOSE_RACE"),
        ("1003", "leg-3", "lost_race", 0, None, 6, "LOSE_RACE"),
        ("1002", "leg-2", "answered", 0, 6, None, None),
    ]
    [(endpoints, common, per_leg)] = offer.switch.group_originates
    assert endpoints == [
        (endpoint("1001"), "leg-1"),
        (endpoint("1002"), "leg-2"),
        (endpoint("1003"), "leg-3"),
    ]
    assert (common.caller_id_number, common.caller_id_name, common.timeout) == (
        "+15551234567",
        "Jane Doe",
        15,
    )
    assert common.variables == {"cc_queue": "sales", "cc_call_uuid": CALL}
    assert per_leg == {
        "leg-1": {"cc_agent": "1001"},
        "leg-2": {"cc_agent": "1002"},
        "leg-3": {"cc_agent": "1003"},
    }
    assert offer.switch.originates == []
    assert offer.switch.bridges == [(CALL, "leg-2")]
    # The losers did nothing wrong: released without a no-answer and without a RINGNOANSWER.
    assert offer.agents.heard == [
        ("ring", "1001"),
        ("ring", "1002"),
        ("ring", "1003"),
        ("caller_abandoned", "1001"),
        ("caller_abandoned", "1003"),
        ("answered", "1002"),
    ]
    assert events_of(offer) == [("CONNECT", "1002", 46, None)]
    assert offer.woken == ["wake"]
    assert (offer.ticket.state, offer.ticket.agent_id) == ("connected", "1002")


def test_ring_all_nobody_answering_is_a_no_answer_for_each_and_the_call_stays_queued() -> None:
    offer = make_offer({})
    offer.switch.group_rings = [GroupRing(None, 15, "NO_ANSWER")]

    outcome = offer.run(group("1001", "1002", "1003"))

    assert outcome == OfferOutcome("no_agent", not_answered=("1001", "1002", "1003"))
    assert events_of(offer) == [
        ("RINGNOANSWER", "1001", 55, "NO_ANSWER"),
        ("RINGNOANSWER", "1002", 55, "NO_ANSWER"),
        ("RINGNOANSWER", "1003", 55, "NO_ANSWER"),
    ]
    assert offer.agents.heard[3:] == [("no_answer", "1001"), ("no_answer", "1002"), ("no_answer", "1003")]
    assert legs_of(offer) == [
        ("1001", "leg-1", "no_answer", 0, None, 15, "NO_ANSWER"),
        ("1002", "leg-2", "no_answer", 0, None, 15, "NO_ANSWER"),
        ("1003", "leg-3", "no_answer", 0, None, 15, "NO_ANSWER"),
    ]
    assert offer.ticket.state == "waiting"
    assert offer.switch.bridges == []


def test_ring_all_a_caller_hanging_up_cancels_every_ringing_leg() -> None:
    offer = make_offer({})

    def caller_hangs_up() -> None:
        offer.ticket.leave("abandoned", offer.clock())

    offer.switch.group_rings = [GroupRing(endpoint("1001"), 8, meanwhile=caller_hangs_up)]
    outcome = offer.run(group("1001", "1002"))

    assert outcome == OfferOutcome("caller_left")
    assert offer.switch.hangups == [("leg-1", "ORIGINATOR_CANCEL"), ("leg-2", "ORIGINATOR_CANCEL")]
    assert offer.agents.heard[2:] == [("caller_abandoned", "1001"), ("caller_abandoned", "1002")]
    assert offer.events.names() == []
    assert [(leg.leg_uuid, leg.outcome, leg.cause) for leg in offer.events.legs] == [
        ("leg-1", "caller_abandoned", "ORIGINATOR_CANCEL"),
        ("leg-2", "caller_abandoned", "ORIGINATOR_CANCEL"),
    ]
    assert offer.ticket.cancel_ringing is None


def test_ring_all_an_answer_after_the_caller_left_is_hung_up() -> None:
    offer = make_offer({})

    def caller_presses_exit() -> None:
        offer.ticket.cancel_ringing = None  # answered already: nothing left to cancel
        offer.ticket.leave("exited", offer.clock())

    offer.switch.group_rings = [GroupRing(endpoint("1002"), 4, meanwhile=caller_presses_exit)]
    outcome = offer.run(group("1001", "1002"))

    assert outcome.result == "caller_left"
    assert offer.switch.hangups == [("leg-2", "NORMAL_CLEARING")]
    assert offer.switch.bridges == []
    assert offer.agents.heard[2:] == [("caller_abandoned", "1001"), ("caller_abandoned", "1002")]
    # Both legs count as the caller's abandon; the one that answered keeps its answer time.
    assert legs_of(offer) == [
        ("1001", "leg-1", "caller_abandoned", 0, None, 4, "SUCCESS"),
        ("1002", "leg-2", "caller_abandoned", 0, 4, 4, "SUCCESS"),
    ]


def test_ring_all_a_switch_error_releases_every_agent_without_a_no_answer() -> None:
    offer = make_offer({})
    offer.switch.group_rings = [GroupRing(None, error=True)]

    with pytest.raises(OfferFailed) as failure:
        offer.run(group("1001", "1002"))

    assert failure.value.agent_id == "1001"
    assert offer.agents.heard[2:] == [("offer_failed", "1001"), ("offer_failed", "1002")]
    assert offer.switch.hangups == [("leg-1", "ORIGINATOR_CANCEL"), ("leg-2", "ORIGINATOR_CANCEL")]
    assert offer.events.names() == []
    assert [(leg.leg_uuid, leg.outcome, leg.cause) for leg in offer.events.legs] == [
        ("leg-1", "failed", "SWITCH_ERROR"),
        ("leg-2", "failed", "SWITCH_ERROR"),
    ]


def test_ring_all_with_a_single_reserved_agent_rings_it_alone() -> None:
    offer = make_offer({endpoint("1001"): [Ring("answered", 3)]})
    outcome = offer.run(group("1001"))
    assert outcome == OfferOutcome(
        "connected", agent_id="1001", agent_leg="leg-1", answered_leg=offer.events.legs[-1]
    )
    assert legs_of(offer) == [("1001", "leg-1", "answered", 0, 3, None, None)]
    assert offer.switch.group_originates == []
    assert [o.variables["cc_agent"] for o in offer.switch.originates] == ["1001"]
