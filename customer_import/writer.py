"""Customer import, the writing: prepared rows merged into the database's customers, one transaction a batch.

`CustomerWriter.write` plans a batch (the customer each row creates or updates, found by account
number and phone numbers in the database and the batch's earlier rows) and writes it with Core
statements compiled once, run by the driver's executemany on values already in the driver's form.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final, cast

from sqlalchemy import (
    Column,
    Connection,
    Dialect,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.dml import UpdateBase

from customer_import.rows import SCALARS, PreparedRow, RowError, RowRules, stored_keypads
from customer_import.sources import ImportFailed
from schema.crm.models import Customer, CustomerKey, PhoneNumber
from schema.errors import translate

LOOKUP_CHUNK: Final = 5_000  # customers read back per statement


class _Customer:
    """A customer a batch touches: one from the database, or a new one.

    A new customer made from one row keeps just that row (`row`): most are, and they are written
    straight from it. A second row merging in turns it into fields like a database customer's.
    """

    __slots__ = ("before", "custom", "fields", "first_row", "id", "keypads", "keys", "new_phones", "row")

    def __init__(self, customer_id: int | None, first_row: int, row: PreparedRow | None = None) -> None:
        self.id = customer_id
        self.first_row = first_row
        self.row = row
        self.fields: dict[str, Any] = {}
        self.custom: dict[str, Any] = {}
        self.keypads: dict[str, str] = {}  # the keys it should have: kind -> keypad
        self.new_phones: dict[str, str | None] = {}
        self.before: tuple[dict[str, Any], dict[str, Any]] | None = None  # as the database has it
        self.keys: set[tuple[str, str]] = set()  # the keys the database has

    @property
    def account_number(self) -> str | None:
        return self.row.account_number if self.row is not None else self.fields.get("account_number")

    def describe(self) -> str:
        return f"customer {self.id}" if self.id is not None else f"the new customer of row {self.first_row}"

    def merge(self, row: PreparedRow, new_phones: Iterable[tuple[str, str | None]]) -> None:
        if self.row is not None:  # a second row for a new customer: from now on, fields
            first, self.row = self.row, None
            self.fields = dict(zip(SCALARS, first[1:6], strict=True))
            self.custom = dict(first.custom)
            self.keypads = dict(first.keys)
            self.new_phones = dict(first.phones)
        for name, value in zip(SCALARS, row[1:6], strict=True):
            if value is not None:
                self.fields[name] = value
        self.custom.update(row.custom)
        self.keypads.update(row.keys)
        self.new_phones.update(new_phones)


CUSTOMERS: Final = cast(Table, Customer.__table__)
PHONES: Final = cast(Table, PhoneNumber.__table__)
KEYS: Final = cast(Table, CustomerKey.__table__)
_C, _P, _K = CUSTOMERS.c, PHONES.c, KEYS.c


def _plan(
    conn: Connection, rows: Sequence[PreparedRow], rules: RowRules
) -> tuple[list[_Customer], list[RowError]]:
    """The customers a batch creates or updates, with the rows' changes merged in; the error rows."""
    good = [row for row in rows if not row.errors]
    phone_ids = _lookup(conn, _P.e164, _P.customer_id, {e164 for row in good for e164, _ in row.phones})
    account_ids = _lookup(
        conn, _C.account_number, _C.id, {row.account_number for row in good if row.account_number}
    )
    known = _load_customers(conn, set(phone_ids.values()) | set(account_ids.values()), rules.keypad_fields)
    by_phone = {e164: known[customer_id] for e164, customer_id in phone_ids.items()}
    by_account = {account: known[customer_id] for account, customer_id in account_ids.items()}
    touched: dict[int, _Customer] = {}
    errors: list[RowError] = []
    for row in rows:
        if row.errors:
            errors.extend(row.errors)
            continue
        owners = {id(owner): owner for e164, _ in row.phones if (owner := by_phone.get(e164)) is not None}
        if row.account_number and (owner := by_account.get(row.account_number)) is not None:
            owners[id(owner)] = owner
        error = _conflict(row, list(owners.values()), by_phone, by_account, rules)
        if error:
            errors.append(error)
            continue
        if owners:
            customer = next(iter(owners.values()))
            customer.merge(row, [(e164, label) for e164, label in row.phones if e164 not in by_phone])
        else:
            customer = _Customer(None, row.number, row)
        for e164, _ in row.phones:
            by_phone[e164] = customer
        if row.account_number:
            by_account[row.account_number] = customer
        touched[id(customer)] = customer
    return list(touched.values()), errors


