"""The desk's pages in headless Chromium (marker `browser`) against `build_api` over a real socket, on
SQLite and PostgreSQL: sign-in with a token, the agent's state and its changes (on the page and on the
server), a screen pop published on the PushHub shown within a second, notes / tickets / dispositions
written through the page landing in the database, the wallboard's figures and their updates, the
supervise buttons for supervisors only, and a keyboard-only walk. Screenshots go to
$CALLCENTER_ARTIFACTS/desk (else the test's tmp_path).

The world (tests.support.http_api.seed): agents 1001 (alice, sales) and 1002 (bob, support); sam
supervises sales, maria is a manager; Jane Doe (gold, plate AB12 CDE) called as CALL_OF_JANE.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import CampaignStatus
from dialplans.vocabulary import QueueEventName
from http_api import ApiServer, PushHub, build_api
from http_api.live_feed import LiveFeed
from ivr_scripts.acd.live_stats import LiveStats
from ivr_scripts.acd.queue_events import QueueEventReport
from ivr_scripts.agent_service import AgentService
from schema.acd.agents import reserve_agent
from schema.adapters.agent_store import SqlAgentStore
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.status import transition
from schema.crm.screenpop import build_screen_pop
from schema.viewer import SYSTEM
from tests.support.browser import artifacts_dir, chromium_binary
from tests.support.campaign_leads import add_leads
from tests.support.desk_browser import Browser, chromium
from tests.support.http_api import CALL_OF_JANE, REGION, ApiClient, Seed, seed

pytestmark = pytest.mark.browser


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class World:
    engine: Engine
    api: ApiClient
    data: Seed
    push: PushHub
    feed: LiveFeed
    browser: Browser
    shots: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api.port}"

    def page(self) -> Page:
        return self.browser.new_page(self.url)

    def shot(self, page: Page, name: str) -> None:
        self.browser.do(lambda: page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True))

    def sign_in(self, user: str, where: str = "/desk/") -> Page:
        page = self.page()
        token = self.data.tokens[user]

        def signed_in() -> None:
            page.goto(where)
            page.get_by_label("Access token").fill(token)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#who")).to_contain_text(user)

        self.browser.do(signed_in)
        return page

    def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            gevent.sleep(0.02)


def preview_plan() -> CampaignPlan:
    """Campaign spring, dialling preview for agent 1001, its window forced into a zone where it is
    midday now (so the test does not depend on the time it runs at)."""
    zone = f"Etc/GMT{now().hour - 12:+d}"  # POSIX signs: Etc/GMT+6 is UTC-6
    campaign = Campaign.model_validate(
        {
            "type": "survey",
            "agents": ["1001"],
            "lists": ["march"],
            "caller_id": "+15005550006",
            "dial_mode": "preview",
            "window": {"time_zone": zone},
        }
    )
    return CampaignPlan({"spring": campaign}, {}, {"spring": frozenset({"1001"})})


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    binary = chromium_binary()
    data = seed(engine)
    push = PushHub()
    feed = LiveFeed(
        lambda on_change: LiveStats(now, ZoneInfo("Europe/London"), on_change=on_change),
        now,
        queue_names=lambda: ["sales", "support"],
    )
    feed.board.agent_changed("1001", "logged_out", since=now(), version=None, department="sales")
    feed.board.agent_changed("1002", "on_break", since=now(), version=None, department="support")
    api = build_api(engine, region=REGION, push=push, stats=feed, campaigns=preview_plan())
    server = ApiServer(api, "127.0.0.1", 0)
    server.start()
    try:
        with chromium(binary) as browser:
            yield World(
                engine, ApiClient(server.port), data, push, feed, browser, artifacts_dir(tmp_path, "desk")
            )
    finally:
        push.close()
        feed.close()
        server.stop()


def agent_state(world: World) -> dict[str, object]:
    reply = world.api.get("/api/agents/1001", world.data.tokens["maria"])
    assert reply.status == 200, reply.body
    view: dict[str, object] = reply.json()
    return view


def test_an_agent_signs_in_and_changes_state(world: World) -> None:
    page = world.sign_in("alice")
    state = page.locator("#agent-state")

    def logged_in_then_break() -> None:
        expect(state).to_have_attribute("data-agent-state", "logged_out")
        page.get_by_role("button", name="Log in to my queues").click()
        expect(state).to_have_attribute("data-agent-state", "available")
        page.get_by_label("Break reason").fill("Lunch")
        page.get_by_role("button", name="Break", exact=True).click()
        expect(state).to_have_attribute("data-agent-state", "on_break")
        expect(page.locator(".state-line")).to_contain_text("On break (Lunch)")

    world.browser.do(logged_in_then_break)
    assert (agent_state(world)["state"], agent_state(world)["reason"]) == ("on_break", "Lunch")

    def ready() -> None:
        page.get_by_role("button", name="Ready").click()
        expect(state).to_have_attribute("data-agent-state", "available")

    world.browser.do(ready)
    assert agent_state(world)["state"] == "available"
    world.shot(page, "agent-idle")


def test_a_refused_change_shows_the_api_message(world: World) -> None:
    page = world.sign_in("alice")

    def break_without_logging_in() -> bool:
        expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", "logged_out")
        page.get_by_label("Break reason").fill("Coffee")
        return page.locator("[data-action=break]").is_visible()

    assert world.browser.do(break_without_logging_in) is False  # hidden while logged out

    def no_reason() -> None:
        page.get_by_role("button", name="Log in to my queues").click()
        expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", "available")
        page.get_by_label("Break reason").fill("")
        page.get_by_role("button", name="Break", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text("Give a reason for the break")

    world.browser.do(no_reason)
    assert agent_state(world)["state"] == "available"


def open_streams(world: World, page: Page, agent_id: str = "1001") -> None:
    world.browser.do(lambda: expect(page.locator("body")).to_have_attribute("data-streams", "open"))
    world.until(lambda: world.push.sessions(agent_id) >= 1)


def publish_pop(world: World) -> float:
    """Publish Jane's screen pop to agent 1001; when (time.monotonic())."""
    pop = build_screen_pop(world.engine, SYSTEM, CALL_OF_JANE, region=REGION)
    assert world.push.publish("1001", "screenpop", pop.model_dump_json()) == 1
    return time.monotonic()


