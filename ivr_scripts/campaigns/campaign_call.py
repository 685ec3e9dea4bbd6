"""One campaign call from the dial to its outcome: what the dialer does next, what the attempt log keeps.

The dialer feeds it the switch's facts (not answered with a cause, answered, the call-progress decision,
a seat taken, hung up) and carries out the command it returns. It never touches the switch itself.

    dialling --cause--> ended (busy, no answer, unreachable)
      '--answered--> listening --fax--> hang up (fax)
                         |--machine--> machine message or hang up (machine)
                         '--person--> waiting for an agent --seat within 2 s--> connected --> ended (human)
                                        |--2 s pass--> identification message (dropped)
                                        '--customer hangs up--> ended (dropped)

A person who hangs up while waiting for an agent counts as dropped: the call was not connected within
2 s of the greeting, which is what the abandoned-call rules count, whoever hung up first. A call that
hangs up while the switch is still listening was never decided: it is retried as not answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from dialplans.campaign_vocabulary import AttemptOutcome
from ivr_scripts.campaigns.call_progress import Decision, Verdict, outcome_of_cause

AGENT_WAIT: Final = dt.timedelta(seconds=2)
MachineAction = Literal["message", "retry", "hangup"]


class Phase(StrEnum):
    DIALLING = "dialling"
    LISTENING = "listening"
    WAITING_FOR_AGENT = "waiting_for_agent"
    CONNECTED = "connected"
    MESSAGE = "message"
    ENDED = "ended"


class CallStateError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Bridge:
    customer_uuid: str
    seat_leg: str


@dataclass(frozen=True, slots=True)
class PlayMessage:
    customer_uuid: str
    to_machine: bool
    """True: after the machine's greeting and beep; False: the dropped call's identification."""


@dataclass(frozen=True, slots=True)
class HangUp:
    customer_uuid: str


Command = Bridge | PlayMessage | HangUp


@dataclass
class CampaignCall:
    campaign: str
    lead_id: int
    phone: str
    call_uuid: str
    started_at: dt.datetime
    machine_action: MachineAction = "message"
    phase: Phase = Phase.DIALLING
    answered_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None
    decision: Decision | None = None
    agent_id: str | None = None
    connected_at: dt.datetime | None = None
    dropped_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    outcome: AttemptOutcome | None = None
    hangup_cause: str | None = None

    def not_answered(self, cause: str, now: dt.datetime) -> None:
        self._expect(Phase.DIALLING)
        self._end(outcome_of_cause(cause), cause, now)

    def answered(self, now: dt.datetime) -> None:
        self._expect(Phase.DIALLING)
        self.phase, self.answered_at = Phase.LISTENING, now

    def heard(self, decision: Decision, now: dt.datetime) -> Command | None:
        """The switch decided. None for a person: the dialer now looks for a seat (`connect`)."""
        self._expect(Phase.LISTENING)
        self.decision, self.decided_at = decision, now
        if decision.verdict is Verdict.PERSON:
            self.phase = Phase.WAITING_FOR_AGENT
            return None
        if decision.verdict is Verdict.MACHINE:
            self.outcome = AttemptOutcome.MACHINE
            if self.machine_action == "message":
                self.phase = Phase.MESSAGE
                return PlayMessage(self.call_uuid, to_machine=True)
        else:
            self.outcome = AttemptOutcome.FAX
        self.phase = Phase.MESSAGE  # until the switch reports the hangup
        return HangUp(self.call_uuid)

    @property
    def agent_deadline(self) -> dt.datetime | None:
        """When a waiting person must be connected by, else dropped."""
        if self.phase is not Phase.WAITING_FOR_AGENT or self.decided_at is None:
            return None
        return self.decided_at + AGENT_WAIT

    def connect(self, agent_id: str, seat_leg: str, now: dt.datetime) -> Bridge:
        """Join the waiting person to an agent's seat (CallStateError past the 2 s or in another phase)."""
        deadline = self.agent_deadline
        if deadline is None or now > deadline:
            raise CallStateError(f"call {self.call_uuid} is {self.phase}; it cannot be connected now")
        self.phase, self.agent_id, self.connected_at = Phase.CONNECTED, agent_id, now
        self.outcome = AttemptOutcome.HUMAN
        return Bridge(self.call_uuid, seat_leg)

    def expire(self, now: dt.datetime) -> Command | None:
        """At or after the deadline, a person nobody took hears the identification message."""
        deadline = self.agent_deadline
        if deadline is None or now < deadline:
            return None
        self.phase, self.outcome, self.dropped_at = Phase.MESSAGE, AttemptOutcome.DROPPED, now
        return PlayMessage(self.call_uuid, to_machine=False)

    def hung_up(self, cause: str, now: dt.datetime) -> None:
        """The customer's leg ended (either side hung up). Repeated reports are ignored."""
        if self.phase is Phase.ENDED:
            return
        if self.phase is Phase.DIALLING:
            self._end(outcome_of_cause(cause), cause, now)
        elif self.phase is Phase.LISTENING:
            self._end(AttemptOutcome.NO_ANSWER, cause, now)
        elif self.phase is Phase.WAITING_FOR_AGENT:
            self._end(AttemptOutcome.DROPPED, cause, now)
        else:
            self._end(self.outcome or AttemptOutcome.HUMAN, cause, now)

    @property
    def wait_for_agent_ms(self) -> int | None:
        """From the decision "person" to the agent, the drop or the person's hangup, for the attempt log."""
        if self.decided_at is None or self.decision is None or self.decision.verdict is not Verdict.PERSON:
            return None
        until = self.connected_at or self.dropped_at or self.ended_at
        return None if until is None else round((until - self.decided_at).total_seconds() * 1000)

    def _expect(self, phase: Phase) -> None:
        if self.phase is not phase:
            raise CallStateError(f"call {self.call_uuid} is {self.phase}, not {phase}")

    def _end(self, outcome: AttemptOutcome, cause: str, now: dt.datetime) -> None:
        self.phase, self.outcome, self.hangup_cause, self.ended_at = Phase.ENDED, outcome, cause, now
