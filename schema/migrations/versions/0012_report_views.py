"""report_settings and the KPI views: queue, agent, IVR, first-call resolution, CSAT, volume

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

Views a BI tool reads without our code (docs/database.md, "Views"). The SQL is one text per view; the
few spots where the two databases differ (time buckets, seconds between two times, adding days, now)
are the small functions below, filled in per dialect. Times on SQLite are the fixed-width UTC text
`YYYY-MM-DD HH:MM:SS.ffffff`, and every bucket written here keeps that width, so text comparison is time
comparison on both databases.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# In creation order; dropped in reverse (some read others).
VIEWS = (
    "v_agent_state_periods",
    "v_queue_interval",
    "v_agent_interval",
    "v_interval_volume",
    "v_hourly_volume",
    "v_ivr_menu_options",
    "v_first_call_resolution",
    "v_first_call_resolution_queue",
    "v_csat",
)


class _Dialect:
    # Not a dataclass: alembic loads this file without registering it in sys.modules.
    def __init__(self, *, postgresql: bool) -> None:
        self.postgresql = postgresql

    def quarter(self, column: str) -> str:
        """The start of the UTC quarter-hour holding `column`."""
        if self.postgresql:
            return f"date_bin('15 minutes', {column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        minute = f"printf('%02d', CAST(substr({column}, 15, 2) AS INTEGER) / 15 * 15)"
        return f"(substr({column}, 1, 14) || {minute} || ':00.000000')"

    def next_quarter(self, column: str) -> str:
        if self.postgresql:
            return f"({column} + INTERVAL '15 minutes')"
        return f"(strftime('%Y-%m-%d %H:%M:%S', {column}, '+15 minutes') || '.000000')"

    def hour(self, column: str) -> str:
        if self.postgresql:
            return f"date_bin('1 hour', {column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
        return f"(substr({column}, 1, 13) || ':00:00.000000')"

    def seconds(self, start: str, end: str) -> str:
        """Seconds from `start` to `end`, to the millisecond."""
        if self.postgresql:
            return f"CAST(ROUND(CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS NUMERIC), 3) AS DOUBLE PRECISION)"
        return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"

    def plus_days(self, column: str, days: str) -> str:
        """`column` plus whole days of 24 hours (UTC: no daylight saving)."""
        if self.postgresql:
            return f"({column} + {days} * INTERVAL '24 hours')"
        return f"(date({column}, '+' || {days} || ' days') || substr({column}, 11))"

    def now(self) -> str:
        if self.postgresql:
            return "now()"
        return "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"

    def later(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgresql else f"max({a}, {b})"

    def earlier(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.postgresql else f"min({a}, {b})"


def _ratio(part: str, whole: str) -> str:
    return f"CAST({part} AS DOUBLE PRECISION) / NULLIF({whole}, 0)"


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _agent_state_periods(d: _Dialect) -> str:
    return f"""
SELECT periods.agent_id, periods.version, periods.state, periods.reason, periods.call_uuid,
       periods.started_at, periods.ended_at,
       {d.seconds("periods.started_at", f"COALESCE(periods.ended_at, {d.now()})")} AS seconds
FROM (
    SELECT log.agent_id, log.version, log.to_state AS state, log.reason, log.call_uuid,
           log.at AS started_at,
           LEAD(log.at) OVER (PARTITION BY log.agent_id ORDER BY log.version) AS ended_at
    FROM agent_state_log AS log
) AS periods"""


def _queue_interval(d: _Dialect) -> str:
    # The wrap-up of one conversation: the agent's wrap_up rows for the call, each until the agent's
    # next row. A correlated subquery per end event, so a time filter on the view narrows it too.
    wrap = f"""(
            SELECT SUM({d.seconds("wrap.at", "COALESCE(nxt.at, wrap.at)")})
            FROM agent_state_log AS wrap
            LEFT JOIN agent_state_log AS nxt
                   ON nxt.agent_id = wrap.agent_id AND nxt.version = (
                      SELECT MIN(v.version) FROM agent_state_log AS v
                      WHERE v.agent_id = wrap.agent_id AND v.version > wrap.version)
            WHERE wrap.call_uuid = q.call_uuid AND wrap.agent_id = q.agent_id AND wrap.to_state = 'wrap_up'
        )"""
    ended = "event IN ('COMPLETECALLER', 'COMPLETEAGENT', 'TRANSFER')"
    answers_callback = "event = 'CONNECT' AND substr(COALESCE(data, ''), 1, 8) = 'callback'"
    exits = "event IN ('CONNECT', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITWITHKEY', 'CALLBACK')"
    short = "event = 'ABANDON' AND wait_s < s.short_abandon_s"
    return f"""