def offer(world: World) -> AgentService:
    """Agent 1001 logged in and rung with Jane's call, as the ACD saves it and the board hears of it."""
    service = AgentService(SqlAgentStore(world.engine, "test"), None, now)
    service.login("1001")
    assert reserve_agent(world.engine, CALL_OF_JANE, ["1001"], "test", now()) == "1001"
    service.ring("1001", CALL_OF_JANE)
    world.feed.board.agent_changed("1001", "ringing", since=now(), version=None, department="sales")
    return service


def test_a_screen_pop_shows_the_caller_within_a_second(world: World) -> None:
    page = world.sign_in("alice")
    open_streams(world, page)
    offer(world)

    sent = publish_pop(world)

    world.browser.do(lambda: expect(page.locator("#pop-summary")).to_contain_text("Jane Doe", timeout=1000))
    assert time.monotonic() - sent < 1.0

    def the_pop() -> dict[str, object]:
        pop = page.locator("#screen-pop")
        return {
            "call": pop.get_attribute("data-call-uuid"),
            "customer": pop.get_attribute("data-customer-id"),
            "tier": pop.locator("dd[data-field=Tier]").inner_text(),
            "plate": pop.locator("dd[data-field=plate]").inner_text(),
            "calls": pop.locator("[data-section=calls] tr[data-call]").count(),
            "state": page.locator("#agent-state").get_attribute("data-agent-state"),
        }

    world.browser.do(
        lambda: expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", "ringing")
    )
    assert world.browser.do(the_pop) == {
        "call": CALL_OF_JANE,
        "customer": str(world.data.jane.id),
        "tier": "gold",
        "plate": "AB12 CDE",
        "calls": 1,
        "state": "ringing",
    }
    world.shot(page, "agent-ringing")


