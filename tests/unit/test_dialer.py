"""The dialer on SQLite and PostgreSQL with a switch that answers as told: claim, dial, log, reschedule."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

import gevent
import pytest
from sqlalchemy import Engine

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import AttemptOutcome, CampaignStatus, DialMode, Jurisdiction
from esl_handlers.campaign_calls import CampaignCalls
from esl_handlers.codec import Event
from esl_handlers.dialer import CampaignAudio, Dialer
from esl_handlers.seat_legs import SEAT_AGENT_VARIABLE
from ivr_scripts.campaigns.campaign_call import CampaignCall
from ivr_scripts.campaigns.dialing import DialingRules, LeadToDial, calls_wanted
from ivr_scripts.campaigns.pilot import in_pilot
from ivr_scripts.switch import Originated
from schema.adapters.dialer_store import DialerStore
from schema.campaigns.attempts import Attempt, attempts, record_attempt
from schema.campaigns.dnc import add_dnc
from schema.campaigns.leads import get_lead
from schema.campaigns.status import transition
from tests.fakes.campaign_switch import FakeSwitch
from tests.support.campaign_leads import CHICAGO, NOW, add_leads

CAMPAIGN = Campaign.model_validate(
    {"type": "survey", "agents": ["1001"], "lists": ["march"], "caller_id": "+13125550000"}
)
RULES = DialingRules.from_campaign("spring", CAMPAIGN)


class Rig:
    def __init__(self, engine: Engine, rules: DialingRules = RULES, *, remember: bool = False) -> None:
        self.switch = FakeSwitch()
        self.now = NOW
        self.calls = CampaignCalls(self.switch, self.finished, clock=lambda: self.now)
        self.store = DialerStore(engine, pilot_percents={"spring": CAMPAIGN.pilot.percent})
        self.budget_reads = 0
        self.dialer = Dialer(
            self.store,
            self.calls,
            {"spring": rules},
            endpoint=lambda phone: f"sofia/gateway/pstn/{phone}",
            audio={"spring": CampaignAudio(dropped="/srv/sounds/spring-id.wav")},
            clock=lambda: self.now,
            abandon_counts=self.abandon_counts,
            recent_calls=self.store.recent_calls if remember else lambda _: (),
        )

    def abandon_counts(self, campaign: str, since: dt.datetime) -> dict[AttemptOutcome, int]:
        self.budget_reads += 1
        return self.store.abandon_counts(campaign, since)

    def finished(self, call: CampaignCall) -> None:  # CampaignCalls is made before the dialer it reports to
        self.dialer.on_finished(call)

    def seat(self, agent: str = "1001") -> None:
        leg = self.calls.open_seat(agent, f"user/{agent}@callcenter.local")
        gevent.sleep(0)
        self.switch.originates[leg].set(Originated("answered", leg, "SUCCESS"))
        headers = {"Event-Name": "CHANNEL_PARK", "Unique-ID": leg, f"variable_{SEAT_AGENT_VARIABLE}": agent}
        self.calls.on_switch_event(Event(MappingProxyType(headers), None))


@pytest.fixture
def pilot_rig(engine: Engine) -> Rig:
    transition(engine, "spring", CampaignStatus.PILOT, by="test", now=NOW)
    return Rig(engine)


@pytest.fixture
def rig(engine: Engine) -> Rig:
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    return Rig(engine)


def test_a_busy_number_is_logged_and_dialled_again_after_the_busy_delay(engine: Engine, rig: Rig) -> None:
    (lead_id,) = add_leads(engine, "+13125550001")
    rig.seat()
    assert rig.dialer.tick() == 1
    assert rig.dialer.tick() == 0, "progressive: one call per waiting seat"
    gevent.sleep(0)
    (leg,) = [uuid for uuid in rig.switch.originates if rig.calls.seats.by_leg(uuid) is None]
    rig.switch.originates[leg].set(Originated("busy", None, "USER_BUSY"))
    gevent.sleep(0)

    (logged,) = attempts(engine, "spring", NOW - dt.timedelta(hours=1))
    assert (logged.outcome, logged.attempt_no, logged.lead_id, logged.hangup_cause) == (
        AttemptOutcome.BUSY,
        1,
        lead_id,
        "USER_BUSY",
    )
    lead = get_lead(engine, lead_id)
    assert (lead.status, lead.attempts, lead.next_attempt_at) == (
        "pending",
        1,
        NOW + dt.timedelta(minutes=15),
    )


def test_a_number_on_the_do_not_call_list_is_never_dialled(engine: Engine, rig: Rig) -> None:
    (lead_id,) = add_leads(engine, "+13125550002")
    add_dnc(engine, "+13125550002", source="internal", now=NOW)
    rig.seat()
    assert rig.dialer.tick() == 0
    assert [call for call in rig.switch.done if call[0] == "originate" and "pstn" in call[1]] == []
    (logged,) = attempts(engine, "spring", NOW - dt.timedelta(hours=1))
    assert (logged.outcome, logged.attempt_no) == (AttemptOutcome.BLOCKED, 0)
    assert get_lead(engine, lead_id).status == "blocked"


def test_nothing_is_dialled_while_the_campaign_is_paused_or_without_a_seat(engine: Engine, rig: Rig) -> None:
    add_leads(engine, "+13125550003")
    assert rig.dialer.tick() == 0, "no seat waiting"
    transition(engine, "spring", CampaignStatus.PAUSED, by="test", now=NOW)
    rig.seat()
    assert rig.dialer.tick() == 0, "paused"


def test_preview_dials_nothing_by_itself_and_progressive_one_per_waiting_seat() -> None:
    preview = DialingRules.from_campaign("p", CAMPAIGN.model_copy(update={"dial_mode": DialMode.PREVIEW}))
    assert [calls_wanted(preview, seats, 0) for seats in (0, 3)] == [0, 0]
    assert [calls_wanted(RULES, seats, busy) for seats, busy in ((3, 0), (3, 2), (1, 3))] == [3, 1, 0]
    assert (RULES.caller_number, RULES.caller_name, RULES.ring_seconds) == ("+13125550000", "spring", 25)
    assert RULES.open_keys([CHICAGO, "Asia/Tokyo"], NOW) == {CHICAGO}, "00:00 in Tokyo"


PHONES = [f"+1312555{n:04d}" for n in range(100, 160)]
SAMPLE = {phone for phone in PHONES if in_pilot("spring", phone, CAMPAIGN.pilot.percent)}


def _claim_all(engine: Engine) -> set[str]:
    store = DialerStore(engine, pilot_percents={"spring": CAMPAIGN.pilot.percent})
    return {lead.phone for lead in store.claim("spring", {CHICAGO}, NOW, 1000, NOW + dt.timedelta(hours=1))}


def test_a_pilot_claims_only_its_sample_and_running_claims_the_rest(engine: Engine, pilot_rig: Rig) -> None:
    add_leads(engine, *PHONES)
    assert 0 < len(SAMPLE) < len(PHONES) // 2
    assert _claim_all(engine) == SAMPLE
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    assert _claim_all(engine) == set(PHONES) - SAMPLE, "running: every lead (the sample's are leased)"


def test_a_pilot_never_dials_a_lead_outside_its_sample(engine: Engine, pilot_rig: Rig) -> None:
    outside = next(phone for phone in PHONES if phone not in SAMPLE)
    (lead_id,) = add_leads(engine, outside)
    pilot_rig.seat()
    assert pilot_rig.dialer.tick() == 0
    assert get_lead(engine, lead_id).next_attempt_at == NOW, "not leased"
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    assert pilot_rig.dialer.tick() == 1
    pilot_rig.switch.settle_all(Originated("busy", None, "USER_BUSY"))


PREDICTIVE = DialingRules.from_campaign(
    "spring", CAMPAIGN.model_copy(update={"dial_mode": DialMode.PREDICTIVE})
)


def teach(dialer: Dialer) -> None:
    """200 finished dials, one in eight answered by a person after 8 s and talked to for 60-119 s; the
    others rang out after 25 s."""
    for n in range(200):
        started = NOW - dt.timedelta(minutes=30)
        call = CampaignCall("spring", 0, "+13125559999", f"taught-{n}", started)
        if n % 8 == 0:
            call.decided_at = call.connected_at = started + dt.timedelta(seconds=8)
            call.ended_at = call.connected_at + dt.timedelta(seconds=60 + n % 60)
            call.outcome = AttemptOutcome.HUMAN
        else:
            call.ended_at, call.outcome = started + dt.timedelta(seconds=25), AttemptOutcome.NO_ANSWER
        dialer.on_finished(call)


def log_attempts(engine: Engine, outcome: AttemptOutcome, count: int) -> None:
    for n in range(count):
        at = NOW - dt.timedelta(hours=1)
        record_attempt(engine, Attempt("spring", f"+1312555{n:04d}", 1, at, outcome, ended_at=at))


@pytest.fixture
def predictive(engine: Engine) -> Rig:
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    rig = Rig(engine, PREDICTIVE)
    add_leads(engine, *PHONES[:20])
    teach(rig.dialer)
    rig.seat("1001")
    rig.seat("1002")
    return rig


def test_predictive_dials_ahead_of_the_waiting_seats_when_few_answer(engine: Engine, predictive: Rig) -> None:
    log_attempts(engine, AttemptOutcome.HUMAN, 40)
    placed = predictive.dialer.tick()
    assert 2 < placed <= 12, "more than one call per waiting seat; at most 6 lines per agent"
    predictive.now = NOW + dt.timedelta(seconds=1)
    predictive.dialer.tick()
    assert predictive.budget_reads == 1, "the budget is read every few seconds, not every tick"
    predictive.now = NOW + dt.timedelta(seconds=5)
    predictive.dialer.tick()
    assert predictive.budget_reads == 2
    predictive.switch.settle_all(Originated("busy", None, "USER_BUSY"))


def test_predictive_dials_as_progressive_once_the_abandon_budget_is_spent(
    engine: Engine, predictive: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    log_attempts(engine, AttemptOutcome.HUMAN, 40)
    log_attempts(engine, AttemptOutcome.DROPPED, 2)  # 2 of 42 live answers: over 3%
    assert predictive.dialer.tick() == 2, "one call per waiting seat"
    assert predictive.dialer.tick() == 0
    spent = [r.getMessage() for r in caplog.records if "abandon budget spent" in r.getMessage()]
    assert spent == ["campaign spring: abandon budget spent; dialling progressively until it recovers"]
    predictive.switch.settle_all(Originated("busy", None, "USER_BUSY"))


def test_a_uk_campaign_counts_its_estimated_amd_false_positives_as_abandons(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    uk = CAMPAIGN.model_copy(update={"dial_mode": DialMode.PREDICTIVE, "jurisdiction": Jurisdiction.UK})
    rules = DialingRules.from_campaign("spring", uk)
    assert rules.amd_false_positive_rate == 0.03, "the YAML's default estimate"
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    rig = Rig(engine, rules)
    add_leads(engine, *PHONES[:20])
    teach(rig.dialer)
    rig.seat("1001")
    rig.seat("1002")
    log_attempts(engine, AttemptOutcome.HUMAN, 40)
    log_attempts(engine, AttemptOutcome.MACHINE, 50)  # 1.5 people hung up on of 41.5 live answers: > 3%
    assert rig.dialer.tick() == 2, "one call per waiting seat: the false positives spent the budget"
    spent = [r.getMessage() for r in caplog.records if "abandon budget spent" in r.getMessage()]
    assert spent == ["campaign spring: abandon budget spent; dialling progressively until it recovers"]
    rig.switch.settle_all(Originated("busy", None, "USER_BUSY"))


@pytest.mark.parametrize(("jurisdiction", "redial_after"), [(Jurisdiction.UK, 72), (Jurisdiction.US, 1)])
def test_a_dropped_call_is_not_redialled_for_72_hours_in_the_uk(
    engine: Engine, jurisdiction: Jurisdiction, redial_after: int
) -> None:
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    campaign = CAMPAIGN.model_copy(update={"jurisdiction": jurisdiction})
    rig = Rig(engine, DialingRules.from_campaign("spring", campaign))
    (lead_id,) = add_leads(engine, "+13125550004")
    rig.seat()
    assert rig.dialer.tick() == 1
    gevent.sleep(0)
    (leg,) = [uuid for uuid in rig.switch.originates if rig.calls.seats.by_leg(uuid) is None]
    call = CampaignCall("spring", lead_id, "+13125550004", leg, NOW)
    call.decided_at, call.dropped_at = NOW + dt.timedelta(seconds=9), NOW + dt.timedelta(seconds=11)
    call.ended_at, call.outcome = NOW + dt.timedelta(seconds=20), AttemptOutcome.DROPPED
    rig.dialer.on_finished(call)
    lead = get_lead(engine, lead_id)
    assert (lead.status, lead.next_attempt_at) == (
        "pending",
        NOW + dt.timedelta(hours=redial_after, seconds=20),
    )
    rig.switch.settle_all(Originated("busy", None, "USER_BUSY"))


def log_taught_calls(engine: Engine, count: int) -> None:
    """What `teach` teaches, as the attempt log keeps it: one in eight a person, decided after 8 s and
    connected 200 ms later, talked to for 60-119 s; the others rang out after 25 s."""
    for n in range(count):
        started = NOW - dt.timedelta(minutes=30, seconds=count - n)
        if n % 8 == 0:
            decided = started + dt.timedelta(seconds=8)
            ended = decided + dt.timedelta(seconds=60.2 + n % 60)
            attempt = Attempt("spring", "+13125559999", 1, started, AttemptOutcome.HUMAN, ended_at=ended,
                              decided_at=decided, wait_for_agent_ms=200)  # fmt: skip
        else:
            ended = started + dt.timedelta(seconds=25)
            attempt = Attempt("spring", "+13125559999", 1, started, AttemptOutcome.NO_ANSWER, ended_at=ended)
        record_attempt(engine, attempt)


def test_the_store_reads_a_campaigns_latest_finished_calls_newest_first(engine: Engine) -> None:
    log_taught_calls(engine, 24)
    blocked = Attempt("spring", "+13125550001", 0, NOW, AttemptOutcome.BLOCKED, ended_at=NOW)
    unended = Attempt("spring", "+13125550002", 1, NOW, AttemptOutcome.NO_ANSWER)
    other = Attempt("autumn", "+13125550003", 1, NOW, AttemptOutcome.HUMAN, ended_at=NOW)
    for attempt in (blocked, unended, other):
        record_attempt(engine, attempt)
    store = DialerStore(engine, pilot_percents={})
    latest = store.recent_calls("spring", limit=20)
    assert len(latest) == 20
    assert [call.started_at for call in latest] == sorted((call.started_at for call in latest), reverse=True)
    assert latest[0].started_at == NOW - dt.timedelta(minutes=30, seconds=1), (
        "the blocked and unended left out"
    )
    human = next(call for call in latest if call.outcome is AttemptOutcome.HUMAN)
    assert human.decided_at == human.started_at + dt.timedelta(seconds=8)
    assert human.connected_at == human.decided_at + dt.timedelta(milliseconds=200)


def test_a_restarted_dialer_paces_from_the_attempt_log_instead_of_warming_up_again(engine: Engine) -> None:
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    add_leads(engine, *PHONES[:20])
    log_taught_calls(engine, 800)  # 100 people: the budget affords 3 whole abandons, so 3 calls ahead
    forgetful, restarted = Rig(engine, PREDICTIVE), Rig(engine, PREDICTIVE, remember=True)
    for rig in (forgetful, restarted):
        rig.seat("1001")
        rig.seat("1002")
    assert forgetful.dialer.tick() == 2, "from nothing: warming up, one call per waiting seat"
    assert 2 < restarted.dialer.tick() <= 5, "from the log: dials ahead at once, within the budget"
    for rig in (forgetful, restarted):
        rig.switch.settle_all(Originated("busy", None, "USER_BUSY"))


def test_the_attempt_log_keeps_when_the_call_was_decided(engine: Engine) -> None:
    (lead_id,) = add_leads(engine, "+13125550005")
    call = CampaignCall("spring", lead_id, "+13125550005", "u-5", NOW)
    call.decided_at, call.ended_at, call.outcome = (
        NOW + dt.timedelta(seconds=9),
        NOW + dt.timedelta(seconds=13),
        AttemptOutcome.MACHINE,
    )
    lead = LeadToDial(lead_id, 1, "+13125550005", CHICAGO, 0)
    DialerStore(engine, pilot_percents={}).finished(call, lead, None)
    (logged,) = attempts(engine, "spring", NOW)
    assert (logged.decided_at, logged.ended_at) == (call.decided_at, call.ended_at)


@pytest.mark.parametrize(
    ("jurisdiction", "dropped_hours_ago", "dialled"),
    [(Jurisdiction.UK, 10, 0), (Jurisdiction.UK, 73, 1), (Jurisdiction.US, 10, 1)],
)
def test_in_the_uk_a_number_another_campaign_abandoned_is_held_for_72_hours(
    engine: Engine, jurisdiction: Jurisdiction, dropped_hours_ago: int, dialled: int
) -> None:
    dropped_at = NOW - dt.timedelta(hours=dropped_hours_ago)
    record_attempt(
        engine, Attempt("autumn", "+13125550006", 1, dropped_at, AttemptOutcome.DROPPED, ended_at=dropped_at)
    )
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    rig = Rig(
        engine,
        DialingRules.from_campaign("spring", CAMPAIGN.model_copy(update={"jurisdiction": jurisdiction})),
    )
    (lead_id,) = add_leads(engine, "+13125550006")
    rig.seat()
    assert rig.dialer.tick() == dialled
    lead = get_lead(engine, lead_id)
    held_until = dropped_at + dt.timedelta(hours=72)
    leased_until = NOW + dt.timedelta(hours=24)
    assert (lead.status, lead.attempts) == ("pending", 0), "a held lead is no attempt: nothing was dialled"
    assert lead.next_attempt_at == (leased_until if dialled else held_until)
    rig.switch.settle_all(Originated("busy", None, "USER_BUSY"))
