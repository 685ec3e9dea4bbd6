"""schema.campaigns' store on SQLite and PostgreSQL: campaign status and its transitions, the dialer's
lead reads and writes, and the attempt log."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from dialplans.campaign_vocabulary import AttemptOutcome, CampaignStatus
from ivr_scripts.campaigns.lifecycle import TransitionRefused, check_transition
from ivr_scripts.campaigns.windows import zone_key
from schema.campaigns.attempts import Attempt, attempts, record_attempt
from schema.campaigns.leads import (
    LEADS,
    distinct_zone_keys,
    due_leads,
    due_query,
    get_lead,
    schedule,
)
from schema.campaigns.lists import open_list
from schema.campaigns.status import (
    CAMPAIGNS,
    ensure_campaign,
    get_campaign,
    list_campaigns,
    transition,
    transitions,
)
from schema.errors import NotFound, RecordRejected
from tests.support.crm_records import T0, at

S = CampaignStatus
CHICAGO = "America/Chicago"
NEW_YORK = "America/New_York"


def add_leads(
    engine: Engine, campaign: str, *leads: dict[str, Any], list_name: str | None = None
) -> list[int]:
    """Leads written as the import writes them (pending, due from T0 unless given)."""
    with engine.begin() as connection:
        list_id = open_list(connection, campaign, list_name or f"{campaign}-list", "test.csv", T0)
        ids = []
        for number, lead in enumerate(leads):
            values = {
                "phone_e164": f"+1312555{number:04d}",
                "time_zones": CHICAGO,
                "fields": {},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": T0,
                **lead,
            }
            inserted = connection.execute(
                LEADS.insert().values(list_id=list_id, campaign=campaign, **values).returning(LEADS.c.id)
            )
            ids.append(int(inserted.scalar_one()))
    return ids


# --- Campaign status --------------------------------------------------------------------------------


def test_a_campaign_is_created_as_draft_once(engine: Engine) -> None:
    first = ensure_campaign(engine, "spring", T0)
    again = ensure_campaign(engine, "spring", at(5))

    assert first.status is S.DRAFT
    assert again == first
    assert [c.name for c in list_campaigns(engine)] == ["spring"]
    assert get_campaign(engine, "autumn") is None


def test_a_transition_changes_the_status_and_is_logged_with_who_and_why(engine: Engine) -> None:
    transition(engine, "spring", S.PILOT, by="cli", now=at(1))
    transition(engine, "spring", S.RUNNING, by="maria", reason="pilot went well", now=at(2))

    found = get_campaign(engine, "spring")
    assert found is not None
    assert (found.status, found.updated_at) == (S.RUNNING, at(2))
    logged = [(t.from_status, t.to_status, t.at, t.by, t.reason) for t in transitions(engine, "spring")]
    assert logged == [
        (S.DRAFT, S.PILOT, at(1), "cli", None),
        (S.PILOT, S.RUNNING, at(2), "maria", "pilot went well"),
    ]


def test_a_refused_transition_changes_and_logs_nothing(engine: Engine) -> None:
    transition(engine, "spring", S.CLOSED, by="cli", now=at(1))

    with pytest.raises(TransitionRefused, match="closed is final"):
        transition(engine, "spring", S.RUNNING, by="cli", now=at(2))

    found = get_campaign(engine, "spring")
    assert found is not None
    assert found.status is S.CLOSED
    assert len(transitions(engine, "spring")) == 1


def test_of_two_servers_moving_one_campaign_the_second_decides_on_what_the_first_did(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server A reads draft and wants running; before it writes, server B closes the campaign. A's
    compare-and-set finds the status changed, A decides again on closed, and is refused."""
    ensure_campaign(engine, "spring", T0)
    raced: list[bool] = []

    def check_then_let_b_in(name: str, current: CampaignStatus, target: CampaignStatus) -> None:
        check_transition(name, current, target)
        if not raced:
            raced.append(True)
            transition(engine, name, S.CLOSED, by="server-b", now=at(1))

    monkeypatch.setattr("schema.campaigns.status.check_transition", check_then_let_b_in)
    with pytest.raises(TransitionRefused, match="is closed; cannot go to running"):
        transition(engine, "spring", S.RUNNING, by="server-a", now=at(2))

    found = get_campaign(engine, "spring")
    assert found is not None
    assert found.status is S.CLOSED
    assert [(t.by, t.to_status) for t in transitions(engine, "spring")] == [("server-b", S.CLOSED)]


