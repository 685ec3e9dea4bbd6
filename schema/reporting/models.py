"""`report_settings`: the one row of thresholds the KPI views join (docs/database.md, "Views").

A BI tool changes a threshold with an UPDATE of this row; the views read it at query time, so no
code runs. Migration 0012 creates the table, inserts the row with the defaults below, and the views.
"""

from __future__ import annotations

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