SELECT t.*,
       {_ratio("t.answered_within_threshold", "t.offered - t.short_abandons")} AS service_level,
       {_ratio("t.answer_wait_s", "t.answered")} AS asa_s,
       {_ratio("t.abandoned - t.short_abandons", "t.offered - t.short_abandons")} AS abandon_rate,
       {_ratio("t.talk_s + t.wrap_s", "t.handled")} AS aht_s
FROM (
    SELECT e.queue, e.interval_start,
           {_count("event = 'ENTERQUEUE'")} AS entered,
           {_count(f"{exits} AND NOT ({answers_callback})")} AS offered,
           {_count("event = 'CONNECT'")} AS answered,
           {_count("event = 'CONNECT' AND wait_s <= s.service_level_s")} AS answered_within_threshold,
           {_count("event = 'ABANDON'")} AS abandoned,
           {_count(short)} AS short_abandons,
           {_count("event IN ('EXITWITHTIMEOUT', 'EXITWITHKEY')")} AS exited,
           {_count("event = 'CALLBACK'")} AS callbacks,
           COALESCE(SUM(CASE WHEN event = 'CONNECT' THEN wait_s END), 0) AS answer_wait_s,
           {_count(ended)} AS handled,
           COALESCE(SUM(CASE WHEN {ended} THEN talk_s END), 0) AS talk_s,
           COALESCE(SUM(CASE WHEN {ended} THEN wrap_s END), 0) AS wrap_s,
           s.service_level_s, s.short_abandon_s
    FROM (
        SELECT q.queue, {d.quarter("q.at")} AS interval_start, q.event, q.wait_s, q.talk_s, q.data,
               CASE WHEN q.event IN ('COMPLETECALLER', 'COMPLETEAGENT', 'TRANSFER')
                    THEN COALESCE({wrap}, 0) END AS wrap_s
        FROM queue_log AS q
    ) AS e
    CROSS JOIN report_settings AS s
    GROUP BY e.queue, e.interval_start, s.service_level_s, s.short_abandon_s
) AS t"""


def _agent_interval(d: _Dialect) -> str:
    end = "slices.ended_at"
    slice_end = d.earlier(end, d.next_quarter("slices.interval_start"))
    slice_start = d.later("slices.started_at", "slices.interval_start")
    states = ("available", "reserved", "ringing", "on_call", "wrap_up", "on_break")
    state_sums = ",\n       ".join(
        f"SUM(CASE WHEN state = '{state}' THEN seconds ELSE 0 END) AS {state}_s" for state in states
    )
    return f"""
WITH RECURSIVE periods AS (
    SELECT agent_id, state, started_at, COALESCE(ended_at, {d.now()}) AS ended_at
    FROM v_agent_state_periods
    WHERE state <> 'logged_out'
), slices(agent_id, state, started_at, ended_at, interval_start) AS (
    SELECT agent_id, state, started_at, ended_at, {d.quarter("started_at")}
    FROM periods WHERE ended_at > started_at
    UNION ALL
    SELECT agent_id, state, started_at, ended_at, {d.next_quarter("interval_start")}
    FROM slices WHERE {d.next_quarter("interval_start")} < ended_at
), facts AS (
    SELECT agent_id, {d.quarter("offered_at")} AS interval_start, 1 AS offers, 0 AS answers,
           0 AS talk_ms, CAST(NULL AS VARCHAR(16)) AS state, 0.0 AS seconds
    FROM agent_legs
    UNION ALL
    SELECT agent_id, {d.quarter("answered_at")}, 0, 1, COALESCE(talk_ms, 0), NULL, 0.0
    FROM agent_legs WHERE outcome = 'answered' AND answered_at IS NOT NULL
    UNION ALL
    SELECT agent_id, interval_start, 0, 0, 0, state, {d.seconds(slice_start, slice_end)}
    FROM slices
)
SELECT t.*,
       t.available_s + t.reserved_s + t.ringing_s + t.on_call_s + t.wrap_up_s + t.on_break_s AS logged_in_s,
       {_ratio("t.on_call_s + t.wrap_up_s", "t.available_s + t.reserved_s + t.ringing_s + t.on_call_s + t.wrap_up_s")}
           AS occupancy
