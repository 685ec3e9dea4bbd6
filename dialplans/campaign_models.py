"""Outbound campaigns in the dialplan (`campaigns:`): who is called, by whom, when, how often.

A campaign names its call lists (the database holds the numbers), the agents who take its calls (by
id, and/or every agent of a queue), the number shown to callees, the local calling window, the retry
rules per attempt outcome, and the abandoned-call rules of its jurisdiction. The checks across the
document (agents, queues, prompts, caller ID, zones, the 3% ceiling) are in `campaign_checks`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from dialplans.base import WEEKDAYS, AgentId, Name, Node, Weekday
from dialplans.campaign_vocabulary import AttemptOutcome, CampaignType, DialMode, Jurisdiction
from dialplans.crm_models import PHONE_PATTERN, PhoneText, Region
from dialplans.script_models import Disposition, default_dispositions

MIN_RING_SECONDS = 15
DEFAULT_AMD_FALSE_POSITIVE_RATE = 0.03
"""Share of machine verdicts estimated to be people hung up on (docs/campaigns.md says why 3%)."""
MAX_DELAY = dt.timedelta(days=30)
NEVER = "never"
DELAY_PATTERN = r"^(never|[0-9]{1,5}[mhd])$"
_DELAY = re.compile(r"^([0-9]{1,5})([mhd])$")
_UNITS = {"m": dt.timedelta(minutes=1), "h": dt.timedelta(hours=1), "d": dt.timedelta(days=1)}
_CLOCK = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")

# The outcomes a retry rule can name; a human answer and a do-not-call block are always final.
RETRYABLE: tuple[AttemptOutcome, ...] = (
    AttemptOutcome.BUSY,
    AttemptOutcome.NO_ANSWER,
    AttemptOutcome.MACHINE,
    AttemptOutcome.FAX,
    AttemptOutcome.DROPPED,
    AttemptOutcome.UNREACHABLE,
)


def parse_delay(text: str) -> dt.timedelta | None:
    """`30m`, `2h`, `1d` as a timedelta; None for `never`. The text must match DELAY_PATTERN."""
    if text == NEVER:
        return None
    match = _DELAY.match(text)
    if match is None:
        raise ValueError(f"expected a delay such as 30m, 2h or 1d, or never; got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _bare_delay(value: Any) -> Any:
    # `busy: 30m` and `fax: never` are short for `{after: 30m}` and `{after: never}`.
    return {"after": value} if isinstance(value, str) else value


class RetryRule(Node):
    after: Annotated[str, StringConstraints(pattern=DELAY_PATTERN)] = Field(
        description="Minutes (30m), hours (2h) or days (1d) before the next attempt, or never."
    )

    @field_validator("after")
    @classmethod
    def _within_bounds(cls, value: str) -> str:
        delay = parse_delay(value)
        if delay is not None and not dt.timedelta(minutes=1) <= delay <= MAX_DELAY:
            raise ValueError(f"a retry delay runs from 1m to 30d, got {value!r}")
        return value

    @property
    def delay(self) -> dt.timedelta | None:
        return parse_delay(self.after)


_RULE_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": DELAY_PATTERN},
        {
            "type": "object",
            "properties": {"after": {"type": "string", "pattern": DELAY_PATTERN}},
            "required": ["after"],
            "additionalProperties": False,
        },
    ]
}
Rule = Annotated[RetryRule, BeforeValidator(_bare_delay), WithJsonSchema(_RULE_SCHEMA)]


class Retries(Node):
    """When to call a number again after each outcome; a missing outcome takes its default."""

    busy: Rule | None = Field(default=None, description="Default 15m.")
    no_answer: Rule | None = Field(default=None, description="Default 2h.")
    machine: Rule | None = Field(default=None, description="Default 4h (with machine action retry).")
    fax: Rule | None = Field(default=None, description="Default never.")
    dropped: Rule | None = Field(default=None, description="Default 1h (us); uk: never within 72h.")
    unreachable: Rule | None = Field(default=None, description="Default never.")


def _clock_time(value: str) -> str:
    match = _CLOCK.match(value)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"expected a time of day as HH:MM (00:00 to 23:59), got {value!r}")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


class Window(Node):
    """The local hours in which a number may be called; the callee's zone(s) decide what local means."""

    start: str = Field(default="08:00", description="Earliest local time of a call, HH:MM.")
    end: str = Field(default="21:00", description="Local time calls stop, HH:MM, after start (no overnight).")
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS), min_length=1, description="Local weekdays, mon..sun."
    )
    time_zone: str | None = Field(
        default=None, description="IANA zone forced for every number (leave out: each number's own)."
    )

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        return _clock_time(value)


