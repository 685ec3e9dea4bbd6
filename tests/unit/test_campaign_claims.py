"""Claiming due leads for dialling, on SQLite and PostgreSQL: one server per lead, the lease, recovery."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from dialplans.campaign_vocabulary import AttemptOutcome
from schema.campaigns.leads import LEADS, claim_due_leads, due_leads, get_lead, schedule
from schema.campaigns.lists import open_list
from schema.db import create_engine_from_url
from tests.support.crm_records import T0, at

ZONE = "America/Chicago"
LEASE = dt.timedelta(hours=24)


def pending_leads(engine: Engine, count: int) -> list[int]:
    ids = []
    with engine.begin() as connection:
        list_id = open_list(connection, "spring", "march", "march.csv", T0)
        for n in range(count):
            values = {"list_id": list_id, "campaign": "spring", "phone_e164": f"+1312555{n:04d}",
                      "time_zones": ZONE, "fields": {}, "status": "pending", "attempts": 0,
                      "next_attempt_at": T0 + dt.timedelta(seconds=n)}  # fmt: skip
            ids.append(
                int(connection.execute(LEADS.insert().values(values).returning(LEADS.c.id)).scalar_one())
            )
    return ids


def test_claimed_leads_are_nobody_elses_until_the_lease_ends(engine: Engine) -> None:
    ids = pending_leads(engine, 5)
    now = at(60)
    first = claim_due_leads(engine, "spring", [ZONE], now, limit=3, lease_until=now + LEASE)
    assert [lead.id for lead in first] == ids[:3], "oldest due first"
    second = claim_due_leads(engine, "spring", [ZONE], now, limit=5, lease_until=now + LEASE)
    assert [lead.id for lead in second] == ids[3:]
    assert claim_due_leads(engine, "spring", [ZONE], now, limit=5, lease_until=now + LEASE) == []
    assert due_leads(engine, "spring", [ZONE], now + LEASE, 10) != [], "a dead server's leads come back"


def test_schedule_replaces_the_lease(engine: Engine) -> None:
    (lead_id,) = pending_leads(engine, 1)
    now = at(60)
    claim_due_leads(engine, "spring", [ZONE], now, limit=1, lease_until=now + LEASE)
    schedule(engine, lead_id, now + dt.timedelta(minutes=15), AttemptOutcome.BUSY)
    lead = get_lead(engine, lead_id)
    assert (lead.next_attempt_at, lead.attempts, lead.last_outcome) == (
        now + dt.timedelta(minutes=15),
        1,
        "busy",
    )


def test_servers_claiming_at_once_never_take_the_same_lead(engine: Engine, database_url: str) -> None:
    ids = pending_leads(engine, 60)
    now = at(3600)
    engines = [create_engine_from_url(database_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            batches = list(
                pool.map(
                    lambda e: [
                        lead.id
                        for _ in range(5)
                        for lead in claim_due_leads(
                            e, "spring", [ZONE], now, limit=4, lease_until=now + LEASE
                        )
                    ],
                    engines,
                )
            )
    finally:
        for each in engines:
            each.dispose()
    taken = [lead_id for batch in batches for lead_id in batch]
    assert len(taken) == len(set(taken)), "a lead claimed twice"
    assert sorted(taken) == ids
