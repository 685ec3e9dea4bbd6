"""Campaign seats in the agent state machine, and the dialer runtime's tick, on SQLite and PostgreSQL.

A ready member agent is reserved for a seat (so the ACD offers them nothing), goes on call when the
seat is answered, and on break when it ends; the runtime opens seats only for campaigns that dial by
themselves and dials one lead per waiting seat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType

import gevent
import pytest
from sqlalchemy import Engine

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import CampaignStatus
from dialplans.loader import load_dialplan
from dialplans.models import Dialplan
from esl_handlers.campaign_calls import CampaignCalls
from esl_handlers.campaign_seats import SEAT_ENDED, SEAT_NOT_ANSWERED, SeatKeeper
from esl_handlers.codec import Event
from esl_handlers.dialer import CampaignAudio
from esl_handlers.dialer_runtime import DialerRuntime, DialerWiring, EslAddress, campaign_members
from esl_handlers.seat_legs import SEAT_AGENT_VARIABLE
from ivr_scripts.agent_service import AgentService
from ivr_scripts.switch import Originated
from schema.acd.agents import agent_snapshot, reserve_agent, upsert_agents
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.campaigns.status import transition
from tests.fakes.campaign_switch import FakeSwitch
from tests.support.campaign_leads import NOW, add_leads
from tests.support.dialplans import EXAMPLE

INBOUND_CALL = "d0000000-0000-4000-8000-000000000001"


def seat_event(name: str, leg: str, agent_id: str) -> Event:
    headers = {"Event-Name": name, "Unique-ID": leg, f"variable_{SEAT_AGENT_VARIABLE}": agent_id}
    return Event(MappingProxyType(headers), None)


def agents(engine: Engine, *agent_ids: str) -> AgentService:
    upsert_agents(engine, [AgentProfile(agent_id) for agent_id in agent_ids])
    service = AgentService(SqlAgentStore(engine, "s1"), None, lambda: NOW)
    for agent_id in agent_ids:
        service.login(agent_id)
    return service


def state_of(engine: Engine, agent_id: str) -> tuple[str, str | None, str | None]:
    agent = next(a for a in agent_snapshot(engine) if a.agent_id == agent_id)
    return agent.state, agent.call_uuid, agent.state_reason


class Seats:
    def __init__(self, engine: Engine) -> None:
        self.switch = FakeSwitch()
        self.changed: list[str] = []
        self.calls = CampaignCalls(self.switch, lambda call: None, clock=lambda: NOW, on_seat=self.on_seat)
        self.keeper = SeatKeeper(
            self.calls,
            engine,
            server="s1",
            clock=lambda: NOW,
            endpoint=lambda agent_id: f"user/{agent_id}@callcenter.local",
            on_agent_change=self.changed.append,
        )
        self.keeper.start()

    def on_seat(self, agent_id: str, leg: str, fact: str) -> None:
        self.keeper.on_seat(agent_id, leg, fact)  # type: ignore[arg-type]

    def settle(self) -> None:
        """Let the keeper apply what it was told (its worker waits on the database in a thread)."""
        gevent.sleep(0.05)
        self.keeper.stop()
        self.keeper.start()


GIVE_UP = Originated("failed", None, "NORMAL_TEMPORARY_FAILURE")


@pytest.fixture
def seats(engine: Engine) -> Iterator[Seats]:
    seats = Seats(engine)
    yield seats
    seats.switch.settle_all(GIVE_UP)
    seats.keeper.stop()


def test_a_ready_member_is_reserved_for_a_seat_on_call_while_it_lasts_and_on_break_after(
    engine: Engine, seats: Seats
) -> None:
    agents(engine, "1001")
    assert seats.keeper.fill({"1001"}) == 1
    seat = seats.calls.seats.seat_of("1001")
    assert seat is not None
    assert state_of(engine, "1001") == ("reserved", seat.leg_uuid, None), "the ACD offers them nothing"
    gevent.sleep(0)
    assert seats.switch.done == [("originate", "user/1001@callcenter.local")]
    assert seats.keeper.fill({"1001"}) == 0, "one seat per agent"

    seats.calls.on_switch_event(seat_event("CHANNEL_PARK", seat.leg_uuid, "1001"))
    seats.calls.on_switch_event(seat_event("CHANNEL_PARK", seat.leg_uuid, "1001"))  # after a customer
    seats.settle()
    assert state_of(engine, "1001") == ("on_call", seat.leg_uuid, None)

    seats.calls.on_switch_event(seat_event("CHANNEL_HANGUP_COMPLETE", seat.leg_uuid, "1001"))
    seats.settle()
    assert state_of(engine, "1001") == ("on_break", None, SEAT_ENDED), "the agent left the campaign"
    assert seats.keeper.fill({"1001"}) == 0, "no new seat until the agent is ready again"
    assert seats.changed.count("1001") == 3


def test_a_phone_that_does_not_answer_puts_the_agent_on_break(engine: Engine, seats: Seats) -> None:
    agents(engine, "1001")
    seats.keeper.fill({"1001"})
    seat = seats.calls.seats.seat_of("1001")
    assert seat is not None
    gevent.sleep(0)
    seats.switch.originates[seat.leg_uuid].set(Originated("no_answer", None, "NO_ANSWER"))
    gevent.sleep(0)
    seats.settle()
    assert seats.calls.seats.seat_of("1001") is None
    assert state_of(engine, "1001") == ("on_break", None, SEAT_NOT_ANSWERED)


def test_only_available_members_get_seats(engine: Engine, seats: Seats) -> None:
    service = agents(engine, "1001", "1002", "1003", "1004")
    service.go_break("1002", "lunch")
    service.logout("1003")
    assert reserve_agent(engine, INBOUND_CALL, ["1004"], "s1", NOW) == "1004"
    assert seats.keeper.fill({"1001", "1002", "1003", "1004", "1005"}) == 1
    assert [seat.agent_id for seat in seats.calls.seats.waiting(NOW)] == []
    assert seats.calls.seats.seat_of("1001") is not None
    assert state_of(engine, "1004") == ("reserved", INBOUND_CALL, None), "the inbound offer is kept"


SPRING = {"type": "survey", "agents": ["1001"], "lists": ["march"], "caller_id": "+13125550000"}


def plan(**campaigns: Mapping[str, object]) -> Dialplan:
    base = load_dialplan(EXAMPLE).model
    return base.model_copy(
        update={"campaigns": {name: Campaign.model_validate(c) for name, c in campaigns.items()}}
    )


Runtime = Callable[[Dialplan], tuple[DialerRuntime, FakeSwitch]]


@pytest.fixture
def runtime(engine: Engine) -> Iterator[Runtime]:
    """Makes dialer runtimes on `engine` (listener not started); settles and stops them after the test."""
    made: list[tuple[DialerRuntime, FakeSwitch]] = []

    def make(model: Dialplan) -> tuple[DialerRuntime, FakeSwitch]:
        switch = FakeSwitch()
        dialer = DialerRuntime(
            model,
            engine,
            switch,
            EslAddress("127.0.0.1", 8021, "unused"),
            DialerWiring(
                customer_endpoint="sofia/gateway/pstn/{number}",
                agent_endpoint=lambda agent_id: f"user/{agent_id}@callcenter.local",
                on_agent_change=lambda agent_id: None,
                server="s1",
            ),
            audio={"spring": CampaignAudio(dropped="/srv/sounds/spring-id.wav")},
            clock=lambda: NOW,
        )
        dialer.seats.start()
        made.append((dialer, switch))
        return dialer, switch

    yield make
    for dialer, switch in made:
        switch.settle_all(GIVE_UP)
        dialer.seats.stop()


def test_the_runtime_seats_ready_agents_then_dials_one_lead_per_waiting_seat(
    engine: Engine, runtime: Runtime
) -> None:
    agents(engine, "1001")
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    add_leads(engine, "+13125550001")
    dialer, switch = runtime(plan(spring=SPRING))
    assert dialer.tick() == 0, "the seat is still ringing"
    seat = dialer.calls.seats.seat_of("1001")
    assert seat is not None
    dialer.calls.on_switch_event(seat_event("CHANNEL_PARK", seat.leg_uuid, "1001"))
    assert dialer.tick() == 1
    gevent.sleep(0)
    assert ("originate", "sofia/gateway/pstn/+13125550001") in switch.done


def test_a_preview_campaign_or_one_not_running_seats_nobody(engine: Engine, runtime: Runtime) -> None:
    agents(engine, "1001", "1002")
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    preview = {**SPRING, "dial_mode": "preview", "agents": ["1001"]}
    paused = {**SPRING, "agents": ["1002"]}
    dialer, _ = runtime(plan(spring=preview, autumn=paused))
    assert dialer.tick() == 0
    assert dialer.calls.seats.seat_of("1001") is None, "preview: the agent dials"
    assert dialer.calls.seats.seat_of("1002") is None, "autumn is a draft"


def test_a_campaigns_members_are_its_agents_and_its_queues() -> None:
    model = load_dialplan(EXAMPLE).model
    queue, settings = next((name, queue) for name, queue in model.queues.items() if queue.tiers)
    campaign = Campaign.model_validate({**SPRING, "agents": ["9999"], "queue": queue})
    assert campaign_members(model, campaign) == {"9999", *(tier.agent for tier in settings.tiers)}
