"""The report's figures per UTC quarter-hour for one window of time [:lo, :hi), read from the raw tables.

The same figures as the KPI views of migrations 0012/0013 (docs/database.md, "Views") filtered on
`interval_start`, but each query reads only its window, by the tables' time indexes: a view is
computed whole before a filter on its bucket applies (the agent view cuts every state period into
quarter-hours first). `callcenter report rollup` stores these rows per quarter-hour; the report reads
the window after the watermark (the tail) through the same text (docs/reports.md, "Rollups").
`:lo` and `:hi` are quarter-hour boundaries, so "the row's time is in the window" is "its quarter-hour
is". An agent's state period that began before `:lo` is found by its last row before `:lo`.
"""

from __future__ import annotations

from typing import Final

from ivr_scripts.report.model import WAIT_BUCKETS_S

ENDED: Final = "event IN ('COMPLETECALLER', 'COMPLETEAGENT', 'TRANSFER')"
EXITS: Final = "event IN ('CONNECT', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITWITHKEY', 'CALLBACK')"
ANSWERS_CALLBACK: Final = "event = 'CONNECT' AND substr(COALESCE(data, ''), 1, 8) = 'callback'"
ROUTED: Final = "'answered', 'abandoned', 'callback', 'queued', 'transferred'"
LOGGED_IN_STATES: Final = ("available", "reserved", "ringing", "on_call", "wrap_up", "on_break")


class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite (as in migration 0012)."""

    def __init__(self, *, postgresql: bool) -> None:
        self.postgresql = postgresql

    def quarter(self, column: str) -> str:
        if self.postgresql:
            return f"date_bin('15 minutes', {column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        minute = f"printf('%02d', CAST(substr({column}, 15, 2) AS INTEGER) / 15 * 15)"
        return f"(substr({column}, 1, 14) || {minute} || '\\:00.000000')"  # text(): a colon, not a parameter

    def next_quarter(self, column: str) -> str:
        if self.postgresql:
            return f"({column} + INTERVAL '15 minutes')"
        return f"(strftime('%Y-%m-%d %H:%M:%S', {column}, '+15 minutes') || '.000000')"

    def seconds(self, start: str, end: str) -> str:
        if self.postgresql:
            epoch = f"CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS NUMERIC)"
            return f"CAST(ROUND({epoch}, 3) AS DOUBLE PRECISION)"
        return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"

    def now(self) -> str:
        return "now()" if self.postgresql else "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"

    def later(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgresql else f"max({a}, {b})"

    def earlier(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.postgresql else f"min({a}, {b})"

    def param(self, name: str) -> str:
        """A time parameter where PostgreSQL cannot infer its type (inside GREATEST, a CTE)."""
        return f"CAST(:{name} AS TIMESTAMPTZ)" if self.postgresql else f":{name}"


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def queue_sql(d: Dialect) -> str:
    """Per queue and quarter-hour: the report's queue parts (v_queue_interval's), thresholds applied."""
    wrap = f"""(
            SELECT SUM({d.seconds("wrap.at", "COALESCE(nxt.at, wrap.at)")})
            FROM agent_state_log AS wrap
            LEFT JOIN agent_state_log AS nxt
                   ON nxt.agent_id = wrap.agent_id AND nxt.version = (
                      SELECT MIN(v.version) FROM agent_state_log AS v
                      WHERE v.agent_id = wrap.agent_id AND v.version > wrap.version)
            WHERE wrap.call_uuid = q.call_uuid AND wrap.agent_id = q.agent_id AND wrap.to_state = 'wrap_up'
        )"""  # noqa: S608
    return f"""
