"""The CRM data layer's reads and small writes: customers, their calls, tickets and notes.

Every function takes the viewer and applies `schema.crm.access`: a record the viewer may not see is
`NotFound`, exactly like a missing one. A call's queue is read from `calls.destination`
("queue:<name>", as the IVR runner writes it) and its agent from the queue_log CONNECT row, in the
same query. Lists are newest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast, get_args

from pydantic_core import PydanticSerializationError, to_jsonable_python
from sqlalchemy import Connection, Engine, Table, select, update

from schema.crm.access import CALLS, CUSTOMERS, call_visible, customer_visible, may_create_customer
from schema.crm.lookup import (
    CUSTOMER_KEYS,
    PHONE_NUMBERS,
    SUMMARY_COLUMNS,
    VIEW_COLUMNS,
    customer_summary,
    customer_views,
)
from schema.crm.models import Note
from schema.crm.phones import keypad_digits, normalise_number
from schema.crm.shared_reads import (
    TICKETS,
    call_summaries,
    call_summary,
    calls_of_customer,
    newest_calls_first,
    tickets_of_customer,
)
from schema.crm.views import (
    CallSummary,
    CustomerSummary,
    CustomerView,
    NoteView,
    TicketStatus,
    TicketView,
)
from schema.db import read_connection, write_transaction
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.viewer import Viewer

NOTES: Final = cast(Table, Note.__table__)
MAX_PAGE: Final = 500
CALL_UUID_MAX_LENGTH: Final = 36
_TICKET_STATUSES: Final = frozenset(get_args(TicketStatus))


def create_customer(
    engine: Engine,
    viewer: Viewer,
    *,
    name: str,
    phones: Sequence[str] = (),
    region: str,
    account_number: str | None = None,
    tier: str | None = None,
    department: str | None = None,
    owner_agent_id: str | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    keypad_fields: Sequence[str] = ("plate",),
    now: dt.datetime | None = None,
) -> CustomerView:
    """A new customer with their phone numbers (E.164) and keypad keys (the account number and each
    keypad field present). An agent's customer is theirs and a supervisor's is in their department
    unless given otherwise, which is `PermissionDenied`. A number that is not a phone number, or that
    belongs to another customer, is `RecordRejected`."""
    if viewer.role == "agent" and owner_agent_id is None:
        owner_agent_id = viewer.agent_id
    if viewer.role == "supervisor" and department is None:
        department = viewer.department
    if not may_create_customer(viewer, owner_agent_id=owner_agent_id, department=department):
        raise PermissionDenied(f"{viewer.user} may not create customers for others")
    if not name.strip():
        raise RecordRejected("a customer needs a name")
    numbers = _normalised_numbers(phones, region)
    fields = _json_ready(dict(custom_fields or {}))
    keys = _customer_keys(account_number, fields, keypad_fields)
    at = _utc(now)
    with write_transaction(engine, f"creating customer {name.strip()!r}") as connection:
        _refuse_taken_numbers(connection, numbers)
        customer_id = connection.execute(
            CUSTOMERS.insert()
            .values(
                name=name.strip(),
                account_number=account_number,
                tier=tier,
                department=department,
                owner_agent_id=owner_agent_id,
                custom_fields=fields,
                created_at=at,
                updated_at=at,
            )
            .returning(CUSTOMERS.c.id)
        ).scalar_one()
        if numbers:
            connection.execute(
                PHONE_NUMBERS.insert(), [{"customer_id": customer_id, "e164": e164} for e164 in numbers]
            )
        if keys:
            connection.execute(
                CUSTOMER_KEYS.insert(),
                [{"customer_id": customer_id, "kind": kind, "keypad": keypad} for kind, keypad in keys],
            )
        return _customer(connection, viewer, customer_id)


def get_customer(engine: Engine, viewer: Viewer, customer_id: int) -> CustomerView:
    with read_connection(engine, f"reading customer {customer_id}") as connection:
        return _customer(connection, viewer, customer_id)


def search_customers(
    engine: Engine,
    viewer: Viewer,
    *,
    phone: str | None = None,
    name: str | None = None,
    region: str = "US",
    limit: int = 50,
    offset: int = 0,
) -> list[CustomerSummary]:
    """Visible customers with this phone number (any form `normalise_number` reads) and/or whose name
    contains `name` (case-insensitive), by name."""
    _check_page(limit, offset)
    statement = select(*SUMMARY_COLUMNS).where(customer_visible(viewer))
    if phone is not None:
        e164 = normalise_number(phone, region)
        if e164 is None:
            return []
        statement = statement.join(PHONE_NUMBERS, PHONE_NUMBERS.c.customer_id == CUSTOMERS.c.id).where(
            PHONE_NUMBERS.c.e164 == e164
        )
    if name is not None and name.strip():
        statement = statement.where(CUSTOMERS.c.name.icontains(name.strip(), autoescape=True))
    statement = statement.order_by(CUSTOMERS.c.name, CUSTOMERS.c.id).limit(limit).offset(offset)
    with read_connection(engine, "searching customers") as connection:
        return [customer_summary(row) for row in connection.execute(statement)]


def customer_calls(engine: Engine, viewer: Viewer, customer_id: int, *, limit: int = 10) -> list[CallSummary]:
    """The customer's calls, newest first."""
    _check_page(limit, 0)
    with read_connection(engine, f"reading calls of customer {customer_id}") as connection:
        _check_customer_visible(connection, viewer, customer_id)
        return calls_of_customer(connection, customer_id, limit=limit)


