"""CRM reads with no permission check, shared by schema.crm.queries and the screen pop (schema.crm.screenpop):
the caller has checked what the viewer may see. A call's queue is read from `calls.destination`
("queue:<name>", as the IVR runner writes it) and its agent from the queue_log CONNECT row, in the
same query."""

from __future__ import annotations

from typing import Any, Final, cast, get_args

from sqlalchemy import ColumnElement, Connection, Select, Table, select

from dialplans.vocabulary import ANSWERED_EVENT
from schema.crm.access import CALLS, CUSTOMERS, QUEUE_LOG
from schema.crm.lookup import VIEW_COLUMNS, AnyRow, customer_views
from schema.crm.models import Ticket
from schema.crm.views import CallSummary, CustomerView, Screening, TicketStatus, TicketView

TICKETS: Final = cast(Table, Ticket.__table__)
QUEUE_DESTINATION: Final = "queue:"  # how ivr_scripts.runner names a queue in calls.destination
_SCREENINGS: Final = frozenset(get_args(Screening))


# --- Shared by the screen pop: no permission check, the caller has made it -----------------------


def call_summaries() -> Select[Any]:
    """Calls as `CallSummary` rows: the agent is the last queue_log CONNECT's (a correlated subquery
    on queue_log's (call_uuid, ...) unique index), so a list of calls stays one query."""
    answered_by = (
        select(QUEUE_LOG.c.agent_id)
        .where(QUEUE_LOG.c.call_uuid == CALLS.c.uuid, QUEUE_LOG.c.event == ANSWERED_EVENT)
        .order_by(QUEUE_LOG.c.at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(
        CALLS.c.uuid,
        CALLS.c.started_at,
        CALLS.c.caller_number,
        CALLS.c.did,
        CALLS.c.destination,
        answered_by.label("agent_id"),
        CALLS.c.outcome,
        CALLS.c.duration_s,
        CALLS.c.customer_id,
        CALLS.c.screening,
    )


def call_summary(row: AnyRow) -> CallSummary:
    return CallSummary(
        uuid=row.uuid,
        started_at=row.started_at,
        caller_number=row.caller_number,
        did=row.did,
        queue=queue_of(row.destination),
        agent_id=row.agent_id or None,
        outcome=row.outcome,
        duration_s=row.duration_s,
        customer_id=row.customer_id,
        screening=row.screening if row.screening in _SCREENINGS else None,
    )


def queue_of(destination: str | None) -> str | None:
    if destination is None or not destination.startswith(QUEUE_DESTINATION):
        return None
    return destination.removeprefix(QUEUE_DESTINATION) or None


def calls_of_customer(connection: Connection, customer_id: int, *, limit: int = 10) -> list[CallSummary]:
    statement = call_summaries().where(CALLS.c.customer_id == customer_id)
    statement = statement.order_by(*newest_calls_first()).limit(limit)
    return [call_summary(row) for row in connection.execute(statement)]


def tickets_of_customer(
    connection: Connection, customer_id: int, *, status: TicketStatus | None = "open"
) -> list[TicketView]:
    statement = select(TICKETS).where(TICKETS.c.customer_id == customer_id)
    if status is not None:
        statement = statement.where(TICKETS.c.status == status)
    statement = statement.order_by(TICKETS.c.created_at.desc(), TICKETS.c.id.desc())
    return [TicketView.model_validate(dict(row._mapping)) for row in connection.execute(statement)]


def customer_by_id(connection: Connection, customer_id: int) -> CustomerView | None:
    rows = connection.execute(select(*VIEW_COLUMNS).where(CUSTOMERS.c.id == customer_id)).all()
    views = customer_views(connection, rows)
    return views[0] if views else None


def newest_calls_first() -> tuple[ColumnElement[Any], ...]:
    return (CALLS.c.started_at.desc().nulls_last(), CALLS.c.id.desc())