def queue_event(world: World, name: QueueEventName, call: str, wait_s: float | None = None) -> None:
    world.feed.board.queue_event(
        QueueEventReport(event=name, call_uuid=call, queue="sales", at=now(), wait_s=wait_s)
    )


def row(page: Page, selector: str) -> dict[str, str]:
    cells = page.locator(f"{selector} td[data-field]")
    return {
        cell.get_attribute("data-field") or "": cell.inner_text()
        for cell in cells.all()
        if cell.get_attribute("data-field") != "supervise"
    }


def test_the_wallboard_shows_queues_and_agents_live(world: World) -> None:
    queue_event(world, "ENTERQUEUE", "a")
    queue_event(world, "ENTERQUEUE", "b")
    queue_event(world, "CONNECT", "b", wait_s=4)
    page = world.sign_in("sam", "/desk/wallboard")
    sales = "#queues tr[data-queue=sales]"

    def first_figures() -> dict[str, str]:
        expect(page.locator(f"{sales} td[data-field=waiting]")).to_have_text("1")
        return row(page, sales)

    figures = world.browser.do(first_figures)
    assert {k: v for k, v in figures.items() if k != "longest_wait"} == {
        "waiting": "1",
        "service_level": "100.0 %",
        "answered": "1",
        "abandoned": "0",
    }
    assert world.browser.do(lambda: page.locator("#agents tr[data-agent]").count()) == 1  # sales only

    queue_event(world, "ENTERQUEUE", CALL_OF_JANE)
    queue_event(world, "ABANDON", "a", wait_s=30)
    queue_event(world, "CONNECT", CALL_OF_JANE, wait_s=2)
    world.feed.board.agent_changed(
        "1001", "on_call", since=now(), version=None, department="sales", call_uuid=CALL_OF_JANE
    )
    sent = time.monotonic()

    def updated() -> None:
        expect(page.locator(f"{sales} td[data-field=abandoned]")).to_have_text("1", timeout=1000)
        expect(page.locator(f"{sales} td[data-field=answered]")).to_have_text("2", timeout=1000)
        expect(page.locator(f"{sales} td[data-field=waiting]")).to_have_text("0", timeout=1000)
        expect(page.locator("#agents tr[data-agent='1001']")).to_have_attribute(
            "data-state", "on_call", timeout=1000
        )

    world.browser.do(updated)
    assert time.monotonic() - sent < 1.0
    agent = world.browser.do(lambda: row(page, "#agents tr[data-agent='1001']"))
    assert (agent["state"], agent["call"]) == ("On a call", "queue sales")
    world.shot(page, "wallboard")


def test_supervise_buttons_for_supervisors_only_with_the_api_errors(world: World) -> None:
    world.feed.board.agent_changed("1001", "on_call", since=now(), version=None, department="sales")
    supervisor = world.sign_in("sam", "/desk/wallboard")

    def listen() -> None:
        buttons = supervisor.locator("#agents tr[data-agent='1001'] button[data-supervise]")
        expect(buttons).to_have_count(3)
        supervisor.get_by_role("button", name="listen to agent 1001").click()
        # this API runs without call control: the API's own message is shown
        expect(supervisor.get_by_role("alert")).to_contain_text("no call control")

    world.browser.do(listen)
    agent = world.sign_in("alice", "/desk/wallboard")

    def no_buttons() -> int:
        expect(agent.locator("#agents tr[data-agent='1001']")).to_have_attribute("data-state", "on_call")
        expect(agent.locator("#supervise-heading")).to_be_hidden()
        return agent.locator("button[data-supervise]").count()

    assert world.browser.do(no_buttons) == 0


