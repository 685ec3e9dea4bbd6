"""Reading `report_settings` outside the views: the live statistics judge short abandons as the report
does (docs/reports.md, "Real-time statistics")."""

from __future__ import annotations

from sqlalchemy import Engine, select

from schema.db import read_connection
from schema.reporting.models import DEFAULT_SHORT_ABANDON_S, ReportSettings


def short_abandon_seconds(engine: Engine) -> float:
    """The report's short-abandon limit; its default when the row is gone (the views then show nothing)."""
    with read_connection(engine, "reading the report settings") as connection:
        value = connection.execute(select(ReportSettings.short_abandon_s)).scalar_one_or_none()
    return DEFAULT_SHORT_ABANDON_S if value is None else float(value)
