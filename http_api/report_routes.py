"""GET /api/reports: the analysts' report (ivr_scripts.report) as one HTML page or one CSV file.

The data layer decides who sees what (schema.reporting.report.build_report): managers everything,
supervisors the centre's figures with their department's agents, agents 403. A bad zone or range is
the data layer's RecordRejected: 422. The HTML page has no script and fetches nothing; its
Content-Security-Policy says so, so a browser would refuse anything else.
"""

from __future__ import annotations

from typing import Final

from http_api.models import ReportQuery
from http_api.routing import Context, RawBody, Result, Route
from ivr_scripts.report.csv_out import render_csv
from ivr_scripts.report.html import render_html
from ivr_scripts.report.model import Period
from schema.reporting.report import build_report

HTML: Final = "text/html; charset=utf-8"
CSV: Final = "text/csv; charset=utf-8"
PAGE_POLICY: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
)


def get_report(ctx: Context) -> Result:
    query = ctx.query_as(ReportQuery)
    period = Period(first=query.first, last=query.last, zone=query.tz, queue=query.queue)
    report = ctx.data(build_report, period)
    if query.format == "csv":
        name = f"report-{period.first}-{period.last}.csv"
        body = ctx.run(lambda: render_csv(report).encode())
        return RawBody(body, CSV, (("Content-Disposition", f'attachment; filename="{name}"'),))
    page = ctx.run(lambda: render_html(report).encode())
    return RawBody(page, HTML, (("Content-Security-Policy", PAGE_POLICY),))


REPORT_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET",
        "/api/reports",
        "getReport",
        "The analysts' report of a date range: headline figures, volume, service level and ASA by hour, "
        "abandons by wait, agents, the IVR funnel (supervisors and managers)",
        get_report,
        query=ReportQuery,
        media=(HTML, CSV),
        errors=(403, 422),
        description="`format=html` (default): one self-contained page, charts as inline SVG, no script. "
        "`format=csv`: one file, `section,item,measure,value`, one figure a row (docs/reports.md). "
        "Managers see every agent; a supervisor the agents of their department; agents get 403. "
        "422: an unknown time zone, a range that ends before it starts or spans over 366 days.",
    ),
)
