"""The agent desk and the wallboard in headless Chromium, on a call through the assembled server and the
stand-in switch (tests/support/acd_rig.py, SQLite and PostgreSQL; markers wire and browser).

An agent signs in with her token, logs in, takes a break and comes back; a known customer calls the sales
queue; while the agent's phone rings her page shows who is calling, then the call, then the wrap-up
countdown; she sets a disposition that lands in the database; the supervisor's wallboard follows her
state and the queue's count throughout. Every change is driven by the call or the page, none by the test
writing to the board. Screenshots go to $CALLCENTER_ARTIFACTS/desk-wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from schema.crm.models import CallDisposition
from schema.crm.queries import create_customer
from schema.crm.users import create_user, issue_token
from schema.db import create_engine_from_url, session_scope
from schema.viewer import SYSTEM
from tests.support.acd_rig import DIALPLAN, Rig, RigFactory, make_rig
from tests.support.browser import artifacts_dir, chromium_binary
from tests.support.desk_browser import Browser, chromium, sign_in
from tests.support.waiting import wait_until

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = [pytest.mark.wire, pytest.mark.browser]

BOB = "+15550002000"
WRAP_UP_S = 4
RING_S = 2.0
TALK_S = 1.5
# The sales queue with a wrap-up long enough to watch it count down.
DESK_DIALPLAN = DIALPLAN.replace(
    'tiers: [{agent: "1001"}, {agent: "1002"}]\n    wrap_up: 1\n    ring_timeout: 5',
    f'tiers: [{{agent: "1001"}}, {{agent: "1002"}}]\n    wrap_up: {WRAP_UP_S}\n    ring_timeout: 5',
    1,
)


@dataclass
class Desk:
    rig: Rig
    browser: Browser
    shots: Path
    agent: Page
    board: Page

    def shot(self, page: Page, name: str) -> None:
        self.browser.do(lambda: page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True))


def with_engine(rig: Rig, work: Any) -> Any:
    engine = create_engine_from_url(rig.database_url)
    try:
        return work(engine)
    finally:
        engine.dispose()


def people(rig: Rig) -> dict[str, str]:
    """Alice (agent 1001) and Maria (manager); Bob Stone, a silver customer with an open account."""

    def add(engine: Any) -> dict[str, str]:
        create_user(engine, "alice", "agent", agent_id="1001")
        create_user(engine, "maria", "manager")
        create_customer(
            engine, SYSTEM, name="Bob Stone", phones=[BOB], region="US", tier="silver",
            account_number="7654321", custom_fields={"plan": "Fibre 500"},
        )  # fmt: skip
        return {name: issue_token(engine, name) for name in ("alice", "maria")}

    tokens: dict[str, str] = with_engine(rig, add)
    return tokens


@pytest.fixture
def desk(make_rig: RigFactory, tmp_path: Path) -> Iterator[Desk]:
    binary = chromium_binary()
    rig = make_rig(api=True, dialplan_text=DESK_DIALPLAN)
    assert rig.app.api is not None
    tokens = people(rig)
    base = f"http://127.0.0.1:{rig.app.api.port}"
    with chromium(binary) as browser:
        agent = sign_in(browser, base, "/desk/", "alice", tokens["alice"], board_queue="sales")
        board = sign_in(browser, base, "/desk/wallboard", "maria", tokens["maria"], board_queue="sales")
        yield Desk(rig, browser, artifacts_dir(tmp_path, "desk-wire"), agent, board)


def agent_state_is(page: Page, state: str) -> None:
    expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", state)


def board_row(page: Page, agent_id: str) -> Any:
    return page.locator(f'#agents tbody tr[data-agent="{agent_id}"]')


def test_an_agent_takes_a_call_on_the_desk_and_the_wallboard_follows(desk: Desk) -> None:
    agent, board = desk.agent, desk.board

    def logged_in_break_ready() -> None:
        agent_state_is(agent, "logged_out")
        agent.get_by_role("button", name="Log in to my queues").click()
        agent_state_is(agent, "available")
        agent.get_by_label("Break reason").fill("Coffee")
        agent.get_by_role("button", name="Break", exact=True).click()
        agent_state_is(agent, "on_break")
        expect(board_row(board, "1001")).to_have_attribute("data-state", "on_break", timeout=1000)
        expect(board_row(board, "1001").locator('[data-field="state"]')).to_contain_text("Coffee")
        agent.get_by_role("button", name="Ready").click()
        agent_state_is(agent, "available")
        expect(board_row(board, "1001")).to_have_attribute("data-state", "available", timeout=1000)

    desk.browser.do(logged_in_break_ready)
    assert desk.rig.agent_state("1001") == "available"
    desk.shot(agent, "agent-ready")

    desk.rig.phone("1001", ring_seconds=RING_S, talk_seconds=TALK_S)
    call = desk.rig.place(keys=["1"], caller_number=BOB)

    def rings_with_the_customer() -> None:
        agent_state_is(agent, "ringing")
        expect(agent.locator("#pop-summary")).to_contain_text("Bob Stone", timeout=1000)
        pop = agent.locator("#screen-pop")
        expect(pop).to_have_attribute("data-call-uuid", call.uuid)
        expect(pop.locator('[data-field="plan"]')).to_have_text("Fibre 500")
        expect(agent.locator("#pop-summary")).to_contain_text("silver")

    desk.browser.do(rings_with_the_customer)
    desk.shot(agent, "agent-ringing")

    def on_the_call() -> None:
        agent_state_is(agent, "on_call")
        expect(board_row(board, "1001")).to_have_attribute("data-state", "on_call", timeout=1000)
        expect(board_row(board, "1001").locator('[data-field="call"]')).to_contain_text("queue sales")
        expect(board_row(board, "1001").locator("[data-supervise]")).to_have_count(3)

    desk.browser.do(on_the_call)
    desk.shot(agent, "agent-on-call")
    desk.shot(board, "wallboard-on-call")

    def wrapping_up() -> int:
        agent_state_is(agent, "wrap_up")
        countdown = agent.locator("#wrap-up")
        expect(countdown).to_be_visible()
        return int(countdown.get_attribute("data-seconds-left") or "-1")

    left = desk.browser.do(wrapping_up)
    assert 1 <= left <= WRAP_UP_S
    desk.shot(agent, "agent-wrap-up")

    def disposed() -> None:
        agent.get_by_label("Disposition", exact=True).select_option("resolved")
        agent.get_by_label("Disposition note (optional)").fill("Router swapped")
        agent.get_by_role("button", name="Save disposition").click()
        expect(agent.locator("#disposition-saved")).to_have_attribute("data-disposition", "resolved")

    desk.browser.do(disposed)
    assert rows_of_dispositions(desk.rig) == [(call.uuid, "1001", "resolved", "Router swapped")]

    def free_again_and_counted() -> None:
        agent_state_is(agent, "available")
        expect(board.locator('#queues tr[data-queue="sales"] [data-field="answered"]')).to_have_text("1")
        expect(board_row(board, "1001")).to_have_attribute("data-state", "available")

    desk.browser.do(free_again_and_counted)
    desk.shot(board, "wallboard-after")
    desk.rig.finish(call)
    wait_until(lambda: desk.rig.agent_state("1001") == "available", what="the agent free again")


def rows_of_dispositions(rig: Rig) -> list[tuple[str, str | None, str, str | None]]:
    def read(engine: Any) -> list[tuple[str, str | None, str, str | None]]:
        with session_scope(engine) as session:
            rows = session.scalars(select(CallDisposition)).all()
            return [(row.call_uuid, row.agent_id, row.code, row.note) for row in rows]

    found: list[tuple[str, str | None, str, str | None]] = with_engine(rig, read)
    return found
