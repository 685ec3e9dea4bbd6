"""The call server's CRM adapters (esl_handlers): the caller directory over SQL, the sink into the queued
writer, the screen pop publisher, and the offer observer hook; on SQLite and PostgreSQL where they read."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import pytest
from sqlalchemy import Engine

from esl_handlers.acd_agents import AgentDesk
from esl_handlers.acd_offer import OfferAttempt, WaitingCaller
from esl_handlers.crm_sink import WriterCrmSink
from esl_handlers.db_writer import Record
from esl_handlers.screen_pop import SCREENPOP_EVENT, ScreenPopPublisher
from ivr_scripts.acd import AgentTarget, DispatchBoard, QueueSettings, QueueTicket
from ivr_scripts.agent_service import AgentService
from ivr_scripts.agent_states import Transition
from ivr_scripts.crm import CallerProfile, CrmUnavailable, CustomerRecord, ScreeningDecision, SurveyAnswer
from schema.adapters.crm_directory import SqlCallerDirectory, customer_record
from schema.calls.records import CallUpdate, SurveyAnswerRecord
from schema.crm.queries import create_customer
from schema.crm.screening_rules import add_rule
from schema.crm.views import CustomerSummary
from schema.db import create_engine_from_url
from schema.viewer import SYSTEM

CALL = "7d6c0a4e-0000-4000-8000-000000000001"
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def jane(engine: Engine) -> int:
    view = create_customer(
        engine,
        SYSTEM,
        name="Jane Doe",
        phones=["+12025550143"],
        region="US",
        account_number="AC-1001",
        tier="gold",
        owner_agent_id="1001",
        department="sales",
        custom_fields={"plate": "AB12 CDE", "appointment": "2024-03-01", "balance": 12.5, "paid": True},
    )
    return view.id


@pytest.fixture
def broken_engine(tmp_path: Path) -> Any:
    engine = create_engine_from_url(f"sqlite:///{tmp_path}/missing/dir/crm.db")  # cannot be opened
    yield engine
    engine.dispose()


# -- SqlCallerDirectory ---------------------------------------------------------------------------


def test_a_known_caller_comes_back_with_every_field_as_text(engine: Engine) -> None:
    customer_id = jane(engine)
    profile = SqlCallerDirectory(engine, "US").profile("(202) 555-0143")

    assert profile.e164 == "+12025550143"
    assert (profile.blocked, profile.vip_listed) == (False, False)
    customer = profile.customer
    assert customer is not None
    assert (customer.customer_id, customer.name, customer.tier) == (customer_id, "Jane Doe", "gold")
    assert (customer.owner_agent_id, customer.department) == ("1001", "sales")
    assert dict(customer.fields) == {
        "name": "Jane Doe",
        "account_number": "AC-1001",
        "tier": "gold",
        "plate": "AB12 CDE",
        "appointment": "2024-03-01",
        "balance": "12.5",
        "paid": "yes",
    }


def test_an_unknown_or_withheld_caller_has_no_customer(engine: Engine) -> None:
    jane(engine)
    directory = SqlCallerDirectory(engine, "US")
    assert directory.profile("+12025550100") == CallerProfile(e164="+12025550100")
    assert directory.profile("anonymous") == CallerProfile(e164=None)


def test_a_blacklisted_caller_is_blocked_with_the_rules_reason(engine: Engine) -> None:
    jane(engine)
    add_rule(engine, SYSTEM, "block", "+12025550143", reason="abusive")
    add_rule(engine, SYSTEM, "block", "+1900", is_prefix=True)
    add_rule(engine, SYSTEM, "vip", "+12025550199")
    directory = SqlCallerDirectory(engine, "US")

    blocked = directory.profile("+12025550143")
    assert (blocked.blocked, blocked.block_reason) == (True, "abusive")
    assert blocked.customer is not None  # still linked to the call
    by_prefix = directory.profile("+19005550100")
    assert (by_prefix.blocked, by_prefix.block_reason) == (True, "blacklisted +1900")
    assert directory.profile("+12025550199").vip_listed


def test_find_reads_account_and_keypad_keys_and_refuses_other_fields(engine: Engine) -> None:
    customer_id = jane(engine)
    directory = SqlCallerDirectory(engine, "US", keypad_fields=["plate"])

    assert [c.customer_id for c in directory.find("plate", "2212233")] == [customer_id]
    assert directory.find("plate", "9999999") == []
    assert directory.find("tier", "4653") == []  # not a key: nothing can match
    assert directory.customer(customer_id) == directory.find("plate", "2212233")[0]
    assert directory.customer(customer_id + 1000) is None


def test_a_database_that_cannot_answer_is_crm_unavailable(broken_engine: Engine) -> None:
    directory = SqlCallerDirectory(broken_engine, "US")
    with pytest.raises(CrmUnavailable):
        directory.profile("+12025550143")
    with pytest.raises(CrmUnavailable):
        directory.find("account", "1001")
    with pytest.raises(CrmUnavailable):
        directory.customer(1)


def test_a_summary_without_custom_fields_still_reads_name_account_and_tier() -> None:
    record = customer_record(CustomerSummary(id=7, name="Bob", account_number=None, tier="silver"))
    assert record == CustomerRecord(7, "Bob", tier="silver", fields={"name": "Bob", "tier": "silver"})


# -- WriterCrmSink --------------------------------------------------------------------------------


class Collected:
    def __init__(self) -> None:
        self.records: list[Record] = []

    def submit(self, record: Record) -> None:
        self.records.append(record)


def test_screening_becomes_a_call_update_with_the_customer_and_the_decision() -> None:
    queue = Collected()
    customer = CustomerRecord(42, "Jane Doe", tier="gold")
    decision = ScreeningDecision("vip", CallerProfile("+12025550143", customer), detail="gold", queue="vip")

    WriterCrmSink(queue).record_screening(CALL, decision)
    WriterCrmSink(queue).record_screening(CALL, ScreeningDecision("blocked", CallerProfile(None), "x" * 500))

    assert queue.records[0] == CallUpdate(uuid=CALL, customer_id=42, screening="vip", screening_detail="gold")
    assert queue.records[1] == CallUpdate(uuid=CALL, screening="blocked", screening_detail="x" * 200)


def test_a_survey_answer_becomes_its_record_and_a_bad_one_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue = Collected()
    sink = WriterCrmSink(queue)
    sink.record_survey_answer(SurveyAnswer(CALL, "after_call", "satisfaction", 4, "1001", "sales", NOW))
    with caplog.at_level(logging.ERROR):
        sink.record_survey_answer(SurveyAnswer(CALL, "after_call", "satisfaction", 0, "1001", "sales", NOW))

    assert queue.records == [SurveyAnswerRecord(CALL, "after_call", "satisfaction", 4, "1001", "sales", NOW)]
    assert "CRM record refused" in caplog.text


# -- ScreenPopPublisher ---------------------------------------------------------------------------


class Push:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, str]] = []

    def publish(self, agent_id: str, event: str, data: str) -> int:
        self.published.append((agent_id, event, data))
        return 1


def test_the_pop_is_built_in_the_background_and_published_to_the_agent(engine: Engine) -> None:
    customer_id = jane(engine)
    push = Push()
    publisher = ScreenPopPublisher(engine, push, "US")

    publisher.offered("1001", CALL, "2025550143")
    assert push.published == []  # offered() returned before any database work
    publisher.stop()

    [(agent_id, event, data)] = push.published
    assert (agent_id, event) == ("1001", SCREENPOP_EVENT)
    pop = json.loads(data)
    assert (pop["call_uuid"], pop["known"], pop["customer"]["id"]) == (CALL, True, customer_id)
    assert pop["display_name"] == "Jane Doe (gold)"
    assert (publisher.published, publisher.failed) == (1, 0)


def test_a_pop_that_cannot_be_built_is_logged_and_never_raised(
    broken_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    push = Push()
    publisher = ScreenPopPublisher(broken_engine, push, "US")
    with caplog.at_level(logging.ERROR):
        publisher.offered("1001", CALL, "+12025550143")
        publisher.stop()
    assert push.published == []
    assert publisher.failed == 1
    assert "no screen pop for agent 1001" in caplog.text


# -- OfferAttempt.ring and its observer ---------------------------------------------------------


class Desk(AgentDesk):
    """Counts the facts an offer applies; none of the real desk's state is built (OfferAttempt only
    calls apply)."""

    def __init__(self) -> None:  # no super().__init__(): no dialplan, engine or board behind it
        self.facts = 0

    def apply(self, fact: Callable[[AgentService], Transition], *, max_no_answer: int = 3) -> None:
        self.facts += 1


class Observer:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.seen: list[tuple[str, str, str]] = []

    def offered(self, agent_id: str, call_uuid: str, caller_number: str) -> None:
        self.seen.append((agent_id, call_uuid, caller_number))
        if self.fail:
            raise RuntimeError("push broke")


@pytest.mark.parametrize("fail", [False, True])
def test_every_ring_tells_the_observer_and_its_failure_never_stops_the_offer(fail: bool) -> None:
    ticket = QueueTicket(CALL, "sales", "+12025550143", "Jane Doe (gold)", NOW)
    desk, observer = Desk(), Observer(fail)
    attempt = OfferAttempt(
        desk,
        DispatchBoard(),
        WaitingCaller(ticket, QueueSettings()),
        lambda agent_id: AgentTarget(agent_id, f"user/{agent_id}@x"),
        offers=observer,
    )
    attempt.ring("1001", CALL)
    attempt.ring("1003", CALL)  # ring-all: every member of the group is rung
    gevent.sleep(0)
    assert desk.facts == 2
    assert observer.seen == [("1001", CALL, "+12025550143"), ("1003", CALL, "+12025550143")]
