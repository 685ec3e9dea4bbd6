"""Supervision's vocabulary: the modes of listening in on an agent's call, what a supervision started,
its errors, and the facts about an agent and a call that the `SupervisionFacts` store reads.

esl_handlers.supervision.Supervisor implements supervision over the switch; http_api speaks these types
without knowing who implements them; schema.adapters.supervision_facts reads the facts from SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, Protocol

from ivr_scripts.switch import Originated

Mode = Literal["listen", "whisper", "barge"]
Side = Literal["agent", "caller"]
MODES: Final[tuple[Mode, ...]] = ("listen", "whisper", "barge")


class SupervisionError(Exception):
    """Supervision could not start (root of supervision's errors; the switch's are SwitchError)."""


class AgentNotOnCall(SupervisionError):
    """The agent has no live call to supervise."""


@dataclass(frozen=True, slots=True)
class EavesdropTarget:
    uuid: str
    side: Side  # whose channel `uuid` is


@dataclass(frozen=True, slots=True)
class Supervision:
    mode: Mode
    agent_id: str
    target: EavesdropTarget
    supervisor_leg: str
    outcome: Originated  # answered: eavesdrop runs on the supervisor's leg until they hang up
    extension: str  # the supervisor's own phone, which was rung


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent_id: str
    extension: str
    department: str | None
    state: str
    call_uuid: str | None


@dataclass(frozen=True, slots=True)
class CallFacts:
    agents: list[AgentRow]  # the agents on the call (agents.call_uuid)
    running: list[str]  # paths of its recordings not yet stopped
    files: int  # its recordings, running or not
    queue: str | None  # the queue it last entered
    did: str | None


class SupervisionFacts(Protocol):
    """What supervision reads from storage (blocking: the caller runs it off the event loop)."""

    def agent(self, agent_id: str) -> AgentRow | None:
        """The agent's row; None when there is no such agent."""
        ...

    def call(self, call_uuid: str) -> CallFacts:
        """What storage knows of a live call (its agents, recordings, last queue and DID)."""
        ...
