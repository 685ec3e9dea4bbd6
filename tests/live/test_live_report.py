"""The report's figures from calls on the real switch (issue 13): a caller answered by an agent who
rates the call, and a caller who gives up in the queue, walked by SIPp through the rendered conf and
the real `callcenter serve`; then the KPI views give back what the calls did (offered, answered,
abandoned, the service level, ASA, talk time, the CSAT score, the IVR presses, the agent's figures),
and so does `callcenter report`'s page, opened in headless Chromium (tests/support/browser.py).

What is known from the calls themselves, not from the database: who answered (the agent's SIPp phone),
how long they talked (the phone hangs up after TALK_MS), that the second caller hung up while queued
(its BYE, ABANDON_AFTER_MS after its keys began) and the keys each pressed, the survey's included.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from schema.acd.models import QueueLogEntry
from schema.db import create_engine_from_url
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.dtmf_pcap import DtmfTiming, write_dtmf_pcap
from sipp_scenarios.runner import path_call
from sipp_scenarios.sipp_run import ScenarioResult, SippCall, run_sipp
from tests.support.browser import artifacts_dir, chromium_binary, look_at
from tests.support.live import harness
from tests.support.live.acd import (
    agent_phone,
    agents_ready,
    call_uuid_of,
    path_to,
    queue_log,
    steady_calls,
    wait_for_event,
)
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live

AGENT = "1001"  # level 1 in the repair queue, whose survey is after_call
RATED = "+447700900301"
GAVE_UP = "+447700900302"
TALK_MS = 3000
SURVEY_KEYS = ("4", "1")  # satisfaction 4 of 5, resolved: yes
SURVEY_KEYS_AFTER_MS = 22_000  # after the menu keys start: the agent has answered and hung up by then
SURVEY_TIMING = DtmfTiming(gap_ms=6000)  # question 2's prompt and timeout leave room for a key 6 s later
ABANDON_AFTER_MS = 16_000  # after the menu keys start: some 10 s in the queue, no agent logged in
CALL_TIMEOUT_S = 90


def repair_without_wrap_up(data: dict[str, Any]) -> None:
    steady_calls(data)
    data["queues"]["repair"]["wrap_up"] = 0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(
        tmp_path_factory.mktemp("live_report"), build, repair_without_wrap_up
    ) as running:
        yield running


@pytest.fixture(scope="module")
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with harness.app_server(live) as process:
        harness.callcenter(live, "agent", "sync")
        yield process


@pytest.fixture(scope="module")
def engine(live: Live) -> Iterator[Engine]:
    engine = create_engine_from_url(harness.database_url(live))
    yield engine
    engine.dispose()


def run_caller(live: Live, call: SippCall, work: str) -> ScenarioResult:
    return run_sipp(
        live.sipp,
        call,
        endpoints=live.endpoints,
        work_dir=live.work / work,
        timing=DtmfTiming(),
        timeout_s=CALL_TIMEOUT_S,
    )


def rated_call(live: Live) -> ScenarioResult:
    """To the repair queue; the agent answers and hangs up after TALK_MS; the caller, still on the line,
    answers the survey."""
    work = live.work / "rated"
    work.mkdir()
    write_dtmf_pcap(work / "late.pcap", SURVEY_KEYS, SURVEY_TIMING, stream_ms=SURVEY_KEYS_AFTER_MS)
    call = path_call(0, path_to(live, "repair"), caller=RATED)
    late = replace(call, scenario="caller_late_keys.xml", args=("-d", str(SURVEY_KEYS_AFTER_MS)))
    with (
        agents_ready(live, AGENT),
        agent_phone(live, AGENT, AgentOptions(hangup_after_ms=TALK_MS, timeout_s=60), "rated-agent") as phone,
    ):
        result = run_caller(live, late, "rated")
        answered = phone.finish(timeout=30)
    assert answered.ok, answered.errors
    return result


def abandoned_call(live: Live) -> ScenarioResult:
    """To the repair queue with nobody logged in; the caller hangs up while waiting."""
    call = path_call(1, path_to(live, "repair"), caller=GAVE_UP)
    return run_caller(
        live, replace(call, scenario="caller_abandon.xml", args=("-d", str(ABANDON_AFTER_MS))), "gave-up"
    )


def view_row(engine: Engine, sql: str, **params: object) -> dict[str, Any]:
    with engine.connect() as db:
        rows = db.execute(text(sql), params).mappings().all()
    assert len(rows) == 1, rows
    return dict(rows[0])


def logged_wait(engine: Engine, caller: str, event: str) -> float:
    """The wait (s) the queue log gives `event` for the caller's call, once it is there."""
    call_uuid = call_uuid_of(engine, caller)
    wait_for_event(engine, call_uuid, event)
    with engine.connect() as db:
        wait = db.execute(
            select(QueueLogEntry.wait_s).where(
                QueueLogEntry.call_uuid == call_uuid, QueueLogEntry.event == event
            )
        ).scalar_one()
    assert wait is not None, f"{event} of {caller} without a wait"
    return wait


