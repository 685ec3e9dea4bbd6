"""The API's own shapes: query parameters, request bodies, `Me` and the error body.

What the API returns otherwise are the data layer's views (schema/crm/views.py), served as they are.
Every model forbids unknown fields, so a misspelt parameter or body field is a 400 that names it,
never silently ignored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from schema.crm.views import TicketStatus

MAX_DATABASE_ID = 2**63 - 1  # BIGINT: a larger id could only fail in the database

RecordId = Annotated[int, Field(ge=1, le=MAX_DATABASE_ID)]
PageSize = Annotated[int, Field(ge=1, le=200, description="At most this many records (1-200).")]
Offset = Annotated[int, Field(ge=0, le=1_000_000_000, description="Skip this many records first.")]
Since = Annotated[
    AwareDatetime | None,
    Field(description='ISO 8601 with a zone, e.g. "2026-11-23T00:00:00Z" (encode "+" as %2B).'),
]
CallUuid = Annotated[str, StringConstraints(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9._:-]+$")]
RuleKind = Literal["block", "vip"]


class ApiModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- responses of this API's own -------------------------------------------------------------------


class ErrorBody(ApiModel):
    """Every error: what went wrong, in one sentence a person can act on."""

    error: str
    problems: dict[str, str] | None = Field(
        default=None, description="Only when a form was refused: what is wrong with each field, by name."
    )


class Me(ApiModel):
    """The token's user: what the API will show them depends on this."""

    user: str
    role: Literal["agent", "supervisor", "manager"]
    agent_id: str | None = None
    department: str | None = None
    extension: str | None = Field(default=None, description="Their own phone: the one /api/supervise rings.")


# --- query parameters ------------------------------------------------------------------------------


class CustomerSearch(ApiModel):
    phone: str | None = Field(default=None, max_length=40, description="A phone number, any format.")
    name: str | None = Field(default=None, max_length=200, description="Part of the customer's name.")
    limit: PageSize = 50
    offset: Offset = 0


class RecentCalls(ApiModel):
    limit: PageSize = 10


class TicketFilter(ApiModel):
    status: TicketStatus | Literal["all"] = Field(default="open", description='"all" lists every ticket.')


class NotesPage(ApiModel):
    limit: PageSize = 50


class CallSearch(ApiModel):
    customer_id: RecordId | None = None
    since: Since = None
    limit: PageSize = 50
    offset: Offset = 0


class RuleFilter(ApiModel):
    kind: RuleKind | None = None


class AverageFilter(ApiModel):
    by: Literal["agent", "queue"]
    since: Since = None


# --- request bodies --------------------------------------------------------------------------------


class NoteIn(ApiModel):
    body: str = Field(min_length=1, max_length=10_000)
    call_uuid: CallUuid | None = Field(default=None, description="The call the note is about.")


class TicketIn(ApiModel):
    subject: str = Field(min_length=1, max_length=500)
    call_uuid: CallUuid | None = Field(default=None, description="The call the ticket came from.")


class TicketStatusIn(ApiModel):
    status: TicketStatus


class ScreeningRuleIn(ApiModel):
    kind: RuleKind
    number: str = Field(
        min_length=2,
        max_length=40,
        description="A number (E.164, or national in the default region); with is_prefix, an E.164 prefix "
        '("+44909").',
    )
    is_prefix: bool = False
    reason: str | None = Field(default=None, max_length=500)


# --- recordings, QA, call control ------------------------------------------------------------------

SuperviseMode = Literal["listen", "whisper", "barge"]
CriterionId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class RecordingSearch(ApiModel):
    agent_id: str | None = Field(default=None, max_length=64, description="Only this agent's recordings.")
    call_uuid: CallUuid | None = Field(default=None, description="Only this call's recordings.")
    since: Since = None
    include_deleted: bool = Field(default=False, description="Also list recordings pruning deleted.")
    limit: PageSize = 50
    offset: Offset = 0


class ReportQuery(ApiModel):
    first: dt.date = Field(alias="from", description="The first day, YYYY-MM-DD, local in `tz`.")
    last: dt.date = Field(alias="to", description="The last day (included).")
    tz: str = Field(default="UTC", max_length=64, description="IANA time zone of the days and hours.")
    queue: str | None = Field(
        default=None, max_length=64, description="Only this queue's figures (default: every queue)."
    )
    format: Literal["html", "csv"] = Field(default="html", description="One HTML page, or one CSV file.")


class QaAverageFilter(ApiModel):
    since: Since = None


class KeepIn(ApiModel):
    keep: bool = Field(description="true: pruning leaves the recording alone; false: pruned when due.")
    reason: str | None = Field(default=None, max_length=500, description="Why, e.g. a dispute's number.")


class ScoresIn(ApiModel):
    form: str = Field(min_length=1, max_length=64, description="A QA form of the dialplan (qa_forms).")
    scores: dict[CriterionId, int] = Field(
        description="Every criterion of the form, by id, scored 0 to its max_score.", max_length=50
    )


class SuperviseIn(ApiModel):
    agent_id: str = Field(min_length=1, max_length=64, description="The agent whose call to join.")
    mode: SuperviseMode = Field(
        description="listen: hear both sides; whisper: speak to the agent only; barge: speak to both."
    )
    extension: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z_.+-]{1,32}$",
        description=(
            "Optional: the caller's own phone extension (`callcenter user set-extension`), the only one "
            "ever rung; any other is refused with 403. Omitted: that phone."
        ),
    )


class RecordingPause(ApiModel):
    """The call's recordings masked (paused) or unmasked (resumed)."""

    call_uuid: str
    paused: bool = Field(description="true: the recordings now write silence; false: audio again.")
    paths: list[str] = Field(description="The recording files acted on.")


class OnDemandRecording(ApiModel):
    """A recording of an `on_demand` call started, or its running recordings stopped."""

    call_uuid: str
    recording: bool = Field(description="true: the call is now being recorded; false: it no longer is.")
    paths: list[str] = Field(description="The recording files started or stopped.")


class SupervisionView(ApiModel):
    """The supervisor's phone answered and is joined to the agent's call."""

    agent_id: str
    mode: SuperviseMode
    extension: str = Field(description="The supervisor's own phone, which was rung.")
    target_uuid: str = Field(description="The channel eavesdropped: the agent's leg, else the caller's.")
    target_side: Literal["agent", "caller"]
    supervisor_leg: str = Field(description="The supervisor's own channel: hang it up to leave.")
