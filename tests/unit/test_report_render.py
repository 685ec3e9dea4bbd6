"""The report's HTML and CSV from a hand-made `Report`, without a database: one self-contained page
(nothing fetched, no script), escaped names, one SVG element per figure, and the CSV's rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from ivr_scripts.report.charts import Chart, bar_chart, line_chart, nice_ceiling
from ivr_scripts.report.csv_out import COLUMNS, render_csv
from ivr_scripts.report.html import render_html
from ivr_scripts.report.model import (
    AgentRow,
    Csat,
    HourFigures,
    MenuOption,
    Period,
    QueueFigures,
    Report,
    WaitBucket,
)

NINE = QueueFigures(
    offered=4, answered=3, answered_within_threshold=2, abandoned=1, answer_wait_s=30, handled=3, handle_s=600
)


def a_report() -> Report:
    hours = [
        HourFigures(hour=h, calls=5 if h == 9 else 0, queue=NINE if h == 9 else QueueFigures())
        for h in range(24)
    ]
    return Report(
        period=Period(
            first=dt.date(2026, 12, 1), last=dt.date(2026, 12, 7), zone="Europe/London", queue="sales"
        ),
        generated_at=dt.datetime(2026, 12, 8, 6, tzinfo=dt.UTC),
        service_level_s=20.0,
        short_abandon_s=5.0,
        calls=5,
        queue=NINE,
        hours=hours,
        abandons=[WaitBucket(from_s=0, to_s=5, abandons=0), WaitBucket(from_s=5, to_s=None, abandons=1)],
        agents=[
            AgentRow(
                agent_id="1001",
                name="<script>alert(1)</script>",
                offered=3,
                answered=3,
                talk_s=540.0,
                logged_in_s=3600.0,
                on_break_s=600.0,
                busy_s=600.0,
            )
        ],
        menu_options=[
            MenuOption(menu="main", option="1", presses=4, exits=4, contained=0, dropped=0, routed=4),
            MenuOption(menu="main", option="", presses=0, exits=1, contained=0, dropped=1, routed=0),
        ],
        csat=Csat(responses=2, satisfied=1, score_sum=7),
    )


def test_the_page_is_self_contained_and_escapes_names() -> None:
    page = render_html(a_report())

    assert "<script" not in page  # the agent's name is text, and the page has no script of its own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert re.findall(r"(?:src|href)=", page) == []
    assert "@import" not in page
    assert "url(" not in page
    # The only URL is the SVG namespace, which names and fetches nothing.
    assert set(re.findall(r"https?://[^\"' ]+", page)) == {"http://www.w3.org/2000/svg"}


def test_each_chart_has_a_title_and_one_element_per_figure() -> None:
    page = render_html(a_report())

    for chart_id, element, count in [
        ("chart-volume", "rect", 24), ("chart-service-level", "circle", 1), ("chart-asa", "circle", 1),
        ("chart-abandons", "rect", 2), ("chart-agents", "rect", 1), ("chart-funnel", "rect", 5),
    ]:  # fmt: skip
        svg = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', page, re.DOTALL)
        assert svg is not None, chart_id
        assert f'aria-labelledby="{chart_id}-title"' in svg.group(0)
        assert svg.group(0).count(f"<{element} class=") == count, chart_id
    # Service level 2 / 4 at 09:00: the point half-way up the 0-100 axis.
    assert '<circle class="point" cx="312.5" cy="122.0" r="4" data-label="09" data-value="50">' in page


def test_a_line_breaks_where_a_figure_is_missing() -> None:
    chart = line_chart(Chart("c", "t", "x", "y"), ["a", "b", "c", "d"], [1.0, 2.0, None, 3.0])
    assert chart.count('<circle class="point"') == 3
    assert chart.count("<polyline") == 1  # a-b; d alone has no line


def test_bar_heights_share_one_scale() -> None:
    chart = bar_chart(Chart("c", "t", "x", "y"), ["a", "b"], [5.0, 10.0])
    heights = [float(h) for h in re.findall(r'<rect class="bar" [^>]*height="([0-9.]+)"', chart)]
    assert heights[1] == 2 * heights[0]
    assert (nice_ceiling(0), nice_ceiling(7), nice_ceiling(10), nice_ceiling(11)) == (1.0, 10, 10, 20)


def test_the_csv_has_every_figure_one_a_row() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(a_report()))))

    assert tuple(rows[0]) == COLUMNS
    figures = {(s, i, m): v for s, i, m, v in rows[1:]}
    assert figures["period", "", "time_zone"] == "Europe/London"
    assert figures["headline", "", "service_level"] == "0.5"
    assert figures["headline", "", "asa_s"] == "10"
    assert figures["hour", "09:00", "calls"] == "5"
    assert figures["hour", "10:00", "service_level"] == ""
    assert figures["abandons_by_wait", "5 s+", "abandons"] == "1"
    assert figures["agent", "1001", "occupancy"] == "0.2"
    assert figures["ivr_funnel", "Entered the IVR", "calls"] == "5"
    assert figures["ivr_option", "main", "dropped"] == "1"
    assert len(rows) == 1 + 6 + 14 + 24 * 7 + 2 + 6 + 5 + 2 * 5
