"""Agent legs: one report per agent rung for a queue call (who was offered it, how long it rang, who
answered, how long they talked), so reports join rows instead of reading queue_log text.

The offer flow keeps a `LegLog` per run: `ringing` when agents start ringing, `picked_up` when one
answers, `ended` once a leg's offer is settled; `ended` reports the leg through the queue event sink.
An answered leg is reported twice, both times under its leg UUID: at the bridge (`answered`, no end yet)
and when the conversation ends (`with_end`, the end and the talk time); storage merges the two.

Outcomes (docs/database.md, agent_legs): answered (bridged to the caller), no_answer (rang out),
rejected (busy or declined), lost_race (ring-all: another agent answered first), caller_abandoned (the
caller left while it rang or before the bridge), callback_unanswered (callback: the agent answered, the
customer did not), failed (the switch could not ring or bridge it, or the phone is unreachable).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal, Protocol, get_args

from dialplans.clock import Clock
from dialplans.vocabulary import BUSY_CAUSES, CALL_REJECTED, NO_ANSWER_CAUSES

LegOutcome = Literal[
    "answered", "no_answer", "rejected", "lost_race", "caller_abandoned", "callback_unanswered", "failed"
]
LEG_OUTCOMES: Final[tuple[str, ...]] = get_args(LegOutcome)
LOSE_RACE: Final = "LOSE_RACE"  # FreeSWITCH's cause for the ring-all legs another agent beat
# The cause of an agent leg the switch failed, where no hang-up cause tells it.
SWITCH_ERROR: Final = "SWITCH_ERROR"
BRIDGE_FAILED: Final = "BRIDGE_FAILED"
# The cause of a leg that ended this way when the flow gives none.
DEFAULT_CAUSES: Final[dict[str, str]] = {"lost_race": LOSE_RACE, "failed": SWITCH_ERROR}


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLegReport:
    """One agent leg as the ACD flow knows it; `ended_at` is None while an answered leg talks."""

    leg_uuid: str
    call_uuid: str
    queue: str
    agent_id: str
    outcome: LegOutcome
    offered_at: dt.datetime
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    talk_s: float | None = None
    cause: str | None = None  # the switch's hang-up cause or error for a leg that did not connect
    callback: bool = False

    def with_end(self, ended_at: dt.datetime, talk_s: float) -> AgentLegReport:
        """The answered leg once its conversation ended."""
        return dataclasses.replace(self, ended_at=ended_at, talk_s=talk_s)


class AgentLegSink(Protocol):
    def leg(self, report: AgentLegReport) -> None: ...


def unanswered_outcome(cause: str | None) -> LegOutcome:
    """What a leg that rang without being answered counts as, from the switch's cause."""
    if cause in BUSY_CAUSES or cause == CALL_REJECTED:
        return "rejected"
    if cause is None or cause in NO_ANSWER_CAUSES:
        return "no_answer"
    return "failed"


class LegLog:
    """The legs of one offer run for one call: when each agent started ringing and picked up."""

    def __init__(
        self, sink: AgentLegSink, call_uuid: str, queue: str, clock: Clock, *, callback: bool
    ) -> None:
        self._sink = sink
        self._call_uuid = call_uuid
        self._queue = queue
        self._clock = clock
        self._callback = callback
        self._offered: dict[str, dt.datetime] = {}
        self._answered: dict[str, dt.datetime] = {}

    def ringing(self, *agent_ids: str) -> None:
        now = self._clock()
        for agent_id in agent_ids:
            self._offered[agent_id] = now

    def picked_up(self, agent_id: str) -> None:
        self._answered[agent_id] = self._clock()

    def ended(
        self, agent_id: str, leg_uuid: str, outcome: LegOutcome, cause: str | None = None
    ) -> AgentLegReport:
        """Report the leg of `agent_id`; an answered leg stays open (no end) until `with_end`."""
        now = self._clock()
        report = AgentLegReport(
            leg_uuid=leg_uuid,
            call_uuid=self._call_uuid,
            queue=self._queue,
            agent_id=agent_id,
            outcome=outcome,
            offered_at=self._offered.get(agent_id, now),
            answered_at=self._answered.get(agent_id),
            ended_at=None if outcome == "answered" else now,
            cause=cause or DEFAULT_CAUSES.get(outcome),
            callback=self._callback,
        )
        self._sink.leg(report)
        return report
