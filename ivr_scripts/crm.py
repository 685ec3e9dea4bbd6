"""What the call logic asks of the CRM: small storage interfaces, implemented over SQL in esl_handlers.

The IVR runner never touches SQL: caller screening, self-service and surveys talk to these
protocols, and the unit tests hand in dictionaries. A storage failure raises `CrmUnavailable`;
the call logic then treats the caller as unknown (or the lookup as failed) rather than dropping
the call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

ScreeningKind = Literal["blocked", "vip", "known", "unknown"]

# Channel variables screening leaves on the call: the queue reads the tier (priority) and the screen
# name (the caller name agents' phones show); the dialplan and the CDR can read them all.
VAR_CUSTOMER_ID: Final = "cc_customer_id"
VAR_CUSTOMER_TIER: Final = "cc_customer_tier"
VAR_SCREEN_NAME: Final = "cc_screen_name"
VAR_SCREENING: Final = "cc_screening"


class CrmUnavailable(Exception):
    """The CRM store could not answer (database down, timeout)."""


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer as the call logic sees one; `fields` holds account_number, name, tier and the custom
    fields, as text, for self-service to read back."""

    customer_id: int
    name: str
    tier: str | None = None
    owner_agent_id: str | None = None
    department: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallerProfile:
    """The caller-ID lookup: E.164 number (None if withheld/invalid), matched customer, list matches."""

    e164: str | None
    customer: CustomerRecord | None = None
    blocked: bool = False
    block_reason: str | None = None
    vip_listed: bool = False


class CallerDirectory(Protocol):
    def profile(self, caller_number: str) -> CallerProfile:
        """Normalise the caller ID and look it up (customer, blacklist, VIP list)."""
        ...

    def find(self, by: str, keys: str) -> list[CustomerRecord]:
        """Customers whose `by` key (`account` or a keypad field) is `keys` as keypad digits."""
        ...

    def customer(self, customer_id: int) -> CustomerRecord | None: ...


@dataclass(frozen=True, slots=True)
class ScreeningDecision:
    """What screening decided before the menu; recorded on the call (calls.customer_id, screening)."""

    kind: ScreeningKind
    profile: CallerProfile
    detail: str | None = None  # the block reason, the VIP tier or "listed", ...
    queue: str | None = None  # VIP: the priority queue
    preferred_agent: str | None = None  # VIP: the customer's own agent


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    call_uuid: str
    survey: str
    question: str
    score: int
    agent_id: str | None
    queue: str | None
    answered_at: dt.datetime


class CrmSink(Protocol):
    """Where the call logic's CRM facts go (the queued database writer in the server)."""

    def record_screening(self, call_uuid: str, decision: ScreeningDecision) -> None: ...

    def record_survey_answer(self, answer: SurveyAnswer) -> None: ...
