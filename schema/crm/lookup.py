"""Finding customers: by caller ID at the start of every call (the hot path), and by what a caller keys in
for self-service. Also the pieces the other CRM read modules share: connections whose SQLAlchemy errors
become storage errors, and customer rows turned into views.

`caller_match` normalises the number (lru-cached), then runs two indexed queries on one connection:
phone_numbers.e164 (UNIQUE) joined to its customer, and the screening rules for the number and its
prefixes (`schema.crm.screening_rules.rules_for_number`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, Final, TypeAlias, cast

from sqlalchemy import Connection, Engine, Row, Select, Table, bindparam, select

from schema.crm.access import CUSTOMERS, customer_visible
from schema.crm.models import CustomerKey, PhoneNumber
from schema.crm.phones import normalise_number
from schema.crm.screening_rules import rules_for_number
from schema.crm.views import CallerMatch, CustomerSummary, CustomerView, PhoneNumberView
from schema.db import read_connection
from schema.viewer import Viewer

PHONE_NUMBERS: Final = cast(Table, PhoneNumber.__table__)
CUSTOMER_KEYS: Final = cast(Table, CustomerKey.__table__)

SUMMARY_COLUMNS: Final = (
    CUSTOMERS.c.id,
    CUSTOMERS.c.name,
    CUSTOMERS.c.account_number,
    CUSTOMERS.c.tier,
    CUSTOMERS.c.department,
    CUSTOMERS.c.owner_agent_id,
)
VIEW_COLUMNS: Final = (
    *SUMMARY_COLUMNS,
    CUSTOMERS.c.custom_fields,
    CUSTOMERS.c.created_at,
    CUSTOMERS.c.updated_at,
)
_NOT_DIGITS: Final = re.compile(r"[^0-9]")

AnyRow: TypeAlias = Row[*tuple[Any, ...]]


def caller_match(engine: Engine, viewer: Viewer, caller_number: str, *, region: str) -> CallerMatch:
    """The caller ID in E.164, the customer it names (if the viewer may see them), and its screening."""
    e164 = normalise_number(caller_number, region)
    if e164 is None:
        return CallerMatch(e164=None)
    with read_connection(engine, f"matching caller {e164}") as connection:
        row = connection.execute(_match_statement(viewer), {"e164": e164}).first()
        blocked, vip_listed = rules_for_number(connection, e164)
    customer = None if row is None else customer_summary(row)
    return CallerMatch(e164=e164, customer=customer, blocked=blocked, vip_listed=vip_listed)


@functools.lru_cache(maxsize=256)
def _match_statement(viewer: Viewer) -> Select[Any]:
    # Built once per viewer: the hot path then only binds the number.
    return (
        select(*SUMMARY_COLUMNS)
        .select_from(PHONE_NUMBERS.join(CUSTOMERS, CUSTOMERS.c.id == PHONE_NUMBERS.c.customer_id))
        .where(PHONE_NUMBERS.c.e164 == bindparam("e164"), customer_visible(viewer))
    )


def find_by_keys(engine: Engine, viewer: Viewer, by: str, keys: str, *, limit: int = 2) -> list[CustomerView]:
    """Customers whose `by` key ("account" or a keypad field) is `keys`, anything but digits ignored."""
    keypad = _NOT_DIGITS.sub("", keys)
    if not keypad or limit < 1:
        return []
    statement = (
        select(*VIEW_COLUMNS)
        .join(CUSTOMER_KEYS, CUSTOMER_KEYS.c.customer_id == CUSTOMERS.c.id)
        .where(CUSTOMER_KEYS.c.kind == by, CUSTOMER_KEYS.c.keypad == keypad, customer_visible(viewer))
        .order_by(CUSTOMERS.c.id)
        .limit(limit)
    )
    with read_connection(engine, f"finding customers by {by}") as connection:
        return customer_views(connection, connection.execute(statement).all())


def customer_summary(row: AnyRow) -> CustomerSummary:
    """A row of SUMMARY_COLUMNS as a view."""
    return CustomerSummary(
        id=row.id,
        name=row.name,
        account_number=row.account_number,
        tier=row.tier,
        department=row.department,
        owner_agent_id=row.owner_agent_id,
    )


def customer_views(connection: Connection, rows: Sequence[AnyRow]) -> list[CustomerView]:
    """Rows of VIEW_COLUMNS as views, with their phone numbers (one query for all of them)."""
    if not rows:
        return []
    phones: dict[int, list[PhoneNumberView]] = {row.id: [] for row in rows}
    phone_rows = connection.execute(
        select(PHONE_NUMBERS.c.customer_id, PHONE_NUMBERS.c.e164, PHONE_NUMBERS.c.label)
        .where(PHONE_NUMBERS.c.customer_id.in_(list(phones)))
        .order_by(PHONE_NUMBERS.c.customer_id, PHONE_NUMBERS.c.id)
    )
    for phone in phone_rows:
        phones[phone.customer_id].append(PhoneNumberView(e164=phone.e164, label=phone.label))
    return [
        CustomerView(
            id=row.id,
            name=row.name,
            account_number=row.account_number,
            tier=row.tier,
            department=row.department,
            owner_agent_id=row.owner_agent_id,
            custom_fields=row.custom_fields or {},
            phone_numbers=phones[row.id],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
