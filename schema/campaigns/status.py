"""Campaign status in the database: created as draft on first use, moved only along the lifecycle.

A transition is a compare-and-set: the UPDATE names the status the caller read, so of two servers
moving the same campaign at once exactly one changes the row; the other finds the status changed
and is refused as if it had read it. The transition is logged in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Row, Table, select, update

from dialplans.campaign_vocabulary import CampaignStatus
from ivr_scripts.campaigns.lifecycle import check_transition
from schema.campaigns.models import Campaign, CampaignTransition
from schema.db import read_connection, write_transaction
from schema.errors import RecordRejected
from schema.merge_sql import dialect_insert

CAMPAIGNS: Final[Table] = Campaign.__table__  # type: ignore[assignment]
TRANSITIONS: Final[Table] = CampaignTransition.__table__  # type: ignore[assignment]
MAX_CAS_TRIES: Final = 3
MAX_NAME: Final = 64  # campaigns.name, campaign_transitions.by


@dataclass(frozen=True)
class CampaignRow:
    name: str
    status: CampaignStatus
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class TransitionRow:
    campaign: str
    from_status: CampaignStatus
    to_status: CampaignStatus
    at: dt.datetime
    by: str
    reason: str | None


def ensure_in(connection: Connection, name: str, now: dt.datetime) -> None:
    """Create campaign `name` as draft unless it exists (inside the caller's transaction)."""
    if not name.strip() or len(name) > MAX_NAME:
        raise RecordRejected(f"a campaign name is 1 to {MAX_NAME} characters, not {name!r}")
    insert = dialect_insert(connection.dialect.name)
    connection.execute(
        insert(CAMPAIGNS)
        .values(name=name, status=CampaignStatus.DRAFT.value, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )


def ensure_campaign(engine: Engine, name: str, now: dt.datetime) -> CampaignRow:
    """The campaign, created as draft the first time it is named."""
    with write_transaction(engine, f"creating campaign {name}") as connection:
        ensure_in(connection, name, now)
        row = connection.execute(select(CAMPAIGNS).where(CAMPAIGNS.c.name == name)).one()
    return _campaign(row)


def list_campaigns(engine: Engine) -> list[CampaignRow]:
    with read_connection(engine, "listing campaigns") as connection:
        rows = connection.execute(select(CAMPAIGNS).order_by(CAMPAIGNS.c.name)).all()
    return [_campaign(row) for row in rows]


def get_campaign(engine: Engine, name: str) -> CampaignRow | None:
    with read_connection(engine, f"reading campaign {name}") as connection:
        row = connection.execute(select(CAMPAIGNS).where(CAMPAIGNS.c.name == name)).first()
    return _campaign(row) if row else None


def transition(
    engine: Engine,
    name: str,
    target: CampaignStatus,
    *,
    by: str,
    reason: str | None = None,
    now: dt.datetime,
) -> TransitionRow:
    """Move the campaign to `target` and log it; `TransitionRefused` if the lifecycle forbids it.

    A campaign never seen before is created as draft first.
    """
    for _ in range(MAX_CAS_TRIES):
        current = ensure_campaign(engine, name, now).status
        check_transition(name, current, target)
        with write_transaction(engine, f"moving campaign {name} to {target}") as connection:
            changed = connection.execute(
                update(CAMPAIGNS)
                .where(CAMPAIGNS.c.name == name, CAMPAIGNS.c.status == current.value)
                .values(status=target.value, updated_at=now)
            ).rowcount
            if changed != 1:
                continue  # another server moved it first: decide again on what it is now
            logged = TransitionRow(name, current, target, now, by[:MAX_NAME], reason)
            connection.execute(
                TRANSITIONS.insert().values(
                    campaign=name,
                    from_status=current.value,
                    to_status=target.value,
                    at=now,
                    by=logged.by,
                    reason=reason,
                )
            )
            return logged
    raise RuntimeError(f"campaign {name!r} kept changing under this transition; try again")


def transitions(engine: Engine, name: str) -> list[TransitionRow]:
    with read_connection(engine, f"reading campaign {name}'s transitions") as connection:
        rows = connection.execute(
            select(TRANSITIONS).where(TRANSITIONS.c.campaign == name).order_by(TRANSITIONS.c.id)
        ).all()
    return [
        TransitionRow(
            row.campaign,
            CampaignStatus(row.from_status),
            CampaignStatus(row.to_status),
            row.at,
            row.by,
            row.reason,
        )
        for row in rows
    ]


def _campaign(row: Row[Any]) -> CampaignRow:
    return CampaignRow(
        row.name,
        CampaignStatus(row.status),
        row.created_at,
        row.updated_at,
    )
