"""The figures of `callcenter report` (ivr_scripts.report.model.Report).

One query per section, grouped in SQL by UTC quarter-hour; Python only folds the quarter-hours into
local hours. By default the sections read the rollups before their watermark and the raw tables'
window after it (schema/reporting/sections.py; docs/reports.md, "Rollups"). `from_views` reads the
KPI views instead, each filtered on its quarter-hour (`interval_start`) by the UTC bounds of the
local period: the same figures, the definition the rollups are tested against. The abandon curve has
no view (none keeps an abandon's wait): that path reads queue_log's ABANDON rows by the indexed `at`.

Who sees what: managers everything; a supervisor the centre's queue, volume and IVR figures and the
agent table of their department's agents (`agents.department`); an agent nothing (PermissionDenied).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.sql.elements import TextClause

from ivr_scripts.report.model import (
    WAIT_BUCKETS_S,
    AgentRow,
    Csat,
    HourFigures,
    MenuOption,
    Period,
    QueueFigures,
    Report,
    WaitBucket,
)
from schema.db import read_connection
from schema.errors import PermissionDenied, RecordRejected
from schema.reporting.sections import (
    abandons_section,
    agents_section,
    csat_section,
    ivr_section,
    queue_section,
    volume_section,
)
from schema.reporting.windows import Dialect
from schema.types import UtcDateTime
from schema.viewer import Viewer

# Templates: {period} is the time filter, {queue} and {department} filters added only when asked for.
IN_PERIOD: Final = "interval_start >= :start AND interval_start < :end"
QUEUE_SQL: Final = """
SELECT interval_start, SUM(offered) AS offered, SUM(answered) AS answered,
       SUM(answered_within_threshold) AS answered_within_threshold, SUM(abandoned) AS abandoned,
       SUM(short_abandons) AS short_abandons, SUM(answer_wait_s) AS answer_wait_s,
       SUM(handled) AS handled, SUM(talk_s) + SUM(wrap_s) AS handle_s
FROM v_queue_interval WHERE {period}{queue}
GROUP BY interval_start"""
VOLUME_SQL: Final = """
SELECT interval_start, SUM(calls) AS calls FROM v_interval_volume WHERE {period} GROUP BY interval_start"""
AGENTS_SQL: Final = """
SELECT v.agent_id, MAX(a.name) AS name, SUM(v.offered) AS offered, SUM(v.answered) AS answered,
       SUM(v.talk_s) AS talk_s, SUM(v.logged_in_s) AS logged_in_s, SUM(v.on_break_s) AS on_break_s,
       SUM(v.on_call_s) + SUM(v.wrap_up_s) AS busy_s
FROM v_agent_interval AS v LEFT JOIN agents AS a ON a.agent_id = v.agent_id
WHERE v.{period}{department}
GROUP BY v.agent_id ORDER BY v.agent_id"""
IVR_SQL: Final = """
SELECT menu, option, SUM(presses) AS presses, SUM(exits) AS exits, SUM(contained) AS contained,
       SUM(dropped) AS dropped, SUM(routed) AS routed
FROM v_ivr_menu_options WHERE {period} GROUP BY menu, option ORDER BY menu, option"""
CSAT_SQL: Final = """
SELECT COALESCE(SUM(responses), 0) AS responses, COALESCE(SUM(satisfied), 0) AS satisfied,
       COALESCE(SUM(score_sum), 0) AS score_sum
FROM v_csat WHERE {period}{queue}"""
SETTINGS_SQL: Final = "SELECT service_level_s, short_abandon_s FROM report_settings"
STATE_SQL: Final = "SELECT rolled_up_to, service_level_s, short_abandon_s FROM rollup_state"


def _abandons_sql() -> str:
    lowers = (0, *WAIT_BUCKETS_S[:-1])
    cases = " ".join(
        f"WHEN wait_s < {upper} THEN {lower}" for lower, upper in zip(lowers, WAIT_BUCKETS_S, strict=True)
    )
    # The CASE is built from our integer constants, nothing a caller gives.
    return f"""
