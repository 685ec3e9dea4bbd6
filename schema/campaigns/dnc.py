"""Do-not-call numbers (internal opt-outs, the national register) and per-campaign exclusions.

`is_blocked` is the dial-time recheck: a number that opted out after its list was imported is
still never called. `blocked_among` answers the same question for a batch of numbers at import.
`dnc_listed` is the check for a call of no campaign (click-to-dial from the desk): the DNC lists only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, delete, select

from schema.campaigns.models import DNC_SOURCES, CampaignExclusion, DncNumber
from schema.campaigns.status import ensure_in
from schema.db import read_connection, write_transaction
from schema.merge_sql import dialect_insert

DNC: Final[Table] = DncNumber.__table__  # type: ignore[assignment]
EXCLUSIONS: Final[Table] = CampaignExclusion.__table__  # type: ignore[assignment]
EXCLUDED: Final = "campaign exclusion"
LOOKUP_CHUNK: Final = 5_000  # numbers per IN (...) query: well under SQLite's 32,766 parameters


@dataclass(frozen=True)
class DncEntry:
    phone_e164: str
    source: str
    added_at: dt.datetime
    reason: str | None


def dnc_reason(source: str) -> str:
    """How a blocked number's reason reads: "internal DNC" or "national DNC"."""
    return f"{source} DNC"


def add_numbers(
    connection: Connection, numbers: Iterable[str], source: str, now: dt.datetime, reason: str | None = None
) -> int:
    """Put numbers on the `source` list in the caller's transaction; returns how many were new."""
    if source not in DNC_SOURCES:
        raise ValueError(f"DNC source is one of {', '.join(DNC_SOURCES)}, not {source!r}")
    rows = [{"phone_e164": number, "source": source, "added_at": now, "reason": reason} for number in numbers]
    if not rows:
        return 0
    insert = dialect_insert(connection.dialect.name)
    statement = insert(DNC).on_conflict_do_nothing(index_elements=["phone_e164", "source"])
    return _inserted(connection, statement.returning(DNC.c.phone_e164), rows)


def add_dnc(engine: Engine, number: str, *, source: str, now: dt.datetime, reason: str | None = None) -> bool:
    """Add one E.164 number; False if it was on that list already."""
    with write_transaction(engine, f"adding {number} to the DNC list") as connection:
        return add_numbers(connection, [number], source, now, reason) == 1


def remove_dnc(engine: Engine, number: str, *, source: str | None = None) -> int:
    """Take a number off one list (or every list); returns how many entries went."""
    with write_transaction(engine, f"removing {number} from the DNC list") as connection:
        query = delete(DNC).where(DNC.c.phone_e164 == number)
        if source is not None:
            query = query.where(DNC.c.source == source)
        return max(connection.execute(query).rowcount, 0)


def dnc_entries(engine: Engine, number: str) -> list[DncEntry]:
    with read_connection(engine, f"checking {number} against the DNC list") as connection:
        rows = connection.execute(select(DNC).where(DNC.c.phone_e164 == number).order_by(DNC.c.source)).all()
    return [DncEntry(row.phone_e164, row.source, row.added_at, row.reason) for row in rows]


def exclude_numbers(engine: Engine, campaign: str, numbers: Collection[str], now: dt.datetime) -> int:
    """Exclude numbers from one campaign (created as draft if new); returns how many were new."""
    with write_transaction(engine, f"excluding numbers from campaign {campaign}") as connection:
        return exclude_in(connection, campaign, numbers, now)


def exclude_in(connection: Connection, campaign: str, numbers: Collection[str], now: dt.datetime) -> int:
    """`exclude_numbers` in the caller's transaction."""
    ensure_in(connection, campaign, now)
    rows = [{"campaign": campaign, "phone_e164": number, "added_at": now} for number in numbers]
    if not rows:
        return 0
    insert = dialect_insert(connection.dialect.name)
    statement = insert(EXCLUSIONS).on_conflict_do_nothing(index_elements=["campaign", "phone_e164"])
    return _inserted(connection, statement.returning(EXCLUSIONS.c.phone_e164), rows)


def _inserted(connection: Connection, statement: Any, rows: list[dict[str, Any]]) -> int:
    """How many rows an INSERT ... ON CONFLICT DO NOTHING RETURNING wrote (an executemany's rowcount
    is not reliable on PostgreSQL, where the rows go in several multi-row statements)."""
    return len(connection.execute(statement, rows).all())


def blocked_among(connection: Connection, campaign: str, numbers: Collection[str]) -> dict[str, str]:
    """{number: reason} for those of `numbers` this campaign may not call (internal DNC first)."""
    found: dict[str, str] = {}
    ordered = list(numbers)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start : start + LOOKUP_CHUNK]
        for number in connection.execute(
            select(EXCLUSIONS.c.phone_e164).where(
                EXCLUSIONS.c.campaign == campaign, EXCLUSIONS.c.phone_e164.in_(chunk)
            )
        ).scalars():
            found[number] = EXCLUDED
        for number, source in connection.execute(
            select(DNC.c.phone_e164, DNC.c.source)
            .where(DNC.c.phone_e164.in_(chunk))
            .order_by(DNC.c.source.desc())
        ).all():
            found[number] = dnc_reason(source)  # "internal" sorts last, so it wins over "national"
    return found


def is_blocked(engine: Engine, campaign: str, phone: str) -> str | None:
    """Why `campaign` may not call `phone` now ("internal DNC", "national DNC", "campaign exclusion"),
    or None if it may."""
    with read_connection(engine, f"checking {phone} before dialling") as connection:
        return blocked_among(connection, campaign, [phone]).get(phone)


def dnc_listed(engine: Engine, phone: str) -> str | None:
    """Why no outbound call may go to `phone` ("internal DNC", then "national DNC"), or None."""
    with read_connection(engine, f"checking {phone} before dialling") as connection:
        sources = connection.execute(select(DNC.c.source).where(DNC.c.phone_e164 == phone)).scalars().all()
    return dnc_reason(min(sources)) if sources else None  # "internal" sorts before "national"
