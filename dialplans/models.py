"""Typed models of the YAML dialplan language.

These are the compiled form every other room reads: the IVR runner walks
`Menu`s, the renderer writes one extension per `Did`, the SIPp generator
enumerates menu paths. The loader (`dialplans.loader`) builds them from YAML
and adds the cross-reference checks that a single model cannot see.

The loader hands every YAML scalar over as text; fields that want a number
coerce it ("3" -> 3), and fields that want text keep it exactly as written.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    field_validator,
)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The patterns are public so error messages can tell the kinds of text apart.
DIGIT_KEY_PATTERN = r"^[0-9*#]$"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
NUMBER_PATTERN = r"^\+?[0-9*#]{1,32}$"
HANGUP_CAUSE_PATTERN = r"^[A-Z_]{3,40}$"

# A key the caller can press. Options are single keys: every shipped phone menu
# in the field works that way, and it lets play_and_get_digits stop at one digit.
DigitKey = Annotated[str, StringConstraints(pattern=DIGIT_KEY_PATTERN)]
# Names used as references between nodes; kept to a safe alphabet because they
# also end up in FreeSWITCH XML attributes and channel variables.
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
# A dialable number: what FreeSWITCH puts in destination_number. Editors read
# `extension: 2001` as an integer, so the schema admits one.
Number = Annotated[
    str,
    StringConstraints(pattern=NUMBER_PATTERN),
    WithJsonSchema({"type": ["string", "integer"], "pattern": NUMBER_PATTERN}),
]
HangupCause = Annotated[str, StringConstraints(pattern=HANGUP_CAUSE_PATTERN)]

_CLOCK_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")


class Node(BaseModel):
    """Base of every model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Prompt(Node):
    """A recorded audio file, with the text spoken by TTS when the file is missing."""

    file: str | None = Field(default=None, min_length=1, description="Audio file, relative to sounds_dir.")
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="Spoken by text-to-speech if the file is missing.",
    )


class TransferTarget(Node):
    extension: Number | None = Field(default=None, description="Transfer to this extension...")
    queue: Name | None = Field(default=None, description="...or to this queue (exactly one of the two).")
    context: Name = Field(default="default", description="FreeSWITCH dialplan context of the transfer.")


class GotoMenu(Node):
    """Go to another menu (or back to a previous one)."""

    menu: Name


class PlayMessage(Node):
    """Self-service: play a message, then go back to the menu or hang up."""

    play: Name = Field(description="The prompt to play.")
    then: Literal["return", "hangup"] = Field(
        default="return", description="`return` replays this menu's options; `hangup` ends the call."
    )


class Transfer(Node):
    """Send the caller to a queue or an extension."""

    transfer: TransferTarget


class HangupSpec(Node):
    cause: HangupCause = Field(default="NORMAL_CLEARING", description="FreeSWITCH hangup cause.")
    prompt: Name | None = Field(default=None, description="Played before hanging up.")


def _empty_means_defaults(value: Any) -> Any:
    # `hangup:` with nothing after it reads as "hang up, plainly".
    return {} if value is None else value


class Hangup(Node):
    """End the call, optionally after a goodbye prompt."""

    hangup: Annotated[HangupSpec, BeforeValidator(_empty_means_defaults)] = HangupSpec()


# Each action is a mapping with exactly one of these keys. The tags only show up
# in pydantic's error locations; the loader strips them (see ACTION_TAGS).
_ACTION_KEYS: dict[str, str] = {
    "menu": "action:menu",
    "play": "action:play",
    "transfer": "action:transfer",
    "hangup": "action:hangup",
}
ACTION_KEYS: tuple[str, ...] = tuple(_ACTION_KEYS)
ACTION_TAGS: frozenset[str] = frozenset(_ACTION_KEYS.values())


def _action_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [key for key in _ACTION_KEYS if key in value]
        return _ACTION_KEYS[present[0]] if len(present) == 1 else None
    for key, model in (("menu", GotoMenu), ("play", PlayMessage), ("transfer", Transfer), ("hangup", Hangup)):
        if isinstance(value, model):
            return _ACTION_KEYS[key]
    return None


