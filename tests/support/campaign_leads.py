"""Leads written straight into the campaign tables, for the dialer's tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from schema.campaigns.leads import LEADS
from schema.campaigns.lists import open_list

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)  # 09:00 in Chicago: inside 08:00-21:00
CHICAGO = "America/Chicago"


def add_leads(engine: Engine, *phones: str, campaign: str = "spring") -> list[int]:
    """Pending leads of `campaign`, due at NOW, in Chicago; their ids."""
    ids = []
    with engine.begin() as connection:
        list_id = open_list(connection, campaign, "march", "march.csv", NOW)
        for phone in phones:
            values = {"list_id": list_id, "campaign": campaign, "phone_e164": phone, "time_zones": CHICAGO,
                      "fields": {}, "status": "pending", "attempts": 0, "next_attempt_at": NOW}  # fmt: skip
            ids.append(
                int(connection.execute(LEADS.insert().values(values).returning(LEADS.c.id)).scalar_one())
            )
    return ids