class Abandon(Node):
    limit_percent: float = Field(
        default=3.0,
        gt=0,
        le=100,
        description="Ceiling of dropped / live-answered calls (at most 3 for us, uk).",
    )
    message: Name | None = Field(
        default=None, description="Prompt played to a dropped call: who called and how to call back."
    )
    amd_false_positive_rate: float = Field(
        default=DEFAULT_AMD_FALSE_POSITIVE_RATE,
        ge=0,
        le=1,
        description="Share of machine verdicts that were people hung up on; uk counts each machine verdict "
        "as that share of an abandon (us does not). Default 0.03.",
    )


class Machine(Node):
    action: Literal["message", "retry", "hangup"] = Field(
        default="retry",
        description="message: leave `message`, no more calls; retry: call again per retries.machine; "
        "hangup: no more calls.",
    )
    message: Name | None = Field(default=None, description="The prompt left on the machine (action message).")

    @model_validator(mode="after")
    def _message_goes_with_its_action(self) -> Self:
        if self.action == "message" and self.message is None:
            raise ValueError("action message needs `message`: the prompt to leave on the machine")
        if self.action != "message" and self.message is not None:
            raise ValueError(f"`message` goes only with action message, and this action is {self.action}")
        return self


class Pilot(Node):
    percent: int = Field(default=10, ge=1, le=100, description="Share of the leads a pilot dials.")


def _bare_number(value: Any) -> Any:
    return {"number": value} if isinstance(value, str | int) else value


class CallerId(Node):
    number: PhoneText = Field(description="Shown to callees: E.164, or national digits in the region.")
    name: Annotated[str, StringConstraints(pattern=r'^[^\x00-\x1f\x7f$\\{}<>"]{1,64}$')] | None = None


_CALLER_ID_SCHEMA = {
    "anyOf": [
        {"type": ["string", "integer"], "pattern": PHONE_PATTERN},
        {
            "type": "object",
            "properties": {
                "number": {"type": "string", "pattern": PHONE_PATTERN},
                "name": {"type": "string"},
            },
            "required": ["number"],
            "additionalProperties": False,
        },
    ]
}


def _ring_seconds(value: Any) -> Any:
    try:
        number = int(value) if isinstance(value, str) else value
    except ValueError:
        return value  # pydantic says it is not a whole number
    if isinstance(number, int) and number < MIN_RING_SECONDS:
        raise ValueError(
            f"ring_seconds {number} is too short: regulators want a number to ring at least "
            f"{MIN_RING_SECONDS} s before the dialer gives up"
        )
    return number


class Campaign(Node):
    """An outbound campaign; a minimal one names its type, lists, caller ID and agents (or queue)."""

    type: CampaignType = Field(description="survey, telemarketing or service_follow_up.")
    goal: str | None = Field(default=None, min_length=1, max_length=500, description="What it is for.")
    target: int | None = Field(default=None, ge=1, description="E.g. the number of completed surveys.")
    start: dt.date | None = Field(default=None, description="First day, YYYY-MM-DD (leave out: no bound).")
    end: dt.date | None = Field(default=None, description="Last day, YYYY-MM-DD, not before start.")
    agents: list[AgentId] = Field(default_factory=list, description="Agent ids who take its calls.")
    queue: Name | None = Field(default=None, description="A queue whose agents take its calls too.")
    lists: list[Name] = Field(
        min_length=1, description="Names of its call lists (imported into the database)."
    )
    dial_mode: DialMode = Field(
        default=DialMode.PROGRESSIVE, description="preview, progressive or predictive."
    )
    caller_id: Annotated[CallerId, BeforeValidator(_bare_number), WithJsonSchema(_CALLER_ID_SCHEMA)] = Field(
        description="The number callees see, or {number, name}."
    )
    region: Region | None = Field(default=None, description="Region of national numbers (default crm's).")
    jurisdiction: Jurisdiction = Field(default=Jurisdiction.US, description="us or uk abandon rules.")
    ring_seconds: Annotated[int, BeforeValidator(_ring_seconds)] = Field(
        default=25, ge=MIN_RING_SECONDS, le=120, description="Seconds a number rings (at least 15)."
    )
    max_attempts: int = Field(default=5, ge=1, le=50, description="Dial attempts per number at most.")
    wrap_up: int = Field(
        default=10, ge=0, le=3600, description="Seconds an agent gets after each customer to close the call."
    )
    retries: Retries = Field(default_factory=Retries)
    window: Window = Field(default_factory=Window)
    abandon: Abandon = Field(default_factory=Abandon)
    machine: Machine = Field(default_factory=Machine)
    pilot: Pilot = Field(default_factory=Pilot)
    preview_seconds: int = Field(
        default=120,
        ge=10,
        le=3600,
        description="Preview: a record shown this long and not dialled is released.",
    )
    script: Name | None = Field(default=None, description="The script (in `scripts:`) its agents follow.")
    dispositions: dict[Name, Disposition] = Field(
        default_factory=default_dispositions,
        description="How agents close its calls (default: sale, completed, not_interested, call_back, ...).",
    )
