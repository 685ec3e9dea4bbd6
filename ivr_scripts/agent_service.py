"""The agent service: the state machine applied to agents kept in a store, with optimistic concurrency.

Every command and fact is read, apply, conditional save. `AgentStore.save` writes a transition only if
the stored status is still the one it was computed from; on a lost race (a call event and a command
landing together, another server) the service reads again and applies the trigger again to the new
status, up to `attempts` times, so a command is judged against the state it really meets and never
silently loses. Repeats and stale facts return without writing. No I/O here: the store does it
(schema.adapters.agent_store.SqlAgentStore for the database, writing the state log in the same transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final, Protocol

from dialplans.clock import Clock
from ivr_scripts.agent_states import (
    AgentStateError,
    AgentStatus,
    StateLog,
    Transition,
    Trigger,
    apply,
    due_timers,
)

DEFAULT_ATTEMPTS: Final = 3


class UnknownAgent(AgentStateError, LookupError):
    """No agent with this id in the store (agents come from the YAML: `callcenter agent sync`)."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"unknown agent {agent_id!r}")
        self.agent_id = agent_id


class AgentContention(AgentStateError):
    """The agent changed under every attempt to apply a trigger; nothing was written."""


class AgentStore(Protocol):
    """Where agents' statuses live."""

    def get(self, agent_id: str) -> AgentStatus | None:
        """The agent's current status, or None if there is no such agent."""
        ...

    def all(self) -> Sequence[AgentStatus]:
        """Every agent's status, by agent id."""
        ...

    def save(self, transition: Transition, *, expected: AgentStatus) -> bool:
        """Store `transition.status` atomically if the stored status is still `expected` (the status
        `get` returned and the transition was computed from); False, writing nothing, if it is not."""
        ...


class AgentService:
    """Commands (login, logout, ready, go_break), call facts and wrap-up timers for stored agents.

    Each method returns the `Transition`; `changed` is False for a repeat or a stale fact. Commands the
    state refuses raise `AgentStateError`; unknown ids raise `UnknownAgent`. `log`, when given, receives
    every saved change after the store accepted it (the SQL store writes agent_state_log itself; this
    is for observers such as the dispatch board). `clock` gives the time of commands and, unless an
    `at` is given, of facts.
    """

    def __init__(
        self,
        store: AgentStore,
        log: StateLog | None,
        clock: Clock,
        *,
        max_no_answer: int = 3,
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        self._store = store
        self._log = log
        self._clock = clock
        self._max_no_answer = max_no_answer
        self._attempts = attempts

    # Commands.

    def login(self, agent_id: str) -> Transition:
        return self._apply(agent_id, Trigger.LOGIN)

    def logout(self, agent_id: str) -> Transition:
        return self._apply(agent_id, Trigger.LOGOUT)

    def ready(self, agent_id: str) -> Transition:
        return self._apply(agent_id, Trigger.READY)

    def go_break(self, agent_id: str, reason: str) -> Transition:
        return self._apply(agent_id, Trigger.GO_BREAK, reason=reason)

    def status(self, agent_id: str) -> AgentStatus:
        return self._read(agent_id)

    def statuses(self) -> Sequence[AgentStatus]:
        return self._store.all()

    # Facts from call events: never refused, stale or repeated ones change nothing.

    def reservation_cancelled(
        self, agent_id: str, call_uuid: str, *, at: dt.datetime | None = None
    ) -> Transition:
        return self._apply(agent_id, Trigger.RESERVATION_CANCELLED, call_uuid=call_uuid, at=at)

    def ring(self, agent_id: str, call_uuid: str, *, at: dt.datetime | None = None) -> Transition:
        return self._apply(agent_id, Trigger.RING, call_uuid=call_uuid, at=at)

    def answered(self, agent_id: str, call_uuid: str, *, at: dt.datetime | None = None) -> Transition:
        return self._apply(agent_id, Trigger.ANSWERED, call_uuid=call_uuid, at=at)

    def no_answer(self, agent_id: str, call_uuid: str, *, at: dt.datetime | None = None) -> Transition:
        return self._apply(agent_id, Trigger.NO_ANSWER, call_uuid=call_uuid, at=at)

    def caller_abandoned(self, agent_id: str, call_uuid: str, *, at: dt.datetime | None = None) -> Transition:
        return self._apply(agent_id, Trigger.CALLER_ABANDONED_WHILE_RINGING, call_uuid=call_uuid, at=at)

    def call_ended(
        self, agent_id: str, call_uuid: str, wrap_up_seconds: int, *, at: dt.datetime | None = None
    ) -> Transition:
        return self._apply(
            agent_id, Trigger.CALL_ENDED, call_uuid=call_uuid, wrap_up_seconds=wrap_up_seconds, at=at
        )

    def wrap_up_expired(self, agent_id: str, *, at: dt.datetime | None = None) -> Transition:
        return self._apply(agent_id, Trigger.WRAP_UP_EXPIRED, at=at)

    def tick(self, now: dt.datetime) -> list[Transition]:
        """Fire every wrap-up timer due at `now`; the changes made, in agent order."""
        changes = []
        for due in due_timers(self._store.all(), now):
            try:
                transition = self.wrap_up_expired(due.agent_id, at=now)
            except UnknownAgent:
                continue  # removed since the listing
            if transition.changed:
                changes.append(transition)
        return changes

    def _read(self, agent_id: str) -> AgentStatus:
        status = self._store.get(agent_id)
        if status is None:
            raise UnknownAgent(agent_id)
        return status

    def _apply(
        self,
        agent_id: str,
        trigger: Trigger,
        *,
        at: dt.datetime | None = None,
        call_uuid: str | None = None,
        reason: str | None = None,
        wrap_up_seconds: int = 0,
    ) -> Transition:
        for _ in range(self._attempts):
            current = self._read(agent_id)
            transition = apply(
                current,
                trigger,
                at=at if at is not None else self._clock(),
                call_uuid=call_uuid,
                reason=reason,
                wrap_up_seconds=wrap_up_seconds,
                max_no_answer=self._max_no_answer,
            )
            if not transition.changed:
                return transition
            if self._store.save(transition, expected=current):
                if self._log is not None:
                    self._log.record(transition)
                return transition
        raise AgentContention(
            f"agent {agent_id} changed under each of {self._attempts} attempts to apply '{trigger}'; "
            "nothing was written, try again"
        )
