"""Who answered a campaign's call (a person, an answering machine, a fax), from what the switch heard.

The switch measures; this module decides (docs/campaigns.md, "Call progress"). After the answer
FreeSWITCH listens (esl_handlers.call_progress): `wait_for_silence` counts the 20 ms frames louder than
`energy_threshold` until `silence_after_ms` of quiet follows the speech, or gives up after `decision_ms`;
mod_avmd listens for a beep, `tone_detect` for a fax's 2100 Hz answer tone. The rules, in order:

1. a fax tone: FAX;
2. a beep: MACHINE (a person does not beep);
3. the speech ended within the window: a short greeting ("Hello?", "Hello, this is Sam") is a PERSON,
   one longer than `max_greeting_ms` is a MACHINE ("Hi, you have reached...");
4. the window ended while the callee was still talking (at least `machine_speech_ms` of speech): MACHINE;
5. otherwise (silence, a cough): UNSURE, which `unsure_is` turns into a person by default: hanging up on
   a silent person is an abandoned call, and an agent can tell a silent line in a second.

A call whose originate did not answer gets its outcome from the hangup cause (`outcome_of_cause`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from dialplans.campaign_vocabulary import AttemptOutcome

FRAME_MS: Final = 20


class Verdict(StrEnum):
    PERSON = "person"
    MACHINE = "machine"
    FAX = "fax"
    UNSURE = "unsure"


@dataclass(frozen=True, slots=True)
class DetectionSettings:
    energy_threshold: int = 200
    """Mean absolute sample value (of 32767) above which a frame counts as sound."""
    speech_start_ms: int = 100
    """Sound needed before silence is looked for."""
    silence_after_ms: int = 800
    """Quiet after the speech that ends a greeting."""
    decision_ms: int = 4000
    """The longest the switch listens before deciding."""
    max_greeting_ms: int = 1500
    """A person's greeting is at most this much speech."""
    machine_speech_ms: int = 1500
    """Speech still going on at the end of the window, at least this much: a machine."""
    unsure_is: Verdict = Verdict.PERSON

    def __post_init__(self) -> None:
        if self.unsure_is not in (Verdict.PERSON, Verdict.MACHINE):
            raise ValueError("an unsure answer is taken as a person or a machine")
        for name in ("speech_start_ms", "silence_after_ms", "decision_ms", "max_greeting_ms"):
            value: int = getattr(self, name)
            if value < FRAME_MS or value % FRAME_MS:
                raise ValueError(f"{name} must be a positive multiple of {FRAME_MS} ms, not {value}")
        if self.decision_ms <= self.speech_start_ms + self.silence_after_ms:
            raise ValueError("decision_ms must leave room for the speech and the silence after it")


@dataclass(frozen=True, slots=True)
class Heard:
    """What the switch measured after the answer."""

    speech_ms: int
    timed_out: bool
    beep: bool = False
    fax_tone: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    """After `unsure_is` is applied: PERSON, MACHINE or FAX."""
    measured: Verdict
    """Before it: UNSURE stays UNSURE, for the attempt log."""
    reason: str


def decide(heard: Heard, settings: DetectionSettings) -> Decision:
    measured, reason = _measured(heard, settings)
    verdict = settings.unsure_is if measured is Verdict.UNSURE else measured
    return Decision(verdict, measured, reason)


def _measured(heard: Heard, settings: DetectionSettings) -> tuple[Verdict, str]:
    if heard.fax_tone:
        return Verdict.FAX, "fax answer tone"
    if heard.beep:
        return Verdict.MACHINE, "beep"
    if not heard.timed_out:
        if heard.speech_ms <= settings.max_greeting_ms:
            return Verdict.PERSON, f"greeting of {heard.speech_ms} ms then silence"
        return Verdict.MACHINE, f"greeting of {heard.speech_ms} ms, longer than {settings.max_greeting_ms} ms"
    if heard.speech_ms >= settings.machine_speech_ms:
        return (
            Verdict.MACHINE,
            f"still talking after {settings.decision_ms} ms ({heard.speech_ms} ms of speech)",
        )
    return Verdict.UNSURE, f"{heard.speech_ms} ms of sound in {settings.decision_ms} ms"


VERDICT_OUTCOMES: Final = {
    Verdict.PERSON: AttemptOutcome.HUMAN,
    Verdict.MACHINE: AttemptOutcome.MACHINE,
    Verdict.FAX: AttemptOutcome.FAX,
}

# Q.850 cause names as FreeSWITCH spells them (switch_channel_cause2str).
_CAUSE_OUTCOMES: Final = {
    "USER_BUSY": AttemptOutcome.BUSY,
    "NO_ANSWER": AttemptOutcome.NO_ANSWER,
    "NO_USER_RESPONSE": AttemptOutcome.NO_ANSWER,
    "ALLOTTED_TIMEOUT": AttemptOutcome.NO_ANSWER,
    "PROGRESS_TIMEOUT": AttemptOutcome.NO_ANSWER,
    "ORIGINATOR_CANCEL": AttemptOutcome.NO_ANSWER,
    "CALL_REJECTED": AttemptOutcome.BUSY,
}


def outcome_of_cause(cause: str) -> AttemptOutcome:
    """The outcome of an attempt that did not answer: busy, no answer, else unreachable (SIT, unallocated,
    congestion, a failed network: the causes a retry rule treats alike)."""
    return _CAUSE_OUTCOMES.get(cause, AttemptOutcome.UNREACHABLE)
