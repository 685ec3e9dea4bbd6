"""Campaign customers behind the stand-in: who answers the dialer's `bgapi originate`, and what the
switch hears.

switch.agents.customers = Customers({"person": 0.3, "machine": 0.3, "busy": 0.2, "no_answer": 0.2}, seed=7)

An originate the stand-in has no AgentPhone for, whose second argument is an inline dialplan (the
dialer's call-progress listening, esl_handlers.call_progress.listening_steps), reaches a customer: a
person, a machine, busy or no answer, drawn once per number from a random.Random seeded with `seed`
and the number, so a number answers alike on every attempt and the draw does not depend on the order
of the calls. The answered leg then runs its inline steps (agents.py `run_inline`), and
wait_for_silence completes with the variables the real switch set for a "Hello?" and for a long
greeting (tests/transcripts/*/campaign_person_inbound.jsonl, campaign_machine_inbound.jsonl).

Time is compressed: a customer rings `ring_seconds`, listens `listen_seconds`, a person talks
`talk_seconds` once bridged; "no answer" ends NO_ANSWER after `ring_seconds`, not after the
originate's timeout (the real switch rings the whole timeout).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

Kind = Literal["person", "machine", "busy", "no_answer"]
KINDS: Final[tuple[Kind, ...]] = ("person", "machine", "busy", "no_answer")

# wait_for_silence's variables on its completion, as both releases set them (the captures above).
HEARD: Final[Mapping[Kind, Mapping[str, str]]] = {
    # "Hello?" after 300 ms of silence: 27 loud frames, the quiet found (540 ms of speech: a person).
    "person": {
        "wait_for_silence_timeout": "false",
        "wait_for_silence_listenhits": "27",
        "wait_for_silence_silence_hits": "0",
    },
    # A greeting still going at 4 s: the timeout, 112 loud frames (a machine). The beep comes later.
    "machine": {
        "wait_for_silence_timeout": "true",
        "wait_for_silence_listenhits": "112",
        "wait_for_silence_silence_hits": "40",
    },
}
# The machine message's wait_for_silence (listen_hits 0), once the greeting and the beep are over.
AFTER_BEEP: Final[Mapping[str, str]] = {
    "avmd_detect": "TRUE",
    "wait_for_silence_timeout": "false",
    "wait_for_silence_listenhits": "113",
    "wait_for_silence_silence_hits": "0",
}


@dataclass
class Customers:
    rates: Mapping[Kind, float]
    seed: int = 0
    ring_seconds: float = 0.02
    listen_seconds: float = 0.05
    talk_seconds: float = 0.2
    message_seconds: float = 0.05
    drawn: dict[str, Kind] = field(default_factory=dict)  # number -> what it is

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(KINDS)
        if unknown or not self.rates or any(rate < 0 for rate in self.rates.values()):
            raise ValueError(f"rates must weigh {', '.join(KINDS)}: {dict(self.rates)}")

    def kind_of(self, number: str) -> Kind:
        kind = self.drawn.get(number)
        if kind is None:
            kinds = list(self.rates)
            draw = random.Random(f"{self.seed}:{number}")
            kind = self.drawn[number] = draw.choices(kinds, [self.rates[k] for k in kinds])[0]
        return kind

    def heard(self, kind: Kind, listen_hits: str) -> Mapping[str, str]:
        """What wait_for_silence sets: the decision's listening, or (listen_hits 0) the machine
        message's wait for the end of the greeting and the beep."""
        if listen_hits == "0" and kind == "machine":
            return AFTER_BEEP
        return HEARD["person" if kind == "person" else "machine"]


def number_of(endpoint: str) -> str:
    """The number an endpoint dials: `sofia/gateway/pstn/+1312...` or `sofia/x/sip:+1312...@host`."""
    tail = endpoint.rsplit("/", 1)[-1]
    return tail.removeprefix("sip:").split("@", 1)[0]


def inline_steps(text: str) -> list[tuple[str, str]]:
    """`app:arg,app,...` (mod_dptools inline_dialplan_hunt: split at ',', each at its first ':')."""
    steps = []
    for part in text.split(","):
        name, _, argument = part.partition(":")
        steps.append((name, argument))
    return steps