SELECT CASE {cases} ELSE {WAIT_BUCKETS_S[-1]} END AS from_s, COUNT(*) AS abandons
FROM queue_log WHERE event = 'ABANDON' AND at >= :start AND at < :end{{queue}}
GROUP BY CASE {cases} ELSE {WAIT_BUCKETS_S[-1]} END"""  # noqa: S608


def build_report(
    engine: Engine,
    viewer: Viewer,
    period: Period,
    *,
    now: dt.datetime | None = None,
    from_views: bool = False,
) -> Report:
    """The report of `period` as `viewer` may see it; RecordRejected for a bad period.

    By default the rolled-up quarter-hours come from the rollups and the rest from the raw tables by
    time (schema/reporting/sections.py); `from_views` reads every figure through the KPI views (the
    benchmark's baseline, and the tests' yardstick: both give the same report)."""
    if viewer.role == "agent":
        raise PermissionDenied("reports are for supervisors and managers")
    try:
        period.check()
    except ValueError as exc:
        raise RecordRejected(str(exc)) from exc
    start, end = period.utc_bounds()
    department = viewer.department if viewer.role == "supervisor" else None
    params = {"start": start, "end": end, "queue": period.queue, "department": department}
    with read_connection(engine, "reading the report") as connection:
        settings = connection.execute(text(SETTINGS_SQL)).one()
        if from_views:
            sections = _from_views(connection, params)
        else:
            sections = _from_rollups(connection, params, settings)
    queue_rows, volume_rows, abandon_rows, agent_rows, ivr_rows, csat_row = sections
    hours = _hours(period, queue_rows, volume_rows)
    return Report(
        period=period,
        generated_at=now or dt.datetime.now(dt.UTC),
        service_level_s=float(settings.service_level_s),
        short_abandon_s=float(settings.short_abandon_s),
        calls=sum(hour.calls for hour in hours),
        queue=_total(hour.queue for hour in hours),
        hours=hours,
        abandons=_wait_buckets(abandon_rows),
        agents=[AgentRow(**_numbers(row)) for row in agent_rows],
        agents_of_department=department,
        menu_options=[MenuOption(**_numbers(row)) for row in ivr_rows],
        csat=Csat(**_numbers(csat_row)),
    )


def _from_views(connection: Connection, params: dict[str, Any]) -> tuple[Any, ...]:
    return (
        _rows(connection, QUEUE_SQL, params),
        _rows(connection, VOLUME_SQL, params),
        _rows(connection, _abandons_sql(), params, timed=False),
        _rows(connection, AGENTS_SQL, params, timed=False),
        _rows(connection, IVR_SQL, params, timed=False),
        _rows(connection, CSAT_SQL, params, timed=False)[0],
    )


def _from_rollups(connection: Connection, params: dict[str, Any], settings: Any) -> tuple[Any, ...]:
    """Stored quarter-hours before the watermark, the raw tables' window [watermark, end) after it.
    The queue rows hold thresholds: with other thresholds than today's, the queue figures all come
    from the raw tables until the next rollup run rebuilds them."""
    state = connection.execute(text(STATE_SQL).columns(rolled_up_to=UtcDateTime())).one()
    start, end = params["start"], params["end"]
    lo = start if state.rolled_up_to is None else min(max(state.rolled_up_to, start), end)
    fresh = (state.service_level_s, state.short_abandon_s) == (
        settings.service_level_s,
        settings.short_abandon_s,
    )
    d = Dialect(postgresql=connection.dialect.name == "postgresql")
    first_day, last_day = _day_ceiling(start), lo.replace(hour=0, minute=0, second=0, microsecond=0)
    if last_day <= first_day:  # no whole UTC day rolled up in the range: quarter-hours only
        first_day = last_day = lo
    windowed = params | {"lo": lo, "hi": end, "d1": first_day, "d2": last_day}
    return (
        _rows(connection, queue_section(d), windowed | ({} if fresh else {"lo": start})),
        _rows(connection, volume_section(d), windowed),
        _rows(connection, abandons_section(d), windowed, timed=False),
        _rows(connection, agents_section(d), windowed, timed=False),
        _rows(connection, ivr_section(d), windowed, timed=False),
        _rows(connection, csat_section(d), windowed, timed=False)[0],
    )


def _rows(connection: Connection, sql: str, params: dict[str, Any], *, timed: bool = True) -> list[Any]:
    sql = sql.format(
        period=IN_PERIOD,
        queue=" AND queue = :queue" if params["queue"] is not None else "",
        department=" AND a.department = :department" if params["department"] is not None else "",
    )
    times = [name for name in ("start", "end", "lo", "hi", "d1", "d2") if f":{name}" in sql]
    statement: TextClause = text(sql).bindparams(*(bindparam(name, type_=UtcDateTime()) for name in times))
    if timed:
        statement = statement.columns(interval_start=UtcDateTime())  # type: ignore[assignment]
    return list(connection.execute(statement, {k: v for k, v in params.items() if f":{k}" in sql}))


def _day_ceiling(moment: dt.datetime) -> dt.datetime:
    midnight = moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == moment else midnight + dt.timedelta(days=1)


def _numbers(row: Any) -> dict[str, Any]:
    """A row as a dict, PostgreSQL's Decimal sums as floats (pydantic takes whole floats as ints)."""
    return {key: float(value) if isinstance(value, Decimal) else value for key, value in row._mapping.items()}


def _hours(period: Period, queue_rows: Sequence[Any], volume_rows: Sequence[Any]) -> list[HourFigures]:
    queue: dict[int, QueueFigures] = {hour: QueueFigures() for hour in range(24)}
    calls = dict.fromkeys(range(24), 0)
    for row in sorted(queue_rows, key=lambda row: row.interval_start):  # the same sums in any order
        figures = _numbers(row)
        hour = period.local_hour(figures.pop("interval_start"))
        queue[hour] = queue[hour].plus(QueueFigures(**figures))
    for row in volume_rows:
        calls[period.local_hour(row.interval_start)] += int(row.calls)
    return [HourFigures(hour=hour, calls=calls[hour], queue=queue[hour]) for hour in range(24)]


def _total(figures: Any) -> QueueFigures:
    total = QueueFigures()
    for each in figures:
        total = total.plus(each)
    return total


def _wait_buckets(rows: Sequence[Any]) -> list[WaitBucket]:
    counts = {int(row.from_s): int(row.abandons) for row in rows}
    bounds = (0, *WAIT_BUCKETS_S)
    uppers: tuple[int | None, ...] = (*WAIT_BUCKETS_S, None)
    return [
        WaitBucket(from_s=lower, to_s=upper, abandons=counts.get(lower, 0))
        for lower, upper in zip(bounds, uppers, strict=True)
    ]