SELECT e.interval_start, e.queue,
       {_count(f"{EXITS} AND NOT ({ANSWERS_CALLBACK})")} AS offered,
       {_count("event = 'CONNECT'")} AS answered,
       {_count("event = 'CONNECT' AND wait_s <= s.service_level_s")} AS answered_within_threshold,
       {_count("event = 'ABANDON'")} AS abandoned,
       {_count("event = 'ABANDON' AND wait_s < s.short_abandon_s")} AS short_abandons,
       COALESCE(SUM(CASE WHEN event = 'CONNECT' THEN wait_s END), 0) AS answer_wait_s,
       {_count(ENDED)} AS handled,
       COALESCE(SUM(CASE WHEN {ENDED} THEN talk_s END), 0)
           + COALESCE(SUM(CASE WHEN {ENDED} THEN wrap_s END), 0) AS handle_s
FROM (
    SELECT q.queue, {d.quarter("q.at")} AS interval_start, q.event, q.wait_s, q.talk_s, q.data,
           CASE WHEN q.{ENDED} THEN COALESCE({wrap}, 0) END AS wrap_s
    FROM queue_log AS q
    WHERE q.at >= :lo AND q.at < :hi
) AS e
CROSS JOIN report_settings AS s
GROUP BY e.interval_start, e.queue"""  # noqa: S608  (our SQL text, no caller values: those are bound)


def volume_sql(d: Dialect) -> str:
    return f"""