Action = Annotated[
    Annotated[GotoMenu, Tag("action:menu")]
    | Annotated[PlayMessage, Tag("action:play")]
    | Annotated[Transfer, Tag("action:transfer")]
    | Annotated[Hangup, Tag("action:hangup")],
    Discriminator(
        _action_tag,
        custom_error_type="invalid_action",
        custom_error_message="an action is a mapping with exactly one of menu, play, transfer, hangup",
    ),
]


class Menu(Node):
    greeting: Name | None = Field(default=None, description="Played once when the caller enters the menu.")
    prompt: Name = Field(description="The options prompt, played before every try.")
    options: dict[DigitKey, Action] = Field(description="What each key does.")
    timeout: float = Field(default=5.0, gt=0, le=60, description="Seconds to wait for the first key.")
    digit_timeout: float = Field(default=3.0, gt=0, le=30, description="Seconds to wait between keys.")
    max_retries: int = Field(default=3, ge=1, le=10, description="Tries the caller gets before the fallback.")
    invalid_prompt: Name | None = Field(default=None, description="Played after a key with no option.")
    timeout_prompt: Name | None = Field(default=None, description="Played when no key was pressed in time.")
    fallback: Action = Field(description="What happens when every try has failed.")


def _clock_time(value: str, *, allow_end_of_day: bool) -> str:
    match = _CLOCK_TIME.match(value)
    if match is None:
        raise ValueError(f"expected a time as HH:MM, got {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_end_of_day and (hours, minutes) == (24, 0):
        return "24:00"
    if hours > 23 or minutes > 59:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
    return f"{hours:02d}:{minutes:02d}"


class OpeningHours(Node):
    days: list[Weekday] = Field(min_length=1, description="Weekdays: mon, tue, wed, thu, fri, sat, sun.")
    open: str = Field(description="Opening time, HH:MM, local to the schedule's time zone.")
    close: str = Field(description="Closing time, HH:MM (24:00 for midnight); must be after `open`.")

    @field_validator("open")
    @classmethod
    def _opening_time(cls, value: str) -> str:
        return _clock_time(value, allow_end_of_day=False)

    @field_validator("close")
    @classmethod
    def _closing_time(cls, value: str) -> str:
        return _clock_time(value, allow_end_of_day=True)


class Holiday(Node):
    date: dt.date = Field(description="YYYY-MM-DD; the line is closed all day.")
    name: str = ""


class Schedule(Node):
    timezone: str = Field(default="UTC", description="IANA time zone, e.g. Europe/London.")
    hours: list[OpeningHours] = Field(default_factory=list)
    holidays: list[Holiday] = Field(default_factory=list)


class Did(Node):
    name: str = ""
    # None means the line is open 24x7.
    schedule: Name | None = Field(default=None, description="Opening hours; leave out for a 24x7 line.")
    menu: Name = Field(description="The menu callers reach while the line is open.")
    closed_menu: Name | None = Field(default=None, description="The menu outside opening hours.")


class Queue(Node):
    """A named queue. Until the ACD lands it routes to one extension."""

    name: str = ""
    extension: Number


def _version_number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


class Dialplan(Node):
    """A call center's phone lines: the numbers (dids), their menus, prompts, queues and opening hours."""

    version: Annotated[Literal[1], BeforeValidator(_version_number)] = 1
    # Directory of audio files, relative to the YAML file unless absolute.
    sounds_dir: str = Field(
        default="sounds", min_length=1, description="Audio folder, relative to this file."
    )
    prompts: dict[Name, Prompt] = Field(default_factory=dict)
    schedules: dict[Name, Schedule] = Field(default_factory=dict)
    queues: dict[Name, Queue] = Field(default_factory=dict)
    menus: dict[Name, Menu]
    dids: dict[Number, Did] = Field(description="The numbers callers dial, each with its menus.")
