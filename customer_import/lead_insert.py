"""Leads written in bulk. On SQLite, one plain executemany with the values converted up front: the
import time is the same for every lead (converted once), the fields JSON is serialised with the
column type's own converter, and SQLAlchemy's per-row statement work (over half the import's own
writing time) is skipped. On PostgreSQL, SQLAlchemy's multi-row INSERT does the job as it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import Column, Connection
from sqlalchemy.engine import Dialect

from customer_import.lead_rows import LeadRow
from schema.campaigns.leads import LEADS, PENDING

COLUMNS: Final = (
    "list_id", "campaign", "phone_e164", "time_zones", "region", "external_id", "fields", "customer_id",
    "status", "attempts", "next_attempt_at",
)  # fmt: skip
SQLITE_INSERT: Final = (
    "INSERT INTO leads (list_id, campaign, phone_e164, time_zones, region, external_id, fields, customer_id, "
    "status, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _converter(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else (lambda value: value)


class LeadInserter:
    """Writes a list's new leads, pending and due at `now`, in the caller's transaction."""

    def __init__(self, connection: Connection, list_id: int, campaign: str, now: dt.datetime) -> None:
        self._connection = connection
        self._list_id = list_id
        self._campaign = campaign
        self._now = now
        dialect = connection.dialect
        self._plain = dialect.name == "sqlite"
        if self._plain:
            self._fields = _converter(LEADS.c.fields, dialect)
            self._now_value = _converter(LEADS.c.next_attempt_at, dialect)(now)

    def insert(self, leads: Sequence[LeadRow], customers: Mapping[str, int]) -> None:
        if not leads:
            return
        if self._plain:
            list_id, campaign, fields, now = self._list_id, self._campaign, self._fields, self._now_value
            rows = [
                (list_id, campaign, lead.phone_e164, lead.time_zones, lead.region, lead.external_id,
                 fields(lead.fields), customers.get(lead.phone_e164), PENDING, 0, now)
                for lead in leads
            ]  # fmt: skip
            self._connection.exec_driver_sql(SQLITE_INSERT, rows)
            return
        values = [
            (self._list_id, self._campaign, lead.phone_e164, lead.time_zones, lead.region, lead.external_id,
             lead.fields, customers.get(lead.phone_e164), PENDING, 0, self._now)
            for lead in leads
        ]  # fmt: skip
        self._connection.execute(LEADS.insert(), [dict(zip(COLUMNS, row, strict=True)) for row in values])
