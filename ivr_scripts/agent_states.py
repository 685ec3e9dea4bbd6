"""The agent state machine: one transition table, applied without I/O.

Triggers come in three kinds, and the kind decides what happens when the table has no cell:

* commands (login, logout, ready, go_break, reserve) are requests from the CLI, the API or dispatch; one the
  table does not allow is refused with `AgentStateError` ("agent 1001 is on_call; cannot 'reserve'");
* facts (the call events and the wrap-up timer) report what already happened, so they never raise. A fact
  about a call the agent does not hold, or about a phase of its call the agent has moved past, is ignored
  as `Outcome.STALE`; a duplicate is ignored as `Outcome.REPEAT`. Replayed, duplicated and out-of-order
  events after an ESL reconnect therefore cannot corrupt state;
* `force` sets a state outright, for the reconciler and supervisors.

`apply` always returns a `Transition`; ignored ones have `changed` False and the status untouched. Only
changed transitions are rows of the agent state log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from dialplans.vocabulary import CALL_STATES, AgentState
from ivr_scripts.agent_table import COMMANDS, SAME_CALL_IGNORED, TABLE, Outcome, Trigger

# The table's names, and the shared agent states, are part of this module's interface.
__all__ = [
    "CALL_STATES",
    "NO_ANSWER_BREAK_REASON",
    "TABLE",
    "AgentState",
    "AgentStateError",
    "AgentStatus",
    "InMemoryStateLog",
    "Outcome",
    "StateLog",
    "Transition",
    "Trigger",
    "apply",
    "due_timers",
]


class AgentStateError(Exception):
    """A command the agent's state does not allow, or an agent status that cannot exist."""


_S = AgentState
_T = Trigger
NO_ANSWER_BREAK_REASON: Final = "no_answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStatus:
    """Where one agent stands. `call_uuid` is the call it is reserved for, ringing for, on, or wrapping up."""

    agent_id: str
    state: AgentState
    reason: str | None = None
    call_uuid: str | None = None
    since: dt.datetime
    consecutive_no_answers: int = 0
    wrap_up_until: dt.datetime | None = None

    def __post_init__(self) -> None:
        problem = _status_problem(self)
        if problem is not None:
            raise AgentStateError(f"agent {self.agent_id}: {problem}")

    @classmethod
    def logged_out(cls, agent_id: str, since: dt.datetime) -> AgentStatus:
        return cls(agent_id=agent_id, state=AgentState.LOGGED_OUT, since=since)


def _status_problem(status: AgentStatus) -> str | None:
    state = status.state
    if status.since.tzinfo is None:
        return "since must be timezone-aware"
    if status.consecutive_no_answers < 0:
        return "consecutive_no_answers cannot be negative"
    if state in CALL_STATES and not status.call_uuid:
        return f"{state} needs a call_uuid"
    if state in (_S.LOGGED_OUT, _S.AVAILABLE, _S.ON_BREAK) and status.call_uuid is not None:
        return f"{state} holds no call"
    if (state is _S.ON_BREAK) != bool(status.reason):
        return "on_break needs a reason" if state is _S.ON_BREAK else f"{state} has no reason"
    if (state is _S.WRAP_UP) != (status.wrap_up_until is not None):
        return "wrap_up needs wrap_up_until" if state is _S.WRAP_UP else f"{state} has no wrap_up_until"
    if status.wrap_up_until is not None and status.wrap_up_until.tzinfo is None:
        return "wrap_up_until must be timezone-aware"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """One trigger applied to one agent; `status` is the agent's status afterwards."""

    agent_id: str
    from_state: AgentState
    to_state: AgentState
    trigger: Trigger
    reason: str | None
    call_uuid: str | None
    at: dt.datetime
    status: AgentStatus
    outcome: Outcome = Outcome.CHANGED

    @property
    def changed(self) -> bool:
        return self.outcome is Outcome.CHANGED


class StateLog(Protocol):
    """Where changed transitions are written, one row each."""

    def record(self, transition: Transition) -> None: ...


