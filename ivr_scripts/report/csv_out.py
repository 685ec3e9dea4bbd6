"""The report's figures as ONE CSV file in long form: `section,item,measure,value`, one figure a row.

One file rather than a zip of several: every figure of the page is a row, a spreadsheet's pivot table
turns any section back into a table, and the API answers one `text/csv` body. Rates are fractions
(0.2, not 20 %), durations seconds; an undefined rate (nothing to divide by) is an empty value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Final

from ivr_scripts.report.model import Report

COLUMNS: Final = ("section", "item", "measure", "value")
Row = tuple[str, str, str, str]


def _value(value: float | None) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:.4f}".rstrip("0").rstrip(".")


def _rows(report: Report) -> Iterator[Row]:
    period = report.period
    for measure, text in (
        ("from", str(period.first)), ("to", str(period.last)), ("time_zone", period.zone),
        ("queue", period.queue or ""), ("service_level_s", f"{report.service_level_s:g}"),
        ("short_abandon_s", f"{report.short_abandon_s:g}"),
    ):  # fmt: skip
        yield ("period", "", measure, text)
    q = report.queue
    headline: dict[str, float | None] = {
        "calls": report.calls, "offered": q.offered, "answered": q.answered,
        "answered_within_threshold": q.answered_within_threshold, "abandoned": q.abandoned,
        "short_abandons": q.short_abandons, "service_level": q.service_level, "asa_s": q.asa_s,
        "abandon_rate": q.abandon_rate, "aht_s": q.aht_s, "csat_responses": report.csat.responses,
        "csat_rate": report.csat.rate, "csat_average": report.csat.average,
        "ivr_containment_rate": report.containment_rate,
    }  # fmt: skip
    yield from (("headline", "", measure, _value(value)) for measure, value in headline.items())
    for h in report.hours:
        hour = f"{h.hour:02d}:00"
        hq = h.queue
        for measure, value in (
            ("calls", h.calls), ("offered", hq.offered), ("answered", hq.answered),
            ("answered_within_threshold", hq.answered_within_threshold), ("service_level", hq.service_level),
            ("asa_s", hq.asa_s), ("abandon_rate", hq.abandon_rate),
        ):  # fmt: skip
            yield ("hour", hour, measure, _value(value))
    yield from (("abandons_by_wait", b.label, "abandons", _value(b.abandons)) for b in report.abandons)
    for a in report.agents:
        for measure, value in (
            ("offered", a.offered), ("answered", a.answered), ("talk_s", a.talk_s),
            ("logged_in_s", a.logged_in_s), ("on_break_s", a.on_break_s), ("occupancy", a.occupancy),
        ):  # fmt: skip
            yield ("agent", a.agent_id, measure, _value(value))
    yield from (("ivr_funnel", s.label, "calls", _value(s.calls)) for s in report.funnel)
    for o in report.menu_options:
        for measure in ("presses", "exits", "routed", "contained", "dropped"):
            yield ("ivr_option", f"{o.menu} {o.option}".rstrip(), measure, _value(getattr(o, measure)))


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_rows(report))
    return out.getvalue()