def test_a_list_name_belongs_to_one_campaign(engine: Engine) -> None:
    add_leads(engine, "spring", list_name="march")
    with engine.begin() as connection:
        assert open_list(connection, "spring", "march", "again.csv", at(1)) > 0
        with pytest.raises(RecordRejected, match="list 'march' belongs to campaign 'spring'"):
            open_list(connection, "autumn", "march", "other.csv", at(1))
    with engine.connect() as connection:
        assert list(connection.execute(select(CAMPAIGNS.c.name)).scalars()) == ["spring"]


# --- Leads ------------------------------------------------------------------------------------------


def test_due_leads_are_the_pending_due_ones_of_the_open_zones_oldest_first(engine: Engine) -> None:
    both = zone_key([NEW_YORK, CHICAGO])
    ids = add_leads(
        engine,
        "spring",
        {"next_attempt_at": at(10)},  # 0: due later than 2
        {"next_attempt_at": at(61)},  # 1: not yet due at 60
        {"next_attempt_at": at(5)},  # 2: due first
        {"time_zones": "Europe/London"},  # 3: zone closed
        {"status": "done", "next_attempt_at": None},  # 4: done
        {"time_zones": both, "next_attempt_at": at(10)},  # 5: same time as 0, later id
    )
    add_leads(engine, "autumn", {"next_attempt_at": T0})  # another campaign's

    due = due_leads(engine, "spring", {CHICAGO, both}, at(60), limit=10)

    assert [lead.id for lead in due] == [ids[2], ids[0], ids[5]]
    assert [lead.id for lead in due_leads(engine, "spring", {CHICAGO, both}, at(60), limit=2)] == ids[
        2:3
    ] + ids[:1]
    assert due_leads(engine, "spring", set(), at(60), limit=10) == []
    assert both == "America/Chicago|America/New_York"


def test_distinct_zone_keys_are_those_of_pending_leads(engine: Engine) -> None:
    add_leads(
        engine,
        "spring",
        {"time_zones": NEW_YORK},
        {"time_zones": CHICAGO},
        {"time_zones": NEW_YORK},
        {"time_zones": "Europe/London", "status": "done", "next_attempt_at": None},
    )
    assert distinct_zone_keys(engine, "spring") == [CHICAGO, NEW_YORK]
    assert distinct_zone_keys(engine, "autumn") == []


def test_schedule_retries_finishes_or_blocks_a_lead(engine: Engine) -> None:
    retry, finish, block = add_leads(engine, "spring", {}, {}, {})

    schedule(engine, retry, at(90), AttemptOutcome.BUSY)
    schedule(engine, finish, None, AttemptOutcome.HUMAN)
    schedule(engine, block, None, AttemptOutcome.BLOCKED)

    leads = [get_lead(engine, lead_id) for lead_id in (retry, finish, block)]
    states = [(lead.status, lead.attempts, lead.next_attempt_at, lead.last_outcome) for lead in leads]
    assert states == [
        ("pending", 1, at(90), "busy"),
        ("done", 1, None, "human"),
        ("blocked", 0, None, "blocked"),
    ]
    assert [lead.id for lead in due_leads(engine, "spring", {CHICAGO}, at(100), limit=5)] == [retry]
    with pytest.raises(NotFound):
        schedule(engine, 999_999, None, AttemptOutcome.HUMAN)


def test_a_pending_lead_without_a_due_time_is_refused(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)pending_is_scheduled|check constraint"):
        add_leads(engine, "spring", {"next_attempt_at": None})


# --- Attempt log ------------------------------------------------------------------------------------


