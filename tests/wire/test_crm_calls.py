"""The CRM on live calls, end to end over real TCP (tests/support/acd_rig.py's rig, SQLite and PostgreSQL):
caller screening before the menu (blacklist, VIP green channel), self-service read-backs with `say`,
the post-call survey, and the screen pop over real HTTP (GET and the agent's event stream).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
from collections.abc import Callable, Sequence
from typing import Any

import gevent
import pytest
from gevent.event import AsyncResult
from sqlalchemy import select

from schema.calls.models import IvrStep
from schema.crm.models import SurveyResponse
from schema.crm.queries import create_customer, open_ticket
from schema.crm.users import create_user, issue_token
from schema.crm.views import CustomerView
from schema.db import create_engine_from_url, session_scope
from schema.viewer import SYSTEM
from tests.support.acd_rig import Rig, RigFactory, endpoint, events_of, make_rig
from tests.support.standin import Said, ScriptedCall
from tests.support.waiting import wait_until

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

JANE = "+15550001000"  # gold (a VIP tier), owned by agent 1002
BOB = "+15550002000"  # silver, owned by agent 1001
STRANGER = "+15550003000"  # no customer
BLACKLISTED = "+15550009999"
PREMIUM_RATE = "+19005550100"  # blacklisted by the prefix +1900
APPOINTMENT = "2024-03-01"
OPTIONS = "Sales 1. Appointments 2. Anyone 3."


def crm_dialplan(*, blacklist_prompt: bool) -> str:
    prompt = "\n    prompt: barred" if blacklist_prompt else ""
    return f"""
version: 1
crm:
  default_region: US
  blacklist:
    numbers: ["{BLACKLISTED}"]
    prefixes: ["+1900"]{prompt}
    cause: CALL_REJECTED
  vip:
    tiers: [gold]
    queue: vip
prompts:
  options: {{text: "{OPTIONS}"}}
  barred: {{text: "This number may not call us."}}
  ask_account: {{text: "Please key in your account number, then hash."}}
  appointment_is: {{text: "Your next appointment is on"}}
  balance_is: {{text: "Your balance is"}}
  unknown_account: {{text: "We could not find that account."}}
  rate: {{text: "Rate your call from 1 to 5."}}
  thanks: {{text: "Thank you for your answer."}}
queues:
  sales:
    extension: "2001"
    tiers: [{{agent: "1001"}}]
    wrap_up: 0
    survey: after_call
  vip:
    extension: "2004"
    strategy: longest-idle
    tiers: [{{agent: "1001"}}, {{agent: "1002"}}]
    wrap_up: 0
  everyone:
    extension: "2008"
    strategy: ring-all
    tiers: [{{agent: "1001"}}, {{agent: "1003"}}]
    wrap_up: 0
agents:
  "1001": {{name: Alice}}
  "1002": {{name: Ben}}
  "1003": {{name: Chloe}}
self_service:
  appointment:
    ask: ask_account
    by: account
    min_digits: 4
    max_digits: 10
    answer:
      - prompt: appointment_is
      - field: appointment
        as: date
      - prompt: balance_is
      - field: balance
        as: money
      - field: claim_status
    not_found: unknown_account
    then: hangup
surveys:
  after_call:
    questions: [{{id: satisfaction, prompt: rate, max_key: 5}}]
    thanks: thanks
menus:
  main:
    prompt: options
    options:
      "1": {{transfer: {{queue: sales}}}}
      "2": {{lookup: appointment}}
      "3": {{transfer: {{queue: everyone}}}}
    fallback: {{hangup: {{}}}}
dids:
  "4001": {{menu: main}}
