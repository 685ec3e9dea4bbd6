"""SqlAgentStore on SQLite and PostgreSQL: round trip, optimistic conflicts, log rows, the service on it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import Engine, select, update

from ivr_scripts.agent_reconcile import LiveAgentChannel, reconcile
from ivr_scripts.agent_service import AgentService
from ivr_scripts.agent_states import AgentState, AgentStateError, AgentStatus, Transition, Trigger, apply
from schema.acd.agents import AGENTS, agent_snapshot, reserve_agent, upsert_agents
from schema.acd.models import AgentStateLog
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import UNSPECIFIED_BREAK_REASON, SqlAgentStore, StoredAgentStatus
from schema.db import session_scope
from tests.fakes.clock import FakeClock

S = AgentState
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CALL_A = "6f1c2a9e-0d3b-4c41-9a55-1b2f3c4d5e6a"
CALL_B = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"

LogRow = tuple[str, int, str, str, str, str | None, str | None, dt.datetime, str]


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def read(store: SqlAgentStore, agent_id: str) -> StoredAgentStatus:
    status = store.get(agent_id)
    assert status is not None
    return status


def state_log(engine: Engine) -> list[LogRow]:
    with session_scope(engine) as session:
        rows = session.scalars(select(AgentStateLog).order_by(AgentStateLog.agent_id, AgentStateLog.version))
        return [
            (
                r.agent_id,
                r.version,
                r.from_state,
                r.to_state,
                r.trigger,
                r.reason,
                r.call_uuid,
                r.at,
                r.server,
            )
            for r in rows
        ]


@pytest.fixture
def store(engine: Engine) -> SqlAgentStore:
    upsert_agents(engine, [AgentProfile("1001", name="Ann"), AgentProfile("1002", name="Bob")])
    return SqlAgentStore(engine, "s1")


def test_a_new_agent_reads_as_logged_out_at_version_zero(store: SqlAgentStore) -> None:
    status = store.get("1001")
    assert isinstance(status, StoredAgentStatus)
    assert (status.state, status.reason, status.call_uuid, status.version) == (S.LOGGED_OUT, None, None, 0)
    assert status.since.tzinfo is not None
    assert store.get("9999") is None
    assert [s.agent_id for s in store.all()] == ["1001", "1002"]


def test_a_saved_transition_round_trips_with_its_log_row(engine: Engine, store: SqlAgentStore) -> None:
    before = read(store, "1001")
    login = apply(before, Trigger.LOGIN, at=at(1))
    lunch = apply(login.status, Trigger.GO_BREAK, at=at(2), reason="lunch")

    assert store.save(login, expected=before)
    middle = read(store, "1001")
    assert store.save(lunch, expected=middle)

    after = read(store, "1001")
    assert after == StoredAgentStatus(
        agent_id="1001", state=S.ON_BREAK, reason="lunch", since=at(2), consecutive_no_answers=0, version=2
    )
    assert state_log(engine) == [
        ("1001", 1, "logged_out", "available", "login", None, None, at(1), "s1"),
        ("1001", 2, "available", "on_break", "go_break", "lunch", None, at(2), "s1"),
    ]
    (snapshot, _) = agent_snapshot(engine)
    assert (snapshot.name, snapshot.state_reason, snapshot.version) == ("Ann", "lunch", 2)  # profile kept


def test_a_save_over_a_changed_row_writes_nothing(engine: Engine, store: SqlAgentStore) -> None:
    other_server = SqlAgentStore(engine, "s2")
    mine = read(store, "1001")
    theirs = read(other_server, "1001")

    assert other_server.save(apply(theirs, Trigger.LOGIN, at=at(1)), expected=theirs)
    assert not store.save(apply(mine, Trigger.LOGIN, at=at(2)), expected=mine)

    assert state_log(engine) == [("1001", 1, "logged_out", "available", "login", None, None, at(1), "s2")]
    current = read(store, "1001")
    assert (current.since, current.version) == (at(1), 1)


def test_a_reservation_by_dispatch_makes_an_older_read_lose(engine: Engine, store: SqlAgentStore) -> None:
    service = AgentService(store, None, FakeClock())
    service.login("1001")
    read_before = read(store, "1001")
    assert reserve_agent(engine, CALL_A, ["1001"], "s2", at(3)) == "1001"

    assert not store.save(
        apply(read_before, Trigger.GO_BREAK, at=at(4), reason="lunch"), expected=read_before
    )
    with pytest.raises(AgentStateError, match="agent 1001 is reserved; cannot 'go_break'"):
        service.go_break("1001", "lunch")  # re-read: the reservation stands


def test_the_service_retries_a_race_lost_to_another_server(engine: Engine, store: SqlAgentStore) -> None:
    other = AgentService(SqlAgentStore(engine, "s2"), None, FakeClock())
    other.login("1001")
    other.go_break("1001", "lunch")

    class RacingStore(SqlAgentStore):
        """Lets the other server change the break reason between our read and our save, once."""

        raced = False

        def save(self, transition: Transition, *, expected: AgentStatus) -> bool:
            if not self.raced:
                self.raced = True
                other.go_break("1001", "training")
            return super().save(transition, expected=expected)

    service = AgentService(RacingStore(engine, "s1"), None, FakeClock())
    moved = service.go_break("1001", "meeting")

    assert (moved.from_state, moved.to_state, moved.status.reason) == (S.ON_BREAK, S.ON_BREAK, "meeting")
    assert [(v, reason, server) for _, v, _, _, _, reason, _, _, server in state_log(engine)] == [
        (1, None, "s2"),
        (2, "lunch", "s2"),
        (3, "training", "s2"),
        (4, "meeting", "s1"),
    ]


def test_a_call_from_reservation_to_wrap_up_expiry_through_the_service(
    engine: Engine, store: SqlAgentStore
) -> None:
    clock = FakeClock()
    service = AgentService(store, None, clock)
    service.login("1001")
    assert reserve_agent(engine, CALL_A, ["1001"], "s1", at(1)) == "1001"

    service.ring("1001", CALL_A, at=at(2))
    service.answered("1001", CALL_A, at=at(5))
    service.answered("1001", CALL_A, at=at(6))  # a duplicate: nothing written
    service.call_ended("1001", CALL_A, 30, at=at(65))
    wrap_up = read(store, "1001")
    assert (wrap_up.state, wrap_up.call_uuid, wrap_up.wrap_up_until) == (S.WRAP_UP, CALL_A, at(95))
    assert service.tick(at(94)) == []
    assert [t.to_state for t in service.tick(at(95))] == [S.AVAILABLE]

    assert [(v, f, t, trigger) for _, v, f, t, trigger, *_ in state_log(engine)] == [
        (1, "logged_out", "available", "login"),
        (2, "available", "reserved", "reserve"),
        (3, "reserved", "ringing", "ring"),
        (4, "ringing", "on_call", "answered"),
        (5, "on_call", "wrap_up", "call_ended"),
        (6, "wrap_up", "available", "wrap_up_expired"),
    ]
    (agent, _) = agent_snapshot(engine)
    assert (agent.state, agent.call_uuid, agent.reserved_by, agent.wrap_up_until) == (
        "available",
        None,
        None,
        None,
    )


def test_reconciler_corrections_are_saved_even_outside_the_table(
    engine: Engine, store: SqlAgentStore
) -> None:
    service = AgentService(store, None, FakeClock())
    service.login("1001")
    service.login("1002")
    assert reserve_agent(engine, CALL_A, ["1001"], "s2", at(1)) == "1001"
    service.answered("1001", CALL_A, at=at(2))
    statuses = store.all()
    corrections = reconcile(statuses, {"1002": LiveAgentChannel(CALL_B, bridged=True)}, at(100))
    by_id = {status.agent_id: status for status in statuses}
    for correction in corrections:
        assert store.save(correction, expected=by_id[correction.agent_id])

    rows = {agent.agent_id: agent for agent in agent_snapshot(engine)}
    assert (rows["1001"].state, rows["1001"].call_uuid, rows["1001"].reserved_by) == ("available", None, None)
    assert (rows["1002"].state, rows["1002"].call_uuid, rows["1002"].reserved_by) == ("on_call", CALL_B, "s1")
    assert {(r[0], r[3], r[4], r[5]) for r in state_log(engine) if r[7] == at(100)} == {
        ("1001", "available", "force", "reconciled"),
        ("1002", "on_call", "force", "reconciled"),
    }


def test_rows_the_state_machine_would_not_write_are_read_leniently(
    engine: Engine, store: SqlAgentStore
) -> None:
    """Rows written by hand or by an older version: an available agent with a reason, a break without one."""
    with engine.begin() as connection:
        for agent_id, state, reason in (("1001", "available", "why"), ("1002", "on_break", None)):
            connection.execute(
                update(AGENTS)
                .where(AGENTS.c.agent_id == agent_id)
                .values(state=state, state_reason=reason, state_since=at(1), version=AGENTS.c.version + 1)
            )

    available, on_break = read(store, "1001"), read(store, "1002")
    assert (available.state, available.reason) == (S.AVAILABLE, None)
    assert (on_break.state, on_break.reason) == (S.ON_BREAK, UNSPECIFIED_BREAK_REASON)
    assert AgentService(store, None, FakeClock()).ready("1002").to_state is S.AVAILABLE


def test_save_needs_the_status_the_store_read(store: SqlAgentStore) -> None:
    stored = read(store, "1001")
    plain = AgentStatus.logged_out("1001", T0)
    with pytest.raises(TypeError, match="StoredAgentStatus"):
        store.save(apply(plain, Trigger.LOGIN, at=at(1)), expected=plain)
    other = dataclasses.replace(stored, agent_id="1002")
    with pytest.raises(ValueError, match="saved over agent 1002"):
        store.save(apply(stored, Trigger.LOGIN, at=at(1)), expected=other)
