"""The report's section queries over the rollups: the stored quarter-hours in [:start, :lo), then the
raw tables' window [:lo, :hi) through the same window queries the rollup stored them with
(schema/reporting/windows.py). Each returns the rows the views' queries of schema/reporting/report.py
return, so the report folds them the same way. `{queue}` and `{department}` are filters added only when
asked for, as in report.py.
"""

from __future__ import annotations

from schema.reporting.windows import (
    Dialect,
    abandons_sql,
    agent_sql,
    csat_sql,
    ivr_sql,
    queue_sql,
    volume_sql,
)

STORED = "interval_start >= :start AND interval_start < :lo"
QUEUE_PARTS = ", ".join(
    [
        *("offered", "answered", "answered_within_threshold", "abandoned", "short_abandons"),
        *("answer_wait_s", "handled", "handle_s"),
    ]
)
AGENT_PARTS = "agent_id, offered, answered, talk_s, logged_in_s, on_break_s, on_call_s, wrap_up_s"
IVR_PARTS = "menu, option, presses, exits, contained, dropped, routed"


def queue_section(d: Dialect) -> str:
    sums = ", ".join(f"SUM({part}) AS {part}" for part in QUEUE_PARTS.split(", "))
    return f"""
SELECT interval_start, {sums}
FROM (
    SELECT interval_start, queue, {QUEUE_PARTS} FROM rollup_queue WHERE {STORED}
    UNION ALL
    SELECT interval_start, queue, {QUEUE_PARTS} FROM ({queue_sql(d)}) AS w
) AS u WHERE 1 = 1{{queue}}
GROUP BY interval_start"""  # noqa: S608


def volume_section(d: Dialect) -> str:
    return f"""
SELECT interval_start, SUM(calls) AS calls
FROM (
    SELECT interval_start, calls FROM rollup_volume WHERE {STORED}
    UNION ALL
    SELECT interval_start, calls FROM ({volume_sql(d)}) AS w
) AS u
GROUP BY interval_start"""  # noqa: S608


def abandons_section(d: Dialect) -> str:
    return f"""
SELECT from_s, SUM(abandons) AS abandons
FROM (
    SELECT queue, from_s, abandons FROM rollup_abandons WHERE {STORED}
    UNION ALL
    SELECT queue, from_s, abandons FROM ({abandons_sql(d)}) AS w
) AS u WHERE 1 = 1{{queue}}
GROUP BY from_s"""  # noqa: S608


def agents_section(d: Dialect) -> str:
    """Stored agent figures by the day for the whole UTC days in [:d1, :d2), by the quarter-hour
    around them, then the window."""
    return f"""
SELECT v.agent_id, MAX(a.name) AS name, SUM(v.offered) AS offered, SUM(v.answered) AS answered,
       SUM(v.talk_s) AS talk_s, SUM(v.logged_in_s) AS logged_in_s, SUM(v.on_break_s) AS on_break_s,
       SUM(v.on_call_s) + SUM(v.wrap_up_s) AS busy_s
FROM (
    SELECT {AGENT_PARTS} FROM rollup_agent
    WHERE interval_start >= :start AND interval_start < :d1 OR interval_start >= :d2 AND interval_start < :lo
    UNION ALL
    SELECT {AGENT_PARTS} FROM rollup_agent_day WHERE day_start >= :d1 AND day_start < :d2
    UNION ALL
    SELECT {AGENT_PARTS} FROM ({agent_sql(d)}) AS w
) AS v LEFT JOIN agents AS a ON a.agent_id = v.agent_id
WHERE 1 = 1{{department}}
GROUP BY v.agent_id ORDER BY v.agent_id"""  # noqa: S608


def ivr_section(d: Dialect) -> str:
    sums = ", ".join(f"SUM({part}) AS {part}" for part in IVR_PARTS.split(", ")[2:])
    return f"""
SELECT menu, option, {sums}
FROM (
    SELECT {IVR_PARTS} FROM rollup_ivr WHERE {STORED}
    UNION ALL
    SELECT {IVR_PARTS} FROM ({ivr_sql(d)}) AS w
) AS u
GROUP BY menu, option ORDER BY menu, option"""  # noqa: S608


def csat_section(d: Dialect) -> str:
    """CSAT with today's settings: the stored answers are per question and score."""
    return f"""
SELECT COALESCE(SUM(u.responses), 0) AS responses,
       COALESCE(SUM(CASE WHEN u.score >= s.csat_satisfied_score THEN u.responses ELSE 0 END), 0) AS satisfied,
       COALESCE(SUM(u.score * u.responses), 0) AS score_sum
FROM (
    SELECT queue, question, score, responses FROM rollup_csat WHERE {STORED}
    UNION ALL
    SELECT queue, question, score, responses FROM ({csat_sql(d)}) AS w
) AS u JOIN report_settings AS s ON u.question = s.csat_question
WHERE 1 = 1{{queue}}"""  # noqa: S608
