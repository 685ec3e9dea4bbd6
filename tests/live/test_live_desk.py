"""The agent desk and the wallboard in headless Chromium on the real FreeSWITCH (issue 14): the real
`callcenter serve` serving the pages over HTTPS with a certificate made for the test, a SIPp agent phone
registered on the switch, a SIPp caller walking the menus to the repair queue.

Alice signs in with her token and goes ready through the page (login, a break, ready); Rita, a customer
imported as an operator loads them, calls; while Alice's phone rings (it rings RING_MS before answering)
the page shows Rita's screen pop; then the call, then the wrap-up countdown after Alice's phone hangs up;
she sets a disposition, which lands in the database. Sam, the service department's supervisor, watches
the wallboard: Alice's state, her call with the supervise buttons, the queue's answered count.
Screenshots go to $CALLCENTER_ARTIFACTS/desk-live.
"""

from __future__ import annotations

import functools
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select

from schema.crm.models import CallDisposition
from schema.db import create_engine_from_url
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.dtmf_pcap import DtmfTiming
from sipp_scenarios.runner import path_call
from sipp_scenarios.sipp_run import run_sipp
from tests.support.browser import artifacts_dir, chromium_binary
from tests.support.desk_browser import Browser, chromium, sign_in
from tests.support.live import harness
from tests.support.live.acd import agent_phone, call_uuid_of, path_to, steady_calls
from tests.support.live.harness import Build, Live
from tests.support.tls import self_signed

pytestmark = [pytest.mark.live, pytest.mark.browser]

AGENT = "1001"  # level 1 in the repair queue, department service
RITA = "+447700900401"
CUSTOMERS = f"name,phone,tier,plan\nRita Repair,{RITA},silver,Fibre 500\n"
RING_MS = 4000
TALK_MS = 4000
WRAP_UP_S = 8
CALL_TIMEOUT_S = 90


def repair_for_the_desk(data: dict[str, Any]) -> None:
    """Callers hold on silence; the repair queue without its survey (the caller would stay on for it) and
    with a wrap-up long enough to watch it count down."""
    steady_calls(data)
    repair = data["queues"]["repair"]
    repair.pop("survey", None)
    repair["wrap_up"] = WRAP_UP_S


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live_desk"), build, repair_for_the_desk) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(live: Live) -> dict[str, str]:
    harness.callcenter(live, "db", "upgrade")
    harness.callcenter(live, "agent", "sync")
    customers = live.work / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    harness.callcenter(live, "import", "customers", str(customers))
    harness.callcenter(live, "user", "add", "alice", "--role", "agent", "--agent", AGENT)
    harness.callcenter(live, "user", "add", "sam", "--role", "supervisor", "--department", "service")
    return {
        name: harness.callcenter(live, "token", "issue", name, "--label", "desk").stdout.strip()
        for name in ("alice", "sam")
    }


@pytest.fixture(scope="module")
def https_server(live: Live, tokens: dict[str, str]) -> Iterator[str]:
    """`callcenter serve` with the API on HTTPS; its base URL."""
    certificate, key = self_signed(live.work)
    settings = {"CALLCENTER_API_TLS_CERT": str(certificate), "CALLCENTER_API_TLS_KEY": str(key)}
    with harness.app_server(live, settings=settings):
        wait_listening(live.api_port)
        yield f"https://127.0.0.1:{live.api_port}"


@pytest.fixture(scope="module")
def engine(live: Live) -> Iterator[Engine]:
    engine = create_engine_from_url(harness.database_url(live))
    yield engine
    engine.dispose()