def get_call(engine: Engine, viewer: Viewer, call_uuid: str) -> CallSummary:
    statement = call_summaries().where(CALLS.c.uuid == call_uuid, call_visible(viewer))
    with read_connection(engine, f"reading call {call_uuid}") as connection:
        row = connection.execute(statement).first()
    if row is None:
        raise NotFound(f"no call {call_uuid}")
    return call_summary(row)


def list_calls(
    engine: Engine,
    viewer: Viewer,
    *,
    customer_id: int | None = None,
    since: dt.datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[CallSummary]:
    """Visible calls, newest first; of one customer, and/or started at or after `since`."""
    _check_page(limit, offset)
    statement = call_summaries().where(call_visible(viewer))
    if customer_id is not None:
        statement = statement.where(CALLS.c.customer_id == customer_id)
    if since is not None:
        statement = statement.where(CALLS.c.started_at >= _utc(since))
    statement = statement.order_by(*newest_calls_first()).limit(limit).offset(offset)
    with read_connection(engine, "listing calls") as connection:
        return [call_summary(row) for row in connection.execute(statement)]


def customer_tickets(
    engine: Engine, viewer: Viewer, customer_id: int, *, status: TicketStatus | None = "open"
) -> list[TicketView]:
    """The customer's tickets with this status (None: all), newest first."""
    with read_connection(engine, f"reading tickets of customer {customer_id}") as connection:
        _check_customer_visible(connection, viewer, customer_id)
        return tickets_of_customer(connection, customer_id, status=status)


def customer_notes(engine: Engine, viewer: Viewer, customer_id: int, *, limit: int = 50) -> list[NoteView]:
    _check_page(limit, 0)
    statement = (
        select(NOTES)
        .where(NOTES.c.customer_id == customer_id)
        .order_by(NOTES.c.created_at.desc(), NOTES.c.id.desc())
        .limit(limit)
    )
    with read_connection(engine, f"reading notes of customer {customer_id}") as connection:
        _check_customer_visible(connection, viewer, customer_id)
        return [NoteView.model_validate(dict(row._mapping)) for row in connection.execute(statement)]


def add_note(
    engine: Engine,
    viewer: Viewer,
    customer_id: int,
    body: str,
    *,
    call_uuid: str | None = None,
    now: dt.datetime | None = None,
) -> NoteView:
    if not body.strip():
        raise RecordRejected("a note needs a body")
    _check_call_uuid(call_uuid)
    insert = NOTES.insert().values(
        customer_id=customer_id,
        call_uuid=call_uuid,
        author=viewer.user,
        body=body.strip(),
        created_at=_utc(now),
    )
    with write_transaction(engine, f"adding a note to customer {customer_id}") as connection:
        _check_customer_visible(connection, viewer, customer_id)
        row = connection.execute(insert.returning(*NOTES.c)).one()
    return NoteView.model_validate(dict(row._mapping))


def open_ticket(
    engine: Engine,
    viewer: Viewer,
    customer_id: int,
    subject: str,
    *,
    call_uuid: str | None = None,
    now: dt.datetime | None = None,
) -> TicketView:
    if not subject.strip():
        raise RecordRejected("a ticket needs a subject")
    _check_call_uuid(call_uuid)
    at = _utc(now)
    insert = TICKETS.insert().values(
        customer_id=customer_id,
        call_uuid=call_uuid,
        subject=subject.strip(),
        status="open",
        created_by=viewer.user,
        created_at=at,
        updated_at=at,
    )
    with write_transaction(engine, f"opening a ticket for customer {customer_id}") as connection:
        _check_customer_visible(connection, viewer, customer_id)
        row = connection.execute(insert.returning(*TICKETS.c)).one()
    return TicketView.model_validate(dict(row._mapping))


def set_ticket_status(
    engine: Engine, viewer: Viewer, ticket_id: int, status: TicketStatus, *, now: dt.datetime | None = None
) -> TicketView:
    """Move a ticket to `status`; `updated_at` moves only when the status changes."""
    if status not in _TICKET_STATUSES:
        raise RecordRejected(f"ticket status {status!r} is not one of {sorted(_TICKET_STATUSES)}")
    at = _utc(now)
    visible = select(TICKETS).join(CUSTOMERS, CUSTOMERS.c.id == TICKETS.c.customer_id)
    visible = visible.where(TICKETS.c.id == ticket_id, customer_visible(viewer))
    with write_transaction(engine, f"setting the status of ticket {ticket_id}") as connection:
        row = connection.execute(visible).first()
        if row is None:
            raise NotFound(f"no ticket {ticket_id}")
        if row.status != status:
            changed = update(TICKETS).where(TICKETS.c.id == ticket_id).values(status=status, updated_at=at)
            row = connection.execute(changed.returning(*TICKETS.c)).one()
    return TicketView.model_validate(dict(row._mapping))


# --- Helpers ---------------------------------------------------------------------------------------


def _customer(connection: Connection, viewer: Viewer, customer_id: int) -> CustomerView:
    statement = select(*VIEW_COLUMNS).where(CUSTOMERS.c.id == customer_id, customer_visible(viewer))
    views = customer_views(connection, connection.execute(statement).all())
    if not views:
        raise NotFound(f"no customer {customer_id}")
    return views[0]


def _check_customer_visible(connection: Connection, viewer: Viewer, customer_id: int) -> None:
    statement = select(CUSTOMERS.c.id).where(CUSTOMERS.c.id == customer_id, customer_visible(viewer))
    if connection.execute(statement).first() is None:
        raise NotFound(f"no customer {customer_id}")


def _normalised_numbers(phones: Sequence[str], region: str) -> list[str]:
    numbers: list[str] = []
    for text in phones:
        e164 = normalise_number(text, region)
        if e164 is None:
            raise RecordRejected(f"{text!r} is not a full phone number (region {region})")
        if e164 not in numbers:
            numbers.append(e164)
    return numbers


def _refuse_taken_numbers(connection: Connection, numbers: Sequence[str]) -> None:
    taken = connection.execute(
        select(PHONE_NUMBERS.c.e164).where(PHONE_NUMBERS.c.e164.in_(numbers)).order_by(PHONE_NUMBERS.c.e164)
    ).scalars()
    if taken_numbers := list(taken):
        raise RecordRejected(f"phone number {', '.join(taken_numbers)} already belongs to another customer")


def _customer_keys(
    account_number: str | None, fields: Mapping[str, Any], keypad_fields: Sequence[str]
) -> list[tuple[str, str]]:
    candidates = [("account", account_number)] + [(field, fields.get(field)) for field in keypad_fields]
    keys: list[tuple[str, str]] = []
    for kind, value in candidates:
        keypad = keypad_digits(str(value)) if value is not None else ""
        if keypad and (kind, keypad) not in keys:
            keys.append((kind, keypad))
    return keys


def _json_ready(fields: dict[str, Any]) -> dict[str, Any]:
    # Dates (a purchase date) and decimals become ISO text and strings, as the JSON column stores them.
    try:
        return cast(dict[str, Any], to_jsonable_python(fields))
    except PydanticSerializationError as exc:
        raise RecordRejected(f"custom fields are not JSON: {exc}") from exc


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise RecordRejected(f"limit must be 1 to {MAX_PAGE} and offset 0 or more")


def _check_call_uuid(call_uuid: str | None) -> None:
    if call_uuid is not None and not 0 < len(call_uuid) <= CALL_UUID_MAX_LENGTH:
        raise RecordRejected(f"call uuid {call_uuid!r} is not 1 to {CALL_UUID_MAX_LENGTH} characters")


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise RecordRejected(f"naive datetime {now.isoformat()} refused: give it a timezone (UTC)")
    return now.astimezone(dt.UTC)
