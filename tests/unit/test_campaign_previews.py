"""Preview dialling in the database, on SQLite and PostgreSQL: the next record reserved for one agent,
dialled, skipped or released; concurrent agents never share a lead."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, update

from dialplans.campaign_models import Pilot
from dialplans.campaign_vocabulary import AttemptOutcome, CampaignStatus
from ivr_scripts.agent_service import AgentService
from schema.adapters.agent_store import SqlAgentStore
from schema.campaigns import previews
from schema.campaigns.attempts import Attempt, attempts, record_attempt
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.dnc import add_dnc
from schema.campaigns.leads import LEADS, get_lead
from schema.campaigns.preview_desk import (
    dial_preview,
    next_preview,
    release_expired,
    skip_preview,
)
from schema.campaigns.previews import PreviewRefused
from schema.campaigns.status import transition
from schema.db import create_engine_from_url
from schema.errors import PermissionDenied
from schema.viewer import SYSTEM
from tests.support.campaign_leads import NOW, add_leads
from tests.support.previews import AGENTS, ALICE, CAMPAIGN, PLAN, ready, state_of


def test_the_next_record_is_reserved_for_the_agent_with_its_history_and_script(engine: Engine) -> None:
    first, _ = add_leads(engine, "+13125550101", "+13125550102")
    with engine.begin() as connection:
        connection.execute(
            update(LEADS).where(LEADS.c.id == first).values(fields={"name": "Jane Roe", "car": "Golf"})
        )
    ready(engine)
    earlier = NOW - dt.timedelta(days=1)
    record_attempt(engine, Attempt("spring", "+13125550101", 1, earlier, AttemptOutcome.BUSY, lead_id=first))
    shown = next_preview(engine, ALICE, "spring", "1001", PLAN, server="s1", now=NOW)
    assert shown is not None
    assert (shown.lead.id, shown.lead.name, shown.lead.fields) == (
        first,
        "Jane Roe",
        {"name": "Jane Roe", "car": "Golf"},
    )
    assert [(a.attempt_no, a.outcome) for a in shown.previous_attempts] == [(1, "busy")]
    assert shown.script is not None
    assert (shown.script.intro, [q.id for q in shown.script.questions]) == ("Hello, this is Acme.", ["renew"])
    assert (shown.state, shown.expires_at) == ("previewing", NOW + dt.timedelta(seconds=60))
    preview = previews.get_preview(engine, "1001")
    assert preview is not None
    assert state_of(engine, "1001") == ("reserved", preview.token), "the ACD offers them nothing meanwhile"
    with pytest.raises(PreviewRefused, match="open already"):
        next_preview(engine, ALICE, "spring", "1001", PLAN, server="s1", now=NOW)


def test_skipping_puts_the_lead_back_uncounted_and_frees_the_agent(engine: Engine) -> None:
    (lead_id,) = add_leads(engine, "+13125550101")
    ready(engine)
    next_preview(engine, ALICE, "spring", "1001", PLAN, server="s1", now=NOW)
    later = NOW + dt.timedelta(seconds=20)
    skip_preview(engine, ALICE, "1001", server="s1", now=later)
    lead = get_lead(engine, lead_id)
    assert (lead.status, lead.attempts, lead.next_attempt_at) == ("pending", 0, later)
    assert state_of(engine, "1001") == ("available", None)
    assert attempts(engine, "spring", NOW - dt.timedelta(days=1)) == []
    again = next_preview(engine, SYSTEM, "spring", "1002", PLAN, server="s1", now=later)
    assert again is not None
    assert again.lead.id == lead_id, "another agent may take it at once"


def test_dialling_hands_the_preview_to_one_dialer_once(engine: Engine) -> None:
    add_leads(engine, "+13125550101")
    ready(engine)
    next_preview(engine, ALICE, "spring", "1001", PLAN, server="s1", now=NOW)
    shown = dial_preview(engine, ALICE, "1001", PLAN, now=NOW)
    assert shown.state == "dial_requested"
    with pytest.raises(PreviewRefused, match="dial_requested already"):
        dial_preview(engine, ALICE, "1001", PLAN, now=NOW)
    ((taken, lead),) = previews.take_dial_requests(engine, "s2")
    assert (taken.agent_id, taken.state, taken.dialled_by, lead.phone_e164) == (
        "1001",
        "dialling",
        "s2",
        "+13125550101",
    )
    assert previews.take_dial_requests(engine, "s3") == []
    with pytest.raises(PreviewRefused, match="is dialling"):
        skip_preview(engine, ALICE, "1001", server="s1", now=NOW)


def test_a_skip_withdraws_a_dial_no_dialer_has_taken_yet_but_expiry_does_not(engine: Engine) -> None:
    (lead_id,) = add_leads(engine, "+13125550101")
    ready(engine)
    next_preview(engine, ALICE, "spring", "1001", PLAN, server="s1", now=NOW)
    dial_preview(engine, ALICE, "1001", PLAN, now=NOW)
    assert release_expired(engine, server="s1", now=NOW + dt.timedelta(hours=1)) == []
    skip_preview(engine, ALICE, "1001", server="s1", now=NOW)
    assert previews.take_dial_requests(engine, "s2") == []
    assert state_of(engine, "1001") == ("available", None)
    assert get_lead(engine, lead_id).attempts == 0


def test_an_untouched_preview_is_released_after_the_campaigns_preview_seconds(engine: Engine) -> None:
    (lead_id,) = add_leads(engine, "+13125550101")
    ready(engine)
    next_preview(engine, ALICE, "spring", "1001", PLAN, server="s1", now=NOW)
    assert release_expired(engine, server="s1", now=NOW + dt.timedelta(seconds=59)) == []
    (released,) = release_expired(engine, server="s1", now=NOW + dt.timedelta(seconds=60))
    assert released.lead_id == lead_id
    assert state_of(engine, "1001") == ("available", None)
    assert previews.get_preview(engine, "1001") is None


def test_a_number_now_on_a_do_not_call_list_is_logged_blocked_and_the_next_shown(engine: Engine) -> None:
    blocked_id, next_id = add_leads(engine, "+13125550101", "+13125550102")
    add_dnc(engine, "+13125550101", source="internal", now=NOW)
    ready(engine)
    shown = next_preview(engine, ALICE, "spring", "1001", PLAN, server="s1", now=NOW)
    assert shown is not None
    assert shown.lead.id == next_id
    assert get_lead(engine, blocked_id).status == "blocked"
    (logged,) = attempts(engine, "spring", NOW - dt.timedelta(days=1))
    assert (logged.lead_id, logged.outcome, logged.agent_id) == (blocked_id, AttemptOutcome.BLOCKED, "1001")


def test_no_lead_due_frees_the_agent_again(engine: Engine) -> None:
    ready(engine)
    assert next_preview(engine, ALICE, "spring", "1001", PLAN, server="s1", now=NOW) is None
    assert state_of(engine, "1001") == ("available", None)


def test_who_may_ask_and_when(engine: Engine) -> None:
    add_leads(engine, "+13125550101")
    service = ready(engine, CampaignStatus.PILOT)
    with pytest.raises(PermissionDenied):
        next_preview(engine, ALICE, "spring", "1002", PLAN, server="s1", now=NOW)
    with pytest.raises(PreviewRefused, match="not an agent of"):
        next_preview(engine, SYSTEM, "spring", "9999", PLAN, server="s1", now=NOW)
    service.go_break("1003", "lunch")
    with pytest.raises(PreviewRefused, match="not available"):
        next_preview(engine, SYSTEM, "spring", "1003", PLAN, server="s1", now=NOW)
    transition(engine, "spring", CampaignStatus.PAUSED, by="test", reason=None, now=NOW)
    with pytest.raises(PreviewRefused, match="is paused"):
        next_preview(engine, SYSTEM, "spring", "1002", PLAN, server="s1", now=NOW)
    progressive = CampaignPlan(
        {"spring": CAMPAIGN.model_copy(update={"dial_mode": "progressive"})}, {}, PLAN.members
    )
    with pytest.raises(PreviewRefused, match="not preview"):
        next_preview(engine, SYSTEM, "spring", "1002", progressive, server="s1", now=NOW)


def test_agents_asking_at_once_never_share_a_lead(engine: Engine, database_url: str) -> None:
    ids = add_leads(engine, *(f"+1312555{n:04d}" for n in range(12)))
    ready(engine)
    engines = [create_engine_from_url(database_url) for _ in AGENTS]

    def take_three(pair: tuple[Engine, str]) -> list[int]:
        each, agent_id = pair
        taken = []
        for step in range(3):
            now = NOW + dt.timedelta(seconds=step)
            shown = next_preview(each, SYSTEM, "spring", agent_id, PLAN, server=agent_id, now=now)
            assert shown is not None
            taken.append(shown.lead.id)
            preview = previews.get_preview(each, agent_id)
            assert preview is not None
            called = Attempt("spring", shown.lead.phone, 1, now, AttemptOutcome.HUMAN, lead_id=shown.lead.id)
            previews.finish_preview(each, preview, called, None, now)
            AgentService(SqlAgentStore(each, agent_id), None, lambda: NOW).reservation_cancelled(
                agent_id, preview.token
            )
        return taken

    try:
        with ThreadPoolExecutor(len(AGENTS)) as pool:
            batches = list(pool.map(take_three, zip(engines, AGENTS, strict=True)))
    finally:
        for each in engines:
            each.dispose()
    taken = [lead_id for batch in batches for lead_id in batch]
    assert len(taken) == len(set(taken)) == 12, "a lead shown to two agents"
    assert sorted(taken) == ids


def test_a_campaign_in_pilot_shows_only_the_leads_of_its_sample(engine: Engine) -> None:
    ids = add_leads(engine, *(f"+1312555{n:04d}" for n in range(10)))
    ready(engine, CampaignStatus.PILOT)
    half = CampaignPlan(
        {"spring": CAMPAIGN.model_copy(update={"pilot": Pilot(percent=50)})}, {}, PLAN.members
    )
    in_sample = {lead_id for lead_id in ids if (get_lead(engine, lead_id).pilot_bucket or 0) < 5000}
    assert 0 < len(in_sample) < len(ids), "the sample leaves some out"
    shown = set()
    while (view := next_preview(engine, ALICE, "spring", "1001", half, server="s1", now=NOW)) is not None:
        shown.add(view.lead.id)
        preview = previews.get_preview(engine, "1001")
        assert preview is not None
        called = Attempt("spring", view.lead.phone, 1, NOW, AttemptOutcome.HUMAN, lead_id=view.lead.id)
        previews.finish_preview(engine, preview, called, None, NOW)
        AgentService(SqlAgentStore(engine, "s1"), None, lambda: NOW).reservation_cancelled(
            "1001", preview.token
        )
    assert shown == in_sample