FROM (
SELECT agent_id, interval_start,
       SUM(offers) AS offered, SUM(answers) AS answered, SUM(talk_ms) / 1000.0 AS talk_s,
       {state_sums}
FROM facts
GROUP BY agent_id, interval_start
) AS t"""


def _volume(bucket: str, name: str) -> str:
    return f"""
SELECT {bucket} AS {name},
       direction, did,
       COUNT(*) AS calls,
       {_count("outcome = 'answered'")} AS answered,
       {_count("outcome = 'abandoned'")} AS abandoned,
       {_count("outcome = 'callback'")} AS callbacks,
       {_count("outcome = 'hangup'")} AS contained,
       {_count("outcome = 'caller_hangup'")} AS dropped_in_ivr,
       COALESCE(SUM(duration_s), 0) AS duration_s
FROM calls
WHERE started_at IS NOT NULL
GROUP BY {bucket}, direction, did"""


def _ivr_menu_options(d: _Dialect) -> str:
    routed = "'answered', 'abandoned', 'callback', 'queued', 'transferred'"
    # A call's exit point: its last valid key, or (no valid key at all) its first step in a menu.
    last_key = "SELECT MAX(k.seq) FROM ivr_steps AS k WHERE k.call_uuid = s.call_uuid AND k.result = 'ok'"
    first_step = (
        "SELECT MIN(f.seq) FROM ivr_steps AS f WHERE f.call_uuid = s.call_uuid AND f.menu IS NOT NULL"
    )
    return f"""
SELECT t.*,
       {_ratio("t.contained", "t.exits")} AS containment_rate,
       {_ratio("t.dropped", "t.exits")} AS drop_off_rate
FROM (
    SELECT menu, option, interval_start,
           COUNT(DISTINCT CASE WHEN is_press = 1 THEN call_uuid END) AS calls,
           SUM(is_press) AS presses,
           SUM(1 - is_press) AS exits,
           {_count("is_press = 0 AND outcome = 'hangup'")} AS contained,
           {_count("is_press = 0 AND outcome = 'caller_hangup'")} AS dropped,
           {_count(f"is_press = 0 AND outcome IN ({routed})")} AS routed
    FROM (
        SELECT menu, digits AS option, call_uuid, {d.quarter("at")} AS interval_start, 1 AS is_press,
               CAST(NULL AS VARCHAR(16)) AS outcome
        FROM ivr_steps WHERE result = 'ok' AND menu IS NOT NULL
        UNION ALL
        SELECT s.menu, CASE WHEN s.result = 'ok' THEN COALESCE(s.digits, '') ELSE '' END,
               s.call_uuid, {d.quarter("s.at")}, 0, calls.outcome
        FROM ivr_steps AS s
        LEFT JOIN calls ON calls.uuid = s.call_uuid
        WHERE s.seq = COALESCE(({last_key}), ({first_step}))
    ) AS steps
    GROUP BY menu, option, interval_start
) AS t"""


def _first_call_resolution(d: _Dialect) -> str:
    window_end = d.plus_days("c.started_at", "s.fcr_window_days")
    inbound = "({alias}.direction IS NULL OR {alias}.direction = 'inbound')"
    connect = "FROM queue_log AS q WHERE q.call_uuid = c.uuid AND q.event = 'CONNECT' ORDER BY q.at DESC LIMIT 1"
    return f"""
SELECT t.*,
       CASE WHEN t.repeat_calls > 0 THEN 1 ELSE 0 END AS repeated,
       CASE WHEN t.answered = 1 AND t.repeat_calls = 0 THEN 1 ELSE 0 END AS resolved
