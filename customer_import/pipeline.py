"""Customer import: the rows of a table in, customers, phone numbers and keypad keys written in bulk.

Columns map to customer fields by their header (`DEFAULT_ALIASES`, overridable per column with
`ImportOptions.mapping`); every other column is a custom field. Phone numbers become E.164 in the
default region. Both are `customer_import.rows`'s job; writing is `customer_import.writer`'s.

De-duplication. A row's keys are its account number and its phone numbers. If they lead to no
customer, the row creates one (it needs a name). If they all lead to the same customer, the row
updates it: the row's non-empty fields overwrite (an empty cell never erases), custom fields are
merged key by key, new phone numbers are added, none is removed. "Lead to" covers the database and
every earlier row of the file. The row is an error, and changes nothing, if its keys lead to two
different customers, or if it finds a customer by phone whose account number differs from the
row's.

Errors are per row: a row with any problem (unreadable cell, bad number, too long a value, no
name for a new customer, no phone and no account, a conflict) is reported - row number, column,
value, message - in a CSV report and skipped whole; the import goes on. The report's cells that a
spreadsheet would run as formulas get a leading `'` (`spreadsheet_safe`). The database is written in
batches, one transaction each; if the database refuses a batch (a constraint, a concurrent
writer), that batch is retried row by row so only the refused rows are reported. Re-running a file
changes nothing: every row finds its customer and no value differs, which the summary shows as
`changed_nothing` (a file that gives one customer different values in two rows is the exception:
the later row wins each time).

Speed: rows are normalised (`customer_import.rows`) in a pool of processes (phone parsing
dominates) while this process reads, plans and writes (`customer_import.writer`). On SQLite the
import's connection uses a larger page cache while it runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import itertools
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from customer_import.rows import (
    ACCOUNT_KIND,
    BadMapping,
    PreparedRow,
    RowError,
    RowRules,
    map_columns,
    prepare_plain_rows,
    prepare_rows,
)
from customer_import.sources import ImportFailed, SourceRow, TableSource
from customer_import.writer import BatchCounts, CustomerWriter
from schema.db import WRITE_TRANSACTION
from schema.errors import RecordRejected, StorageError, translate

DEFAULT_BATCH_SIZE: Final = 50_000
PREPARE_CHUNK: Final = 5_000
IN_PROCESS_ROWS: Final = 20_000  # files this small are not worth starting a process pool for
BULK_CACHE_KIB: Final = 128 * 1024  # SQLite page cache of the importing connection


class DatabaseFailed(ImportFailed):
    """The database went away or failed mid-import: the batches before stay; re-running is safe."""


@dataclass(frozen=True)
class ImportOptions:
    region: str = "US"
    keypad_fields: tuple[str, ...] = ("plate",)
    mapping: Mapping[str, str] = field(default_factory=dict)  # {column: field}, over the defaults
    batch_size: int = DEFAULT_BATCH_SIZE  # rows per transaction
    workers: int | None = None  # processes normalising rows; None: up to 2, only for big files


@dataclass(frozen=True)
class ImportProgress:
    rows_read: int
    rows_rejected: int
    fraction: float | None  # of the file read, when the source can tell
    elapsed_s: float


@dataclass
class ImportSummary:
    report: Path
    rows_read: int = 0
    rows_rejected: int = 0  # skipped with errors, listed in `report`
    customers_created: int = 0
    customers_updated: int = 0
    customers_unchanged: int = 0  # matched by a row, nothing to change (counted once per batch)
    phones_added: int = 0
    elapsed_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def changed_nothing(self) -> bool:
        return not (self.customers_created or self.customers_updated)

    def add(self, counts: BatchCounts) -> None:
        self.customers_created += counts.created
        self.customers_updated += counts.updated
        self.customers_unchanged += counts.unchanged
        self.phones_added += counts.phones_added


REPORT_HEADER: Final = ("row", "column", "value", "message")


def open_report(report: Path) -> TextIO:
    """The error report, opened for writing (ImportFailed naming it if it cannot be)."""
    try:
        return report.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise ImportFailed(f"cannot write the error report {report}: {exc.strerror or exc}") from exc


def report_rows(report_file: TextIO) -> Any:
    """A CSV writer on the opened report, its header row written."""
    errors = csv.writer(report_file)
    errors.writerow(REPORT_HEADER)
    return errors


# A cell starting so is a formula to a spreadsheet; `'` is in the list so that a report cell
# starting with `'` always had one added, and dropping it gives the original back.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r", "'")


def spreadsheet_safe(cell: str) -> str:
    """A report cell as written: with a leading `'` if a spreadsheet would run it as a formula (OWASP)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _report_row(error: RowError) -> tuple[int, str, str, str]:
    return (
        error.row,
        spreadsheet_safe(error.column),
        spreadsheet_safe(error.value),
        spreadsheet_safe(error.message),
    )


