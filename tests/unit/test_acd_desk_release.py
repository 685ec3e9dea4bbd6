"""AgentDesk.release gives a never-rung reservation back through the agent service, and frees the agent."""

from __future__ import annotations

import datetime as dt

import gevent
from sqlalchemy import Engine

from dialplans.loader import load_dialplan
from esl_handlers.acd_agents import AgentDesk
from ivr_scripts.acd.board import DispatchBoard
from ivr_scripts.acd.from_dialplan import agent_view
from ivr_scripts.agent_service import AgentService
from ivr_scripts.agent_states import Transition
from schema.acd.agents import agent_snapshot, reserve_agent, upsert_agents
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from tests.support.dialplans import EXAMPLE

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CALL = "d0000000-0000-4000-8000-000000000001"


class Board(DispatchBoard):
    """A board that only notes who was made available (the desk's agent is not set up on it)."""

    def __init__(self) -> None:
        super().__init__()
        self.available: list[str] = []

    def agent_available(self, agent_id: str, idle_since: float | None = None) -> None:
        self.available.append(agent_id)

    def agent_unavailable(self, agent_id: str) -> None:
        pass


def reserved_desk(engine: Engine) -> tuple[AgentDesk, Board, list[str]]:
    upsert_agents(engine, [AgentProfile("1001")])
    AgentService(SqlAgentStore(engine, "s1"), None, lambda: T0).login("1001")
    assert reserve_agent(engine, CALL, ["1001"], "s1", T0) == "1001"
    board, freed = Board(), list[str]()
    plan = load_dialplan(EXAMPLE).model
    desk = AgentDesk(plan, engine, board, server="s1", clock=lambda: T0, on_free=freed.append)
    return desk, board, freed


def test_a_released_reservation_makes_the_agent_available_and_offers_it_a_call(engine: Engine) -> None:
    desk, board, freed = reserved_desk(engine)

    desk.release(CALL, "1001")
    gevent.sleep(0)

    (agent,) = agent_snapshot(engine)
    assert (agent.state, agent.call_uuid, agent.reserved_by) == ("available", None, None)
    assert board.available == ["1001"]
    assert freed == ["1001"]


def test_a_reservation_that_already_rang_is_not_released(engine: Engine) -> None:
    desk, board, freed = reserved_desk(engine)
    AgentService(SqlAgentStore(engine, "s1"), None, lambda: T0).ring("1001", CALL)

    desk.release(CALL, "1001")
    gevent.sleep(0)

    (agent,) = agent_snapshot(engine)
    assert (agent.state, agent.call_uuid) == ("ringing", CALL)
    assert board.available == []
    assert freed == []


def test_an_agent_taken_elsewhere_leaves_the_board_when_the_desk_refreshes(engine: Engine) -> None:
    """A campaign seat reserves the agent in the database; the ACD's board must stop offering them."""
    upsert_agents(engine, [AgentProfile("1001")])
    AgentService(SqlAgentStore(engine, "s1"), None, lambda: T0).login("1001")
    plan = load_dialplan(EXAMPLE).model
    board = DispatchBoard()
    desk = AgentDesk(plan, engine, board, server="s1", clock=lambda: T0, on_free=lambda agent_id: None)
    board.set_agent(agent_view("1001", plan.agents["1001"], available=False, idle_since=0.0))
    desk.refresh("1001")
    assert board.agent("1001").available

    assert reserve_agent(engine, CALL, ["1001"], "dialer", T0) == "1001"
    desk.refresh("1001")
    assert not board.agent("1001").available


def test_observers_hear_each_saved_change_and_a_failing_one_stops_nothing(engine: Engine) -> None:
    desk, _board, freed = reserved_desk(engine)
    heard: list[tuple[str, str]] = []

    def failing(transition: Transition) -> None:
        raise RuntimeError("a broken observer")

    desk.observe(failing)
    desk.observe(lambda transition: heard.append((transition.agent_id, transition.to_state.value)))

    desk.release(CALL, "1001")
    gevent.sleep(0)

    assert heard == [("1001", "available")]
    assert freed == ["1001"]
    desk.release(CALL, "1001")  # nothing to release: nothing changed, nothing heard
    assert heard == [("1001", "available")]
