"""`report_settings`: the one row of thresholds the KPI views join (docs/database.md, "Views"); and the
report's rollups (migration 0014), written by `callcenter report rollup` (schema/reporting/rollup.py).

A BI tool changes a threshold with an UPDATE of this row; the views read it at query time, so no
code runs. Migration 0012 creates the table, inserts the row with the defaults below, and the views.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import CheckConstraint, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from schema.calls.models import Base

DEFAULT_SERVICE_LEVEL_S: Final = 20.0
DEFAULT_SHORT_ABANDON_S: Final = 5.0
DEFAULT_FCR_WINDOW_DAYS: Final = 7
DEFAULT_CSAT_QUESTION: Final = "csat"
DEFAULT_CSAT_SATISFIED_SCORE: Final = 4


class ReportSettings(Base):
    """The thresholds of the views; exactly one row, id 1."""

    __tablename__ = "report_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="one_row"),
        CheckConstraint(
            "service_level_s >= 0 AND short_abandon_s >= 0 AND fcr_window_days >= 0", name="not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    service_level_s: Mapped[float] = mapped_column(Float)
    short_abandon_s: Mapped[float] = mapped_column(Float)
    fcr_window_days: Mapped[int] = mapped_column(Integer)
    csat_question: Mapped[str] = mapped_column(String(64))
    csat_satisfied_score: Mapped[int] = mapped_column(Integer)


class RollupState(Base):
    """The watermark: quarter-hours before `rolled_up_to` are in the rollup tables; one row, id 1."""

    __tablename__ = "rollup_state"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rolled_up_from: Mapped[dt.datetime | None]
    rolled_up_to: Mapped[dt.datetime | None]
    service_level_s: Mapped[float | None] = mapped_column(Float)
    short_abandon_s: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[dt.datetime | None]


class RollupQueue(Base):
    __tablename__ = "rollup_queue"

    interval_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(primary_key=True)
    offered: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    answered_within_threshold: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)
    short_abandons: Mapped[int] = mapped_column(Integer)
    answer_wait_s: Mapped[float] = mapped_column(Float)
    handled: Mapped[int] = mapped_column(Integer)
    handle_s: Mapped[float] = mapped_column(Float)


class RollupVolume(Base):
    __tablename__ = "rollup_volume"

    interval_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)


class RollupAbandons(Base):
    __tablename__ = "rollup_abandons"

    interval_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(primary_key=True)
    from_s: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    abandons: Mapped[int] = mapped_column(Integer)


class RollupAgent(Base):
    __tablename__ = "rollup_agent"

    interval_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offered: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    talk_s: Mapped[float] = mapped_column(Float)
    logged_in_s: Mapped[float] = mapped_column(Float)
    on_break_s: Mapped[float] = mapped_column(Float)
    on_call_s: Mapped[float] = mapped_column(Float)
    wrap_up_s: Mapped[float] = mapped_column(Float)


class RollupAgentDay(Base):
    """rollup_agent summed per UTC day and agent, written when the rollup completes the day."""

    __tablename__ = "rollup_agent_day"

    day_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    offered: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    talk_s: Mapped[float] = mapped_column(Float)
    logged_in_s: Mapped[float] = mapped_column(Float)
    on_break_s: Mapped[float] = mapped_column(Float)
    on_call_s: Mapped[float] = mapped_column(Float)
    wrap_up_s: Mapped[float] = mapped_column(Float)


class RollupIvr(Base):
    __tablename__ = "rollup_ivr"

    interval_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    menu: Mapped[str] = mapped_column(primary_key=True)
    option: Mapped[str] = mapped_column(primary_key=True)
    presses: Mapped[int] = mapped_column(Integer)
    exits: Mapped[int] = mapped_column(Integer)
    contained: Mapped[int] = mapped_column(Integer)
    dropped: Mapped[int] = mapped_column(Integer)
    routed: Mapped[int] = mapped_column(Integer)


class RollupCsat(Base):
    __tablename__ = "rollup_csat"

    interval_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(primary_key=True)  # '' for a response without a queue
    question: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    responses: Mapped[int] = mapped_column(Integer)
