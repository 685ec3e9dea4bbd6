"""Typed models of the YAML dialplan language.

These are the compiled form every other room reads: the IVR runner walks
`Menu`s, the renderer writes one extension per `Did`, the SIPp generator
enumerates menu paths. The loader (`dialplans.loader`) builds them from YAML
and adds the cross-reference checks that a single model cannot see.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# A key the caller can press. Options are single keys: every shipped phone menu
# in the field works that way, and it lets play_and_get_digits stop at one digit.
DigitKey = Annotated[str, StringConstraints(pattern=r"^[0-9*#]$")]
# Names used as references between nodes; kept to a safe alphabet because they
# also end up in FreeSWITCH XML attributes and channel variables.
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
# A dialable number: what FreeSWITCH puts in destination_number.
Number = Annotated[str, StringConstraints(pattern=r"^\+?[0-9*#]{1,32}$")]
HangupCause = Annotated[str, StringConstraints(pattern=r"^[A-Z_]{3,40}$")]

_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class Node(BaseModel):
    """Base of every model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Prompt(Node):
    """A recorded audio file, with the text spoken by TTS when the file is missing."""

    file: str | None = None
    text: str | None = Field(default=None, max_length=1000)


class TransferTarget(Node):
    extension: Number | None = None
    queue: Name | None = None
    context: Name = "default"


class GotoMenu(Node):
    menu: Name


class PlayMessage(Node):
    """Self-service: play a message, then go back to the menu or hang up."""

    play: Name
    then: Literal["return", "hangup"] = "return"


class Transfer(Node):
    transfer: TransferTarget


class HangupSpec(Node):
    cause: HangupCause = "NORMAL_CLEARING"
    prompt: Name | None = None


class Hangup(Node):
    hangup: HangupSpec = HangupSpec()


Action = GotoMenu | PlayMessage | Transfer | Hangup


class Menu(Node):
    greeting: Name | None = None
    prompt: Name
    options: dict[DigitKey, Action]
    timeout: float = Field(default=5.0, gt=0, le=60)
    digit_timeout: float = Field(default=3.0, gt=0, le=30)
    max_retries: int = Field(default=3, ge=1, le=10)
    invalid_prompt: Name | None = None
    timeout_prompt: Name | None = None
    fallback: Action


class OpeningHours(Node):
    days: list[Weekday] = Field(min_length=1)
    open: str
    close: str

    @field_validator("open", "close")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError(f"expected a time as HH:MM, got {value!r}")
        return value


class Holiday(Node):
    date: dt.date
    name: str = ""


class Schedule(Node):
    timezone: str = "UTC"
    hours: list[OpeningHours] = Field(default_factory=list)
    holidays: list[Holiday] = Field(default_factory=list)


class Did(Node):
    name: str = ""
    # None means the line is open 24x7.
    schedule: Name | None = None
    menu: Name
    closed_menu: Name | None = None


class Queue(Node):
    """A named queue. Until the ACD lands it routes to one extension."""

    name: str = ""
    extension: Number


class Dialplan(Node):
    version: Literal[1] = 1
    # Directory of audio files, relative to the YAML file unless absolute.
    sounds_dir: str = "sounds"
    prompts: dict[Name, Prompt] = Field(default_factory=dict)
    schedules: dict[Name, Schedule] = Field(default_factory=dict)
    queues: dict[Name, Queue] = Field(default_factory=dict)
    menus: dict[Name, Menu]
    dids: dict[Number, Did]
