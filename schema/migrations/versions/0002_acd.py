"""ACD: agents (live state), agent_state_log, queue_log

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-21
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Written out here rather than imported from schema.acd.models, for the reason given in 0001.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AGENT_STATES = "'logged_out', 'available', 'reserved', 'ringing', 'on_call', 'wrap_up', 'on_break'"
_CALL_STATES = "'reserved', 'ringing', 'on_call'"
_QUEUE_EVENTS = (
    "'ENTERQUEUE', 'RINGNOANSWER', 'CONNECT', 'COMPLETECALLER', 'COMPLETEAGENT', 'ABANDON', "
    "'EXITWITHTIMEOUT', 'EXITWITHKEY', 'CALLBACK', 'TRANSFER'"
)


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("extension", sa.String(), nullable=True),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.String(), nullable=True),
        sa.Column("call_uuid", sa.String(36), nullable=True),
        _timestamp("state_since", nullable=False),
        sa.Column("consecutive_no_answers", sa.Integer(), nullable=False),
        _timestamp("wrap_up_until"),
        sa.Column("reserved_by", sa.String(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agents")),
        sa.CheckConstraint(f"state IN ({_AGENT_STATES})", name=op.f("ck_agents_state")),
        sa.CheckConstraint(
            f"NOT (state IN ({_CALL_STATES})) OR call_uuid IS NOT NULL", name=op.f("ck_agents_call_held")
        ),
        sa.CheckConstraint("consecutive_no_answers >= 0", name=op.f("ck_agents_no_answers")),
    )
    op.create_index(op.f("ix_agents_state"), "agents", ["state"])

    op.create_table(
        "agent_state_log",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("call_uuid", sa.String(36), nullable=True),
        _timestamp("at", nullable=False),
        sa.Column("server", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_log")),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.agent_id"], name=op.f("fk_agent_state_log_agent_id_agents")
        ),
        sa.UniqueConstraint("agent_id", "version", name=op.f("uq_agent_state_log_agent_id_version")),
        sa.CheckConstraint(f"to_state IN ({_AGENT_STATES})", name=op.f("ck_agent_state_log_to_state")),
    )
    op.create_index(op.f("ix_agent_state_log_at"), "agent_state_log", ["at"])
    op.create_index(op.f("ix_agent_state_log_call_uuid"), "agent_state_log", ["call_uuid"])

    op.create_table(
        "queue_log",
        sa.Column("id", _BIG_ID, nullable=False),
        _timestamp("at", nullable=False),
        sa.Column("call_uuid", sa.String(36), nullable=False),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("data", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_log")),
        sa.UniqueConstraint(
            "call_uuid",
            "queue",
            "event",
            "agent_id",
            "at",
            name=op.f("uq_queue_log_call_uuid_queue_event_agent_id_at"),
        ),
        sa.CheckConstraint(f"event IN ({_QUEUE_EVENTS})", name=op.f("ck_queue_log_event")),
    )
    op.create_index(op.f("ix_queue_log_queue_event_at"), "queue_log", ["queue", "event", "at"])
    op.create_index(op.f("ix_queue_log_agent_id_at"), "queue_log", ["agent_id", "at"])
    op.create_index(op.f("ix_queue_log_at"), "queue_log", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_queue_log_at"), table_name="queue_log")
    op.drop_index(op.f("ix_queue_log_agent_id_at"), table_name="queue_log")
    op.drop_index(op.f("ix_queue_log_queue_event_at"), table_name="queue_log")
    op.drop_table("queue_log")
    op.drop_index(op.f("ix_agent_state_log_call_uuid"), table_name="agent_state_log")
    op.drop_index(op.f("ix_agent_state_log_at"), table_name="agent_state_log")
    op.drop_table("agent_state_log")
    op.drop_index(op.f("ix_agents_state"), table_name="agents")
    op.drop_table("agents")