def test_notes_and_tickets_written_through_the_page_land_in_the_database(world: World) -> None:
    page = world.sign_in("alice")
    open_streams(world, page)
    publish_pop(world)

    def write() -> None:
        expect(page.locator("#screen-pop")).to_have_attribute("data-call-uuid", CALL_OF_JANE)
        page.get_by_label("Note on the customer").fill("Wants the wiper replaced")
        page.get_by_role("button", name="Save note").click()
        expect(page.get_by_role("status")).to_contain_text("Note")
        page.get_by_label("New ticket subject").fill("Replace wiper")
        page.get_by_role("button", name="Open ticket").click()
        expect(page.locator("[data-section=tickets] tr[data-ticket-row]")).to_have_count(1)
        ticket = page.locator("[data-section=tickets] tr[data-ticket-row]")
        ticket.get_by_role("combobox").select_option("pending")
        ticket.get_by_role("button", name="Update").click()
        expect(page.get_by_role("status")).to_contain_text("is pending")

    world.browser.do(write)
    maria = world.data.tokens["maria"]
    jane = world.data.jane.id
    notes = world.api.get(f"/api/customers/{jane}/notes", maria).json()
    assert [(n["body"], n["call_uuid"], n["author"]) for n in notes] == [
        ("Wants the wiper replaced", CALL_OF_JANE, "alice")
    ]
    tickets = world.api.get(f"/api/customers/{jane}/tickets?status=all", maria).json()
    assert [(t["subject"], t["status"], t["call_uuid"]) for t in tickets] == [
        ("Replace wiper", "pending", CALL_OF_JANE)
    ]


def focused(page: Page) -> str:
    """The focused element as `tag#id[data-action]` and whether its focus ring shows."""
    return str(
        page.evaluate(
            """() => {
              const e = document.activeElement;
              const ring = getComputedStyle(e).outlineStyle !== "none" || e.matches("main, h2");
              return `${e.tagName.toLowerCase()}#${e.id}[${e.dataset.action || ""}]${ring ? "" : " NO RING"}`;
            }"""
        )
    )


def test_keyboard_only_sign_in_and_state_changes(world: World) -> None:
    page = world.page()
    token = world.data.tokens["alice"]

    def walk() -> list[str]:
        seen = []
        page.goto("/desk/")
        expect(page.get_by_label("Access token")).to_be_focused()
        page.keyboard.type(token)
        page.keyboard.press("Enter")
        expect(page.locator("#state-title")).to_be_focused()
        for _ in range(30):  # Tab to the first state button
            page.keyboard.press("Tab")
            seen.append(focused(page))
            if seen[-1].startswith("button#[login]"):
                break
        page.keyboard.press("Enter")
        expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", "available")
        # the login button is hidden now: the focus moved to the first state button shown (Ready)
        seen.append(focused(page))
        for _ in range(3):
            page.keyboard.press("Tab")
            seen.append(focused(page))
            if seen[-1].startswith("input#break-reason"):
                break
        page.keyboard.type("Training")
        page.keyboard.press("Tab")
        seen.append(focused(page))
        page.keyboard.press("Enter")
        expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", "on_break")
        return seen

    seen = world.browser.do(walk)
    assert all("NO RING" not in stop for stop in seen), seen
    assert seen[-3:] == ["button#[ready]", "input#break-reason[]", "button#[break]"]
    assert agent_state(world)["reason"] == "Training"


@pytest.mark.parametrize("where", ["/desk/", "/desk/wallboard"])
def test_the_pages_load_without_script_errors_and_ask_for_a_token(world: World, where: str) -> None:
    page = world.page()

    def load() -> tuple[list[str], list[str]]:
        errors: list[str] = []
        requests: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(where)
        expect(page.get_by_label("Access token")).to_be_focused()
        expect(page.get_by_role("main")).to_be_visible()
        expect(page.get_by_role("banner")).to_be_visible()
        return errors, requests

    errors, requests = world.browser.do(load)
    assert errors == []
    assert requests
    assert all(url.startswith(world.url + "/") for url in requests), requests


