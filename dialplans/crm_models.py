"""The CRM side of the dialplan: caller screening, self-service lookups and post-call surveys.

- `crm`: how caller IDs are read (the default region for national numbers), the blacklist and the
  VIP "green channel". Both lists are also editable in the database (`screening_rules`); the YAML
  entries are synced there at start with source `yaml`.
- `self_service`: lookups a menu option runs with `{lookup: <name>}`: ask for an account number
  (or a keypad field such as a licence plate), find the customer, read fields back.
- `surveys`: questions a queue's caller answers by keypad after the agent hangs up first.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Discriminator, Field, StringConstraints, Tag

from dialplans.base import HangupCause, Name, Node
from dialplans.vocabulary import CALL_REJECTED

# A phone number as an engineer writes it: E.164 (+441632960001) or national digits, normalised to
# E.164 with `crm.default_region` by the checks. Spaces, dots, dashes and brackets are allowed.
PHONE_PATTERN = r"^\+?[0-9][0-9 ().-]{2,30}$"
# A prefix of E.164 numbers ("+44909" blocks every UK premium-rate caller): "+" and 1-15 digits.
PREFIX_PATTERN = r"^\+[0-9]{1,15}$"
REGION_PATTERN = r"^[A-Z]{2}$"

PhoneText = Annotated[str, StringConstraints(pattern=PHONE_PATTERN)]
Prefix = Annotated[str, StringConstraints(pattern=PREFIX_PATTERN)]
Region = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]


def _listed(value: Any) -> Any:
    # YAML reads `numbers: 4416...` (one number, no dash) as a scalar: accept it as a list of one.
    return [value] if isinstance(value, str | int) else value


class Blacklist(Node):
    """Callers refused before any menu: by number or by E.164 prefix."""

    numbers: Annotated[list[PhoneText], BeforeValidator(_listed)] = Field(
        default_factory=list, description="Numbers refused (E.164, or national in default_region)."
    )
    prefixes: Annotated[list[Prefix], BeforeValidator(_listed)] = Field(
        default_factory=list, description='E.164 prefixes refused, e.g. "+44909".'
    )
    prompt: Name | None = Field(
        default=None,
        description="Answer, play this, then hang up; without it the call is rejected unanswered.",
    )
    cause: HangupCause = Field(default=CALL_REJECTED, description="The hangup cause the caller gets.")


class Vip(Node):
    """The green channel: these callers skip the menu and go straight to a priority queue."""

    tiers: list[Name] = Field(default_factory=list, description="Customer tiers that skip the menu.")
    numbers: Annotated[list[PhoneText], BeforeValidator(_listed)] = Field(
        default_factory=list, description="Numbers that skip the menu whoever the customer is."
    )
    queue: Name = Field(description="The priority queue VIP callers join.")
    dedicated_agent: bool = Field(
        default=True,
        description="The customer's own agent gets the call first when they serve the queue and are free.",
    )
    greeting: Name | None = Field(default=None, description="Played to a VIP caller before the queue.")


class Crm(Node):
    default_region: Region = Field(
        default="US", description="ISO 3166 country of national caller IDs (GB, US, DE...)."
    )
    blacklist: Blacklist = Field(default_factory=Blacklist)
    vip: Vip | None = Field(default=None, description="The VIP green channel; leave out to have none.")
    keypad_fields: list[Name] = Field(
        default_factory=lambda: ["plate"],
        description="Custom fields callers may key in for self-service (letters as on a phone keypad).",
    )


# --- Self-service ------------------------------------------------------------------------------

SayAs = Literal["number", "digits", "date", "money", "text"]


class SayPrompt(Node):
    """Play a prompt within the answer."""

    prompt: Name


class SayField(Node):
    """Read a field of the customer found: `account_number`, `name`, `tier` or a custom field."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: Name = Field(description="The field to read.")
    say_as: SayAs = Field(
        default="text",
        alias="as",
        description="number, digits (one by one), date (YYYY-MM-DD), money (12.50) or text (TTS).",
    )
    missing: Name | None = Field(default=None, description="Played when the customer has no such field.")


def _answer_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [key for key in ("prompt", "field") if key in value]
        return f"say:{present[0]}" if len(present) == 1 else None
    if isinstance(value, SayPrompt):
        return "say:prompt"
    if isinstance(value, SayField):
        return "say:field"
    return None


SayItem = Annotated[
    Annotated[SayPrompt, Tag("say:prompt")] | Annotated[SayField, Tag("say:field")],
    Discriminator(
        _answer_tag,
        custom_error_type="invalid_say_item",
        custom_error_message="an answer item is a mapping with exactly one of prompt, field",
    ),
]
SAY_TAGS: frozenset[str] = frozenset({"say:prompt", "say:field"})

# `by`: how the customer is found. `account` and the crm.keypad_fields ask the caller for keys;
# `caller_id` uses the customer the caller ID matched, without asking.
BY_ACCOUNT = "account"
BY_CALLER_ID = "caller_id"


class SelfServiceLookup(Node):
    ask: Name | None = Field(
        default=None, description="The prompt asking for the number (not for caller_id)."
    )
    by: Name = Field(
        default=BY_ACCOUNT, description="account, caller_id, or a keypad field listed in crm.keypad_fields."
    )
    min_digits: int = Field(default=1, ge=1, le=32)
    max_digits: int = Field(default=16, ge=1, le=32)
    terminator: Literal["#", "*", ""] = Field(default="#", description="Key that ends the entry early.")
    answer: list[SayItem] = Field(min_length=1, description="What is read back for the customer found.")
    not_found: Name | None = Field(
        default=None, description="Played when nothing matches; the try counts as failed (menu retry rules)."
    )
    then: Literal["return", "hangup"] = Field(
        default="return", description="`return` replays the menu's options; `hangup` ends the call."
    )
    sensitive: bool = Field(
        default=False,
        description="The keys entered (a card number) are masked in recordings and never stored or logged.",
    )


# --- Surveys -----------------------------------------------------------------------------------


class SurveyQuestion(Node):
    id: Name = Field(description="Stored with each answer, e.g. satisfaction.")
    prompt: Name = Field(description='Asks the question, e.g. "press 1 to 5".')
    max_key: int = Field(default=5, ge=1, le=9, description="Answers are keys 1..max_key.")


class Survey(Node):
    """A post-call survey: the caller rates the call by keypad after the agent hangs up first."""

    questions: list[SurveyQuestion] = Field(min_length=1, max_length=5)
    intro: Name | None = Field(default=None, description="Played before the first question.")
    invalid_prompt: Name | None = Field(default=None, description="Played after a key outside 1..max_key.")
    thanks: Name | None = Field(default=None, description="Played after the last answer.")
    timeout: float = Field(default=5.0, gt=0, le=30)
    max_retries: int = Field(default=2, ge=1, le=5, description="Tries per question; then it is skipped.")
