"""The database's guard (schema.agents.ALLOWED_FROM) and the state machine (TABLE) allow the same moves.

A move is (from state, to state) of a changed transition. The state machine's moves are derived by
applying every trigger to every state, with the rules on top of the table exercised (the no-answer break,
zero wrap-up, a new break reason); reservation is left out (only reserve_agent reserves) and so is
`force` (supervisors and the reconciler, written through schema.adapters.agent_store).
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import Engine

from ivr_scripts.agent_states import TABLE, AgentState, AgentStateError, AgentStatus, Trigger, apply
from schema.acd_records import AgentProfile
from schema.agents import ALLOWED_FROM, agent_snapshot, reserve_agent, transition_agent, upsert_agents

S = AgentState
T = Trigger
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CALL = "6f1c2a9e-0d3b-4c41-9a55-1b2f3c4d5e6a"
NOT_BY_TRANSITION_AGENT = frozenset({T.RESERVE, T.FORCE})

Move = tuple[str, str]


def status_in(state: AgentState) -> AgentStatus:
    holds_call = state in (S.RESERVED, S.RINGING, S.ON_CALL, S.WRAP_UP)
    return AgentStatus(
        agent_id="1001",
        state=state,
        reason="lunch" if state is S.ON_BREAK else None,
        call_uuid=CALL if holds_call else None,
        since=T0,
        wrap_up_until=T0 + dt.timedelta(seconds=30) if state is S.WRAP_UP else None,
    )


def state_machine_moves() -> set[Move]:
    moves: set[Move] = set()
    later = T0 + dt.timedelta(minutes=5)
    for state, trigger in itertools.product(S, T):
        if trigger in NOT_BY_TRANSITION_AGENT:
            continue
        for wrap_up_seconds, max_no_answer, reason in itertools.product(
            (0, 30), (1, 3), ("lunch", "meeting")
        ):
            try:
                transition = apply(
                    status_in(state),
                    trigger,
                    at=later,
                    call_uuid=CALL,
                    reason=reason,
                    wrap_up_seconds=wrap_up_seconds,
                    max_no_answer=max_no_answer,
                )
            except AgentStateError:
                continue  # a refused command
            if transition.changed:
                moves.add((transition.from_state.value, transition.to_state.value))
    return moves


def database_moves() -> set[Move]:
    return {(source, target) for target, sources in ALLOWED_FROM.items() for source in sources}


def test_every_changing_table_cell_is_allowed_by_the_database() -> None:
    for (state, trigger), target in TABLE.items():
        changes = target is not state or trigger is T.GO_BREAK  # a new break reason changes the row
        if changes and trigger not in NOT_BY_TRANSITION_AGENT:
            assert state.value in ALLOWED_FROM[target.value], (state, trigger, target)


def test_the_database_allows_exactly_the_state_machines_moves() -> None:
    table_moves = state_machine_moves()
    assert ("ringing", "on_break") in table_moves  # the no-answer rule is covered, not just TABLE
    assert ("on_call", "available") in table_moves  # and zero wrap-up
    assert table_moves - database_moves() == set(), "moves the database would refuse"
    assert database_moves() - table_moves == set(), "moves the database allows that no table cell makes"


def test_the_database_guard_names_every_state_but_reserved() -> None:
    assert set(ALLOWED_FROM) == {state.value for state in S} - {"reserved"}


def test_transition_agent_enforces_the_same_moves_on_a_real_database(engine: Engine) -> None:
    """Put one agent in each from-state for each target, and let transition_agent decide."""
    allowed = state_machine_moves()
    cases = [(source, target) for source in S for target in ALLOWED_FROM]
    agents = {case: f"a{number}" for number, case in enumerate(cases)}
    upsert_agents(engine, [AgentProfile(agent_id) for agent_id in agents.values()])
    calls = {agent_id: str(uuid.uuid5(uuid.NAMESPACE_OID, agent_id)) for agent_id in agents.values()}
    for (source, _), agent_id in agents.items():
        bring_to(engine, agent_id, source, calls[agent_id])

    accepted = set()
    for (source, target), agent_id in agents.items():
        call = calls[agent_id] if source in (S.RESERVED, S.RINGING, S.ON_CALL, S.WRAP_UP) else None
        if transition_agent(
            engine,
            agent_id,
            call,
            target,
            trigger="test",
            reason="meeting" if target == "on_break" else None,
            at=T0 + dt.timedelta(minutes=1),
            server="test",
            wrap_up_until=T0 + dt.timedelta(minutes=2) if target == "wrap_up" else None,
        ):
            accepted.add((source.value, target))
    assert accepted == allowed
    snapshot = {agent.agent_id: agent.state for agent in agent_snapshot(engine)}
    assert all(snapshot[agents[(S(source), target)]] == target for source, target in accepted)


def bring_to(engine: Engine, agent_id: str, state: AgentState, call: str) -> None:
    """Walk a logged-out agent to `state` with the database's own operations."""

    def move(to_state: str, held: str | None, reason: str | None = None) -> None:
        wrap_up_until = T0 + dt.timedelta(seconds=30) if to_state == "wrap_up" else None
        assert transition_agent(
            engine,
            agent_id,
            held,
            to_state,
            trigger="setup",
            reason=reason,
            at=T0,
            server="test",
            wrap_up_until=wrap_up_until,
        )

    if state is S.LOGGED_OUT:
        return
    move("available", None)
    if state is S.ON_BREAK:
        move("on_break", None, reason="lunch")
    if state in (S.AVAILABLE, S.ON_BREAK):
        return
    assert reserve_agent(engine, call, [agent_id], "test", T0) == agent_id
    path = {S.RESERVED: [], S.RINGING: ["ringing"], S.ON_CALL: ["on_call"], S.WRAP_UP: ["on_call", "wrap_up"]}
    for to_state in path[state]:
        move(to_state, call)


@pytest.mark.parametrize("reason", ["lunch", "meeting"])
def test_a_break_reason_change_is_a_move_and_the_same_reason_is_a_replay(engine: Engine, reason: str) -> None:
    upsert_agents(engine, [AgentProfile("1001")])
    bring_to(engine, "1001", S.ON_BREAK, CALL)
    (before,) = agent_snapshot(engine)

    moved = transition_agent(
        engine, "1001", None, "on_break", trigger="go_break", reason=reason, at=T0, server="test"
    )

    (after,) = agent_snapshot(engine)
    assert moved is (reason != "lunch")
    assert (after.state_reason, after.version) == (reason, before.version + (1 if moved else 0))