class InMemoryStateLog:
    def __init__(self) -> None:
        self.transitions: list[Transition] = []

    def record(self, transition: Transition) -> None:
        self.transitions.append(transition)


def apply(
    status: AgentStatus,
    trigger: Trigger,
    *,
    at: dt.datetime,
    call_uuid: str | None = None,
    reason: str | None = None,
    target: AgentState | None = None,
    wrap_up_seconds: int = 0,
    max_no_answer: int = 3,
) -> Transition:
    """Apply `trigger` to `status` at `at`.

    `call_uuid` names the call of a call event or of `reserve`; `reason` is the break reason of `go_break`
    (and of `force` to on_break) or the cause of a `force`; `target` is the state a `force` sets;
    `wrap_up_seconds` is the queue's wrap-up after `call_ended`; `max_no_answer` <= 0 never breaks the agent.
    """
    if at.tzinfo is None:
        raise AgentStateError("apply needs a timezone-aware datetime")
    if wrap_up_seconds < 0:
        raise AgentStateError(f"wrap_up_seconds cannot be negative, got {wrap_up_seconds}")
    if trigger is Trigger.FORCE:
        return _force(
            status, at, target=target, call_uuid=call_uuid, reason=reason, wrap_up_seconds=wrap_up_seconds
        )
    if trigger in COMMANDS:
        return _follow_command(status, trigger, at, call_uuid, reason)
    return _follow_fact(
        status, trigger, at, call_uuid=call_uuid, wrap_up_seconds=wrap_up_seconds, max_no_answer=max_no_answer
    )


def due_timers(statuses: Iterable[AgentStatus], now: dt.datetime) -> list[AgentStatus]:
    """The agents whose wrap-up has run out at `now`: apply `wrap_up_expired` to each."""
    return [
        status
        for status in statuses
        if status.state is _S.WRAP_UP and status.wrap_up_until is not None and status.wrap_up_until <= now
    ]


def _follow_command(
    status: AgentStatus, trigger: Trigger, at: dt.datetime, call_uuid: str | None, reason: str | None
) -> Transition:
    if trigger is _T.RESERVE and not call_uuid:
        raise AgentStateError(f"agent {status.agent_id}: 'reserve' needs a call_uuid")
    if trigger is _T.GO_BREAK and not reason:
        raise AgentStateError(f"agent {status.agent_id}: 'go_break' needs a reason")
    next_state = TABLE.get((status.state, trigger))
    if next_state is None:
        raise AgentStateError(f"agent {status.agent_id} is {status.state}; cannot '{trigger}'")
    if trigger is _T.RESERVE and status.state is _S.RESERVED and call_uuid != status.call_uuid:
        raise AgentStateError(
            f"agent {status.agent_id} is reserved for call {status.call_uuid}; "
            f"cannot 'reserve' call {call_uuid}"
        )
    if next_state is status.state and not (trigger is _T.GO_BREAK and reason != status.reason):
        return _ignored(status, trigger, at, Outcome.REPEAT, call_uuid=call_uuid, reason=reason)
    entered = _enter(
        status,
        next_state,
        at,
        call_uuid=call_uuid,
        reason=reason,
        wrap_up_seconds=0,
        no_answers=status.consecutive_no_answers,
    )
    return _changed(status, trigger, at, entered, call_uuid=call_uuid, reason=reason)