def test_the_views_give_back_what_the_calls_did(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    rated = rated_call(live)
    assert rated.ok, rated.errors
    gave_up = abandoned_call(live)
    assert gave_up.ok, gave_up.errors
    abandon_wait = logged_wait(engine, GAVE_UP, "ABANDON")
    answer_wait = logged_wait(engine, RATED, "CONNECT")
    assert 5.0 <= abandon_wait <= ABANDON_AFTER_MS / 1000, "a long abandon: the caller waited in the queue"
    assert 0.0 <= answer_wait <= 10.0
    time.sleep(1.0)  # the writer's last rows (the survey answers, the agent's leg) land a moment later
    with engine.begin() as db:  # the survey's question, as an analyst would set it
        db.execute(text("UPDATE report_settings SET csat_question = 'satisfaction'"))

    queue = view_row(
        engine,
        "SELECT SUM(offered) AS offered, SUM(answered) AS answered, SUM(abandoned) AS abandoned,"
        " SUM(short_abandons) AS short, SUM(answered_within_threshold) AS within,"
        " SUM(answer_wait_s) AS wait, SUM(handled) AS handled, SUM(talk_s) AS talk"
        " FROM v_queue_interval WHERE queue = 'repair'",
    )
    assert (queue["offered"], queue["answered"], queue["abandoned"], queue["short"]) == (2, 1, 1, 0), queue
    assert queue["within"] == 1, "answered within the 20 s threshold: service level 1 of 2"
    assert queue["wait"] == pytest.approx(answer_wait, abs=0.01), "ASA: the one answered call's wait"
    assert queue["handled"] == 1
    assert TALK_MS / 1000 - 1.0 <= queue["talk"] <= TALK_MS / 1000 + 3.0, queue

    agent = view_row(
        engine,
        "SELECT SUM(offered) AS offered, SUM(answered) AS answered, SUM(talk_s) AS talk"
        " FROM v_agent_interval WHERE agent_id = :agent",
        agent=AGENT,
    )
    assert (agent["offered"], agent["answered"]) == (1, 1), agent
    assert TALK_MS / 1000 - 1.0 <= agent["talk"] <= TALK_MS / 1000 + 3.0, agent

    csat = view_row(
        engine,
        "SELECT agent_id, queue, SUM(responses) AS responses, SUM(score_sum) AS score,"
        " SUM(satisfied) AS satisfied FROM v_csat GROUP BY agent_id, queue",
    )
    assert csat == {"agent_id": AGENT, "queue": "repair", "responses": 1, "score": 4, "satisfied": 1}

    with engine.connect() as db:
        presses = db.execute(
            text("SELECT menu, option, SUM(presses) FROM v_ivr_menu_options GROUP BY menu, option")
        ).all()
    pressed = {(menu, key): count for menu, key, count in presses if count}
    walked = path_to(live, "repair").pressed
    survey = {("survey:after_call", key): 1 for key in SURVEY_KEYS}  # the survey's keys are IVR steps too
    assert pressed == {**dict.fromkeys(walked, 2), **survey}, "both callers walked the same path to the queue"
    assert [line.event for line in queue_log(engine, call_uuid_of(engine, GAVE_UP))] == [
        "ENTERQUEUE",
        "ABANDON",
    ]
    check_the_report_page(live, answer_wait, queue["talk"])
    assert live.switch.alive(), live.switch.log_tail()


def check_the_report_page(live: Live, answer_wait: float, talk_s: float) -> None:
    """`callcenter report` over the days around now (UTC), as Chromium shows it."""
    binary = chromium_binary()
    today = dt.datetime.now(dt.UTC).date()
    page = live.work / "report.html"
    days = [str(today - dt.timedelta(days=1)), str(today + dt.timedelta(days=1))]
    harness.callcenter(live, "report", "--from", days[0], "--to", days[1], "--tz", "UTC", "-o", str(page))
    facts = look_at(binary, page.as_uri(), artifacts_dir(live.work) / "report-live.png")
    assert facts.kpis == {
        "calls": "2",
        "offered": "2",
        "answered": "1",
        "service_level": "50.0 %",  # answered within 20 s, of 2 offered (no short abandon)
        "asa": f"{answer_wait:.1f} s",
        "abandon_rate": "50.0 %",
        "aht": f"{talk_s:.1f} s",  # no wrap-up in this queue
        "csat": "100.0 %",  # the one answer: 4 of 5
        "containment": "0.0 %",  # both callers went to the queue
    }, facts.kpis
    assert [row[0] for row in facts.agent_rows] == [AGENT], facts.agent_rows