def wait_listening(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"the API never listened on {port}"
            time.sleep(0.2)


def state_is(page: Page, state: str, timeout_ms: int = 10_000) -> None:
    expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", state, timeout=timeout_ms)


def board_row(page: Page) -> Any:
    return page.locator(f'#agents tbody tr[data-agent="{AGENT}"]')


def shot(browser: Browser, page: Page, where: Path, name: str) -> None:
    browser.do(lambda: page.screenshot(path=str(where / f"{name}.png"), full_page=True))


def test_an_agent_takes_a_real_call_on_the_desk_over_https(
    live: Live, tokens: dict[str, str], https_server: str, engine: Engine
) -> None:
    binary = chromium_binary()
    shots = artifacts_dir(live.work, "desk-live")
    with chromium(binary) as browser:
        signing_in = functools.partial(
            sign_in, browser, https_server, board_queue="repair", ignore_https_errors=True
        )  # the certificate is the test's own
        agent = signing_in("/desk/", "alice", tokens["alice"])
        board = signing_in("/desk/wallboard", "sam", tokens["sam"])
        cookie = browser.do(lambda: agent.context.cookies()[0])
        assert (cookie["name"], cookie["secure"], cookie["httpOnly"]) == ("cc_session", True, True)

        def ready_through_the_page() -> None:
            state_is(agent, "logged_out")
            agent.get_by_role("button", name="Log in to my queues").click()
            state_is(agent, "available")
            agent.get_by_label("Break reason").fill("Coffee")
            agent.get_by_role("button", name="Break", exact=True).click()
            state_is(agent, "on_break")
            expect(board_row(board)).to_have_attribute("data-state", "on_break", timeout=1000)
            agent.get_by_role("button", name="Ready").click()
            state_is(agent, "available")
            expect(board_row(board)).to_have_attribute("data-state", "available", timeout=1000)

        browser.do(ready_through_the_page)
        options = AgentOptions(ring_ms=RING_MS, hangup_after_ms=TALK_MS, timeout_s=CALL_TIMEOUT_S)
        with agent_phone(live, AGENT, options, "desk-agent") as phone, ThreadPoolExecutor(1) as pool:
            caller = pool.submit(
                run_sipp,
                live.sipp,
                path_call(0, path_to(live, "repair"), caller=RITA),
                endpoints=live.endpoints,
                work_dir=live.work / "desk-caller",
                timing=DtmfTiming(),
                timeout_s=CALL_TIMEOUT_S,
            )
            the_call(browser, agent, board, shots)
            answered = phone.finish(timeout=CALL_TIMEOUT_S)
            called = caller.result(timeout=CALL_TIMEOUT_S)
        assert answered.ok, answered.errors
        assert called.ok, called.errors
        call_uuid = call_uuid_of(engine, RITA)
        after_the_call(browser, agent, board, shots, call_uuid)
    with engine.connect() as db:
        rows = db.execute(
            select(CallDisposition.call_uuid, CallDisposition.agent_id, CallDisposition.code)
        ).all()
    assert [tuple(row) for row in rows] == [(call_uuid, AGENT, "resolved")]
    assert live.switch.alive(), live.switch.log_tail()
    served = (live.work / "app_server.out").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in served, served[-4000:]


def the_call(browser: Browser, agent: Page, board: Page, shots: Path) -> None:
    """Ringing with Rita's screen pop, then on the call, as the page and the wallboard show it."""

    def rings_with_rita() -> None:
        state_is(agent, "ringing", timeout_ms=CALL_TIMEOUT_S * 1000)
        expect(agent.locator("#pop-summary")).to_contain_text("Rita Repair", timeout=1000)
        expect(agent.locator('#screen-pop [data-field="plan"]')).to_have_text("Fibre 500")
        expect(agent.locator("#pop-summary")).to_contain_text("silver")

    browser.do(rings_with_rita)
    shot(browser, agent, shots, "agent-ringing")

    def on_the_call() -> None:
        state_is(agent, "on_call", timeout_ms=RING_MS + 5000)
        expect(board_row(board)).to_have_attribute("data-state", "on_call", timeout=1000)
        expect(board_row(board).locator('[data-field="call"]')).to_contain_text("repair")
        expect(board_row(board).locator("[data-supervise]")).to_have_count(3)

    browser.do(on_the_call)
    shot(browser, agent, shots, "agent-on-call")
    shot(browser, board, shots, "wallboard-on-call")


def after_the_call(browser: Browser, agent: Page, board: Page, shots: Path, call_uuid: str) -> None:
    """The wrap-up counting down, the disposition saved, the queue's answered count on the wallboard."""

    def wrapping_up() -> int:
        state_is(agent, "wrap_up")
        countdown = agent.locator("#wrap-up")
        expect(countdown).to_be_visible()
        expect(agent.locator("#screen-pop")).to_have_attribute("data-call-uuid", call_uuid)
        return int(countdown.get_attribute("data-seconds-left") or "-1")

    left = browser.do(wrapping_up)
    assert 1 <= left <= WRAP_UP_S
    shot(browser, agent, shots, "agent-wrap-up")

    def disposed() -> None:
        agent.get_by_label("Disposition", exact=True).select_option("resolved")
        agent.get_by_role("button", name="Save disposition").click()
        expect(agent.locator("#disposition-saved")).to_have_attribute("data-disposition", "resolved")
        expect(board.locator('#queues tr[data-queue="repair"] [data-field="answered"]')).to_have_text("1")
        state_is(agent, "available", timeout_ms=(WRAP_UP_S + 5) * 1000)
        expect(board_row(board)).to_have_attribute("data-state", "available", timeout=1000)

    browser.do(disposed)
    shot(browser, board, shots, "wallboard-after")
