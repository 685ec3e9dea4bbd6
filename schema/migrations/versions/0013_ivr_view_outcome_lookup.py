"""v_ivr_menu_options: each exit's call outcome by a lookup on calls' key, not a join

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Same columns and figures as migration 0012's view. Only how an exit finds its call's outcome changes:
a scalar subquery on `calls.uuid` (unique) instead of `LEFT JOIN calls`. On PostgreSQL the join's
planner estimate for the exit steps is one row (the bucket filter and the exit-point condition are
expressions it has no statistics for), so it chose a nested loop that scanned all of calls once per
exit: a week of 14,000 IVR calls took 5.1 s; with the lookup 0.11 s (docs/reports.md). SQLite
0.13 s → 0.09 s.

"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _views_of_0012() -> Any:
    """Migration 0012's module (for its dialect helpers and its view text): alembic does not register
    migration files as importable modules, so it is loaded from its path."""
    path = Path(__file__).with_name("0012_report_views.py")
    spec = importlib.util.spec_from_file_location("_migration_0012_report_views", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ivr_menu_options(m: Any, d: Any) -> str:
    routed = "'answered', 'abandoned', 'callback', 'queued', 'transferred'"
    # A call's exit point: its last valid key, or (no valid key at all) its first step in a menu.
    last_key = "SELECT MAX(k.seq) FROM ivr_steps AS k WHERE k.call_uuid = s.call_uuid AND k.result = 'ok'"
    first_step = (
        "SELECT MIN(f.seq) FROM ivr_steps AS f WHERE f.call_uuid = s.call_uuid AND f.menu IS NOT NULL"
    )
    outcome = "(SELECT c.outcome FROM calls AS c WHERE c.uuid = s.call_uuid)"
    return f"""
SELECT t.*,
       {m._ratio("t.contained", "t.exits")} AS containment_rate,
       {m._ratio("t.dropped", "t.exits")} AS drop_off_rate
FROM (
    SELECT menu, option, interval_start,
           COUNT(DISTINCT CASE WHEN is_press = 1 THEN call_uuid END) AS calls,
           SUM(is_press) AS presses,
           SUM(1 - is_press) AS exits,
           {m._count("is_press = 0 AND outcome = 'hangup'")} AS contained,
           {m._count("is_press = 0 AND outcome = 'caller_hangup'")} AS dropped,
           {m._count(f"is_press = 0 AND outcome IN ({routed})")} AS routed
    FROM (
        SELECT menu, digits AS option, call_uuid, {d.quarter("at")} AS interval_start, 1 AS is_press,
               CAST(NULL AS VARCHAR(16)) AS outcome
        FROM ivr_steps WHERE result = 'ok' AND menu IS NOT NULL
        UNION ALL
        SELECT s.menu, CASE WHEN s.result = 'ok' THEN COALESCE(s.digits, '') ELSE '' END,
               s.call_uuid, {d.quarter("s.at")}, 0, {outcome}
        FROM ivr_steps AS s
        WHERE s.seq = COALESCE(({last_key}), ({first_step}))
    ) AS steps
    GROUP BY menu, option, interval_start
) AS t"""


def _replace_view(body: str) -> None:
    connection = op.get_bind()
    connection.exec_driver_sql("DROP VIEW v_ivr_menu_options")
    # Straight to the driver: the SQL's colons and percent signs are text, not parameters.
    connection.exec_driver_sql(f"CREATE VIEW v_ivr_menu_options AS{body}")


def upgrade() -> None:
    m = _views_of_0012()
    dialect = m._Dialect(postgresql=op.get_bind().dialect.name == "postgresql")
    _replace_view(_ivr_menu_options(m, dialect))


def downgrade() -> None:
    m = _views_of_0012()
    _replace_view(m._ivr_menu_options(m._Dialect(postgresql=op.get_bind().dialect.name == "postgresql")))
