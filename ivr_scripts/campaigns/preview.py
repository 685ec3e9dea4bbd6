"""One preview call: the agent saw the record and asked to dial; their phone first, then the customer.

The dialer feeds it the switch's facts and carries out the command it returns; it never touches the
switch itself (esl_handlers.preview_calls does).

    calling agent --agent answered--> dialling customer --answered--> connected --either hangs up--> ended
         |                                 '--busy, no answer, ...--> ended (that outcome)
         '--agent's phone not answered--> ended, no attempt (the customer was never dialled)

No answering-machine detection: the agent hears the line from the customer's first word, so a machine is
the agent's to recognise (and to close with a disposition). An answered call is `human`. The attempt
starts when the customer is dialled, so "no answer" means the number rang the campaign's full
`ring_seconds` (at least 15 s). When one leg ends the other is hung up.

The state machine is `AgentFirstCall`, the agent's phone first, then a number: a preview's call is one
with its campaign and lead (`PreviewCall`), an agent's click-to-dial from the desk another.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from dialplans.campaign_vocabulary import AttemptOutcome
from ivr_scripts.campaigns.call_progress import outcome_of_cause


class PreviewPhase(StrEnum):
    CALLING_AGENT = "calling_agent"
    DIALLING = "dialling"
    CONNECTED = "connected"
    ENDED = "ended"


class PreviewStateError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class DialCustomer:
    customer_uuid: str


@dataclass(frozen=True, slots=True)
class BridgeLegs:
    customer_uuid: str
    agent_leg: str


@dataclass(frozen=True, slots=True)
class HangUpLeg:
    uuid: str


PreviewCommand = DialCustomer | BridgeLegs | HangUpLeg


@dataclass
class AgentFirstCall:
    phone: str
    agent_id: str
    agent_leg: str
    """The agent's phone leg; its UUID is the one the agent was reserved with when the preview began."""
    call_uuid: str
    """The customer's leg: the attempt's call."""
    phase: PreviewPhase = PreviewPhase.CALLING_AGENT
    agent_answered_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    outcome: AttemptOutcome | None = None
    """None when the call ended without dialling the customer (no attempt)."""
    hangup_cause: str | None = None

    @property
    def dialled(self) -> bool:
        """The customer was dialled: the call is an attempt."""
        return self.started_at is not None

    @property
    def ringing_customer(self) -> bool:
        """The customer is being dialled: neither answered nor ended yet."""
        return self.phase is PreviewPhase.DIALLING

    def agent_answered(self, now: dt.datetime) -> DialCustomer:
        self._expect(PreviewPhase.CALLING_AGENT)
        self.phase, self.agent_answered_at, self.started_at = PreviewPhase.DIALLING, now, now
        return DialCustomer(self.call_uuid)

    def customer_answered(self, now: dt.datetime) -> BridgeLegs:
        self._expect(PreviewPhase.DIALLING)
        self.phase, self.answered_at, self.outcome = PreviewPhase.CONNECTED, now, AttemptOutcome.HUMAN
        return BridgeLegs(self.call_uuid, self.agent_leg)

    def customer_not_answered(self, cause: str, now: dt.datetime) -> HangUpLeg | None:
        """The customer's leg failed (busy, no answer, ...): the agent's leg is hung up."""
        if self.phase is not PreviewPhase.DIALLING:
            return None  # the agent hung up first: their leg's end was reported already
        self._end(outcome_of_cause(cause), cause, now)
        return HangUpLeg(self.agent_leg)

    def hung_up(self, leg: str, cause: str, now: dt.datetime) -> HangUpLeg | None:
        """A leg ended: the other one is hung up. Repeated or unknown legs change nothing."""
        if self.phase is PreviewPhase.ENDED or leg not in (self.agent_leg, self.call_uuid):
            return None
        if self.phase is PreviewPhase.CALLING_AGENT:
            self._end(None, cause, now)
            return None
        if self.phase is PreviewPhase.DIALLING and leg == self.call_uuid:
            self._end(outcome_of_cause(cause), cause, now)
            return HangUpLeg(self.agent_leg)
        if self.phase is PreviewPhase.DIALLING:
            # The agent gave up while the number rang: not the customer's no-answer, nor busy.
            self._end(AttemptOutcome.NO_ANSWER, cause, now)
        else:
            self._end(AttemptOutcome.HUMAN, cause, now)
        return HangUpLeg(self.call_uuid if leg == self.agent_leg else self.agent_leg)

    def _expect(self, phase: PreviewPhase) -> None:
        if self.phase is not phase:
            raise PreviewStateError(f"call {self.call_uuid} is {self.phase}, not {phase}")

    def _end(self, outcome: AttemptOutcome | None, cause: str, now: dt.datetime) -> None:
        self.phase, self.outcome, self.hangup_cause, self.ended_at = PreviewPhase.ENDED, outcome, cause, now


@dataclass(kw_only=True)
class PreviewCall(AgentFirstCall):
    """A preview campaign's call: the attempt is logged against the campaign's lead."""

    campaign: str
    lead_id: int