def test_on_a_call_then_the_wrap_up_countdown(world: World) -> None:
    page = world.sign_in("alice")
    open_streams(world, page)

    def moved(state: str) -> None:
        """The agent's change as the ACD saves it, and as the board hears of it."""
        world.feed.board.agent_changed("1001", state, since=now(), version=None, department="sales")
        world.browser.do(
            lambda: expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", state)
        )

    service = offer(world)
    service.answered("1001", CALL_OF_JANE)
    moved("on_call")
    # the page opened no pop for this call: it reads it for the call the state names
    world.browser.do(
        lambda: expect(page.locator("#screen-pop")).to_have_attribute("data-call-uuid", CALL_OF_JANE)
    )
    world.shot(page, "agent-on-call")

    service.call_ended("1001", CALL_OF_JANE, 30)
    moved("wrap_up")
    countdown = page.locator("#wrap-up")

    def seconds_left() -> int:
        expect(countdown).to_be_visible()
        return int(countdown.get_attribute("data-seconds-left") or "-1")

    first = world.browser.do(seconds_left)
    assert 25 <= first <= 30
    world.shot(page, "agent-wrap-up")
    # It counts down by itself (no message from the server): less than at first, given a loaded
    # machine's late timers some seconds to show it.
    lower = re.compile("^(" + "|".join(str(left) for left in range(first)) + ")$")
    world.browser.do(lambda: expect(countdown).to_have_attribute("data-seconds-left", lower, timeout=5000))
    assert "wrap-up ends in 0:" in world.browser.do(countdown.inner_text)


def test_a_disposition_set_through_the_page_lands_in_the_database(world: World) -> None:
    page = world.sign_in("alice")
    open_streams(world, page)
    offer(world)  # the agent holds the call: theirs to dispose of
    publish_pop(world)

    def dispose(code: str, note: str) -> None:
        expect(page.locator("#screen-pop")).to_have_attribute("data-call-uuid", CALL_OF_JANE)
        page.get_by_label("Disposition", exact=True).select_option(code)
        page.get_by_label("Disposition note (optional)").fill(note)
        page.get_by_role("button", name="Save disposition").click()
        expect(page.locator("#disposition-saved")).to_have_attribute("data-disposition", code)

    world.browser.do(lambda: dispose("follow_up", "call back Friday"))
    maria = world.data.tokens["maria"]
    saved = world.api.get(f"/api/calls/{CALL_OF_JANE}/disposition", maria).json()
    assert (saved["code"], saved["note"], saved["set_by"], saved["agent_id"]) == (
        "follow_up",
        "call back Friday",
        "alice",
        "1001",
    )

    world.browser.do(lambda: dispose("resolved", "fixed after all"))
    saved = world.api.get(f"/api/calls/{CALL_OF_JANE}/disposition", maria).json()
    assert (saved["code"], saved["label"], saved["note"]) == ("resolved", "Resolved", "fixed after all")


def test_preview_dialling_from_the_agent_page(world: World) -> None:
    (lead,) = add_leads(world.engine, "+13125550001", campaign="spring")
    transition(world.engine, "spring", CampaignStatus.RUNNING, by="test", reason=None, now=now())
    page = world.sign_in("alice")

    def preview() -> dict[str, str | None]:
        page.get_by_role("button", name="Log in to my queues").click()
        expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", "available")
        page.get_by_text("Preview dialling").click()
        page.get_by_label("Campaign").fill("spring")
        page.get_by_role("button", name="Next record").click()
        shown = page.locator("[data-preview-state]")
        expect(shown).to_have_attribute("data-preview-state", "previewing")
        found = {"lead": page.locator("[data-preview-lead]").get_attribute("data-preview-lead"),
                 "text": shown.inner_text()}  # fmt: skip
        page.get_by_role("button", name="Dial this record").click()
        expect(shown).to_have_attribute("data-preview-state", "dial_requested")
        return found

    found = world.browser.do(preview)
    assert found["lead"] == str(lead)
    assert "+13125550001" in (found["text"] or "")
    asked = world.api.get("/api/previews/1001", world.data.tokens["alice"])
    assert (asked.status, asked.json()["state"]) == (200, "dial_requested")


