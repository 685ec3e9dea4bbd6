"""What the IVR runner reports as it goes: one step per prompt, key press and decision."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

from ivr_scripts.channel import Audio, Channel

StepResult = Literal[
    "open",  # the line was open; the call starts in the DID's menu
    "closed",  # out of hours or a holiday; the call starts in the closed menu
    "unknown_did",
    "blocked",  # screening: the caller ID is blacklisted; the call is refused before any menu
    "vip",  # screening: a VIP caller skips the menu for the priority queue
    "played",  # a greeting or message was played
    "ok",  # a valid key was pressed
    "invalid",
    "timeout",
    "lookup_found",  # self-service: the keys (or the caller ID) matched exactly one customer
    "lookup_not_found",  # self-service: no customer, or more than one, matched the keys
    "fallback",  # retries exhausted: the menu's fallback action runs
    "transfer",
    "queue",
    "answered",  # a queue connected the caller to an agent and the conversation ended
    "abandoned",  # the caller hung up while waiting in a queue
    "callback",  # the caller asked to be called back and keeps their place
    "hangup",
    "caller_hangup",
    "loop_limit",
]


@dataclass(frozen=True, slots=True)
class IvrStep:
    seq: int
    menu: str | None
    prompt: str | None
    digits: str | None
    result: StepResult
    at: dt.datetime


OutcomeKind = Literal[
    "transferred",
    "queued",  # handed to a queue's extension in FreeSWITCH (no ACD in this process)
    "answered",  # the ACD connected the caller to an agent
    "abandoned",
    "callback",
    "hangup",
    "caller_hangup",
    "unknown_did",
    "blocked",  # screening refused the caller (rejected unanswered, or after a message)
    "loop_limit",
]


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: OutcomeKind
    destination: str | None
    menu_path: tuple[str, ...]


class StepSink(Protocol):
    """Where steps go: the database through the session, a list in tests, the terminal in the simulator."""

    def record_step(self, call_uuid: str, step: IvrStep) -> None: ...


class ListSink:
    """Keeps steps in memory (tests and the simulator)."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, IvrStep]] = []

    def record_step(self, call_uuid: str, step: IvrStep) -> None:
        self.steps.append((call_uuid, step))


class CallSteps(Protocol):
    """One call as the parts of the runner see it (the runner's call state): its channel, the menu it
    is in (`None` outside menus, `survey:<name>` in a survey), numbered steps, prompts played by name,
    and its recordings masked around a sensitive entry.

    Steps of a sensitive entry (a card number) never carry the keys: `digits` stays None.
    """

    menu: str | None

    @property
    def channel(self) -> Channel: ...

    def step(self, result: StepResult, *, prompt: str | None = None, digits: str | None = None) -> None: ...

    def audio(self, prompt: str) -> Audio:
        """The dialplan prompt `prompt` as the channel plays it."""
        ...

    def play(self, prompt: str, *, type_ahead: bool = False) -> None:
        """Play the dialplan prompt `prompt` (its file, else its TTS text) and record it as played;
        `type_ahead` as `Channel.play`: a key during it answers the question that follows."""
        ...

    def masked(self) -> AbstractContextManager[None]:
        """Silence in the call's running recordings while the body runs (PCI: card digits)."""
        ...
