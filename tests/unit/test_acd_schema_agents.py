"""Agents in the database: reservation in preference order, conditional transitions, the state log."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import Engine, select

from schema.acd_models import AgentStateLog
from schema.acd_records import AgentProfile
from schema.agents import (
    agent_snapshot,
    release_reservation,
    reserve_agent,
    transition_agent,
    upsert_agents,
)
from schema.db import session_scope
from schema.errors import RecordRejected

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
CALL_A = "a0000000-0000-4000-8000-000000000001"
CALL_B = "b0000000-0000-4000-8000-000000000002"


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def log_in(engine: Engine, *agent_ids: str) -> None:
    upsert_agents(engine, [AgentProfile(agent_id, name=f"Agent {agent_id}") for agent_id in agent_ids])
    for agent_id in agent_ids:
        assert transition_agent(
            engine, agent_id, None, "available", trigger="login", reason=None, at=at(0), server="s1"
        )


def move(
    engine: Engine,
    agent_id: str,
    call: str | None,
    to_state: str,
    seconds: float = 2,
    *,
    trigger: str = "test",
    no_answer: bool = False,
    wrap_up_until: dt.datetime | None = None,
) -> bool:
    return transition_agent(
        engine,
        agent_id,
        call,
        to_state,
        trigger=trigger,
        reason=None,
        at=at(seconds),
        server="s1",
        no_answer=no_answer,
        wrap_up_until=wrap_up_until,
    )


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
    assert move(engine, "1003", None, "on_break")

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

    assert move(engine, "1001", CALL_A, "ringing", 2)
    assert move(engine, "1001", CALL_A, "on_call", 4)
    assert move(engine, "1001", CALL_A, "wrap_up", 60, wrap_up_until=at(90))
    (agent,) = agent_snapshot(engine)
    assert (agent.state, agent.call_uuid, agent.wrap_up_until, agent.reserved_by) == (
        "wrap_up",
        CALL_A,
        at(90),
        "s1",
    )
    assert move(engine, "1001", CALL_A, "available", 90)

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


def test_a_transition_needs_the_expected_call_and_an_allowed_from_state(engine: Engine) -> None:
    log_in(engine, "1001")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"

    assert not move(engine, "1001", CALL_B, "ringing")  # another call
    assert not move(engine, "1001", None, "ringing")  # no call
    assert not move(engine, "1001", CALL_A, "logged_out")  # no logout while a call is held
    assert not move(engine, "9999", None, "available")  # no such agent
    with pytest.raises(RecordRejected, match="reserve_agent"):
        move(engine, "1001", None, "reserved")
    with pytest.raises(RecordRejected, match="not one of"):
        move(engine, "1001", CALL_A, "busy")

    assert states(engine) == {"1001": ("reserved", CALL_A)}
    assert len(state_log(engine)) == 2


def test_a_replayed_transition_changes_nothing_and_writes_no_second_log_row(engine: Engine) -> None:
    log_in(engine, "1001")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"

    assert move(engine, "1001", CALL_A, "ringing", 2)
    snapshot = agent_snapshot(engine)
    log = state_log(engine)
    assert not move(engine, "1001", CALL_A, "ringing", 2)

    assert agent_snapshot(engine) == snapshot
    assert state_log(engine) == log


def test_release_gives_back_only_a_reservation_that_never_rang(engine: Engine) -> None:
    log_in(engine, "1001", "1002")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"
    assert reserve_agent(engine, CALL_B, ["1002"], "s1", at(1)) == "1002"
    assert move(engine, "1002", CALL_B, "ringing")

    assert release_reservation(engine, "1001", CALL_A, at=at(3), server="s1", reason="caller hung up")
    assert not release_reservation(engine, "1001", CALL_A, at=at(3), server="s1")  # replay
    assert not release_reservation(engine, "1002", CALL_B, at=at(3), server="s1")  # ringing already

    assert states(engine) == {"1001": ("available", None), "1002": ("ringing", CALL_B)}
    assert state_log(engine)[-1] == ("1001", 3, "reserved", "available", "release", CALL_A, "s1")


def test_no_answers_are_counted_and_reset_on_answer(engine: Engine) -> None:
    log_in(engine, "1001")

    def ring_unanswered(call: str) -> None:
        assert reserve_agent(engine, call, ["1001"], "s1", at(1)) == "1001"
        assert move(engine, "1001", call, "ringing", 2)
        assert move(engine, "1001", call, "available", 3, trigger="no_answer", no_answer=True)

    ring_unanswered(CALL_A)
    ring_unanswered(CALL_B)
    assert agent_snapshot(engine)[0].consecutive_no_answers == 2

    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(4)) == "1001"
    assert move(engine, "1001", CALL_A, "on_call", 5)
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
