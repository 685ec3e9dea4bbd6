"""the report's rollups per UTC quarter-hour, their watermark, and the time indexes the tail reads

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

`callcenter report rollup` fills the rollup tables up to `rollup_state.rolled_up_to`; the report reads
them before it and the raw tables after it, by time (docs/reports.md, "Rollups"). The indexes let that
tail, and each rollup step, read one window of ivr_steps, agent_legs, survey_responses and an agent's
state log instead of the whole tables (measured in docs/performance.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_ivr_steps_at", "ivr_steps", ["at"]),
    ("ix_agent_legs_offered_at", "agent_legs", ["offered_at"]),
    ("ix_agent_legs_answered_at", "agent_legs", ["answered_at"]),
    ("ix_survey_responses_answered_at", "survey_responses", ["answered_at"]),
    ("ix_agent_state_log_agent_id_at", "agent_state_log", ["agent_id", "at"]),
)


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _start() -> sa.Column[object]:
    return sa.Column("interval_start", _time(), nullable=False)


def _counts(*names: str) -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _seconds(*names: str) -> list[sa.Column[float]]:
    return [sa.Column(name, sa.Float(), nullable=False) for name in names]


def upgrade() -> None:
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rolled_up_from", _time(), nullable=True),
        sa.Column("rolled_up_to", _time(), nullable=True),
        sa.Column("service_level_s", sa.Float(), nullable=True),
        sa.Column("short_abandon_s", sa.Float(), nullable=True),
        sa.Column("updated_at", _time(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
        sa.CheckConstraint("id = 1", name=op.f("ck_rollup_state_one_row")),
    )
    op.execute("INSERT INTO rollup_state (id) VALUES (1)")
    op.create_table(
        "rollup_queue",
        _start(),
        sa.Column("queue", sa.String(), nullable=False),
        *_counts("offered", "answered", "answered_within_threshold", "abandoned", "short_abandons"),
        *_seconds("answer_wait_s"),
        *_counts("handled"),
        *_seconds("handle_s"),
        sa.PrimaryKeyConstraint("interval_start", "queue", name=op.f("pk_rollup_queue")),
    )
    op.create_table(
        "rollup_volume",
        _start(),
        *_counts("calls"),
        sa.PrimaryKeyConstraint("interval_start", name=op.f("pk_rollup_volume")),
    )
    op.create_table(
        "rollup_abandons",
        _start(),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("from_s", sa.Integer(), autoincrement=False, nullable=False),
        *_counts("abandons"),
        sa.PrimaryKeyConstraint("interval_start", "queue", "from_s", name=op.f("pk_rollup_abandons")),
    )
    op.create_table(
        "rollup_agent",
        _start(),
        sa.Column("agent_id", sa.String(64), nullable=False),
        *_counts("offered", "answered"),
        *_seconds("talk_s", "logged_in_s", "on_break_s", "on_call_s", "wrap_up_s"),
        sa.PrimaryKeyConstraint("interval_start", "agent_id", name=op.f("pk_rollup_agent")),
    )
    op.create_table(
        "rollup_agent_day",
        sa.Column("day_start", _time(), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        *_counts("offered", "answered"),
        *_seconds("talk_s", "logged_in_s", "on_break_s", "on_call_s", "wrap_up_s"),
        sa.PrimaryKeyConstraint("day_start", "agent_id", name=op.f("pk_rollup_agent_day")),
    )
    op.create_table(
        "rollup_ivr",
        _start(),
        sa.Column("menu", sa.String(), nullable=False),
        sa.Column("option", sa.String(), nullable=False),
        *_counts("presses", "exits", "contained", "dropped", "routed"),
        sa.PrimaryKeyConstraint("interval_start", "menu", "option", name=op.f("pk_rollup_ivr")),
    )
    op.create_table(
        "rollup_csat",
        _start(),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("question", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer(), autoincrement=False, nullable=False),
        *_counts("responses"),
        sa.PrimaryKeyConstraint("interval_start", "queue", "question", "score", name=op.f("pk_rollup_csat")),
    )
    for name, table, columns in INDEXES:
        op.create_index(op.f(name), table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(op.f(name), table_name=table)
    for table in ("rollup_csat", "rollup_ivr", "rollup_agent_day", "rollup_agent", "rollup_abandons"):
        op.drop_table(table)
    op.drop_table("rollup_volume")
    op.drop_table("rollup_queue")
    op.drop_table("rollup_state")
