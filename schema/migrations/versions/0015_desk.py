"""the agent desktop: browser sessions (web_sessions) and call dispositions (call_dispositions)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08

A session stores only the SHA-256 of its cookie, and the token it was opened with (deleting the token
deletes its sessions; revoking it, or disabling its user, makes them refused: docs/api.md, "Browser
sessions"). A disposition is one per call (its primary key), replaced when set again.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Written out here rather than imported from the models, for the reason given in 0001.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamp(name: str) -> sa.Column[dt.datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("token_id", _BIG_ID, nullable=False),
        sa.Column("session_sha256", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_seen_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_web_sessions_token_id_api_tokens"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("session_sha256", name=op.f("uq_web_sessions_session_sha256")),
    )
    op.create_index(op.f("ix_web_sessions_token_id"), "web_sessions", ["token_id"])
    op.create_table(
        "call_dispositions",
        sa.Column("call_uuid", sa.String(36), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        _timestamp("set_at"),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("call_uuid", name=op.f("pk_call_dispositions")),
    )
    op.create_index(op.f("ix_call_dispositions_agent_id_set_at"), "call_dispositions", ["agent_id", "set_at"])
    op.create_index(op.f("ix_call_dispositions_set_at"), "call_dispositions", ["set_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_call_dispositions_set_at"), table_name="call_dispositions")
    op.drop_index(op.f("ix_call_dispositions_agent_id_set_at"), table_name="call_dispositions")
    op.drop_table("call_dispositions")
    op.drop_index(op.f("ix_web_sessions_token_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
