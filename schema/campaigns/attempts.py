"""The attempt log (queue_log style): one row per dial attempt, written once it ended."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Final

from sqlalchemy import Connection, Engine, Table, select

from dialplans.campaign_vocabulary import AttemptOutcome
from schema.campaigns.models import CampaignAttempt
from schema.db import read_connection, write_transaction

ATTEMPTS: Final[Table] = CampaignAttempt.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Attempt:
    campaign: str
    phone_e164: str
    attempt_no: int
    started_at: dt.datetime
    outcome: AttemptOutcome
    lead_id: int | None = None
    list_id: int | None = None
    call_uuid: str | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    hangup_cause: str | None = None
    amd_result: str | None = None
    agent_id: str | None = None
    disposition: str | None = None
    wait_for_agent_ms: int | None = None
    decided_at: dt.datetime | None = None


def record_attempt(engine: Engine, attempt: Attempt) -> int:
    """Log one attempt; returns its id."""
    with write_transaction(engine, f"logging an attempt of campaign {attempt.campaign}") as connection:
        return record_attempt_in(connection, attempt)


def record_attempt_in(connection: Connection, attempt: Attempt) -> int:
    """`record_attempt` in the caller's transaction."""
    values = asdict(attempt) | {"outcome": attempt.outcome.value}
    inserted = connection.execute(ATTEMPTS.insert().values(**values).returning(ATTEMPTS.c.id))
    return int(inserted.scalar_one())


def attempts(engine: Engine, campaign: str, since: dt.datetime) -> list[Attempt]:
    """The campaign's attempts started at or after `since`, in the order they started."""
    query = (
        select(ATTEMPTS)
        .where(ATTEMPTS.c.campaign == campaign, ATTEMPTS.c.started_at >= since)
        .order_by(ATTEMPTS.c.started_at, ATTEMPTS.c.id)
    )
    with read_connection(engine, f"reading campaign {campaign}'s attempts") as connection:
        rows = connection.execute(query).all()
    fields = Attempt.__dataclass_fields__
    return [
        Attempt(
            **{name: value for name, value in row._mapping.items() if name in fields and name != "outcome"},
            outcome=AttemptOutcome(row.outcome),
        )
        for row in rows
    ]
