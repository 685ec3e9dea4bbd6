"""Small reads for analysts and tests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from schema.calls.models import Call


def call_with_steps(session: Session, uuid: str) -> Call | None:
    """The call with this channel UUID, its IVR steps loaded in order; None if unknown."""
    return session.scalars(
        select(Call).where(Call.uuid == uuid).options(selectinload(Call.steps))
    ).one_or_none()
