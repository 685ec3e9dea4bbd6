"""The report rendered in headless Chromium (marker `browser`, tests/support/browser.py): the page the
CLI writes and the page the API serves, for the hand-worked history of tests/support/report_history.py.
On the rendered page: the headline figures, each chart's bars or points with their values and drawn
sizes, the agent and funnel tables, and no request but the page's own. A full-page screenshot of each
goes to $CALLCENTER_ARTIFACTS/report (else the test's tmp_path)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from schema.crm.users import create_user, issue_token
from tests.support.browser import PageFacts, artifacts_dir, chromium_binary, look_at
from tests.support.cli import callcenter, seeded_cli_database
from tests.support.http_api import in_thread, running_api
from tests.support.report_history import seed

pytestmark = pytest.mark.browser

WEEK = ("--from", "2024-03-01", "--to", "2024-03-07", "--tz", "Europe/London")
HEADLINE = {
    "calls": "11",
    "offered": "7",
    "answered": "4",
    "service_level": "33.3 %",  # 2 within 20 s of 7 offered less 1 short abandon
    "asa": "131.0 s",  # (10 + 30 + 480 + 4) / 4
    "abandon_rate": "16.7 %",  # (2 - 1) / 6
    "aht": "160.0 s",  # (600 talk + 40 wrap-up) / 4
    "csat": "50.0 %",  # 2 of 4 answers scored 4 or 5
    "containment": "10.0 %",  # 1 of 10 IVR calls
}
HOURS = [f"{hour:02d}" for hour in range(24)]


@pytest.fixture
def binary() -> str:
    return chromium_binary()


def check_the_week(facts: PageFacts, agents: list[str]) -> None:
    assert facts.title == "Call centre report 2024-03-01 to 2024-03-07"
    assert facts.kpis == HEADLINE
    assert all(facts.chart_titles.values()), facts.chart_titles
    volume = facts.chart_figures["chart-volume"]
    assert [label for label, _, _ in volume] == HOURS
    assert {label: value for label, value, _ in volume if value} == {"09": 10, "10": 1}
    drawn = {label: size for label, _, size in volume}
    assert drawn["09"] == pytest.approx(10 * drawn["10"], rel=0.02)
    level = facts.chart_figures["chart-service-level"]
    assert [(label, value) for label, value, _ in level] == [("09", 20), ("10", 100)]
    asa = facts.chart_figures["chart-asa"]
    assert [label for label, _, _ in asa] == ["09", "10"]
    assert [value for _, value, _ in asa] == [pytest.approx(520 / 3, abs=1e-3), 4]
    abandons = facts.chart_figures["chart-abandons"]
    assert [value for _, value, _ in abandons] == [1, 0, 0, 0, 1, 0, 0, 0]
    assert [label for label, _, _ in abandons][:2] == ["0-5 s", "5-10 s"]
    answered = {"1001": 2.0, "1002": 1.0, "1003": 1.0}
    assert [(label, value) for label, value, _ in facts.chart_figures["chart-agents"]] == [
        (agent, answered[agent]) for agent in agents
    ]
    rows = {row[0]: row for row in facts.agent_rows}
    assert list(rows) == agents
    if "1001" in rows:
        assert rows["1001"] == ["1001", "", "2", "2", "120.0 s", "0:30", "0:09", "21.4 %"]
    funnel = facts.chart_figures["chart-funnel"]
    assert [value for _, value, _ in funnel] == [10, 9, 7, 1, 2]
    assert funnel[0][2] == pytest.approx(10 * funnel[3][2], rel=0.02)
    assert [row[1] for row in facts.funnel_rows] == ["10", "9", "7", "1", "2"]


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    with seeded_cli_database(tmp_path, monkeypatch, seed) as engine:
        yield engine


def test_the_page_the_cli_writes(binary: str, cli_database: Engine, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert callcenter("report", *WEEK, "-o", str(page)) == 0
    screenshot = artifacts_dir(tmp_path) / "report-cli.png"

    facts = look_at(binary, page.as_uri(), screenshot)

    check_the_week(facts, ["1001", "1002", "1003"])
    assert facts.requests == [page.as_uri()]  # self-contained: nothing else was fetched
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("user", "agents"),
    [("maria", ["1001", "1002", "1003"]), ("sam", ["1001"])],
    ids=["manager", "supervisor"],
)
def test_the_page_the_api_serves(
    binary: str, engine: Engine, tmp_path: Path, request: pytest.FixtureRequest, user: str, agents: list[str]
) -> None:
    seed(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE agents SET department = 'sales' WHERE agent_id = '1001'"))
    create_user(engine, "sam", "supervisor", department="sales")
    create_user(engine, "maria", "manager")
    token = issue_token(engine, user)
    screenshot = artifacts_dir(tmp_path) / f"report-api-{request.node.callspec.id}.png"

    with running_api(engine) as api:
        url = f"http://127.0.0.1:{api.port}/api/reports?from=2024-03-01&to=2024-03-07&tz=Europe/London"
        # Chromium runs on a real thread while this thread's gevent hub serves the API.
        facts = in_thread(lambda: look_at(binary, url, screenshot, {"Authorization": f"Bearer {token}"}))

    check_the_week(facts, agents)
    assert facts.requests == [url]
    assert screenshot.is_file()
