"""Leads written in bulk: one plain executemany with the values ready, no per-row statement work.

SQLAlchemy's per-row work (building each row's parameters, converting each value by its column
type) was over half the import's writing time. Here the import time, the same for every lead, is
converted once by the column's own type (SQLite keeps timestamps as text in SQLAlchemy's format:
the dialer's range reads compare that text); the fields JSON comes serialised from the workers;
the rest are plain strings and numbers; `pilot_bucket` is worked out here, as the model's
default would (raw SQL bypasses it). PostgreSQL gets the JSON as text cast to json.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Final

from sqlalchemy import Connection

from customer_import.lead_rows import LeadRow
from ivr_scripts.campaigns.pilot import pilot_bucket
from schema.campaigns.leads import LEADS, PENDING

COLUMNS: Final = (
    "list_id", "campaign", "phone_e164", "time_zones", "region", "external_id", "fields", "customer_id",
    "status", "attempts", "next_attempt_at", "pilot_bucket",
)  # fmt: skip
_INSERT: Final = (
    "INSERT INTO leads (list_id, campaign, phone_e164, time_zones, region, external_id, fields, customer_id, "
    "status, attempts, next_attempt_at, pilot_bucket) VALUES "
)
SQLITE_INSERT: Final = _INSERT + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
POSTGRESQL_INSERT: Final = _INSERT + "(%s, %s, %s, %s, %s, %s, %s::json, %s, %s, %s, %s, %s)"


class LeadInserter:
    """Writes a list's new leads, pending and due at `now`, in the caller's transaction."""

    def __init__(self, connection: Connection, list_id: int, campaign: str, now: dt.datetime) -> None:
        dialect = connection.dialect
        self._connection = connection
        self._list_id = list_id
        self._campaign = campaign
        self._sql = SQLITE_INSERT if dialect.name == "sqlite" else POSTGRESQL_INSERT
        convert = LEADS.c.next_attempt_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._now = convert(now) if convert is not None else now

    def insert(self, leads: Sequence[LeadRow], customers: Mapping[str, int]) -> None:
        if not leads:
            return
        list_id, campaign, now = self._list_id, self._campaign, self._now
        rows = [
            (list_id, campaign, lead.phone_e164, lead.time_zones, lead.region, lead.external_id,
             lead.fields_json, customers.get(lead.phone_e164), PENDING, 0, now,
             pilot_bucket(campaign, lead.phone_e164))
            for lead in leads
        ]  # fmt: skip
        self._connection.exec_driver_sql(self._sql, rows)
