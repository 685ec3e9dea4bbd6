"""Migration 0008: each lead's pilot bucket, backfilled for the leads written before it."""

from __future__ import annotations

import sqlalchemy as sa

from ivr_scripts.campaigns.pilot import pilot_bucket
from schema.campaigns.lists import open_list
from schema.db import create_engine_from_url
from schema.migrate import current_revision, downgrade, upgrade
from tests.support.campaign_leads import CHICAGO, NOW

PHONES = [f"+1312555{n:04d}" for n in range(7)]
LEADS_0007 = sa.table(  # the columns written before 0008
    "leads",
    *(sa.column(name) for name in ("list_id", "campaign", "phone_e164", "time_zones", "status", "attempts")),
    sa.column("fields", sa.JSON()),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
)


def test_0008_backfills_the_pilot_bucket_of_existing_leads_and_goes_down(blank_database_url: str) -> None:
    upgrade(blank_database_url, "0007")
    engine = create_engine_from_url(blank_database_url)
    try:
        with engine.begin() as connection:
            list_id = open_list(connection, "spring", "march", "march.csv", NOW)
            connection.execute(
                LEADS_0007.insert(),
                [{"list_id": list_id, "campaign": "spring", "phone_e164": phone, "time_zones": CHICAGO,
                  "fields": {}, "status": "pending", "attempts": 0, "next_attempt_at": NOW}
                 for phone in PHONES],
            )  # fmt: skip
        upgrade(blank_database_url)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT phone_e164, pilot_bucket FROM leads")).all()
        found = {str(phone): int(bucket) for phone, bucket in rows}
        assert found == {phone: pilot_bucket("spring", phone) for phone in PHONES}

        downgrade(blank_database_url, "0007")
        assert current_revision(blank_database_url) == "0007"
        with engine.connect() as connection:
            columns = {column["name"] for column in sa.inspect(connection).get_columns("leads")}
        assert "pilot_bucket" not in columns
        assert len(columns) == 13
    finally:
        engine.dispose()