def test_without_live_figures_the_agent_page_reads_its_state_every_second(engine: Engine) -> None:
    binary = chromium_binary()
    data = seed(engine)
    server = ApiServer(build_api(engine, region=REGION), "127.0.0.1", 0)  # no board, no push
    server.start()
    try:
        with chromium(binary) as browser:
            page = browser.new_page(f"http://127.0.0.1:{server.port}")

            def signed_in() -> None:
                page.goto("/desk/")
                page.get_by_label("Access token").fill(data.tokens["alice"])
                page.get_by_role("button", name="Sign in").click()
                expect(page.locator("#agent-state")).to_have_attribute("data-agent-state", "logged_out")
                expect(page.get_by_role("alert")).to_have_text("Screen pops are not available on this server")

            browser.do(signed_in)
            AgentService(SqlAgentStore(engine, "test"), None, now).login("1001")  # as the CLI would
            changed = time.monotonic()
            browser.do(
                lambda: expect(page.locator("#agent-state")).to_have_attribute(
                    "data-agent-state", "available", timeout=2000
                )
            )
            assert time.monotonic() - changed < 1.5
    finally:
        server.stop()


def test_a_wrong_token_is_refused_with_the_api_message_and_sign_out_ends_the_session(world: World) -> None:
    page = world.page()

    def wrong() -> None:
        page.goto("/desk/")
        page.get_by_label("Access token").fill("cc_not-a-token")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("unknown or revoked token")
        expect(page.get_by_label("Access token")).to_be_focused()

    world.browser.do(wrong)
    page = world.sign_in("alice")

    def sign_out() -> None:
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_label("Access token")).to_be_visible()
        page.reload()
        expect(page.get_by_label("Access token")).to_be_visible()

    world.browser.do(sign_out)


AUDIT = """() => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const linear = (s) => (s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4);
    const c = [r, g, b].map((v) => linear(v / 255));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (node) => {
    for (let e = node; e; e = e.parentElement) {
      const value = rgb(getComputedStyle(e).backgroundColor);
      if (value.length < 4 || value[3] > 0) return value;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const e of document.querySelectorAll("body *")) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !e.checkVisibility() || e.disabled) continue;
    const [a, b] = [lum(rgb(getComputedStyle(e).color)), lum(background(e))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const what = `${e.tagName}#${e.id} "${e.textContent.trim().slice(0, 20)}"`;
    if (ratio < 4.5) low.push(`${what} ${ratio.toFixed(2)}`);
  }
  const unlabelled = [...document.querySelectorAll("input, select, textarea, button")]
    .filter((e) => e.checkVisibility())
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim())
    .map((e) => `${e.tagName}#${e.id}`);
  return { low, unlabelled };
}"""


def test_text_contrast_and_labels_on_both_pages(world: World) -> None:
    world.feed.board.agent_changed("1001", "on_call", since=now(), version=None, department="sales")
    agent = world.sign_in("alice")
    open_streams(world, agent)
    publish_pop(world)
    world.browser.do(
        lambda: expect(agent.locator("#screen-pop")).to_have_attribute("data-call-uuid", CALL_OF_JANE)
    )
    board = world.sign_in("sam", "/desk/wallboard")
    world.browser.do(lambda: expect(board.locator("button[data-supervise]")).to_have_count(3))

    for page in (agent, board):
        assert world.browser.do(partial(page.evaluate, AUDIT)) == {"low": [], "unlabelled": []}