def import_customers(
    engine: Engine,
    source: TableSource,
    report: Path,
    *,
    options: ImportOptions | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    now: dt.datetime | None = None,
) -> ImportSummary:
    """Import every row of `source`; rows with errors go to the CSV `report` (always written).

    Raises `BadMapping` before anything is written, `DatabaseFailed` if the database fails
    mid-way (the committed batches stay; re-running finishes the job).
    """
    options = options or ImportOptions()
    if ACCOUNT_KIND in options.keypad_fields:
        raise BadMapping(f"{ACCOUNT_KIND!r} cannot be a keypad field: it is the account number's key kind")
    rules = RowRules.build(
        map_columns(source.columns, options.mapping), options.region, options.keypad_fields
    )
    summary = ImportSummary(report)
    started = time.perf_counter()
    report_file = open_report(report)
    try:
        with report_file, engine.connect() as conn:
            errors = report_rows(report_file)
            writer = CustomerWriter(
                conn.execution_options(**{WRITE_TRANSACTION: True}), rules, now or dt.datetime.now(dt.UTC)
            )
            with (
                _bulk_settings(conn),
                _collector_paused(),
                closing(_prepared(source, rules, options)) as chunks,
            ):
                pending: list[PreparedRow] = []
                for chunk in chunks:
                    summary.rows_read += len(chunk)
                    pending.extend(chunk)
                    if len(pending) >= options.batch_size:
                        _flush(writer, pending, summary, errors)
                    if progress is not None:
                        elapsed = time.perf_counter() - started
                        progress(
                            ImportProgress(
                                summary.rows_read, summary.rows_rejected, source.fraction_read(), elapsed
                            )
                        )
                _flush(writer, pending, summary, errors)
    except sa_exc.SQLAlchemyError as exc:  # connecting, or the connection's settings
        raise DatabaseFailed(str(translate(exc, "importing customers"))) from exc
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _flush(
    writer: CustomerWriter, pending: list[PreparedRow], summary: ImportSummary, report_writer: Any
) -> None:
    for counts, errors in _write_isolating(writer, pending):
        summary.add(counts)
        report_writer.writerows(_report_row(error) for error in sorted(errors))
        summary.rows_rejected += len({error.row for error in errors})
    pending.clear()


def _write_isolating(
    writer: CustomerWriter, rows: Sequence[PreparedRow]
) -> list[tuple[BatchCounts, list[RowError]]]:
    """Write a batch; if the database refuses it, write its rows one by one and report the refused."""
    try:
        return [writer.write(rows)]
    except RecordRejected as exc:
        if len(rows) == 1:
            return [
                (BatchCounts(), [RowError(rows[0].number, "", "", f"the database refused the row: {exc}")])
            ]
    except StorageError as exc:
        raise DatabaseFailed(
            f"{exc}; the batches before were imported, re-running the import is safe"
        ) from exc
    return [result for row in rows for result in _write_isolating(writer, [row])]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while importing: millions of short-lived rows, none in a cycle,
    would trigger thousands of collections for nothing (about a sixth of the import's time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _bulk_settings(conn: Connection) -> Iterator[None]:
    """On SQLite, a bigger page cache for this connection while it imports (restored after).

    The random-order unique indexes (phone numbers, account numbers) outgrow SQLite's default 2 MiB
    cache early; 128 MiB saves about a tenth of a million-row import. It changes nothing but this
    connection's memory use.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cache = int(raw.execute("PRAGMA cache_size").fetchone()[0])
    raw.execute(f"PRAGMA cache_size={-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        if not conn.invalidated:  # an interrupted statement closes the connection: nothing to restore
            raw.execute(f"PRAGMA cache_size={cache}")


def _prepared(
    source: TableSource, rules: RowRules, options: ImportOptions
) -> Generator[list[PreparedRow], None, None]:
    """The source's rows prepared in chunks, in file order: here for small files, in a pool for big ones."""
    rows = iter(source.rows())
    chunks = iter(lambda: list(itertools.islice(rows, PREPARE_CHUNK)), [])
    workers = options.workers
    if workers is None:
        cpus = os.cpu_count() or 1
        workers = min(2, cpus) if cpus > 1 else 0
        for chunk in itertools.islice(chunks, IN_PROCESS_ROWS // PREPARE_CHUNK):
            yield prepare_rows(chunk, rules)
    following = next(chunks, None)
    if following is None:
        return
    chunks = itertools.chain((following,), chunks)
    if workers <= 0:
        for chunk in chunks:
            yield prepare_rows(chunk, rules)
        return
    window = options.batch_size // PREPARE_CHUNK + 2 * workers
    yield from _prepared_in_pool(chunks, rules, workers, window=window)


def _start_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the importing process's to handle
    gc.disable()  # as in the importing process: no cycles among the rows


def _prepared_in_pool(
    chunks: Iterable[list[SourceRow]], rules: RowRules, workers: int, *, window: int
) -> Iterator[list[PreparedRow]]:
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
    )
    in_flight: deque[Future[list[tuple[Any, ...]]]] = deque()
    try:
        for chunk in chunks:
            in_flight.append(pool.submit(prepare_plain_rows, [tuple(row) for row in chunk], rules))
            if len(in_flight) >= window:
                yield [PreparedRow._make(row) for row in in_flight.popleft().result()]
        while in_flight:
            yield [PreparedRow._make(row) for row in in_flight.popleft().result()]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
