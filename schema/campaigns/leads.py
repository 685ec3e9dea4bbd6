"""The dialer's reads and writes of leads: which are due, in which zones, and when to try again.

A lead's `time_zones` is the sorted, "|"-joined list of IANA zones its number may be in; the
dialer works out which of those keys are inside calling hours now and asks for the due leads of
those keys only (`due_leads`). A pending lead always has `next_attempt_at`, so "due" is
`status = 'pending' AND next_attempt_at <= now`, one range of the index on
(campaign, status, next_attempt_at, id), read in that order. A campaign in pilot claims only its
sample: `pilot_bucket < percent * 100` (the stored draw of ivr_scripts.campaigns.pilot), filtered in
that range; a lead without a bucket is in no pilot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Row, Select, Table, select, update

from dialplans.campaign_vocabulary import AttemptOutcome
from ivr_scripts.campaigns.pilot import BUCKETS
from schema.campaigns.models import Lead as LeadModel
from schema.db import read_connection, write_transaction
from schema.errors import NotFound

LEADS: Final[Table] = LeadModel.__table__  # type: ignore[assignment]
PENDING: Final = "pending"
DONE: Final = "done"
BLOCKED: Final = "blocked"


@dataclass(frozen=True)
class Lead:
    id: int
    list_id: int
    campaign: str
    phone_e164: str
    time_zones: str
    region: str | None
    external_id: str | None
    fields: dict[str, Any]
    customer_id: int | None
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_outcome: str | None
    pilot_bucket: int | None


def due_leads(
    engine: Engine, campaign: str, open_zone_keys: Collection[str], now: dt.datetime, limit: int
) -> list[Lead]:
    """Up to `limit` pending leads due by `now` whose zone key is open, oldest due first (then by id)."""
    if not open_zone_keys or limit <= 0:
        return []
    with read_connection(engine, f"reading campaign {campaign}'s due leads") as connection:
        rows = connection.execute(due_query(campaign, open_zone_keys, now, limit)).all()
    return [_lead(row) for row in rows]


def claim_due_leads(
    engine: Engine,
    campaign: str,
    open_zone_keys: Collection[str],
    now: dt.datetime,
    *,
    limit: int,
    lease_until: dt.datetime,
    pilot_percent: int | None = None,
) -> list[Lead]:
    """Take up to `limit` due leads (as `due_leads` orders them) for this server to dial; with
    `pilot_percent`, only leads in that pilot's sample.

    Each one's `next_attempt_at` moves to `lease_until`, by a compare-and-set on the value read, so no
    other server takes it meanwhile; `schedule` replaces the lease once the call has ended. A lead whose
    server died before that is due again at `lease_until`. On PostgreSQL the rows are read FOR UPDATE
    SKIP LOCKED, so servers claiming at the same moment take different leads without waiting.
    """
    if not open_zone_keys or limit <= 0:
        return []
    query = due_query(campaign, open_zone_keys, now, limit)
    if pilot_percent is not None:
        query = query.where(LEADS.c.pilot_bucket < pilot_share(pilot_percent))
    query = query.with_for_update(skip_locked=True)
    claimed: list[Lead] = []
    with write_transaction(engine, f"claiming campaign {campaign}'s due leads") as connection:
        for row in connection.execute(query).all():
            if take_lease(connection, row, lease_until):
                claimed.append(_lead(row))
    return claimed


def take_lease(connection: Connection, row: Row[Any], lease_until: dt.datetime) -> bool:
    """Move the lead read as `row` to `lease_until` if it is still pending and due as read (a
    compare-and-set); False when another claim took it first."""
    taken = connection.execute(
        update(LEADS)
        .where(
            LEADS.c.id == row.id,
            LEADS.c.status == PENDING,
            LEADS.c.next_attempt_at == row.next_attempt_at,
        )
        .values(next_attempt_at=lease_until)
    )
    return taken.rowcount == 1


def pilot_share(percent: int) -> int:
    """The pilot buckets below which a lead is in a pilot of `percent` (as `in_pilot` draws)."""
    if not 1 <= percent <= 100:
        raise ValueError(f"a pilot's percent runs from 1 to 100, got {percent}")
    return percent * (BUCKETS // 100)


def due_query(campaign: str, open_zone_keys: Collection[str], now: dt.datetime, limit: int) -> Select[Any]:
    """`due_leads`' query: one range of ix_leads_campaign_status_next_attempt_at_id, in its order."""
    return (
        select(LEADS)
        .where(
            LEADS.c.campaign == campaign,
            LEADS.c.status == PENDING,
            LEADS.c.next_attempt_at <= now,
            LEADS.c.time_zones.in_(sorted(open_zone_keys)),
        )
        .order_by(LEADS.c.next_attempt_at, LEADS.c.id)
        .limit(limit)
    )


def distinct_zone_keys(engine: Engine, campaign: str) -> list[str]:
    """The zone keys of the campaign's pending leads, sorted."""
    query = (
        select(LEADS.c.time_zones)
        .where(LEADS.c.campaign == campaign, LEADS.c.status == PENDING)
        .distinct()
        .order_by(LEADS.c.time_zones)
    )
    with read_connection(engine, f"reading campaign {campaign}'s time zones") as connection:
        return list(connection.execute(query).scalars())


def get_lead(engine: Engine, lead_id: int) -> Lead:
    with read_connection(engine, f"reading lead {lead_id}") as connection:
        row = connection.execute(select(LEADS).where(LEADS.c.id == lead_id)).first()
    if row is None:
        raise NotFound(f"no lead {lead_id}")
    return _lead(row)


def schedule(engine: Engine, lead_id: int, next_at: dt.datetime | None, outcome: AttemptOutcome) -> None:
    """After an attempt: try again at `next_at`, or (None) the lead is finished: `done`, or `blocked`
    when the outcome is BLOCKED (the number was not dialled, so the attempt is not counted)."""
    with write_transaction(engine, f"scheduling lead {lead_id}") as connection:
        schedule_in(connection, lead_id, next_at, outcome)


def schedule_in(
    connection: Connection, lead_id: int, next_at: dt.datetime | None, outcome: AttemptOutcome
) -> None:
    """`schedule` in the caller's transaction (the dialer logs the attempt in the same one)."""
    dialled = outcome is not AttemptOutcome.BLOCKED
    finished = DONE if dialled else BLOCKED
    status = PENDING if next_at is not None else finished
    values: dict[str, Any] = {"status": status, "next_attempt_at": next_at, "last_outcome": outcome.value}
    if dialled:
        values["attempts"] = LEADS.c.attempts + 1
    if connection.execute(update(LEADS).where(LEADS.c.id == lead_id).values(**values)).rowcount != 1:
        raise NotFound(f"no lead {lead_id}")


def postpone(engine: Engine, lead_id: int, until: dt.datetime) -> None:
    """A claimed lead not dialled now: due again at `until` (its lease replaced), no attempt counted."""
    with write_transaction(engine, f"postponing lead {lead_id}") as connection:
        changed = connection.execute(
            update(LEADS)
            .where(LEADS.c.id == lead_id, LEADS.c.status == PENDING)
            .values(next_attempt_at=until)
        )
        if changed.rowcount != 1:
            raise NotFound(f"no pending lead {lead_id}")


def _lead(row: Row[Any]) -> Lead:
    return Lead(**row._mapping)
