"""The report as ONE self-contained HTML page: inline CSS, inline SVG charts (ivr_scripts.report.charts),
no script and nothing fetched, so it opens the same from a file, a mail attachment or the API.

jinja2 with autoescape on: every name that came from the database (agents, menus, queues) is escaped.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

import jinja2
from markupsafe import Markup

from ivr_scripts.report.charts import Chart, bar_chart, horizontal_bars, line_chart
from ivr_scripts.report.model import Report

TEMPLATE: Final = Path(__file__).with_name("report.html.j2")


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def hours_minutes(value: float) -> str:
    minutes = round(value / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(percent=percent, seconds=seconds, hours_minutes=hours_minutes)
    return env.from_string(TEMPLATE.read_text(encoding="utf-8"))


def charts(report: Report) -> dict[str, Markup]:
    """The page's charts by name, in the order they appear."""
    hours = [f"{h.hour:02d}" for h in report.hours]
    sl_title = f"Service level (answered within {report.service_level_s:g} s) by hour of the day"
    level = [h.queue.service_level for h in report.hours]
    funnel = report.funnel
    return {
        "volume": bar_chart(
            Chart("chart-volume", "Calls by hour of the day", "local hour", "calls"),
            hours,
            [h.calls for h in report.hours],
        ),
        "service_level": line_chart(
            Chart("chart-service-level", sl_title, "local hour", "% of calls", " %"),
            hours,
            [v * 100 if v is not None else None for v in level],
            top=100.0,
        ),
        "asa": line_chart(
            Chart("chart-asa", "Average speed of answer by hour of the day", "local hour", "seconds", " s"),
            hours,
            [h.queue.asa_s for h in report.hours],
        ),
        "abandons": bar_chart(
            Chart(
                "chart-abandons", "Abandoned calls by time waited", "time waited before hanging up", "calls"
            ),
            [b.label for b in report.abandons],
            [b.abandons for b in report.abandons],
        ),
        "agents": bar_chart(
            Chart("chart-agents", "Calls answered by agent", "agent", "calls"),
            [a.agent_id for a in report.agents],
            [a.answered for a in report.agents],
        ),
        "funnel": horizontal_bars(
            Chart("chart-funnel", "IVR funnel: where the IVR's calls went", "calls", "step"),
            [s.label for s in funnel],
            [s.calls for s in funnel],
        ),
    }


def render_html(report: Report) -> str:
    return _template().render(report=report, charts=charts(report))
