"""Customer import: rows/s of `import_customers` on a 1,000,000-row CSV into a fresh SQLite database.

The file looks like a CRM export: name, a national US phone number, a UK mobile on every other
row, account number, tier, department, owner agent, licence plate, purchase date. 1% of the rows
repeat an earlier customer's phone with another mobile number (merged, not created twice) and 0.5% carry a
number that is not one (reported, skipped). Phone numbers are unique otherwise, in random order,
as real ones are (which is what makes index maintenance cost).

Beside it, in the same process: the naive way, one ORM session and commit per row (look the phone
up, add customer, phone numbers and keys) on 20,000 rows of the same file, as a ratio; a re-run of
a 100,000-row CSV (every row found, nothing written); an .xlsx file of 100,000 rows (openpyxl's
streaming reader); the 100,000-row CSV into a throwaway PostgreSQL server.

Run: .venv/bin/python -m tests.bench.import_bench [rows]
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
from sqlalchemy import select

from customer_import.pipeline import ImportOptions, ImportSummary, import_customers
from customer_import.sources import open_source
from schema.crm.models import Customer, CustomerKey, PhoneNumber
from schema.crm.phones import keypad_digits, normalise_number
from schema.db import create_engine_from_url, session_scope
from schema.migrate import upgrade
from tests.support.postgres import INSTALL_HINT, SUPERUSER, PostgresServer, find_pg_bin

HEADER = (
    "name",
    "phone",
    "mobile",
    "account_number",
    "tier",
    "department",
    "owner",
    "plate",
    "purchase_date",
)
TIERS = ("bronze", "silver", "gold", "platinum")
DEPARTMENTS = ("sales", "service", "claims")
BASELINE_ROWS = 20_000
XLSX_ROWS = 100_000
RERUN_ROWS = 100_000


def _us_number(index: int) -> str:
    # A bijection of 0..7,999,999,999 (multiplier coprime with the modulus): unique, scattered numbers.
    scrambled = (index * 1_000_003 + 12_345) % 8_000_000_000
    area, rest = divmod(scrambled, 10_000_000)
    exchange, line = divmod(rest, 10_000)
    return f"({200 + area % 800}) {200 + exchange % 800}-{line:04d}"


def _uk_mobile(index: int) -> str:
    scrambled = (index * 7_919 + 101) % 100_000_000
    return f"+44 77{scrambled // 1_000_000:02d} {scrambled % 1_000_000:06d}"


def customer_rows(count: int, seed: int = 7) -> Iterator[tuple[str, ...]]:
    rng = random.Random(seed)
    start = dt.date(2015, 1, 1)
    for index in range(count):
        roll = rng.random()
        if index > 100 and roll < 0.01:  # an earlier customer again, with another mobile number
            earlier = rng.randrange(index // 2)
            yield (f"Customer {earlier}", _us_number(earlier), _uk_mobile(index), "", "", "", "", "", "")
            continue
        phone = "555-01" if roll > 0.995 else _us_number(index)  # 0.5%: not a full number
        yield (
            f"Customer {index}",
            phone,
            _uk_mobile(index) if index % 2 else "",
            f"AC{index:08d}",
            rng.choice(TIERS),
            rng.choice(DEPARTMENTS),
            str(1001 + index % 50),
            f"{chr(65 + index % 26)}{chr(65 + index // 26 % 26)}{index % 100:02d} {index % 1000:03d}",
            (start + dt.timedelta(days=index % 3000)).isoformat(),
        )


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(customer_rows(count))


def write_xlsx(path: Path, count: int) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("customers")
    sheet.append(HEADER)
    for row in customer_rows(count):
        sheet.append(row)
    book.save(path)


def fresh_database(directory: Path, name: str) -> str:
    url = f"sqlite:///{directory / name}"
    upgrade(url)
    return url


def timed_import(url: str, path: Path, options: ImportOptions | None = None) -> ImportSummary:
    engine = create_engine_from_url(url)
    try:
        with open_source(path) as source:
            return import_customers(engine, source, path.with_suffix(".errors.csv"), options=options)
    finally:
        engine.dispose()


def naive_import(url: str, path: Path, rows: int) -> float:
    """rows/s of one ORM session and commit per row: find by phone, else add the customer."""
    engine = create_engine_from_url(url)
    now = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for index, record in enumerate(csv.DictReader(handle)):
            if index == rows:
                break
            phones = [
                n for n in (normalise_number(record[c], "US") for c in ("phone", "mobile") if record[c]) if n
            ]
            if not phones:
                continue
            with session_scope(engine) as session:
                if session.scalar(select(PhoneNumber.customer_id).where(PhoneNumber.e164.in_(phones))):
                    continue
                customer = Customer(
                    name=record["name"],
                    account_number=record["account_number"] or None,
                    tier=record["tier"] or None,
                    department=record["department"] or None,
                    owner_agent_id=record["owner"] or None,
                    custom_fields={"plate": record["plate"], "purchase_date": record["purchase_date"]},
                    created_at=now,
                    updated_at=now,
                )
                session.add(customer)
                session.flush()
                session.add_all(PhoneNumber(customer_id=customer.id, e164=e164) for e164 in phones)
                session.add(CustomerKey(customer_id=customer.id, kind="account", keypad=keypad_digits(
                    record["account_number"])))  # fmt: skip
                session.add(
                    CustomerKey(customer_id=customer.id, kind="plate", keypad=keypad_digits(record["plate"]))
                )
    elapsed = time.perf_counter() - began
    engine.dispose()
    return rows / elapsed


def postgresql_import(path: Path) -> ImportSummary:
    """The same import into a throwaway PostgreSQL server (fsync off, like the tests')."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise SystemExit(INSTALL_HINT)
    server = PostgresServer(
        bin_dir, Path(tempfile.mkdtemp(prefix="callcenter-pg-")), SUPERUSER if os.geteuid() == 0 else None
    )
    try:
        server.init()
        server.start()
        url = server.url(server.create_database("import_bench"))
        upgrade(url)
        return timed_import(url, path)
    finally:
        server.stop()
        shutil.rmtree(server.base_dir, ignore_errors=True)


def describe(label: str, summary: ImportSummary) -> str:
    return (
        f"{label}: {summary.rows_read:,} rows in {summary.elapsed_s:.1f} s "
        f"= {summary.rows_per_s:,.0f} rows/s; "
        f"created {summary.customers_created:,}, updated {summary.customers_updated:,}, "
        f"unchanged {summary.customers_unchanged:,}, rejected {summary.rows_rejected:,}, "
        f"phones {summary.phones_added:,}"
    )


def run(rows: int = 1_000_000) -> dict[str, float]:
    base = Path(tempfile.mkdtemp(prefix="callcenter-import-bench-"))
    figures: dict[str, float] = {}
    try:
        big = base / "customers.csv"
        began = time.perf_counter()
        write_csv(big, rows)
        print(
            f"generated {rows:,} rows ({big.stat().st_size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - began:.1f} s"
        )

        summary = timed_import(fresh_database(base, "big.db"), big)
        figures["csv_rows_per_s"] = summary.rows_per_s
        figures["csv_seconds"] = summary.elapsed_s
        print(describe("csv, SQLite, fresh database", summary), flush=True)

        figures["naive_rows_per_s"] = naive_import(fresh_database(base, "naive.db"), big, BASELINE_ROWS)
        print(
            f"baseline, ORM session + commit per row ({BASELINE_ROWS:,} rows): "
            f"{figures['naive_rows_per_s']:,.0f} rows/s; import is "
            f"{figures['csv_rows_per_s'] / figures['naive_rows_per_s']:.0f}x faster",
            flush=True,
        )

        small = base / "small.csv"
        write_csv(small, RERUN_ROWS)
        url = fresh_database(base, "rerun.db")
        first = timed_import(url, small)
        again = timed_import(url, small)
        figures["rerun_rows_per_s"] = again.rows_per_s
        print(describe(f"csv {RERUN_ROWS:,} rows, first run", first))
        print(describe("same file again", again) + f"; changed nothing: {again.changed_nothing}", flush=True)

        workbook = base / "customers.xlsx"
        write_xlsx(workbook, XLSX_ROWS)
        summary = timed_import(fresh_database(base, "xlsx.db"), workbook)
        figures["xlsx_rows_per_s"] = summary.rows_per_s
        print(describe(f"xlsx {XLSX_ROWS:,} rows, SQLite, fresh database", summary), flush=True)

        summary = postgresql_import(small)
        figures["postgresql_rows_per_s"] = summary.rows_per_s
        print(describe(f"csv {RERUN_ROWS:,} rows, PostgreSQL, fresh database", summary), flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
