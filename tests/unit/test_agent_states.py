"""The agent state machine: every table cell, every refusal, the issue's failure sequences, a random walk."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from ivr_scripts.agent_reconcile import reconcile
from ivr_scripts.agent_states import (
    AgentState,
    AgentStateError,
    AgentStatus,
    InMemoryStateLog,
    Outcome,
    StateLog,
    Transition,
    Trigger,
    apply,
    due_timers,
)
from ivr_scripts.agent_table import COMMANDS, FACTS, TABLE

S = AgentState
T = Trigger
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CALL_A = "6f1c2a9e-0d3b-4c41-9a55-1b2f3c4d5e6a"
CALL_B = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
AGENT = "1001"


def status_in(state: AgentState, call: str = CALL_A, **overrides: Any) -> AgentStatus:
    """A valid status in `state`, holding `call` where the state holds one."""
    fields: dict[str, Any] = {"agent_id": AGENT, "state": state, "since": T0}
    if state in (S.RESERVED, S.RINGING, S.ON_CALL, S.WRAP_UP):
        fields["call_uuid"] = call
    if state is S.WRAP_UP:
        fields["wrap_up_until"] = T0 + dt.timedelta(seconds=30)
    if state is S.ON_BREAK:
        fields["reason"] = "lunch"
    fields.update(overrides)
    return AgentStatus(**fields)


def step(status: AgentStatus, trigger: Trigger, log: StateLog | None = None, **kwargs: Any) -> AgentStatus:
    """Apply and, like the real caller will, write changed transitions to the log."""
    kwargs.setdefault("at", T0)
    transition = apply(status, trigger, **kwargs)
    if log is not None and transition.changed:
        log.record(transition)
    return transition.status


# The whole table, written out independently of the module: (state, trigger) -> (new state, outcome).
EXPECTED_CELLS: dict[tuple[AgentState, Trigger], tuple[AgentState, Outcome]] = {
    (S.LOGGED_OUT, T.LOGIN): (S.AVAILABLE, Outcome.CHANGED),
    (S.LOGGED_OUT, T.LOGOUT): (S.LOGGED_OUT, Outcome.REPEAT),
    (S.AVAILABLE, T.LOGIN): (S.AVAILABLE, Outcome.REPEAT),
    (S.AVAILABLE, T.READY): (S.AVAILABLE, Outcome.REPEAT),
    (S.AVAILABLE, T.LOGOUT): (S.LOGGED_OUT, Outcome.CHANGED),
    (S.AVAILABLE, T.GO_BREAK): (S.ON_BREAK, Outcome.CHANGED),
    (S.AVAILABLE, T.RESERVE): (S.RESERVED, Outcome.CHANGED),
    (S.RESERVED, T.LOGIN): (S.RESERVED, Outcome.REPEAT),
    (S.RESERVED, T.RESERVE): (S.RESERVED, Outcome.REPEAT),
    (S.RESERVED, T.RESERVATION_CANCELLED): (S.AVAILABLE, Outcome.CHANGED),
    (S.RESERVED, T.RING): (S.RINGING, Outcome.CHANGED),
    (S.RESERVED, T.ANSWERED): (S.ON_CALL, Outcome.CHANGED),
    (S.RESERVED, T.NO_ANSWER): (S.AVAILABLE, Outcome.CHANGED),
    (S.RESERVED, T.CALLER_ABANDONED_WHILE_RINGING): (S.AVAILABLE, Outcome.CHANGED),
    (S.RESERVED, T.CALL_ENDED): (S.WRAP_UP, Outcome.CHANGED),
    (S.RINGING, T.LOGIN): (S.RINGING, Outcome.REPEAT),
    (S.RINGING, T.ANSWERED): (S.ON_CALL, Outcome.CHANGED),
    (S.RINGING, T.NO_ANSWER): (S.AVAILABLE, Outcome.CHANGED),
    (S.RINGING, T.CALLER_ABANDONED_WHILE_RINGING): (S.AVAILABLE, Outcome.CHANGED),
    (S.RINGING, T.CALL_ENDED): (S.WRAP_UP, Outcome.CHANGED),
    (S.ON_CALL, T.LOGIN): (S.ON_CALL, Outcome.REPEAT),
    (S.ON_CALL, T.CALL_ENDED): (S.WRAP_UP, Outcome.CHANGED),
    (S.WRAP_UP, T.LOGIN): (S.WRAP_UP, Outcome.REPEAT),
    (S.WRAP_UP, T.READY): (S.AVAILABLE, Outcome.CHANGED),
    (S.WRAP_UP, T.LOGOUT): (S.LOGGED_OUT, Outcome.CHANGED),
    (S.WRAP_UP, T.GO_BREAK): (S.ON_BREAK, Outcome.CHANGED),
    (S.WRAP_UP, T.WRAP_UP_EXPIRED): (S.AVAILABLE, Outcome.CHANGED),
    (S.ON_BREAK, T.LOGIN): (S.ON_BREAK, Outcome.REPEAT),
    (S.ON_BREAK, T.READY): (S.AVAILABLE, Outcome.CHANGED),
    (S.ON_BREAK, T.LOGOUT): (S.LOGGED_OUT, Outcome.CHANGED),
    (S.ON_BREAK, T.GO_BREAK): (S.ON_BREAK, Outcome.CHANGED),  # lunch -> meeting
}


def test_the_table_has_exactly_the_expected_cells() -> None:
    assert set(TABLE) == set(EXPECTED_CELLS)
    assert {cell: target for cell, (target, _) in EXPECTED_CELLS.items()} == dict(TABLE)


@pytest.mark.parametrize(("cell", "expected"), sorted(EXPECTED_CELLS.items()), ids=str)
def test_every_cell(cell: tuple[AgentState, Trigger], expected: tuple[AgentState, Outcome]) -> None:
    state, trigger = cell
    to_state, outcome = expected
    before = status_in(state)
    at = T0 + dt.timedelta(seconds=60)  # after the 30 s wrap-up of status_in
    reason = "meeting" if trigger is T.GO_BREAK else None

    transition = apply(before, trigger, at=at, call_uuid=CALL_A, reason=reason, wrap_up_seconds=30)

    assert (transition.from_state, transition.to_state, transition.outcome) == (state, to_state, outcome)
    assert transition.status.state is to_state
    assert (transition.agent_id, transition.trigger, transition.at) == (AGENT, trigger, at)
    if outcome is Outcome.REPEAT:
        assert transition.status is before
        return
    after = transition.status
    assert after.since == at
    assert after.call_uuid == (CALL_A if to_state in (S.RESERVED, S.RINGING, S.ON_CALL, S.WRAP_UP) else None)
    assert after.reason == ("meeting" if to_state is S.ON_BREAK else None)
    assert after.wrap_up_until == (at + dt.timedelta(seconds=30) if to_state is S.WRAP_UP else None)


REFUSED = [
    (state, trigger) for state in AgentState for trigger in sorted(COMMANDS) if (state, trigger) not in TABLE
]


def test_the_refused_commands_are_the_busy_and_logged_out_ones() -> None:
    assert (S.ON_CALL, T.RESERVE) in REFUSED
    assert (S.LOGGED_OUT, T.READY) in REFUSED
    assert (S.RINGING, T.LOGOUT) in REFUSED
    assert (S.WRAP_UP, T.RESERVE) in REFUSED
    assert len(REFUSED) == 7 * 5 - sum(1 for _, trigger in TABLE if trigger in COMMANDS)


@pytest.mark.parametrize(("state", "trigger"), REFUSED, ids=str)
def test_every_command_outside_the_table_is_refused(state: AgentState, trigger: Trigger) -> None:
    with pytest.raises(AgentStateError, match=f"^agent 1001 is {state}; cannot '{trigger}'$"):
        apply(status_in(state), trigger, at=T0, call_uuid=CALL_B, reason="lunch")


def test_the_refusal_message_reads_as_the_issue_says() -> None:
    with pytest.raises(AgentStateError) as caught:
        apply(status_in(S.ON_CALL), T.RESERVE, at=T0, call_uuid=CALL_B)
    assert str(caught.value) == "agent 1001 is on_call; cannot 'reserve'"


@pytest.mark.parametrize("state", list(AgentState))
@pytest.mark.parametrize("fact", sorted(FACTS))
@pytest.mark.parametrize("call", [CALL_A, CALL_B], ids=["held_call", "other_call"])
def test_facts_never_raise_and_outside_the_table_change_nothing(
    state: AgentState, fact: Trigger, call: str
) -> None:
    before = status_in(state, call=CALL_A)
    holds_call = before.call_uuid == call
    transition = apply(before, fact, at=T0 + dt.timedelta(seconds=60), call_uuid=call, wrap_up_seconds=30)
    applies = (state, fact) in TABLE and (holds_call or fact is T.WRAP_UP_EXPIRED)
    assert transition.changed == applies
    if not applies:
        assert transition.outcome in (Outcome.STALE, Outcome.REPEAT)
        assert transition.status is before
        assert transition.to_state is state


def test_duplicates_are_repeats_and_late_phases_are_stale() -> None:
    on_call, wrap_up, ringing = status_in(S.ON_CALL), status_in(S.WRAP_UP), status_in(S.RINGING)
    assert apply(on_call, T.ANSWERED, at=T0, call_uuid=CALL_A).outcome is Outcome.REPEAT
    assert apply(wrap_up, T.CALL_ENDED, at=T0, call_uuid=CALL_A).outcome is Outcome.REPEAT
    assert apply(ringing, T.RING, at=T0, call_uuid=CALL_A).outcome is Outcome.REPEAT
    assert apply(on_call, T.NO_ANSWER, at=T0, call_uuid=CALL_A).outcome is Outcome.STALE
    assert apply(ringing, T.RESERVATION_CANCELLED, at=T0, call_uuid=CALL_A).outcome is Outcome.STALE
    assert apply(ringing, T.NO_ANSWER, at=T0, call_uuid=CALL_B).outcome is Outcome.STALE


def test_reserving_a_reserved_agent_for_another_call_is_refused() -> None:
    with pytest.raises(AgentStateError, match=f"reserved for call {CALL_A}; cannot 'reserve' call {CALL_B}"):
        apply(status_in(S.RESERVED), T.RESERVE, at=T0, call_uuid=CALL_B)


@pytest.mark.parametrize(
    ("trigger", "kwargs", "message"),
    [
        (T.RESERVE, {}, "'reserve' needs a call_uuid"),
        (T.GO_BREAK, {}, "'go_break' needs a reason"),
        (T.GO_BREAK, {"reason": ""}, "'go_break' needs a reason"),
        (T.RING, {}, "'ring' needs a call_uuid"),
        (T.FORCE, {}, "'force' needs a target state"),
        (T.FORCE, {"target": S.ON_CALL}, "on_call needs a call_uuid"),
        (T.FORCE, {"target": S.ON_BREAK}, "on_break needs a reason"),
        (T.LOGIN, {"at": dt.datetime(2026, 3, 2, 9, 0)}, "timezone-aware"),
        (T.CALL_ENDED, {"call_uuid": CALL_A, "wrap_up_seconds": -1}, "cannot be negative"),
    ],
)
def test_bad_arguments_are_refused(trigger: Trigger, kwargs: dict[str, Any], message: str) -> None:
    kwargs.setdefault("at", T0)
    with pytest.raises(AgentStateError, match=message):
        apply(status_in(S.AVAILABLE), trigger, **kwargs)


@pytest.mark.parametrize(
    "fields",
    [
        {"state": S.RESERVED},
        {"state": S.ON_CALL, "call_uuid": ""},
        {"state": S.AVAILABLE, "call_uuid": CALL_A},
        {"state": S.ON_BREAK},
        {"state": S.AVAILABLE, "reason": "lunch"},
        {"state": S.WRAP_UP, "call_uuid": CALL_A},
        {"state": S.AVAILABLE, "wrap_up_until": T0},
        {"state": S.AVAILABLE, "consecutive_no_answers": -1},
        {"state": S.AVAILABLE, "since": dt.datetime(2026, 3, 2)},
    ],
)
def test_a_status_that_cannot_exist_is_refused(fields: dict[str, Any]) -> None:
    fields = {"agent_id": AGENT, "since": T0, **fields}
    with pytest.raises(AgentStateError, match=r"^agent 1001: "):
        AgentStatus(**fields)


def test_a_full_call_is_logged_row_by_row() -> None:
    log = InMemoryStateLog()
    status = AgentStatus.logged_out(AGENT, T0)
    status = step(status, T.LOGIN, log)
    status = step(status, T.RESERVE, log, call_uuid=CALL_A)
    status = step(status, T.RING, log, call_uuid=CALL_A)
    status = step(status, T.ANSWERED, log, call_uuid=CALL_A)
    status = step(status, T.CALL_ENDED, log, call_uuid=CALL_A, wrap_up_seconds=20)
    status = step(status, T.WRAP_UP_EXPIRED, log, at=T0 + dt.timedelta(seconds=20))
    status = step(status, T.LOGOUT, log)
    assert [(t.from_state, t.trigger, t.to_state) for t in log.transitions] == [
        (S.LOGGED_OUT, T.LOGIN, S.AVAILABLE),
        (S.AVAILABLE, T.RESERVE, S.RESERVED),
        (S.RESERVED, T.RING, S.RINGING),
        (S.RINGING, T.ANSWERED, S.ON_CALL),
        (S.ON_CALL, T.CALL_ENDED, S.WRAP_UP),
        (S.WRAP_UP, T.WRAP_UP_EXPIRED, S.AVAILABLE),
        (S.AVAILABLE, T.LOGOUT, S.LOGGED_OUT),
    ]
    assert [t.call_uuid for t in log.transitions] == [None, CALL_A, CALL_A, CALL_A, CALL_A, CALL_A, None]


def test_agent_hangs_up_during_ringing_is_a_no_answer() -> None:
    status = step(step(status_in(S.AVAILABLE), T.RESERVE, call_uuid=CALL_A), T.RING, call_uuid=CALL_A)
    transition = apply(status, T.NO_ANSWER, at=T0, call_uuid=CALL_A)
    assert transition.to_state is S.AVAILABLE
    assert transition.status.consecutive_no_answers == 1
    assert transition.status.call_uuid is None
    assert transition.call_uuid == CALL_A


def test_caller_hangs_up_during_reservation_frees_the_agent_without_a_no_answer() -> None:
    status = step(status_in(S.AVAILABLE, consecutive_no_answers=1), T.RESERVE, call_uuid=CALL_A)
    after = step(status, T.RESERVATION_CANCELLED, call_uuid=CALL_A)
    assert (after.state, after.call_uuid, after.consecutive_no_answers) == (S.AVAILABLE, None, 1)
    # The dispatch's late "ring" for the cancelled call cannot catch the agent again.
    assert apply(after, T.RING, at=T0, call_uuid=CALL_A).outcome is Outcome.STALE


def test_caller_abandons_while_ringing_frees_the_agent_without_a_no_answer() -> None:
    after = step(
        status_in(S.RINGING, consecutive_no_answers=2), T.CALLER_ABANDONED_WHILE_RINGING, call_uuid=CALL_A
    )
    assert (after.state, after.call_uuid, after.consecutive_no_answers) == (S.AVAILABLE, None, 2)


def test_esl_reconnect_replays_duplicates_and_late_events_without_harm() -> None:
    log = InMemoryStateLog()
    status = step(status_in(S.RINGING, consecutive_no_answers=2), T.ANSWERED, log, call_uuid=CALL_A)
    assert (status.state, status.consecutive_no_answers) == (S.ON_CALL, 0)
    # Replayed after the reconnect: the offer, the answer again, and a no-answer that lost the race.
    for trigger in (T.RING, T.ANSWERED, T.NO_ANSWER, T.CALLER_ABANDONED_WHILE_RINGING):
        assert step(status, trigger, log, call_uuid=CALL_A) is status
    ended_at = T0 + dt.timedelta(seconds=90)
    status = step(status, T.CALL_ENDED, log, at=ended_at, call_uuid=CALL_A, wrap_up_seconds=30)
    duplicate = step(status, T.CALL_ENDED, log, at=ended_at + dt.timedelta(seconds=5), call_uuid=CALL_A)
    assert duplicate is status
    assert status.wrap_up_until == ended_at + dt.timedelta(seconds=30)
    status = step(status, T.READY, log)
    # After the agent moved on, even its call's end is stale: nothing reopens the wrap-up.
    assert step(status, T.CALL_ENDED, log, call_uuid=CALL_A, wrap_up_seconds=30) is status
    assert [t.trigger for t in log.transitions] == [T.ANSWERED, T.CALL_ENDED, T.READY]


def test_a_late_no_answer_for_an_old_call_does_not_touch_the_new_one() -> None:
    status = step(status_in(S.RINGING), T.CALLER_ABANDONED_WHILE_RINGING, call_uuid=CALL_A)
    status = step(step(status, T.RESERVE, call_uuid=CALL_B), T.RING, call_uuid=CALL_B)
    transition = apply(status, T.NO_ANSWER, at=T0, call_uuid=CALL_A)
    assert transition.outcome is Outcome.STALE
    assert (transition.status.state, transition.status.call_uuid) == (S.RINGING, CALL_B)
    assert transition.status.consecutive_no_answers == 0


def offer_unanswered(status: AgentStatus, call: str, max_no_answer: int = 3) -> AgentStatus:
    status = step(step(status, T.RESERVE, call_uuid=call), T.RING, call_uuid=call)
    return step(status, T.NO_ANSWER, call_uuid=call, max_no_answer=max_no_answer)


def test_max_no_answers_puts_the_agent_on_break() -> None:
    log = InMemoryStateLog()
    status = status_in(S.AVAILABLE)
    status = offer_unanswered(status, CALL_A)
    status = offer_unanswered(status, CALL_B)
    assert (status.state, status.consecutive_no_answers) == (S.AVAILABLE, 2)
    status = step(step(status, T.RESERVE, call_uuid=CALL_A), T.RING, call_uuid=CALL_A)
    status = step(status, T.NO_ANSWER, log, call_uuid=CALL_A, max_no_answer=3)
    assert (status.state, status.reason, status.call_uuid) == (S.ON_BREAK, "no_answer", None)
    assert (log.transitions[0].reason, log.transitions[0].to_state) == ("no_answer", S.ON_BREAK)
    # Back from the break, the count starts again: one more no-answer does not break the agent.
    status = offer_unanswered(step(status, T.READY), CALL_B)
    assert (status.state, status.consecutive_no_answers) == (S.AVAILABLE, 1)


def test_an_answer_breaks_the_no_answer_streak() -> None:
    status = offer_unanswered(offer_unanswered(status_in(S.AVAILABLE), CALL_A), CALL_B)
    status = step(step(status, T.RESERVE, call_uuid=CALL_A), T.ANSWERED, call_uuid=CALL_A)
    status = step(status, T.CALL_ENDED, call_uuid=CALL_A)
    assert (offer_unanswered(status, CALL_B).state, status.consecutive_no_answers) == (S.AVAILABLE, 0)


def test_max_no_answer_zero_never_breaks_the_agent() -> None:
    status = status_in(S.AVAILABLE)
    for _ in range(10):
        status = offer_unanswered(status, CALL_A, max_no_answer=0)
    assert (status.state, status.consecutive_no_answers) == (S.AVAILABLE, 10)


def test_wrap_up_timer() -> None:
    status = step(status_in(S.ON_CALL), T.CALL_ENDED, call_uuid=CALL_A, wrap_up_seconds=30)
    assert status.wrap_up_until == T0 + dt.timedelta(seconds=30)
    early, due = T0 + dt.timedelta(seconds=29), T0 + dt.timedelta(seconds=30)
    others = [
        status_in(S.AVAILABLE, agent_id="1002"),
        status_in(S.WRAP_UP, agent_id="1003", wrap_up_until=T0 + dt.timedelta(seconds=10)),
    ]
    assert due_timers([status, *others], early) == [others[1]]
    assert due_timers([status, *others], due) == [status, others[1]]
    assert apply(status, T.WRAP_UP_EXPIRED, at=early).outcome is Outcome.STALE
    assert step(status, T.WRAP_UP_EXPIRED, at=due).state is S.AVAILABLE


def test_a_timer_for_an_earlier_wrap_up_is_stale() -> None:
    first = step(status_in(S.ON_CALL), T.CALL_ENDED, call_uuid=CALL_A, wrap_up_seconds=30)
    status = step(first, T.READY, at=T0 + dt.timedelta(seconds=5))
    assert apply(status, T.WRAP_UP_EXPIRED, at=T0 + dt.timedelta(seconds=30)).outcome is Outcome.STALE
    status = step(status, T.RESERVE, call_uuid=CALL_B, at=T0 + dt.timedelta(seconds=6))
    status = step(status, T.ANSWERED, call_uuid=CALL_B, at=T0 + dt.timedelta(seconds=8))
    status = step(
        status, T.CALL_ENDED, call_uuid=CALL_B, at=T0 + dt.timedelta(seconds=20), wrap_up_seconds=30
    )
    # The first wrap-up's timer fires at T0+30; the second wrap-up runs to T0+50.
    assert apply(status, T.WRAP_UP_EXPIRED, at=T0 + dt.timedelta(seconds=30)).outcome is Outcome.STALE


def test_zero_wrap_up_goes_straight_to_available() -> None:
    transition = apply(status_in(S.ON_CALL), T.CALL_ENDED, at=T0, call_uuid=CALL_A, wrap_up_seconds=0)
    assert (transition.to_state, transition.status.call_uuid) == (S.AVAILABLE, None)


def test_break_reasons() -> None:
    on_break = step(status_in(S.AVAILABLE), T.GO_BREAK, reason="lunch")
    assert (on_break.state, on_break.reason) == (S.ON_BREAK, "lunch")
    assert apply(on_break, T.GO_BREAK, at=T0, reason="lunch").outcome is Outcome.REPEAT
    assert step(on_break, T.GO_BREAK, reason="training").reason == "training"
    assert step(on_break, T.READY).reason is None


def test_force_sets_any_state_and_repeats_are_noops() -> None:
    forced = apply(status_in(S.LOGGED_OUT), T.FORCE, at=T0, target=S.ON_CALL, call_uuid=CALL_B, reason="sup")
    assert (forced.from_state, forced.to_state, forced.reason, forced.call_uuid) == (
        S.LOGGED_OUT,
        S.ON_CALL,
        "sup",
        CALL_B,
    )
    again = apply(forced.status, T.FORCE, at=T0 + dt.timedelta(seconds=1), target=S.ON_CALL, call_uuid=CALL_B)
    assert again.outcome is Outcome.REPEAT
    wrap = apply(forced.status, T.FORCE, at=T0, target=S.WRAP_UP, wrap_up_seconds=10).status
    assert (wrap.call_uuid, wrap.wrap_up_until) == (CALL_B, T0 + dt.timedelta(seconds=10))
    coached = apply(wrap, T.FORCE, at=T0, target=S.ON_BREAK, reason="coaching").status
    assert (coached.state, coached.reason, coached.call_uuid) == (S.ON_BREAK, "coaching", None)


def assert_recoverable(status: AgentStatus, now: dt.datetime) -> None:
    """Reconcile against an idle switch, then timers, ready and login bring any agent back to available."""
    for transition in reconcile([status], {}, now, wrap_up_seconds={AGENT: 15}):
        status = transition.status
    if status.state is S.WRAP_UP:
        assert status.wrap_up_until is not None
        status = apply(status, T.WRAP_UP_EXPIRED, at=max(now, status.wrap_up_until)).status
    if status.state is S.ON_BREAK:
        status = apply(status, T.READY, at=now).status
    if status.state is S.LOGGED_OUT:
        status = apply(status, T.LOGIN, at=now).status
    assert status.state is S.AVAILABLE, status


def random_trigger(
    rng: random.Random, status: AgentStatus, pool: list[str]
) -> tuple[Trigger, dict[str, Any]]:
    trigger = rng.choice(list(Trigger))
    roll = rng.random()
    call = (
        status.call_uuid if roll < 0.5 and status.call_uuid else (None if roll > 0.97 else rng.choice(pool))
    )
    kwargs: dict[str, Any] = {
        "call_uuid": call,
        "reason": rng.choice(["lunch", "meeting", None]),
        "wrap_up_seconds": rng.choice([0, 0, 10, 30]),
        "max_no_answer": rng.choice([0, 1, 3]),
    }
    if trigger is T.FORCE:
        kwargs["target"] = rng.choice([*AgentState, None])
    return trigger, kwargs


def test_a_random_walk_never_strands_an_agent() -> None:
    rng = random.Random(20260302)
    pool = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(4)]
    status = AgentStatus.logged_out(AGENT, T0)
    now = T0
    visited: set[AgentState] = set()
    outcomes: dict[Outcome | None, int] = {}
    for _ in range(10_000):
        now += dt.timedelta(seconds=rng.randint(0, 20))
        trigger, kwargs = random_trigger(rng, status, pool)
        transition: Transition | None
        try:
            transition = apply(status, trigger, at=now, **kwargs)
        except AgentStateError:
            transition = None
            # Facts never raise; only a call event missing its call id is a caller's bug.
            assert trigger not in FACTS or (trigger is not T.WRAP_UP_EXPIRED and kwargs["call_uuid"] is None)
        outcomes[transition.outcome if transition else None] = (
            outcomes.get(transition.outcome if transition else None, 0) + 1
        )
        if transition is not None:
            assert transition.to_state is transition.status.state
            status = transition.status
        visited.add(status.state)
        if status.state in (S.RESERVED, S.RINGING, S.ON_CALL):
            assert status.call_uuid
        assert_recoverable(status, now)
    assert visited == set(AgentState)
    assert all(outcomes.get(kind, 0) > 100 for kind in (*Outcome, None)), outcomes