def _conflict(
    row: PreparedRow,
    owners: list[_Customer],
    by_phone: dict[str, _Customer],
    by_account: dict[str, _Customer],
    rules: RowRules,
) -> RowError | None:
    if len(owners) > 1:
        found = [f"{e164} -> {by_phone[e164].describe()}" for e164, _ in row.phones if e164 in by_phone]
        if row.account_number in by_account:
            found.append(f"account {row.account_number} -> {by_account[row.account_number].describe()}")
        return RowError(
            row.number, "", "", f"the row's keys belong to different customers: {'; '.join(found)}"
        )
    if owners:
        account = owners[0].account_number
        if row.account_number and account and account != row.account_number:
            return RowError(
                row.number,
                rules.column_of("account_number"),
                row.account_number,
                f"its phone number belongs to {owners[0].describe()}, whose account number is {account}",
            )
        return None
    if not row.name:
        return RowError(row.number, rules.column_of("name"), "", "no name, and no customer has these numbers")
    return None


def _lookup(conn: Connection, key: Column[Any], value: Column[Any], wanted: set[str]) -> dict[str, int]:
    """{key: value} for the rows whose `key` is one of `wanted`, in one statement with one parameter.

    A list of thousands of bound parameters costs more to build than the query costs to run; SQLite
    reads the keys from a JSON array instead, PostgreSQL from an array.
    """
    if not wanted:
        return {}
    keys = sorted(wanted)
    if conn.dialect.name == "sqlite":
        listed = (
            select(literal_column("value")).select_from(func.json_each(bindparam("keys"))).scalar_subquery()
        )
        statement = select(key, value).where(key.in_(listed))
        return dict(conn.execute(statement, {"keys": json.dumps(keys)}).all())
    statement = select(key, value).where(key == any_(bindparam("keys", type_=ARRAY(String))))
    return dict(conn.execute(statement, {"keys": keys}).all())


def _load_customers(conn: Connection, ids: set[int], keypad_fields: Sequence[str]) -> dict[int, _Customer]:
    loaded: dict[int, _Customer] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        columns = [_C[name] for name in SCALARS]
        for row in conn.execute(select(_C.id, _C.custom_fields, *columns).where(_C.id.in_(chunk))):
            fields = dict(zip(SCALARS, row[2:], strict=True))
            custom = dict(row.custom_fields or {})
            customer = _Customer(row.id, 0)
            customer.fields, customer.custom, customer.before = fields, custom, (dict(fields), dict(custom))
            customer.keypads = stored_keypads(fields["account_number"], custom, keypad_fields)
            loaded[row.id] = customer
        for customer_id, kind, keypad in conn.execute(
            select(_K.customer_id, _K.kind, _K.keypad).where(_K.customer_id.in_(chunk))
        ):
            loaded[customer_id].keys.add((kind, keypad))
    return loaded


# --- Writing a batch -----------------------------------------------------------------------------


@dataclass
class BatchCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    phones_added: int = 0


