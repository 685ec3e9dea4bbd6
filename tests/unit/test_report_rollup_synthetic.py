"""The rollups against a small synthetic history (the benchmark's generator, tests/support/synthetic_calls.py:
600 calls over 3 days, millisecond times, agents' periods across quarter-hours and midnights) on SQLite and
PostgreSQL: the report from the rollups, with the watermark at the afternoon peak, equals the views'."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Boolean, Engine, Integer, Table, insert

from ivr_scripts.report.model import Period
from schema.calls.models import Base
from schema.reporting.report import build_report
from schema.reporting.rollup import roll_up
from schema.types import UtcDateTime
from schema.viewer import Viewer
from tests.support.synthetic_calls import AGENT_COLUMNS, COLUMNS, History

HISTORY = History(600, days=3)
MANAGER = Viewer("boss", "manager")
LAST_DAY = HISTORY.first_day + dt.timedelta(days=2)


def _rows(table: Table, columns: str, lines: list[str]) -> list[dict[str, Any]]:
    names = columns.split(", ")
    rows = []
    for line in lines:
        row: dict[str, Any] = {}
        for name, value in zip(names, line.rstrip("\n").split("\t"), strict=True):
            kind = table.c[name].type
            if value == "\\N":
                row[name] = None
            elif isinstance(kind, UtcDateTime):
                row[name] = dt.datetime.fromisoformat(value + ":00")
            elif isinstance(kind, Boolean):
                row[name] = value == "t"
            elif isinstance(kind, Integer):
                row[name] = int(value)
            else:
                row[name] = float(value) if name.endswith("_s") else value
        rows.append(row)
    return rows


@pytest.fixture
def synthetic(engine: Engine) -> Engine:
    tables = Base.metadata.tables
    with engine.begin() as connection:
        connection.execute(
            insert(tables["agents"]), _rows(tables["agents"], AGENT_COLUMNS, list(HISTORY.agent_rows()))
        )
        for day in HISTORY.days_of_rows():
            for name in ("calls", *(name for name in COLUMNS if name != "calls")):
                if day[name]:
                    connection.execute(insert(tables[name]), _rows(tables[name], COLUMNS[name], day[name]))
    return engine


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-9)
    return bool(a == b)


@pytest.mark.parametrize("hour", [10, 15])
def test_the_rollups_give_the_views_report_on_the_synthetic_history(synthetic: Engine, hour: int) -> None:
    now = dt.datetime.combine(LAST_DAY, dt.time(hour, 7), dt.UTC)
    summary = roll_up(synthetic, now=now)
    assert summary.rolled_up_to == dt.datetime.combine(LAST_DAY, dt.time(hour - 1), dt.UTC)

    for zone in ("UTC", "Asia/Kathmandu"):  # +05:45: the range's edges are not whole UTC days
        period = Period(first=HISTORY.first_day, last=LAST_DAY, zone=zone)
        fast = build_report(synthetic, MANAGER, period, now=now).model_dump()
        naive = build_report(synthetic, MANAGER, period, now=now, from_views=True).model_dump()
        assert fast["calls"] == 600 or zone != "UTC"
        assert fast["agents"]
        assert fast["queue"]["answered"] > 0
        assert same(fast, naive), zone