FROM (
    SELECT c.uuid AS call_uuid, c.caller_number, c.started_at, {d.quarter("c.started_at")} AS interval_start,
           c.outcome,
           CASE WHEN c.outcome = 'answered' THEN 1 ELSE 0 END AS answered,
           (SELECT q.queue {connect}) AS queue,
           (SELECT q.agent_id {connect}) AS agent_id,
           {window_end} AS window_ends_at,
           (SELECT COUNT(*) FROM calls AS later
            WHERE later.caller_number = c.caller_number
              AND later.started_at > c.started_at AND later.started_at <= {window_end}
              AND {inbound.format(alias="later")}) AS repeat_calls,
           s.fcr_window_days
    FROM calls AS c
    CROSS JOIN report_settings AS s
    WHERE c.started_at IS NOT NULL AND {inbound.format(alias="c")}
      AND c.caller_number IS NOT NULL
      AND lower(c.caller_number) NOT IN ('', 'anonymous', 'unknown', 'private', 'restricted')
) AS t"""


def _first_call_resolution_queue() -> str:
    return f"""
SELECT t.*, {_ratio("t.resolved", "t.answered_calls")} AS fcr_rate
FROM (
    SELECT queue, interval_start,
           COUNT(*) AS answered_calls, SUM(repeated) AS repeated, SUM(resolved) AS resolved,
           MAX(window_ends_at) AS window_ends_at
    FROM v_first_call_resolution
    WHERE answered = 1
    GROUP BY queue, interval_start
) AS t"""


def _csat(d: _Dialect) -> str:
    return f"""
SELECT t.*,
       {_ratio("t.score_sum", "t.responses")} AS average_score,
       {_ratio("t.satisfied", "t.responses")} AS csat_rate
FROM (
    SELECT r.agent_id, r.queue, {d.quarter("r.answered_at")} AS interval_start,
           COUNT(*) AS responses,
           SUM(r.score) AS score_sum,
           {_count("r.score >= s.csat_satisfied_score")} AS satisfied,
           s.csat_question, s.csat_satisfied_score
    FROM survey_responses AS r
    JOIN report_settings AS s ON r.question = s.csat_question
    GROUP BY r.agent_id, r.queue, {d.quarter("r.answered_at")}, s.csat_question, s.csat_satisfied_score
) AS t"""


def _bodies(d: _Dialect) -> dict[str, str]:
    return {
        "v_agent_state_periods": _agent_state_periods(d),
        "v_queue_interval": _queue_interval(d),
        "v_agent_interval": _agent_interval(d),
        "v_interval_volume": _volume(d.quarter("started_at"), "interval_start"),
        "v_hourly_volume": _volume(d.hour("started_at"), "hour_start"),
        "v_ivr_menu_options": _ivr_menu_options(d),
        "v_first_call_resolution": _first_call_resolution(d),
        "v_first_call_resolution_queue": _first_call_resolution_queue(),
        "v_csat": _csat(d),
    }


def upgrade() -> None:
    op.create_table(
        "report_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("service_level_s", sa.Float(), nullable=False),
        sa.Column("short_abandon_s", sa.Float(), nullable=False),
        sa.Column("fcr_window_days", sa.Integer(), nullable=False),
        sa.Column("csat_question", sa.String(64), nullable=False),
        sa.Column("csat_satisfied_score", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_settings")),
        sa.CheckConstraint("id = 1", name=op.f("ck_report_settings_one_row")),
        sa.CheckConstraint(
            "service_level_s >= 0 AND short_abandon_s >= 0 AND fcr_window_days >= 0",
            name=op.f("ck_report_settings_not_negative"),
        ),
    )
    op.execute(
        "INSERT INTO report_settings "
        "(id, service_level_s, short_abandon_s, fcr_window_days, csat_question, csat_satisfied_score) "
        "VALUES (1, 20.0, 5.0, 7, 'csat', 4)"
    )
    connection = op.get_bind()
    bodies = _bodies(_Dialect(postgresql=connection.dialect.name == "postgresql"))
    for name in VIEWS:
        # Straight to the driver: the SQL's colons and percent signs are text, not parameters.
        connection.exec_driver_sql(f"CREATE VIEW {name} AS{bodies[name]}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW {name}")
    op.drop_table("report_settings")