"""


def start(
    make_rig: RigFactory, *, ready: Sequence[str] = (), blacklist_prompt: bool = False, api: bool = False
) -> Rig:
    return make_rig(ready=ready, dialplan_text=crm_dialplan(blacklist_prompt=blacklist_prompt), api=api)


def add_customer(rig: Rig, name: str, phone: str, **details: Any) -> CustomerView:
    engine = create_engine_from_url(rig.database_url)
    try:
        return create_customer(engine, SYSTEM, name=name, phones=[phone], region="US", **details)
    finally:
        engine.dispose()


def add_customers(rig: Rig) -> tuple[CustomerView, CustomerView]:
    jane = add_customer(
        rig,
        "Jane Doe",
        JANE,
        tier="gold",
        owner_agent_id="1002",
        account_number="1234567",
        custom_fields={"appointment": APPOINTMENT, "balance": 12.5, "claim_status": "approved"},
    )
    bob = add_customer(rig, "Bob Stone", BOB, tier="silver", owner_agent_id="1001", account_number="7654321")
    return jane, bob


def with_engine(rig: Rig, work: Callable[[Any], Any]) -> Any:
    engine = create_engine_from_url(rig.database_url)
    try:
        return work(engine)
    finally:
        engine.dispose()


def survey_rows(rig: Rig) -> list[tuple[str, str, str, int, str | None, str | None]]:
    def read(engine: Any) -> list[tuple[str, str, str, int, str | None, str | None]]:
        with session_scope(engine) as session:
            rows = session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).all()
            return [(r.call_uuid, r.survey, r.question, r.score, r.agent_id, r.queue) for r in rows]

    result: list[tuple[str, str, str, int, str | None, str | None]] = with_engine(rig, read)
    return result


def step_results(rig: Rig, call_uuid: str) -> list[str]:
    def read(engine: Any) -> list[str]:
        with session_scope(engine) as session:
            steps = session.scalars(
                select(IvrStep).where(IvrStep.call_uuid == call_uuid).order_by(IvrStep.seq)
            )
            return [step.result for step in steps]

    result: list[str] = with_engine(rig, read)
    return result


def menu_prompted(call: ScriptedCall) -> bool:
    return any(OPTIONS in (arg or "") for _, arg in call.executed)


# -- screening --------------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", [BLACKLISTED, PREMIUM_RATE])
def test_a_blacklisted_caller_is_rejected_unanswered_with_the_cause(
    make_rig: RigFactory, caller: str
) -> None:
    rig = start(make_rig, ready=["1001"])
    call = rig.finish(rig.place(keys=["1"], caller_number=caller))

    assert [app for app, _ in call.executed if app not in ("set",)] == []  # no answer, no prompt, no menu
    assert call.hangup_cause == "CALL_REJECTED"
    assert call.hung_up_by == "application"
    assert not call.answered
    row = rig.call_row(call.uuid)
    assert (row.screening, row.outcome, row.customer_id) == ("blocked", "blocked", None)
    assert rig.queue_log(call.uuid) == []


def test_a_blacklisted_caller_hears_the_prompt_then_is_hung_up(make_rig: RigFactory) -> None:
    rig = start(make_rig, blacklist_prompt=True)
    call = rig.finish(rig.place(keys=["1"], caller_number=BLACKLISTED))

    apps = [(app, arg) for app, arg in call.executed if app != "set"]
    assert [app for app, _ in apps] == ["answer", "speak"]
    assert "This number may not call us." in (apps[1][1] or "")
    assert not menu_prompted(call)
    assert (call.hangup_cause, call.hung_up_by) == ("CALL_REJECTED", "application")
    assert rig.call_row(call.uuid).screening == "blocked"


def test_a_vip_skips_the_menu_and_their_own_agent_is_rung_first(make_rig: RigFactory) -> None:
    rig = start(make_rig, ready=["1001", "1002"])  # 1001 idle longest: longest-idle would ring it first
    jane, _ = add_customers(rig)
    rig.phone("1001", talk_seconds=0.1)
    rig.phone("1002", talk_seconds=0.1)
    call = rig.finish(rig.place(caller_number=JANE))

    assert not menu_prompted(call)
    assert not call.collected, "the VIP was asked for a key"
    originate = rig.events.agents.originated[0]
    assert originate.endswith(f"{endpoint('1002')} &park()")
    assert "origination_caller_id_name='Jane Doe (gold)'" in originate
    assert events_of(rig.queue_log(call.uuid)) == [
        ("ENTERQUEUE", ""),
        ("CONNECT", "1002"),
        ("COMPLETEAGENT", "1002"),
    ]
    assert rig.queue_log(call.uuid)[0].queue == "vip"
    row = rig.call_row(call.uuid)
    assert (row.screening, row.screening_detail, row.customer_id) == ("vip", "gold", jane.id)
    assert row.outcome == "answered"


# -- self-service -----------------------------------------------------------------------------------


def test_self_service_reads_the_customers_values_back(make_rig: RigFactory) -> None:
    rig = start(make_rig)
    add_customers(rig)
    call = rig.finish(rig.place(keys=["2", "1234567#"], caller_number=STRANGER))

    noon = int(dt.datetime.fromisoformat(f"{APPOINTMENT}T12:00:00+00:00").timestamp())
    assert call.said == [
        Said("en", "CURRENT_DATE", "PRONOUNCED", None, str(noon)),
        Said("en", "CURRENCY", "PRONOUNCED", None, "12.50"),
    ]
    spoken = [arg or "" for app, arg in call.executed if app == "speak"]
    assert any(text.endswith("|approved") for text in spoken), spoken  # text fields are read by TTS
    apps = [app for app, _ in call.executed if app in ("say", "speak")]
    assert apps == ["speak", "say", "speak", "say", "speak"]
    assert call.collected[1].digits == "1234567"
    assert "lookup_found" in step_results(rig, call.uuid)
    assert call.hung_up_by == "application"
    assert rig.call_row(call.uuid).screening == "unknown"


# -- survey ---------------------------------------------------------------------------------------


def test_the_survey_stores_the_score_when_the_agent_hangs_up_first(make_rig: RigFactory) -> None:
    rig = start(make_rig, ready=["1001"])
    _, bob = add_customers(rig)
    rig.phone("1001", talk_seconds=0.3)
    call = rig.finish(rig.place(keys=["1", "4"], caller_number=BOB))

    assert events_of(rig.queue_log(call.uuid))[-1] == ("COMPLETEAGENT", "1001")
    assert survey_rows(rig) == [(call.uuid, "after_call", "satisfaction", 4, "1001", "sales")]
    assert [c.digits for c in call.collected] == ["1", "4"]
    assert any("Thank you for your answer." in (arg or "") for app, arg in call.executed if app == "speak")
    assert call.hung_up_by == "application"
    row = rig.call_row(call.uuid)
    assert (row.outcome, row.customer_id, row.screening) == ("answered", bob.id, "known")


def test_no_survey_when_the_caller_hangs_up_first(make_rig: RigFactory) -> None:
    rig = start(make_rig, ready=["1001"])
    rig.phone("1001", talk_seconds=30)
    call = rig.place(keys=["1", "4"], caller_number=BOB)
    wait_until(lambda: call.bridged, what="the bridge")
    call.caller_hangup("NORMAL_CLEARING")
    rig.finish(call)

    wait_until(lambda: len(rig.queue_log(call.uuid)) == 3, what="the completion row")
    assert events_of(rig.queue_log(call.uuid))[-1] == ("COMPLETECALLER", "1001")
    assert [c.digits for c in call.collected] == ["1"]
    assert survey_rows(rig) == []
    assert call.hung_up_by == "caller"


# -- screen pop -------------------------------------------------------------------------------------


def api_get(rig: Rig, path: str, token: str) -> tuple[int, Any]:
    """GET over a real TCP connection, from a worker thread (the API answers on this process's hub)."""
    assert rig.app.api is not None
    port = rig.app.api.port

    def get() -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    result: tuple[int, Any] = gevent.get_hub().threadpool.apply(get)
    return result


def first_screen_pop(rig: Rig, token: str) -> AsyncResult:
    """Open GET /api/events in a worker thread; the result is the data of its first `screenpop` event."""
    assert rig.app.api is not None
    port = rig.app.api.port

    def listen() -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/api/events", headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            assert response.status == 200
            event = None
            while True:
                line = response.readline().decode().rstrip("\r\n")
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "screenpop":
                    return json.loads(line.removeprefix("data: "))
        finally:
            connection.close()

    result: AsyncResult = gevent.get_hub().threadpool.spawn(listen)
    return result


def agent_token(rig: Rig, agent_id: str) -> str:
    def issue(engine: Any) -> str:
        create_user(engine, f"agent{agent_id}", "agent", agent_id=agent_id)
        return issue_token(engine, f"agent{agent_id}")

    token: str = with_engine(rig, issue)
    return token


def test_a_known_callers_screen_pop_is_pushed_at_offer_and_served_over_http(make_rig: RigFactory) -> None:
    rig = start(make_rig, ready=["1001"], api=True)
    _, bob = add_customers(rig)
    with_engine(rig, lambda engine: open_ticket(engine, SYSTEM, bob.id, "Wrong part delivered"))
    token = agent_token(rig, "1001")
    pushed = first_screen_pop(rig, token)
    assert rig.app.push is not None
    push = rig.app.push
    wait_until(lambda: push.sessions("1001") == 1, what="the agent's event stream")
    rig.phone("1001", talk_seconds=0.2)
    call = rig.place(keys=["1", ""], caller_number=BOB)

    pop = pushed.get(timeout=10)
    wait_until(lambda: call.bridged or call.done, what="the call answered")
    assert pop["call_uuid"] == call.uuid
    assert (pop["known"], pop["display_name"]) == (True, "Bob Stone (silver)")
    assert pop["customer"]["id"] == bob.id
    assert [ticket["subject"] for ticket in pop["open_tickets"]] == ["Wrong part delivered"]
    rig.finish(call)

    status, served = api_get(rig, f"/api/screenpop/{call.uuid}", token)
    assert status == 200
    assert served["customer"]["name"] == "Bob Stone"
    assert served["customer"]["account_number"] == "7654321"
    assert [ticket["subject"] for ticket in served["open_tickets"]] == ["Wrong part delivered"]
    assert call.uuid in [summary["uuid"] for summary in served["recent_calls"]]
    assert rig.call_row(call.uuid).customer_id == bob.id


def test_an_unknown_callers_screen_pop_says_so(make_rig: RigFactory) -> None:
    rig = start(make_rig, ready=["1001"], api=True)
    add_customers(rig)
    token = agent_token(rig, "1001")
    pushed = first_screen_pop(rig, token)
    assert rig.app.push is not None
    push = rig.app.push
    wait_until(lambda: push.sessions("1001") == 1, what="the agent's event stream")
    rig.phone("1001", talk_seconds=0.1)
    call = rig.place(keys=["1", ""], caller_number=STRANGER)

    pop = pushed.get(timeout=10)
    assert (pop["call_uuid"], pop["known"], pop["customer"]) == (call.uuid, False, None)
    assert pop["display_name"] == STRANGER
    assert pop["open_tickets"] == pop["recent_calls"] == []
    rig.finish(call)
    status, served = api_get(rig, f"/api/screenpop/{call.uuid}", token)
    assert status == 200
    assert (served["known"], served["customer"], served["caller_number"]) == (False, None, STRANGER)
    assert rig.call_row(call.uuid).customer_id is None
    assert rig.call_row(call.uuid).screening == "unknown"


def test_a_ring_all_offer_pops_the_screen_of_every_agent_rung(make_rig: RigFactory) -> None:
    rig = start(make_rig, ready=["1001", "1003"], api=True)
    _, bob = add_customers(rig)
    tokens = {agent_id: agent_token(rig, agent_id) for agent_id in ("1001", "1003")}
    pushed = {agent_id: first_screen_pop(rig, token) for agent_id, token in tokens.items()}
    assert rig.app.push is not None
    push = rig.app.push
    wait_until(lambda: push.sessions("1001") == push.sessions("1003") == 1, what="both event streams")
    rig.phone("1001", ring_seconds=2.0)
    rig.phone("1003", ring_seconds=0.1, talk_seconds=0.1)
    call = rig.finish(rig.place(keys=["3"], caller_number=BOB))

    assert ("CONNECT", "1003") in events_of(rig.queue_log(call.uuid))
    for agent_id, result in pushed.items():
        pop = result.get(timeout=10)
        assert (pop["call_uuid"], pop["customer"]["id"]) == (call.uuid, bob.id), agent_id
