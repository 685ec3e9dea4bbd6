"""The outbound campaigns' shared words: the YAML, the dialer, the pacer and the database all use these.

They live at the bottom room so that the YAML models, the domain logic (`ivr_scripts.campaigns`) and
the storage (`schema.campaigns`) name a dial mode or an attempt's outcome the same way.
"""

from __future__ import annotations

from enum import StrEnum


class CampaignType(StrEnum):
    SURVEY = "survey"
    TELEMARKETING = "telemarketing"
    SERVICE_FOLLOW_UP = "service_follow_up"


class CampaignStatus(StrEnum):
    """The lifecycle: draft -> pilot -> running <-> paused -> closed (closed is final)."""

    DRAFT = "draft"
    PILOT = "pilot"
    RUNNING = "running"
    PAUSED = "paused"
    CLOSED = "closed"


class DialMode(StrEnum):
    PREVIEW = "preview"
    """The agent sees the record first, then dials it."""
    PROGRESSIVE = "progressive"
    """One call per free agent, dialled when the agent is free."""
    PREDICTIVE = "predictive"
    """Calls paced ahead of agents becoming free, from the live answer rate and handle time."""


class Jurisdiction(StrEnum):
    """Whose abandoned-call rule the pacer keeps."""

    US = "us"
    """FTC TSR: abandons at most 3% of live-answered calls over a rolling 30 days, per campaign."""
    UK = "uk"
    """Ofcom: at most 3% in 24 h, counting estimated AMD false positives; no redial 72 h after abandons."""


class AttemptOutcome(StrEnum):
    """How one dial attempt ended, as the attempt log and the retry rules name it."""

    HUMAN = "human"
    """A person answered and reached an agent."""
    MACHINE = "machine"
    """An answering machine answered (beep or a greeting too long for a person)."""
    FAX = "fax"
    """A fax machine answered (CED tone or a fax hangup cause)."""
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    """Rang for the campaign's ring time with no answer."""
    UNREACHABLE = "unreachable"
    """Special information tone, unallocated number, network congestion or another failure to connect."""
    DROPPED = "dropped"
    """A person answered but no agent was free within 2 s: played the identification message; an abandon."""
    BLOCKED = "blocked"
    """Not dialled: the number was on a do-not-call list when the dialer came to it."""
