"""Call lists: a campaign's imported files, each with what its import did (rows read, leads added,
duplicates, excluded numbers, rejected rows), summed over every import into it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, Engine, Table, select

from schema.campaigns.models import CallList
from schema.campaigns.status import ensure_in
from schema.db import read_connection
from schema.errors import RecordRejected

CALL_LISTS: Final[Table] = CallList.__table__  # type: ignore[assignment]
MAX_LIST_NAME: Final = 128
COUNTS: Final = ("rows_read", "leads_added", "rows_duplicate", "rows_excluded", "rows_rejected")


@dataclass(frozen=True)
class CallListRow:
    id: int
    name: str
    campaign: str
    created_at: dt.datetime
    source_file: str
    rows_read: int
    leads_added: int
    rows_duplicate: int
    rows_excluded: int
    rows_rejected: int


def open_list(connection: Connection, campaign: str, name: str, source_file: str, now: dt.datetime) -> int:
    """The id of list `name` of `campaign`, created (and the campaign as draft) if new.

    `RecordRejected` if another campaign already has a list of that name.
    """
    if not name.strip() or len(name) > MAX_LIST_NAME:
        raise RecordRejected(f"a list name is 1 to {MAX_LIST_NAME} characters, not {name!r}")
    found = connection.execute(
        select(CALL_LISTS.c.id, CALL_LISTS.c.campaign).where(CALL_LISTS.c.name == name)
    ).first()
    if found is not None:
        if found.campaign != campaign:
            raise RecordRejected(
                f"list {name!r} belongs to campaign {found.campaign!r}; choose another --list"
            )
        return int(found.id)
    ensure_in(connection, campaign, now)
    values = dict.fromkeys(COUNTS, 0)
    inserted = connection.execute(
        CALL_LISTS.insert()
        .values(name=name, campaign=campaign, created_at=now, source_file=source_file[-1024:], **values)
        .returning(CALL_LISTS.c.id)
    )
    return int(inserted.scalar_one())


def campaign_lists(engine: Engine, campaign: str) -> list[CallListRow]:
    with read_connection(engine, f"reading campaign {campaign}'s lists") as connection:
        rows = connection.execute(
            select(CALL_LISTS).where(CALL_LISTS.c.campaign == campaign).order_by(CALL_LISTS.c.id)
        ).all()
    return [CallListRow(**row._mapping) for row in rows]