SELECT {d.quarter("started_at")} AS interval_start, COUNT(*) AS calls
FROM calls WHERE started_at >= :lo AND started_at < :hi
GROUP BY {d.quarter("started_at")}"""  # noqa: S608  (our SQL text, no caller values: those are bound)


def abandons_sql(d: Dialect) -> str:
    """Abandons per queue, quarter-hour and wait band (the band's lower bound, `from_s`)."""
    lowers = (0, *WAIT_BUCKETS_S[:-1])
    cases = " ".join(
        f"WHEN wait_s < {upper} THEN {lower}" for lower, upper in zip(lowers, WAIT_BUCKETS_S, strict=True)
    )
    band = f"CASE {cases} ELSE {WAIT_BUCKETS_S[-1]} END"
    # The CASE is built from our integer constants, nothing a caller gives.
    return f"""
SELECT {d.quarter("at")} AS interval_start, queue, {band} AS from_s, COUNT(*) AS abandons
FROM queue_log WHERE event = 'ABANDON' AND at >= :lo AND at < :hi
GROUP BY {d.quarter("at")}, queue, {band}"""  # noqa: S608


def agent_sql(d: Dialect) -> str:
    """Per agent and quarter-hour: offers and answers (agent_legs), talk, and the time in each state."""
    lo, hi = d.param("lo"), d.param("hi")
    slice_start = d.later("started_at", "interval_start")
    slice_end = d.earlier("ended_at", d.next_quarter("interval_start"))
    sums = {state: f"SUM(CASE WHEN state = '{state}' THEN seconds ELSE 0 END)" for state in LOGGED_IN_STATES}
    return f"""
WITH RECURSIVE rows_in AS (
    SELECT agent_id, version, to_state AS state, at FROM agent_state_log WHERE at >= {lo} AND at < {hi}
    UNION ALL
    SELECT agent_id, version, to_state, at FROM agent_state_log WHERE id IN (
        SELECT (SELECT p.id FROM agent_state_log AS p WHERE p.agent_id = a.agent_id AND p.at < {lo}
                ORDER BY p.at DESC, p.version DESC LIMIT 1)
        FROM agents AS a)
), periods AS (
    SELECT agent_id, state, at AS started_at,
           COALESCE(LEAD(at) OVER (PARTITION BY agent_id ORDER BY version), {d.now()}) AS ended_at
    FROM rows_in
), slices(agent_id, state, started_at, ended_at, interval_start) AS (
    SELECT agent_id, state, started_at, ended_at, {d.later(d.quarter("started_at"), lo)}
    FROM periods WHERE state <> 'logged_out' AND ended_at > started_at AND ended_at > {lo}
    UNION ALL
    SELECT agent_id, state, started_at, ended_at, {d.next_quarter("interval_start")}
    FROM slices
    WHERE {d.next_quarter("interval_start")} < ended_at AND {d.next_quarter("interval_start")} < {hi}
), facts AS (
    SELECT agent_id, {d.quarter("offered_at")} AS interval_start, 1 AS offers, 0 AS answers,
           0 AS talk_ms, CAST(NULL AS VARCHAR(16)) AS state, 0.0 AS seconds
    FROM agent_legs WHERE offered_at >= {lo} AND offered_at < {hi}
    UNION ALL
    SELECT agent_id, {d.quarter("answered_at")}, 0, 1, COALESCE(talk_ms, 0), NULL, 0.0
    FROM agent_legs WHERE outcome = 'answered' AND answered_at >= {lo} AND answered_at < {hi}
    UNION ALL
    SELECT agent_id, interval_start, 0, 0, 0, state, {d.seconds(slice_start, slice_end)}
    FROM slices
)
SELECT interval_start, agent_id, SUM(offers) AS offered, SUM(answers) AS answered,
       SUM(talk_ms) / 1000.0 AS talk_s,
       {" + ".join(sums.values())} AS logged_in_s,
       {sums["on_break"]} AS on_break_s, {sums["on_call"]} AS on_call_s, {sums["wrap_up"]} AS wrap_up_s
FROM facts
GROUP BY interval_start, agent_id"""  # noqa: S608  (our SQL text, no caller values: those are bound)


def ivr_sql(d: Dialect) -> str:
    """Per menu, option and quarter-hour: presses and exits by outcome (v_ivr_menu_options' parts)."""
    last_key = "SELECT MAX(k.seq) FROM ivr_steps AS k WHERE k.call_uuid = s.call_uuid AND k.result = 'ok'"
    first_step = (
        "SELECT MIN(f.seq) FROM ivr_steps AS f WHERE f.call_uuid = s.call_uuid AND f.menu IS NOT NULL"
    )
    outcome = "(SELECT c.outcome FROM calls AS c WHERE c.uuid = s.call_uuid)"
    return f"""
SELECT interval_start, menu, option,
       SUM(is_press) AS presses, SUM(1 - is_press) AS exits,
       {_count("is_press = 0 AND outcome = 'hangup'")} AS contained,
       {_count("is_press = 0 AND outcome = 'caller_hangup'")} AS dropped,
       {_count(f"is_press = 0 AND outcome IN ({ROUTED})")} AS routed
FROM (
    SELECT menu, digits AS option, {d.quarter("at")} AS interval_start, 1 AS is_press,
           CAST(NULL AS VARCHAR(16)) AS outcome
    FROM ivr_steps WHERE result = 'ok' AND menu IS NOT NULL AND at >= :lo AND at < :hi
    UNION ALL
    SELECT s.menu, CASE WHEN s.result = 'ok' THEN COALESCE(s.digits, '') ELSE '' END,
           {d.quarter("s.at")}, 0, {outcome}
    FROM ivr_steps AS s
    WHERE s.at >= :lo AND s.at < :hi AND s.seq = COALESCE(({last_key}), ({first_step}))
) AS steps
GROUP BY interval_start, menu, option"""  # noqa: S608  (our SQL text, no caller values: those are bound)


def csat_sql(d: Dialect) -> str:
    """Survey answers per quarter-hour, queue ('' for none), question and score: no threshold applied."""
    return f"""
SELECT {d.quarter("answered_at")} AS interval_start, COALESCE(queue, '') AS queue, question, score,
       COUNT(*) AS responses
FROM survey_responses WHERE answered_at >= :lo AND answered_at < :hi
GROUP BY {d.quarter("answered_at")}, COALESCE(queue, ''), question, score"""  # noqa: S608  (our SQL text, no caller values: those are bound)


# Each rollup table and the window query that fills it, in the order the rollup writes them.
WINDOWS: Final = {
    "rollup_queue": queue_sql,
    "rollup_volume": volume_sql,
    "rollup_abandons": abandons_sql,
    "rollup_agent": agent_sql,
    "rollup_ivr": ivr_sql,
    "rollup_csat": csat_sql,
}
