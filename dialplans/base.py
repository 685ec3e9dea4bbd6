"""The building blocks every dialplan model shares: the immutable base node and the text kinds.

Split from `dialplans.models` so the CRM, self-service and survey models (`dialplans.crm_models`)
can use them while `models.Dialplan` uses those models; `dialplans.models` re-exports all of it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, WithJsonSchema

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The patterns are public so error messages can tell the kinds of text apart.
DIGIT_KEY_PATTERN = r"^[0-9*#]$"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"
NUMBER_PATTERN = r"^\+?[0-9*#]{1,32}$"
HANGUP_CAUSE_PATTERN = r"^[A-Z_]{3,40}$"
AGENT_ID_PATTERN = r"^[0-9]{2,10}$"
MAILBOX_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"

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
AgentId = Annotated[
    str,
    StringConstraints(pattern=AGENT_ID_PATTERN),
    WithJsonSchema({"type": ["string", "integer"], "pattern": AGENT_ID_PATTERN}),
]
Mailbox = Annotated[str, StringConstraints(pattern=MAILBOX_PATTERN)]


class Node(BaseModel):
    """Base of every model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def empty_means_defaults(value: Any) -> Any:
    # `hangup:` with nothing after it reads as "hang up, plainly".
    return {} if value is None else value
