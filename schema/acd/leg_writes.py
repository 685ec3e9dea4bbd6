"""Writing agent legs (`AgentLegRecord`) in the call records' transaction (schema.calls.writes.write_batch).

A leg is keyed by its channel UUID. An answered leg arrives twice: at the bridge (no end yet) and when
its conversation ends (the end and the talk time). The row is inserted by whichever arrives first and
only ever completed afterwards: `ended_at` and `talk_ms` are filled when still NULL, and nothing else
changes, so a replay (a spooled batch written again) changes nothing. Rows are written in leg UUID
order, so concurrent batches lock them in the same order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final

from sqlalchemy import Connection, func
from sqlalchemy.sql.dml import Insert

from schema.acd.models import AgentLeg
from schema.acd.records import AgentLegRecord
from schema.merge_sql import dialect_insert

AGENT_LEGS: Final = AgentLeg.__table__
FILLED_LATER: Final = ("ended_at", "talk_ms")


def merge_legs(records: Iterable[AgentLegRecord]) -> list[AgentLegRecord]:
    """One record per leg, in leg UUID order: the first of a leg's records, with its end filled in from
    a later one (the rule the upsert applies to rows already written)."""
    merged: dict[str, AgentLegRecord] = {}
    for record in records:
        first = merged.get(record.leg_uuid)
        if first is None:
            merged[record.leg_uuid] = record
            continue
        later = {name: getattr(record, name) for name in FILLED_LATER if getattr(first, name) is None}
        merged[record.leg_uuid] = dataclasses.replace(first, **later)
    return [merged[leg_uuid] for leg_uuid in sorted(merged)]


def write_agent_legs(connection: Connection, records: Sequence[AgentLegRecord]) -> None:
    legs = merge_legs(records)
    if legs:
        connection.execute(_leg_upsert(connection.dialect.name), [_leg_row(leg) for leg in legs])


def _leg_row(leg: AgentLegRecord) -> dict[str, Any]:
    row = {field.name: getattr(leg, field.name) for field in dataclasses.fields(leg)}
    for name, value in row.items():
        if isinstance(value, dt.datetime):
            row[name] = value.astimezone(dt.UTC)
    return row


def _leg_upsert(dialect: str) -> Insert:
    stmt = dialect_insert(dialect)(AGENT_LEGS)
    return stmt.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[AGENT_LEGS.c.leg_uuid],
        set_={name: func.coalesce(AGENT_LEGS.c[name], stmt.excluded[name]) for name in FILLED_LATER},
    )
