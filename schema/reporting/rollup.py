"""`callcenter report rollup`: the report's per-quarter-hour sums, stored up to a watermark.

Each run rolls up the closed quarter-hours after `rollup_state.rolled_up_to` that ended at least
`settle` ago, one UTC day per transaction (a long first run commits as it goes and can be stopped and
resumed), by the window queries of schema/reporting/windows.py. Each step first locks the state row
(an UPDATE of it: BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL) and re-reads the watermark, so
two runs at once (cron overlapping itself) never roll up a quarter-hour twice. Nothing on the calls'
write path: a centre that never runs it gets the same report, read from the raw tables.

When the thresholds of the queue rows (`report_settings.service_level_s`, `short_abandon_s`) differ
from the ones `rollup_state` recorded, the rollups are dropped and rebuilt from the start; until then
the report reads its queue figures from the raw tables (docs/reports.md, "Rollups").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import BindParameter, Connection, Engine, bindparam, text

from schema.db import write_transaction
from schema.reporting.windows import WINDOWS, Dialect
from schema.types import UtcDateTime

QUARTER: Final = dt.timedelta(minutes=15)
STEP: Final = dt.timedelta(days=1)
DEFAULT_SETTLE: Final = dt.timedelta(minutes=60)
# A UTC day's agent rows summed, once the day is rolled up: a long report reads a row per agent and day.
AGENT_DAY_SQL: Final = """
SELECT :lo AS day_start, agent_id, SUM(offered), SUM(answered), SUM(talk_s), SUM(logged_in_s),
       SUM(on_break_s), SUM(on_call_s), SUM(wrap_up_s)
FROM rollup_agent WHERE interval_start >= :lo AND interval_start < :hi
GROUP BY agent_id"""
# The raw tables' indexed times: the first quarter-hour to roll up is the earliest of them.
FIRST_TIMES: Final = (
    ("queue_log", "at"),
    ("calls", "started_at"),
    ("agent_state_log", "at"),
    ("agent_legs", "offered_at"),
    ("ivr_steps", "at"),
    ("survey_responses", "answered_at"),
)


@dataclass(frozen=True)
class RollupSummary:
    rolled_up_from: dt.datetime | None
    rolled_up_to: dt.datetime | None
    quarters: int  # quarter-hours rolled up by this run
    rebuilt: bool  # the thresholds had changed (or a rebuild was asked for): everything was redone


def day_floor(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def quarter_floor(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    return moment.replace(minute=moment.minute // 15 * 15, second=0, microsecond=0)


def roll_up(
    engine: Engine, *, now: dt.datetime, settle: dt.timedelta = DEFAULT_SETTLE, rebuild: bool = False
) -> RollupSummary:
    """Roll up every closed quarter-hour that ended `settle` before `now` and is not rolled up yet."""
    until = quarter_floor(now - settle)
    dialect = Dialect(postgresql=engine.dialect.name == "postgresql")
    rebuilt = _reset_if_stale(engine, now=now, force=rebuild)
    quarters = 0
    while True:
        with write_transaction(engine, "rolling up the report") as connection:
            start = _locked_watermark(connection)
            if start is None or start >= until:
                state = connection.execute(text("SELECT rolled_up_from, rolled_up_to FROM rollup_state"))
                first, last = state.one()
                return RollupSummary(_utc(first), _utc(last), quarters, rebuilt)
            end = min(day_floor(start) + STEP, until)
            for table, window_sql in WINDOWS.items():
                _insert(connection, table, window_sql(dialect), start, end)
            if end == day_floor(end):
                _insert(connection, "rollup_agent_day", AGENT_DAY_SQL, end - STEP, end)
            connection.execute(
                text(
                    "UPDATE rollup_state SET rolled_up_to = :end, updated_at = :now,"
                    " rolled_up_from = COALESCE(rolled_up_from, :start)"
                ).bindparams(*_times("end", "now", "start")),
                {"end": end, "now": now, "start": start},
            )
            quarters += (end - start) // QUARTER


def _reset_if_stale(engine: Engine, *, now: dt.datetime, force: bool) -> bool:
    """Drop every rollup when asked, or when the queue thresholds changed since they were written."""
    with write_transaction(engine, "checking the rollups' thresholds") as connection:
        connection.execute(text("UPDATE rollup_state SET id = id"))
        stamped = connection.execute(text("SELECT service_level_s, short_abandon_s FROM rollup_state")).one()
        current = connection.execute(
            text("SELECT service_level_s, short_abandon_s FROM report_settings")
        ).one()
        if tuple(stamped) == tuple(current) and not force:
            return False
        for table in (*WINDOWS, "rollup_agent_day"):
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (our table names)
        connection.execute(
            text(
                "UPDATE rollup_state SET rolled_up_from = NULL, rolled_up_to = NULL,"
                " service_level_s = :sl, short_abandon_s = :short, updated_at = :now"
            ).bindparams(*_times("now")),
            {"sl": current.service_level_s, "short": current.short_abandon_s, "now": now},
        )
        return stamped.service_level_s is not None or force


def _locked_watermark(connection: Connection) -> dt.datetime | None:
    """The watermark, the state row locked; on a first run, the first quarter-hour of any data."""
    connection.execute(text("UPDATE rollup_state SET id = id"))
    watermark = connection.execute(text("SELECT rolled_up_to FROM rollup_state")).scalar_one()
    if watermark is not None:
        return _utc(watermark)
    firsts = [
        connection.execute(
            text(f"SELECT MIN({column}) AS first FROM {table}").columns(first=UtcDateTime())  # noqa: S608
        ).scalar_one()
        for table, column in FIRST_TIMES
    ]
    known = [first for first in firsts if first is not None]
    return quarter_floor(min(known)) if known else None


def _insert(
    connection: Connection, table: str, window_sql: str, start: dt.datetime, end: dt.datetime
) -> None:
    statement = text(f"INSERT INTO {table} {window_sql}").bindparams(*_times("lo", "hi"))
    connection.execute(statement, {"lo": start, "hi": end})


def _times(*names: str) -> list[BindParameter[dt.datetime]]:
    return [bindparam(name, type_=UtcDateTime()) for name in names]


def _utc(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's text, read without a type
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