def test_attempts_since_a_time_are_the_campaigns_in_start_order(engine: Engine) -> None:
    (lead,) = add_leads(engine, "spring", {})
    full = Attempt(
        campaign="spring",
        phone_e164="+13125550000",
        attempt_no=2,
        started_at=at(20),
        outcome=AttemptOutcome.HUMAN,
        lead_id=lead,
        list_id=1,
        call_uuid="uuid-2",
        answered_at=at(20.2),
        ended_at=at(25),
        hangup_cause="NORMAL_CLEARING",
        amd_result="HUMAN",
        agent_id="1001",
        disposition="sale",
        wait_for_agent_ms=850,
    )
    early = Attempt("spring", "+13125550000", 1, at(1), AttemptOutcome.NO_ANSWER, lead_id=lead)
    middle = Attempt("spring", "+13125550001", 1, at(10), AttemptOutcome.DROPPED, wait_for_agent_ms=2000)
    other = Attempt("autumn", "+13125550000", 1, at(15), AttemptOutcome.BUSY)
    for attempt in (full, early, middle, other):
        assert record_attempt(engine, attempt) > 0

    assert attempts(engine, "spring", at(10)) == [middle, full]
    assert attempts(engine, "spring", at(21)) == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_due_leads_reads_one_index_range_on_postgresql(engine: Engine) -> None:
    """On 50,000 leads of two campaigns, PostgreSQL reads the due leads by the index, in its order (no sort,
    no scan of the table)."""
    add_leads(engine, "spring", {})
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO leads (list_id, campaign, phone_e164, time_zones, fields, status, attempts, "
            "next_attempt_at) SELECT 1, CASE WHEN n % 2 = 0 THEN 'spring' ELSE 'autumn' END, "
            "'+1312' || lpad(n::text, 7, '0'), "
            "CASE WHEN n % 3 = 0 THEN 'America/New_York' ELSE 'America/Chicago' END, '{}', "
            "CASE WHEN n % 5 = 0 THEN 'done' ELSE 'pending' END, 0, "
            "CASE WHEN n % 5 = 0 THEN NULL ELSE :t0 + n * interval '1 second' END "
            "FROM generate_series(1, 50000) AS n"
        ), {"t0": T0})  # fmt: skip
        connection.execute(text("ANALYZE leads"))
        query = due_query("spring", [CHICAGO], at(60), 100)
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())

    assert "Index Scan using ix_leads_campaign_status_next_attempt_at_id on leads" in plan
    assert "Sort" not in plan
    assert "Seq Scan" not in plan
    assert len(due_leads(engine, "spring", {CHICAGO}, at(60), 100)) == 100


def test_of_eight_servers_pausing_a_running_campaign_at_once_one_wins(engine: Engine) -> None:
    transition(engine, "spring", S.RUNNING, by="cli", now=T0)
    start = threading.Barrier(8)

    def pause(server: int) -> str:
        start.wait()
        try:
            transition(engine, "spring", S.PAUSED, by=f"server-{server}", now=at(1))
        except TransitionRefused:
            return "refused"
        return "paused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(pause, range(8)))

    assert outcomes == ["paused"] + ["refused"] * 7
    assert [t.to_status for t in transitions(engine, "spring")] == [S.RUNNING, S.PAUSED]


def test_names_too_long_for_their_columns_are_refused_by_name(engine: Engine) -> None:
    with pytest.raises(RecordRejected, match="a campaign name is 1 to 64 characters"):
        ensure_campaign(engine, "c" * 65, T0)
    with pytest.raises(RecordRejected, match="a campaign name is 1 to 64 characters"):
        transition(engine, " ", S.PILOT, by="cli", now=T0)
    with (
        engine.begin() as connection,
        pytest.raises(RecordRejected, match="a list name is 1 to 128 characters"),
    ):
        open_list(connection, "spring", "l" * 129, "x.csv", T0)
    done = transition(engine, "spring", S.PILOT, by="cli@" + "h" * 100, now=T0)
    assert done.by == ("cli@" + "h" * 100)[:64]
    assert transitions(engine, "spring")[0].by == done.by
    assert list_campaigns(engine)[0].name == "spring"
