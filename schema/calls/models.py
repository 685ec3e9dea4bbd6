"""The call database's tables. The migrations in schema/migrations/ create exactly these."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from schema.types import UtcDateTime

# Fixed constraint names, so a later migration can address them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; SQLite only auto-numbers a column declared INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UtcDateTime(), str: String()}


class Call(Base):
    """One call, keyed by its FreeSWITCH channel UUID; written by the session and the event listener."""

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("direction IN ('inbound', 'outbound')", name="direction"),
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_did_started_at", "did", "started_at"),
        Index("ix_calls_caller_number_started_at", "caller_number", "started_at"),
        Index("ix_calls_customer_id_started_at", "customer_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    direction: Mapped[str | None] = mapped_column(String(8))
    caller_number: Mapped[str | None]
    caller_name: Mapped[str | None]
    did: Mapped[str | None]
    started_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    hangup_cause: Mapped[str | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    billsec_s: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str | None]
    destination: Mapped[str | None]
    menu_path: Mapped[str | None]
    # The customer the caller ID matched, and what screening decided (blocked, vip, known, unknown).
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id", ondelete="SET NULL"))
    screening: Mapped[str | None] = mapped_column(String(16))
    screening_detail: Mapped[str | None]
    updated_at: Mapped[dt.datetime]

    steps: Mapped[list[IvrStep]] = relationship(
        back_populates="call",
        order_by="IvrStep.seq",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"Call(uuid={self.uuid!r}, did={self.did!r}, outcome={self.outcome!r})"


class IvrStep(Base):
    """One prompt, key press or decision of the IVR within a call, in order (`seq`)."""

    __tablename__ = "ivr_steps"
    __table_args__ = (UniqueConstraint("call_uuid", "seq"), Index("ix_ivr_steps_at", "at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_uuid: Mapped[str] = mapped_column(String(36), ForeignKey("calls.uuid", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    menu: Mapped[str | None]
    prompt: Mapped[str | None]
    digits: Mapped[str | None]
    result: Mapped[str]
    at: Mapped[dt.datetime]

    call: Mapped[Call] = relationship(back_populates="steps")

    def __repr__(self) -> str:
        return f"IvrStep(call_uuid={self.call_uuid!r}, seq={self.seq}, result={self.result!r})"