class _Bulk:
    """A Core statement compiled once for the dialect and run with the driver's executemany.

    SQLAlchemy's own executemany builds and type-processes a parameter dict per row, which costs
    more than SQLite's insert itself; here the values come ready for the driver, as tuples in
    `names` order: JSON already text, timestamps through their column type's bind processor.
    """

    def __init__(self, dialect: Dialect, statement: UpdateBase, names: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=[n for n in names if not n.startswith("_")])
        self.sql = compiled.string
        self.names = tuple(names)
        self.order: tuple[int, ...] | None = None
        if compiled.positional:
            order = tuple(self.names.index(name) for name in compiled.positiontup or ())
            self.order = None if order == tuple(range(len(names))) else order
            self.positional = True
        else:
            self.positional = False

    def run(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if not self.positional:
            conn.exec_driver_sql(self.sql, [dict(zip(self.names, row, strict=True)) for row in rows])
        elif self.order is None:
            conn.exec_driver_sql(self.sql, rows)
        else:
            order = self.order
            conn.exec_driver_sql(self.sql, [tuple(row[at] for at in order) for row in rows])


class CustomerWriter:
    """Plans and writes batches on one connection, one transaction per batch."""

    def __init__(self, conn: Connection, rules: RowRules, now: dt.datetime) -> None:
        dialect = conn.dialect
        if dialect.name not in ("sqlite", "postgresql"):
            raise ImportFailed(f"customer import supports SQLite and PostgreSQL, not {dialect.name}")
        self.conn = conn
        self.rules = rules
        self.stamp = _bind(_C.updated_at, dialect)(now)
        customer_columns = ("id", *SCALARS, "custom_fields", "created_at", "updated_at")
        self.insert_customers = _Bulk(dialect, insert(CUSTOMERS), customer_columns)
        self.update_customers = _Bulk(
            dialect,
            update(CUSTOMERS).where(_C.id == bindparam("_id")),
            (*SCALARS, "custom_fields", "updated_at", "_id"),
        )
        self.insert_phones = _Bulk(dialect, insert(PHONES), ("customer_id", "e164", "label"))
        self.insert_keys = _Bulk(dialect, insert(KEYS), ("customer_id", "kind", "keypad"))
        self.delete_keys = _Bulk(
            dialect,
            delete(KEYS).where(
                _K.customer_id == bindparam("_customer"),
                _K.kind == bindparam("_kind"),
                _K.keypad == bindparam("_keypad"),
            ),
            ("_customer", "_kind", "_keypad"),
        )

    def write(self, rows: Sequence[PreparedRow]) -> tuple[BatchCounts, list[RowError]]:
        """Write one batch; returns its counts and its error rows.

        Raises `RecordRejected` if the database refused the batch (rolled back), `StorageError`
        if the database failed.
        """
        try:
            with self.conn.begin():
                customers, errors = _plan(self.conn, rows, self.rules)
                counts = self._apply(customers)
        except sa_exc.SQLAlchemyError as exc:
            raise translate(exc, "writing customers") from exc
        return counts, errors

    def _apply(self, customers: list[_Customer]) -> BatchCounts:
        counts = BatchCounts()
        new = [customer for customer in customers if customer.id is None]
        for customer, new_id in zip(new, self._allocate_ids(len(new)), strict=True):
            customer.id = new_id
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        phones: list[tuple[int, str, str | None]] = []
        add_keys: list[tuple[int, str, str]] = []
        drop_keys: list[tuple[int, str, str]] = []
        stamp = self.stamp
        for customer in customers:
            customer_id = customer.id
            assert customer_id is not None
            row = customer.row
            if row is not None:  # new, from one row: written as the row says
                inserts.append((customer_id, *row[1:6], row.custom_json, stamp, stamp))
                phones.extend([(customer_id, e164, label) for e164, label in row.phones])
                add_keys.extend([(customer_id, kind, keypad) for kind, keypad in row.keys])
                counts.created += 1
                continue
            values = (*(customer.fields.get(name) for name in SCALARS), json.dumps(customer.custom))
            phones.extend([(customer_id, e164, label) for e164, label in customer.new_phones.items()])
            keys = set(customer.keypads.items())
            if customer.before is None:
                inserts.append((customer_id, *values, stamp, stamp))
                add_keys.extend([(customer_id, kind, keypad) for kind, keypad in keys])
                counts.created += 1
                continue
            gone = {key for key in customer.keys - keys if key[0] in customer.keypads}
            if (
                customer.new_phones
                or gone
                or keys - customer.keys
                or customer.before != (customer.fields, customer.custom)
            ):
                updates.append((*values, stamp, customer_id))
                add_keys.extend([(customer_id, kind, keypad) for kind, keypad in keys - customer.keys])
                drop_keys.extend([(customer_id, kind, keypad) for kind, keypad in gone])
                counts.updated += 1
            else:
                counts.unchanged += 1
        counts.phones_added = len(phones)
        self.insert_customers.run(self.conn, inserts)
        self.update_customers.run(self.conn, updates)
        self.delete_keys.run(self.conn, drop_keys)
        # Sorted by each table's unique key: the index pages are then visited in order, once.
        self.insert_phones.run(self.conn, sorted(phones, key=itemgetter(1)))
        self.insert_keys.run(self.conn, sorted(add_keys, key=itemgetter(1, 2)))
        return counts

    def _allocate_ids(self, count: int) -> Sequence[int]:
        if not count:
            return ()
        if self.conn.dialect.name == "sqlite":
            # The batch holds SQLite's write lock (BEGIN IMMEDIATE): nobody else can take these ids.
            top = self.conn.execute(select(func.coalesce(func.max(_C.id), 0))).scalar_one()
            return range(top + 1, top + 1 + count)
        return (
            self.conn.execute(
                text("SELECT nextval(pg_get_serial_sequence('customers', 'id')) FROM generate_series(1, :n)"),
                {"n": count},
            )
            .scalars()
            .all()
        )


def _bind(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else (lambda value: value)
