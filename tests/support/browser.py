"""Headless Chromium for the report's browser tests (marker `browser`; docs/testing.md).

Debian's `chromium` (apt-get install chromium), driven by the `playwright` package with
`executable_path`: no `playwright install`, no downloaded browser. `CHROMIUM_BIN` names another
binary. Without one the tests skip saying so, and under CI=true a skipped browser test fails
(tests/conftest.py).

`look_at` does everything in one call, so it can run on a real thread while the test's gevent hub
serves the API: Playwright's sync API keeps its objects on the thread that made them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHART_ELEMENTS = {
    "chart-volume": "rect.bar",
    "chart-service-level": "circle.point",
    "chart-asa": "circle.point",
    "chart-abandons": "rect.bar",
    "chart-agents": "rect.bar",
    "chart-funnel": "rect.bar",
}


def chromium_binary() -> str:
    """The Chromium to drive; skips the test (with how to get one) when there is none."""
    named = os.environ.get("CHROMIUM_BIN")
    found = named if named and Path(named).is_file() else shutil.which("chromium")
    if found is None:
        pytest.skip("no chromium: apt-get install chromium (Debian), or set CHROMIUM_BIN")
    return found


def artifacts_dir(fallback: Path, name: str = "report") -> Path:
    """Where screenshots go: $CALLCENTER_ARTIFACTS/<name> when set (CI keeps it), else `fallback`."""
    root = os.environ.get("CALLCENTER_ARTIFACTS")
    where = Path(root) / name if root else fallback
    where.mkdir(parents=True, exist_ok=True)
    return where


@dataclass
class PageFacts:
    """What Chromium shows: the headline figures, each chart's drawn elements, the tables' rows."""

    title: str
    kpis: dict[str, str]
    chart_titles: dict[str, str]
    chart_figures: dict[str, list[tuple[str, float, float]]]  # (label, value, drawn height or width)
    agent_rows: list[list[str]]
    funnel_rows: list[list[str]]
    requests: list[str] = field(default_factory=list)


def look_at(binary: str, url: str, screenshot: Path, headers: dict[str, str] | None = None) -> PageFacts:
    """Open `url` in headless Chromium, read the page as rendered, and save a full-page screenshot."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary)
        try:
            context = browser.new_context(
                extra_http_headers=headers or {}, viewport={"width": 960, "height": 900}
            )
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            response = page.goto(url)
            assert response is not None
            assert response.ok, f"{url}: {response.status}"
            facts = PageFacts(
                title=page.title(),
                kpis={
                    kpi.get_attribute("data-kpi") or "": kpi.locator("dd").inner_text()
                    for kpi in page.locator("[data-kpi]").all()
                },
                chart_titles={
                    chart: page.locator(f"#{chart}").get_attribute("aria-labelledby") or ""
                    for chart in CHART_ELEMENTS
                },
                chart_figures={
                    chart: _figures(page, chart, element) for chart, element in CHART_ELEMENTS.items()
                },
                agent_rows=_rows(page, "#table-agents tbody tr"),
                funnel_rows=_rows(page, "#table-funnel tbody tr"),
                requests=requests,
            )
            facts.chart_titles = {
                chart: page.locator(f"#{labelled}").text_content() or ""
                for chart, labelled in facts.chart_titles.items()
            }
            page.screenshot(path=str(screenshot), full_page=True)
            return facts
        finally:
            browser.close()


def _figures(page: Page, chart: str, element: str) -> list[tuple[str, float, float]]:
    found = []
    for shape in page.locator(f"#{chart} {element}").all():
        box = shape.bounding_box()
        assert box is not None, f"{chart}: an element is not drawn"
        size = box["width"] if chart == "chart-funnel" else box["height"]
        found.append(
            (shape.get_attribute("data-label") or "", float(shape.get_attribute("data-value") or "nan"), size)
        )
    return found


def _rows(page: Page, selector: str) -> list[list[str]]:
    return [[cell.inner_text() for cell in row.locator("td").all()] for row in page.locator(selector).all()]
