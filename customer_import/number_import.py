"""Number files in: a do-not-call list (internal or national) or a campaign's exclusions.

The same sources as every import (CSV of any delimiter, .xlsx), the phone column found by header as
for call lists (or named), numbers normalised to E.164 in the default region. Rows with a bad
number or an unreadable cell go to the CSV report and are skipped; numbers already on the list
are counted, not errors. Each batch is one transaction.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from customer_import.lead_rows import lead_columns
from customer_import.number_zones import parse_number
from customer_import.pipeline import DatabaseFailed, _report_row, open_report, report_rows
from customer_import.rows import RowError
from customer_import.sources import TableSource
from schema.campaigns.dnc import add_numbers, exclude_in
from schema.db import WRITE_TRANSACTION
from schema.errors import translate

BATCH_SIZE: Final = 20_000

# Writes a batch of E.164 numbers in the caller's transaction; returns how many were new.
NumberWriter = Callable[[Connection, list[str]], int]


@dataclass
class NumberImportSummary:
    report: Path
    rows_read: int = 0
    added: int = 0
    already_listed: int = 0
    rows_rejected: int = 0
    elapsed_s: float = 0.0


def dnc_writer(source: str, now: dt.datetime) -> NumberWriter:
    return lambda connection, numbers: add_numbers(connection, numbers, source, now)


def exclusion_writer(campaign: str, now: dt.datetime) -> NumberWriter:
    return lambda connection, numbers: exclude_in(connection, campaign, numbers, now)


def import_numbers(
    engine: Engine,
    source: TableSource,
    report: Path,
    write: NumberWriter,
    *,
    region: str,
    phone_column: str | None = None,
) -> NumberImportSummary:
    """Every number of `source` written with `write`; rows with errors go to the CSV `report`."""
    column = lead_columns(source.columns, phone_column=phone_column).phone
    summary = NumberImportSummary(report)
    started = time.perf_counter()
    report_file = open_report(report)
    try:
        with report_file, engine.connect() as plain:
            conn = plain.execution_options(**{WRITE_TRANSACTION: True})
            errors = report_rows(report_file)
            batch: dict[str, None] = {}  # the numbers in file order, each once
            for row in source.rows():
                summary.rows_read += 1
                cell = row.values[column]
                parsed = parse_number(cell, region)
                problems = [RowError(row.number, *problem) for problem in row.problems]
                if parsed is None:
                    problems.append(
                        RowError(row.number, column, cell.strip(), f"not a full phone number ({region})")
                    )
                if problems:
                    errors.writerows(_report_row(problem) for problem in problems)
                    summary.rows_rejected += 1
                    continue
                if parsed is not None:
                    batch[parsed[0]] = None
                if len(batch) >= BATCH_SIZE:
                    _write(conn, write, batch, summary)
            _write(conn, write, batch, summary)
    except sa_exc.SQLAlchemyError as exc:
        raise DatabaseFailed(
            f"{translate(exc, 'importing numbers')}; the batches before were written, re-running is safe"
        ) from exc
    summary.already_listed = summary.rows_read - summary.rows_rejected - summary.added
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _write(
    conn: Connection, write: NumberWriter, batch: dict[str, None], summary: NumberImportSummary
) -> None:
    if batch:
        with conn.begin():
            summary.added += write(conn, list(batch))
        batch.clear()
