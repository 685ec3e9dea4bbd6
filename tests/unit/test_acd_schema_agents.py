"""Agents in the database: reservation in preference order, the state machine's moves stored, the log."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import Engine, select

from ivr_scripts.agent_service import AgentService, UnknownAgent
from ivr_scripts.agent_states import AgentState, AgentStateError
from ivr_scripts.agent_table import RESERVABLE_STATES
from schema.acd.agents import agent_snapshot, reserve_agent, upsert_agents
from schema.acd.models import AgentStateLog
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.db import session_scope
from schema.errors import RecordRejected

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
CALL_A = "a0000000-0000-4000-8000-000000000001"
CALL_B = "b0000000-0000-4000-8000-000000000002"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def agents(engine: Engine, seconds: float = 2) -> AgentService:
    """The agent service on the database, its clock standing at `seconds`."""
    return AgentService(SqlAgentStore(engine, "s1"), None, lambda: at(seconds))


def log_in(engine: Engine, *agent_ids: str) -> None:
    upsert_agents(engine, [AgentProfile(agent_id, name=f"Agent {agent_id}") for agent_id in agent_ids])
    for agent_id in agent_ids:
        assert agents(engine, 0).login(agent_id).changed


def states(engine: Engine) -> dict[str, tuple[str, str | None]]:
    return {a.agent_id: (a.state, a.call_uuid) for a in agent_snapshot(engine)}


def state_log(engine: Engine) -> list[tuple[str, int, str, str, str, str | None, str]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(AgentStateLog).order_by(AgentStateLog.id)).all()
        return [
            (r.agent_id, r.version, r.from_state, r.to_state, r.trigger, r.call_uuid, r.server) for r in rows
        ]


def test_new_agents_start_logged_out_at_version_zero(engine: Engine) -> None:
    upsert_agents(engine, [AgentProfile("1001", name="Ann", extension="1001", department="sales")])
    (agent,) = agent_snapshot(engine)
    assert (agent.agent_id, agent.name, agent.extension, agent.department) == ("1001", "Ann", "1001", "sales")
    assert (agent.state, agent.call_uuid, agent.version, agent.consecutive_no_answers) == (
        "logged_out",
        None,
        0,
        0,
    )
    assert agent.state_since.tzinfo == dt.UTC


def test_reserve_takes_the_first_available_candidate_in_the_given_order(engine: Engine) -> None:
    log_in(engine, "1001", "1002", "1003")

    assert reserve_agent(engine, CALL_A, ["1003", "1001", "1002"], "s1", at(5)) == "1003"

    (reserved,) = [a for a in agent_snapshot(engine) if a.agent_id == "1003"]
    assert (reserved.state, reserved.call_uuid, reserved.reserved_by, reserved.state_since) == (
        "reserved",
        CALL_A,
        "s1",
        at(5),
    )
    assert reserved.version == 2  # login, reservation
    assert state_log(engine)[-1] == ("1003", 2, "available", "reserved", "reserve", CALL_A, "s1")


def test_reserve_skips_busy_and_unknown_candidates(engine: Engine) -> None:
    log_in(engine, "1001", "1002", "1003")
    assert reserve_agent(engine, CALL_A, ["1002"], "s1", at(1)) == "1002"
    assert agents(engine).go_break("1003", "lunch").changed

    assert reserve_agent(engine, CALL_B, ["9999", "1002", "1003", "1001"], "s2", at(3)) == "1001"
    assert states(engine) == {
        "1001": ("reserved", CALL_B),
        "1002": ("reserved", CALL_A),
        "1003": ("on_break", None),
    }


def test_reserve_returns_none_when_no_candidate_is_available(engine: Engine) -> None:
    upsert_agents(engine, [AgentProfile("1001"), AgentProfile("1002")])  # both logged out
    log_in(engine, "1003")
    assert reserve_agent(engine, CALL_A, ["1003"], "s1", at(1)) == "1003"
    before = state_log(engine)

    assert reserve_agent(engine, CALL_B, ["1001", "1002", "1003"], "s1", at(2)) is None
    assert reserve_agent(engine, CALL_B, [], "s1", at(2)) is None

    assert state_log(engine) == before
    assert states(engine)["1003"] == ("reserved", CALL_A)


def test_a_call_walks_through_ringing_on_call_wrap_up_and_back(engine: Engine) -> None:
    log_in(engine, "1001")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"

    assert agents(engine).ring("1001", CALL_A, at=at(2)).changed
    assert agents(engine).answered("1001", CALL_A, at=at(4)).changed
    assert agents(engine).call_ended("1001", CALL_A, 30, at=at(60)).changed
    (agent,) = agent_snapshot(engine)
    assert (agent.state, agent.call_uuid, agent.wrap_up_until, agent.reserved_by) == (
        "wrap_up",
        CALL_A,
        at(90),
        "s1",
    )
    assert agents(engine).wrap_up_expired("1001", at=at(90)).changed

    (agent,) = agent_snapshot(engine)
    assert (agent.state, agent.call_uuid, agent.wrap_up_until, agent.reserved_by) == (
        "available",
        None,
        None,
        None,
    )
    assert [(v, f, t) for _, v, f, t, *_ in state_log(engine)] == [
        (1, "logged_out", "available"),
        (2, "available", "reserved"),
        (3, "reserved", "ringing"),
        (4, "ringing", "on_call"),
        (5, "on_call", "wrap_up"),
        (6, "wrap_up", "available"),
    ]


def test_a_transition_needs_the_held_call_and_a_state_that_allows_it(engine: Engine) -> None:
    log_in(engine, "1001")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"

    assert not agents(engine).ring("1001", CALL_B).changed  # another call
    with pytest.raises(AgentStateError, match="needs a call_uuid"):
        agents(engine).ring("1001", "")  # no call
    with pytest.raises(AgentStateError, match="cannot 'logout'"):
        agents(engine).logout("1001")  # no logout while a call is held
    with pytest.raises(UnknownAgent):
        agents(engine).ready("9999")  # no such agent

    assert states(engine) == {"1001": ("reserved", CALL_A)}
    assert len(state_log(engine)) == 2


def test_a_replayed_transition_changes_nothing_and_writes_no_second_log_row(engine: Engine) -> None:
    log_in(engine, "1001")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"

    assert agents(engine).ring("1001", CALL_A).changed
    snapshot = agent_snapshot(engine)
    log = state_log(engine)
    assert not agents(engine).ring("1001", CALL_A).changed

    assert agent_snapshot(engine) == snapshot
    assert state_log(engine) == log


def test_release_gives_back_only_a_reservation_that_never_rang(engine: Engine) -> None:
    log_in(engine, "1001", "1002")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"
    assert reserve_agent(engine, CALL_B, ["1002"], "s1", at(1)) == "1002"
    assert agents(engine).ring("1002", CALL_B).changed

    assert agents(engine, 3).reservation_cancelled("1001", CALL_A).changed
    assert not agents(engine, 3).reservation_cancelled("1001", CALL_A).changed  # replay
    assert not agents(engine, 3).reservation_cancelled("1002", CALL_B).changed  # ringing already

    assert states(engine) == {"1001": ("available", None), "1002": ("ringing", CALL_B)}
    assert state_log(engine)[-1] == (
        "1001",
        3,
        "reserved",
        "available",
        "reservation_cancelled",
        CALL_A,
        "s1",
    )


def test_no_answers_are_counted_and_reset_on_answer(engine: Engine) -> None:
    log_in(engine, "1001")

    def ring_unanswered(call: str) -> None:
        assert reserve_agent(engine, call, ["1001"], "s1", at(1)) == "1001"
        assert agents(engine).ring("1001", call, at=at(2)).changed
        assert agents(engine).no_answer("1001", call, at=at(3)).to_state == "available"

    ring_unanswered(CALL_A)
    ring_unanswered(CALL_B)
    assert agent_snapshot(engine)[0].consecutive_no_answers == 2

    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(4)) == "1001"
    assert agents(engine).answered("1001", CALL_A, at=at(5)).changed
    assert agent_snapshot(engine)[0].consecutive_no_answers == 0


def test_upsert_updates_profiles_but_never_a_live_state(engine: Engine) -> None:
    log_in(engine, "1001")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"
    (before,) = agent_snapshot(engine)

    upsert_agents(engine, [AgentProfile("1001", name="Agent 1001"), AgentProfile("1002", name="Bob")])
    (unchanged, new) = agent_snapshot(engine)
    assert unchanged == before  # same profile: not even the version moved
    assert (new.agent_id, new.state) == ("1002", "logged_out")

    upsert_agents(engine, [AgentProfile("1001", name="Ann", department="support")])
    (renamed, _) = agent_snapshot(engine)
    restored = dataclasses.replace(
        renamed, name=before.name, department=None, version=before.version, updated_at=before.updated_at
    )
    assert restored == before  # nothing but the profile moved
    assert (renamed.name, renamed.department, renamed.version) == ("Ann", "support", before.version + 1)


def test_a_version_bumped_by_a_profile_change_keeps_the_state_log_consistent(engine: Engine) -> None:
    log_in(engine, "1001")
    upsert_agents(engine, [AgentProfile("1001", name="Renamed")])  # version 2, no log row
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"
    assert [(v, t) for _, v, _, t, *_ in state_log(engine)] == [(1, "available"), (3, "reserved")]


def test_bad_input_is_refused_where_it_is_made(engine: Engine) -> None:
    with pytest.raises(RecordRejected, match="given twice"):
        upsert_agents(engine, [AgentProfile("1001"), AgentProfile("1001")])
    with pytest.raises(RecordRejected, match="agent id"):
        AgentProfile("")
    with pytest.raises(RecordRejected, match="timezone"):
        reserve_agent(engine, CALL_A, ["1001"], "s1", dt.datetime(2024, 3, 1, 9, 0))
    with pytest.raises(RecordRejected, match="call uuid"):
        reserve_agent(engine, "x" * 37, ["1001"], "s1", at(0))


def bring_to(engine: Engine, agent_id: str, state: AgentState) -> None:
    """Walk a logged-out agent to `state` on the path the server uses."""
    service = agents(engine, 1)
    if state is AgentState.LOGGED_OUT:
        return
    service.login(agent_id)
    if state is AgentState.ON_BREAK:
        service.go_break(agent_id, "lunch")
    if state in (AgentState.AVAILABLE, AgentState.ON_BREAK):
        return
    call = f"c0000000-0000-4000-8000-{agent_id:0>12}"
    assert reserve_agent(engine, call, [agent_id], "s1", at(1)) == agent_id
    if state in (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP):
        service.ring(agent_id, call)
    if state in (AgentState.ON_CALL, AgentState.WRAP_UP):
        service.answered(agent_id, call)
    if state is AgentState.WRAP_UP:
        service.call_ended(agent_id, call, 30)
    assert states(engine)[agent_id][0] == state


def test_reserve_picks_an_agent_only_in_a_state_the_table_lets_reserve_leave(engine: Engine) -> None:
    assert {AgentState.AVAILABLE} == RESERVABLE_STATES
    by_state = {state: str(1001 + number) for number, state in enumerate(AgentState)}
    upsert_agents(engine, [AgentProfile(agent_id) for agent_id in by_state.values()])
    for state, agent_id in by_state.items():
        bring_to(engine, agent_id, state)

    reserved = {
        state
        for state, agent_id in by_state.items()
        if reserve_agent(engine, CALL_A, [agent_id], "s1", at(5))
    }

    assert reserved == RESERVABLE_STATES


@pytest.mark.parametrize("reason", ["lunch", "meeting"])
def test_a_break_reason_change_is_a_move_and_the_same_reason_is_a_replay(engine: Engine, reason: str) -> None:
    upsert_agents(engine, [AgentProfile("1001")])
    bring_to(engine, "1001", AgentState.ON_BREAK)
    (before,) = agent_snapshot(engine)

    moved = agents(engine, 3).go_break("1001", reason).changed

    (after,) = agent_snapshot(engine)
    assert moved is (reason != "lunch")
    assert (after.state_reason, after.version) == (reason, before.version + (1 if moved else 0))
