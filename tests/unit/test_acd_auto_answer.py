"""Auto-answer per agent: a headset agent's ACD leg asks the phone to answer by itself, nobody else's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine

from dialplans import models as plan
from esl_handlers.acd_server import QueueServer
from esl_handlers.seat_legs import auto_answer_variables, seat_variables
from ivr_scripts.acd.offer import offer_call
from ivr_scripts.acd.offer_model import AgentTarget, RingGroup
from ivr_scripts.acd.queue_events import MemoryQueueEvents
from ivr_scripts.acd.settings import QueueSettings
from ivr_scripts.acd.waiting import QueueTicket
from ivr_scripts.channel import CallInfo
from ivr_scripts.switch import LiveChannel, Originated
from tests.fakes.clock import START, FakeClock

AUTO_ANSWER = {"sip_auto_answer": "true", "sip_auto_answer_suppress_notify": "true"}
CALL = "0b7c8a7e-0000-4000-8000-000000000001"


@dataclass
class NobodyAnswers:
    """A switch whose agents never answer; it keeps the variables of every leg it was asked to ring."""

    legs: dict[str, dict[str, str]] = field(default_factory=dict)

    def originate(
        self,
        endpoint: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
    ) -> Originated:
        self.legs[endpoint] = dict(variables or {})
        return Originated("no_answer", None, "NO_ANSWER")

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
        for endpoint, leg in endpoints:
            self.legs[endpoint] = {**(variables or {}), **(leg_variables or {}).get(leg, {})}
        return Originated("no_answer", None, "NO_ANSWER")

    def bridge(self, caller_uuid: str, leg_uuid: str) -> None:
        raise AssertionError("nobody answered")

    def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        del uuid, cause

    def channels(self) -> list[LiveChannel]:
        return []


class Ignored:
    def ring(self, agent_id: str, call_uuid: str) -> None: ...
    def answered(self, agent_id: str, call_uuid: str) -> None: ...
    def no_answer(self, agent_id: str, call_uuid: str) -> None: ...
    def caller_abandoned(self, agent_id: str, call_uuid: str) -> None: ...
    def offer_failed(self, agent_id: str, call_uuid: str) -> None: ...


def dialplan() -> plan.Dialplan:
    agents = {"1001": {"name": "Alice", "auto_answer": True}, "1002": {"name": "Ben", "extension": "2002"}}
    menus = {"main": {"prompt": "hello", "options": {"1": {"hangup": {}}}, "fallback": {"hangup": {}}}}
    return plan.Dialplan.model_validate(
        {"agents": agents, "menus": menus, "dids": {"4001": {"menu": "main"}}}
    )


def rung_legs(candidates: Sequence[AgentTarget | RingGroup]) -> dict[str, dict[str, str]]:
    switch = NobodyAnswers()
    ticket = QueueTicket.for_call(CallInfo(CALL, "+15551234567", "Jane Doe", "4001"), "sales", START)
    offer_call(
        switch, ticket, candidates, QueueSettings(), Ignored(), events=MemoryQueueEvents(), clock=FakeClock()
    )
    return switch.legs


def test_agents_answer_their_phones_themselves_unless_the_dialplan_says_auto_answer() -> None:
    assert plan.Agent.model_validate({"name": "Carl"}).auto_answer is False
    with pytest.raises(ValueError, match="auto_answer"):
        plan.Agent.model_validate({"name": "Carl", "auto_answer": "sometimes"})


def test_the_acd_targets_carry_auto_answer_for_the_headset_agent_only(engine: Engine) -> None:
    queues = QueueServer(
        dialplan(), engine, NobodyAnswers(), MemoryQueueEvents(), server="s1", clock=FakeClock(),
        agent_domain="callcenter.local",
    )  # fmt: skip
    alice, ben = queues.target("1001"), queues.target("1002")
    assert (alice.endpoint, dict(alice.variables)) == ("user/1001@callcenter.local", AUTO_ANSWER)
    assert (ben.endpoint, ben.variables) == ("user/2002@callcenter.local", ())


def test_one_by_one_each_agents_leg_carries_its_own_variables() -> None:
    alice = AgentTarget("1001", "user/1001@x", tuple(AUTO_ANSWER.items()))
    legs = rung_legs([alice, AgentTarget("1002", "user/1002@x")])
    assert {k: v for k, v in legs["user/1001@x"].items() if k.startswith("sip_")} == AUTO_ANSWER
    assert legs["user/1001@x"]["cc_agent"] == "1001"
    assert not any(k.startswith("sip_") for k in legs["user/1002@x"])


def test_ring_all_puts_auto_answer_in_the_headset_agents_leg_block_only() -> None:
    alice = AgentTarget("1001", "user/1001@x", tuple(AUTO_ANSWER.items()))
    legs = rung_legs([RingGroup((alice, AgentTarget("1002", "user/1002@x")))])
    assert {k: v for k, v in legs["user/1001@x"].items() if k.startswith("sip_")} == AUTO_ANSWER
    assert not any(k.startswith("sip_") for k in legs["user/1002@x"])


def test_seats_previews_and_the_acd_share_one_set_of_auto_answer_variables() -> None:
    assert auto_answer_variables() == AUTO_ANSWER
    assert AUTO_ANSWER.items() <= seat_variables("1001").items()
    assert not AUTO_ANSWER.keys() & seat_variables("1001", auto_answer=False).keys()