def _follow_fact(
    status: AgentStatus,
    trigger: Trigger,
    at: dt.datetime,
    *,
    call_uuid: str | None,
    wrap_up_seconds: int,
    max_no_answer: int,
) -> Transition:
    if trigger is _T.WRAP_UP_EXPIRED:
        # A timer for an earlier wrap-up, or one the agent already ended with `ready`, is stale.
        if status.wrap_up_until is None or at < status.wrap_up_until:
            return _ignored(status, trigger, at, Outcome.STALE, call_uuid=call_uuid, reason=None)
    else:
        if not call_uuid:
            raise AgentStateError(f"agent {status.agent_id}: '{trigger}' needs a call_uuid")
        if call_uuid != status.call_uuid:
            return _ignored(status, trigger, at, Outcome.STALE, call_uuid=call_uuid, reason=None)
        ignored = SAME_CALL_IGNORED.get((status.state, trigger))
        if ignored is not None:
            return _ignored(status, trigger, at, ignored, call_uuid=call_uuid, reason=None)
    next_state = TABLE.get((status.state, trigger))
    if next_state is None:  # pragma: no cover - the tests prove TABLE and SAME_CALL_IGNORED cover all facts
        raise AgentStateError(f"agent {status.agent_id} is {status.state}; no rule for '{trigger}'")
    no_answers = status.consecutive_no_answers
    reason: str | None = None
    if trigger is _T.ANSWERED:
        no_answers = 0
    elif trigger is _T.NO_ANSWER:
        no_answers += 1
        if 0 < max_no_answer <= no_answers:
            next_state, reason = _S.ON_BREAK, NO_ANSWER_BREAK_REASON
    elif trigger is _T.CALL_ENDED and wrap_up_seconds == 0:
        next_state = _S.AVAILABLE
    entered = _enter(
        status,
        next_state,
        at,
        call_uuid=status.call_uuid,
        reason=reason,
        wrap_up_seconds=wrap_up_seconds,
        no_answers=no_answers,
    )
    return _changed(status, trigger, at, entered, call_uuid=call_uuid or status.call_uuid, reason=reason)


def _force(
    status: AgentStatus,
    at: dt.datetime,
    *,
    target: AgentState | None,
    call_uuid: str | None,
    reason: str | None,
    wrap_up_seconds: int,
) -> Transition:
    if target is None:
        raise AgentStateError(f"agent {status.agent_id}: 'force' needs a target state")
    if target is _S.WRAP_UP and call_uuid is None:
        call_uuid = status.call_uuid
    entered = _enter(
        status,
        target,
        at,
        call_uuid=call_uuid,
        reason=reason,
        wrap_up_seconds=wrap_up_seconds,
        no_answers=status.consecutive_no_answers,
    )
    if dataclasses.replace(entered, since=status.since) == status:
        return _ignored(status, _T.FORCE, at, Outcome.REPEAT, call_uuid=call_uuid, reason=reason)
    return _changed(status, _T.FORCE, at, entered, call_uuid=call_uuid, reason=reason)


def _enter(
    status: AgentStatus,
    state: AgentState,
    at: dt.datetime,
    *,
    call_uuid: str | None,
    reason: str | None,
    wrap_up_seconds: int,
    no_answers: int,
) -> AgentStatus:
    """The status on entering `state`; the no-answer streak restarts on a break or a logout."""
    if state in (_S.ON_BREAK, _S.LOGGED_OUT):
        no_answers = 0
    holds_call = state in CALL_STATES or state is _S.WRAP_UP
    return AgentStatus(
        agent_id=status.agent_id,
        state=state,
        reason=reason if state is _S.ON_BREAK else None,
        call_uuid=call_uuid if holds_call else None,
        since=at,
        consecutive_no_answers=no_answers,
        wrap_up_until=at + dt.timedelta(seconds=wrap_up_seconds) if state is _S.WRAP_UP else None,
    )


def _changed(
    before: AgentStatus,
    trigger: Trigger,
    at: dt.datetime,
    after: AgentStatus,
    *,
    call_uuid: str | None,
    reason: str | None,
) -> Transition:
    return Transition(
        agent_id=before.agent_id,
        from_state=before.state,
        to_state=after.state,
        trigger=trigger,
        reason=reason,
        call_uuid=call_uuid if call_uuid is not None else before.call_uuid,
        at=at,
        status=after,
    )


def _ignored(
    status: AgentStatus,
    trigger: Trigger,
    at: dt.datetime,
    outcome: Outcome,
    *,
    call_uuid: str | None,
    reason: str | None,
) -> Transition:
    return Transition(
        agent_id=status.agent_id,
        from_state=status.state,
        to_state=status.state,
        trigger=trigger,
        reason=reason,
        call_uuid=call_uuid,
        at=at,
        status=status,
        outcome=outcome,
    )
