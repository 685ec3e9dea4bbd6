"""The agent service over an in-memory store: commands, facts, timers, and races lost to other writers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from ivr_scripts.agent_service import AgentContention, AgentService, UnknownAgent
from ivr_scripts.agent_states import (
    AgentState,
    AgentStateError,
    AgentStatus,
    InMemoryStateLog,
    Outcome,
    Transition,
    Trigger,
    apply,
)
from tests.fakes.clock import FakeClock

S = AgentState
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CALL_A = "6f1c2a9e-0d3b-4c41-9a55-1b2f3c4d5e6a"
CALL_B = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"


class MemoryStore:
    """An AgentStore in a dict. `interfere` runs before a save, like another writer getting in first."""

    def __init__(self, *statuses: AgentStatus) -> None:
        self.statuses = {status.agent_id: status for status in statuses}
        self.interfere: list[Callable[[], None]] = []
        self.saved: list[Transition] = []
        self.lost = 0

    def get(self, agent_id: str) -> AgentStatus | None:
        return self.statuses.get(agent_id)

    def all(self) -> Sequence[AgentStatus]:
        return [self.statuses[agent_id] for agent_id in sorted(self.statuses)]

    def save(self, transition: Transition, *, expected: AgentStatus) -> bool:
        if self.interfere:
            self.interfere.pop(0)()
        if self.statuses.get(transition.agent_id) is not expected:
            self.lost += 1
            return False
        self.statuses[transition.agent_id] = transition.status
        self.saved.append(transition)
        return True

    def other_writer(
        self, agent_id: str, trigger: Trigger, *, call_uuid: str | None = None, reason: str | None = None
    ) -> Callable[[], None]:
        """An interference: another writer applies `trigger` to the agent."""

        def write() -> None:
            at = T0 + dt.timedelta(seconds=1)
            transition = apply(self.statuses[agent_id], trigger, at=at, call_uuid=call_uuid, reason=reason)
            self.statuses[agent_id] = transition.status

        return write


def status_in(
    state: AgentState, agent_id: str = "1001", call: str = CALL_A, **overrides: object
) -> AgentStatus:
    fields: dict[str, Any] = {"agent_id": agent_id, "state": state, "since": T0}
    if state in (S.RESERVED, S.RINGING, S.ON_CALL, S.WRAP_UP):
        fields["call_uuid"] = call
    if state is S.WRAP_UP:
        fields["wrap_up_until"] = T0 + dt.timedelta(seconds=30)
    if state is S.ON_BREAK:
        fields["reason"] = "lunch"
    fields.update(overrides)
    return AgentStatus(**fields)


def service_for(
    *statuses: AgentStatus, **options: int
) -> tuple[AgentService, MemoryStore, InMemoryStateLog, FakeClock]:
    store = MemoryStore(*statuses)
    log = InMemoryStateLog()
    clock = FakeClock()
    return AgentService(store, log, clock, **options), store, log, clock


def test_a_shift_login_break_ready_logout() -> None:
    service, store, log, clock = service_for(AgentStatus.logged_out("1001", T0))

    clock.advance(60)
    login = service.login("1001")
    clock.advance(60)
    lunch = service.go_break("1001", "lunch")
    clock.advance(60)
    ready = service.ready("1001")
    clock.advance(60)
    logout = service.logout("1001")

    steps = [(t.from_state, t.to_state, t.trigger, t.reason) for t in (login, lunch, ready, logout)]
    assert steps == [
        (S.LOGGED_OUT, S.AVAILABLE, Trigger.LOGIN, None),
        (S.AVAILABLE, S.ON_BREAK, Trigger.GO_BREAK, "lunch"),
        (S.ON_BREAK, S.AVAILABLE, Trigger.READY, None),
        (S.AVAILABLE, S.LOGGED_OUT, Trigger.LOGOUT, None),
    ]
    assert lunch.status.since == T0 + dt.timedelta(seconds=120)  # the clock's time
    assert log.transitions == store.saved == [login, lunch, ready, logout]
    assert service.status("1001") == logout.status


def test_repeats_write_nothing() -> None:
    service, store, log, _ = service_for(status_in(S.ON_BREAK))

    again = service.go_break("1001", "lunch")
    login = service.login("1001")

    assert (again.outcome, login.outcome) == (Outcome.REPEAT, Outcome.REPEAT)
    assert store.saved == log.transitions == []


def test_a_refused_command_raises_and_writes_nothing() -> None:
    service, store, log, _ = service_for(status_in(S.ON_CALL))

    with pytest.raises(AgentStateError, match="agent 1001 is on_call; cannot 'logout'"):
        service.logout("1001")
    with pytest.raises(AgentStateError, match="needs a reason"):
        service.go_break("1001", "")

    assert store.statuses["1001"] == status_in(S.ON_CALL)
    assert store.saved == log.transitions == []


def test_unknown_agents_are_named() -> None:
    service, store, _, _ = service_for(status_in(S.AVAILABLE))

    for command in (service.login, service.status, lambda agent: service.ring(agent, CALL_A)):
        with pytest.raises(UnknownAgent, match="unknown agent '9999'") as raised:
            command("9999")
        assert raised.value.agent_id == "9999"
    assert issubclass(UnknownAgent, AgentStateError)
    assert store.saved == []


def test_a_call_from_reservation_to_wrap_up_and_the_timer() -> None:
    service, store, log, clock = service_for(status_in(S.RESERVED))

    service.ring("1001", CALL_A)
    service.answered("1001", CALL_A)
    clock.advance(100)
    ended = service.call_ended("1001", CALL_A, 30)

    assert (ended.to_state, ended.status.wrap_up_until) == (S.WRAP_UP, T0 + dt.timedelta(seconds=130))
    assert service.tick(T0 + dt.timedelta(seconds=129)) == []
    (expired,) = service.tick(T0 + dt.timedelta(seconds=130))
    assert (expired.trigger, expired.to_state, expired.at) == (
        Trigger.WRAP_UP_EXPIRED,
        S.AVAILABLE,
        T0 + dt.timedelta(seconds=130),
    )
    assert service.tick(T0 + dt.timedelta(seconds=200)) == []
    assert [t.to_state for t in log.transitions] == [S.RINGING, S.ON_CALL, S.WRAP_UP, S.AVAILABLE]
    assert store.statuses["1001"].state is S.AVAILABLE


def test_tick_fires_only_the_due_agents() -> None:
    late = T0 + dt.timedelta(seconds=90)
    service, store, _, _ = service_for(
        status_in(S.WRAP_UP, "1001"),
        status_in(S.WRAP_UP, "1002", call=CALL_B, wrap_up_until=late),
        status_in(S.AVAILABLE, "1003"),
    )

    fired = service.tick(T0 + dt.timedelta(seconds=60))

    assert [t.agent_id for t in fired] == ["1001"]
    assert [store.statuses[a].state for a in ("1001", "1002", "1003")] == [
        S.AVAILABLE,
        S.WRAP_UP,
        S.AVAILABLE,
    ]


def test_no_answers_break_the_agent_at_the_maximum() -> None:
    service, store, _, _ = service_for(status_in(S.RINGING), max_no_answer=2)

    first = service.no_answer("1001", CALL_A)
    store.statuses["1001"] = status_in(S.RINGING, call=CALL_B, consecutive_no_answers=1)
    second = service.no_answer("1001", CALL_B)

    assert (first.to_state, second.to_state, second.status.reason) == (S.AVAILABLE, S.ON_BREAK, "no_answer")


def test_facts_about_another_call_are_stale_and_write_nothing() -> None:
    service, store, log, _ = service_for(status_in(S.ON_CALL))

    results = [
        service.no_answer("1001", CALL_B),
        service.caller_abandoned("1001", CALL_B),
        service.call_ended("1001", CALL_B, 30),
        service.reservation_cancelled("1001", CALL_B),
        service.wrap_up_expired("1001"),
    ]

    assert {t.outcome for t in results} == {Outcome.STALE}
    assert store.saved == log.transitions == []


def test_a_fact_may_carry_its_own_time() -> None:
    service, _, _, _ = service_for(status_in(S.RINGING))
    at = T0 + dt.timedelta(seconds=7)
    assert service.answered("1001", CALL_A, at=at).status.since == at


def test_a_command_that_loses_a_race_is_judged_against_the_state_it_meets() -> None:
    service, store, log, _ = service_for(status_in(S.AVAILABLE))
    store.interfere.append(store.other_writer("1001", Trigger.RESERVE, call_uuid=CALL_A))

    with pytest.raises(AgentStateError, match="agent 1001 is reserved; cannot 'go_break'"):
        service.go_break("1001", "lunch")

    assert store.lost == 1
    assert store.statuses["1001"].state is S.RESERVED  # the reservation stands
    assert log.transitions == []


def test_a_command_that_loses_a_race_is_applied_again_and_wins() -> None:
    service, store, log, _ = service_for(status_in(S.ON_BREAK))
    store.interfere.append(store.other_writer("1001", Trigger.GO_BREAK, reason="training"))

    moved = service.go_break("1001", "meeting")

    assert (store.lost, moved.changed, moved.status.reason) == (1, True, "meeting")
    assert store.statuses["1001"].reason == "meeting"
    assert log.transitions == [moved]


def test_a_command_made_moot_by_the_race_writes_nothing() -> None:
    service, store, log, _ = service_for(status_in(S.WRAP_UP))
    store.interfere.append(store.other_writer("1001", Trigger.READY))

    ready = service.ready("1001")

    assert (store.lost, ready.outcome) == (1, Outcome.REPEAT)
    assert log.transitions == store.saved == []


def test_a_fact_that_loses_a_race_to_a_late_phase_becomes_stale() -> None:
    service, store, log, _ = service_for(status_in(S.RINGING))
    store.interfere.append(
        store.other_writer("1001", Trigger.CALLER_ABANDONED_WHILE_RINGING, call_uuid=CALL_A)
    )

    answered = service.answered("1001", CALL_A)

    assert (store.lost, answered.outcome) == (1, Outcome.STALE)
    assert store.statuses["1001"].state is S.AVAILABLE
    assert log.transitions == []


def test_a_timer_that_loses_a_race_to_ready_is_not_reported() -> None:
    service, store, _, _ = service_for(status_in(S.WRAP_UP))
    store.interfere.append(store.other_writer("1001", Trigger.READY))

    assert service.tick(T0 + dt.timedelta(seconds=60)) == []
    assert store.statuses["1001"].state is S.AVAILABLE


def test_endless_contention_is_an_error_not_a_silent_loss() -> None:
    service, store, log, _ = service_for(status_in(S.ON_BREAK), attempts=3)
    reasons = iter(["a", "b", "c", "d"])
    store.interfere.extend(
        store.other_writer("1001", Trigger.GO_BREAK, reason=next(reasons)) for _ in range(3)
    )

    with pytest.raises(AgentContention, match="3 attempts"):
        service.ready("1001")

    assert (store.lost, store.statuses["1001"].reason) == (3, "c")
    assert log.transitions == []


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AgentService(MemoryStore(), None, FakeClock(), attempts=0)


def test_without_a_log_the_store_alone_records() -> None:
    store = MemoryStore(status_in(S.AVAILABLE))
    service = AgentService(store, None, FakeClock())
    assert service.logout("1001").changed
    assert [t.to_state for t in store.saved] == [S.LOGGED_OUT]
