"""Call list import: the rows of a table in, a campaign's leads out, written in batches.

Each row gives one lead (`customer_import.lead_rows`). A number seen earlier in the file, or
already a lead of the campaign (in any of its lists), is a duplicate: counted, not written, not an
error. A number on the internal or national do-not-call list or on the campaign's exclusions is
excluded: counted per reason, not written. Rows with errors are listed in the CSV report (row,
column, value, message; cells made `spreadsheet_safe`) and skipped. The campaign is created as a
draft if it is new; the list is created, or extended when it already belongs to the campaign, so
re-running an import adds nothing (every row is then a duplicate). A lead is linked to the CRM
customer who owns its number. Each batch is one transaction; the list's counts are updated with it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, exists, select, update
from sqlalchemy import exc as sa_exc

from customer_import.lead_insert import LeadInserter
from customer_import.lead_rows import LeadColumns, LeadRow
from customer_import.lead_workers import prepared_chunks
from customer_import.pipeline import (
    DatabaseFailed,
    ImportProgress,
    _collector_paused,
    _report_row,
    open_report,
    report_rows,
)
from customer_import.rows import RowError
from customer_import.sources import ImportFailed, TableSource
from schema.campaigns.dnc import DNC, EXCLUSIONS, LOOKUP_CHUNK, blocked_among
from schema.campaigns.leads import LEADS
from schema.campaigns.lists import CALL_LISTS, COUNTS, open_list
from schema.crm.lookup import PHONE_NUMBERS
from schema.db import WRITE_TRANSACTION
from schema.errors import RecordRejected, StorageError, translate

DEFAULT_BATCH_SIZE: Final = 20_000
_RERUN: Final = (
    "the batches before were imported; re-running the import is safe (it adds only what is missing)"
)


@dataclass(frozen=True)
class LeadImportOptions:
    campaign: str
    list_name: str
    region: str = "US"
    batch_size: int = DEFAULT_BATCH_SIZE  # rows per transaction
    workers: int | None = None  # processes preparing rows; None: up to 2, only for big files


@dataclass
class LeadImportSummary:
    report: Path
    list_id: int = 0
    rows_read: int = 0
    leads_added: int = 0
    duplicates: int = 0
    excluded: dict[str, int] = field(default_factory=dict)  # {reason: rows}
    rows_rejected: int = 0
    elapsed_s: float = 0.0
    counted: tuple[int, ...] = (0, 0, 0, 0, 0)  # `counts()` as last added to the list's row

    def counts(self) -> tuple[int, ...]:
        """rows read, leads added, duplicates, excluded, rejected: the list's COUNTS."""
        excluded = sum(self.excluded.values())
        return (self.rows_read, self.leads_added, self.duplicates, excluded, self.rows_rejected)

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class _Lookups:
    """Which database lookups a batch needs: none of a kind whose table held nothing at the start."""

    campaign_had_leads: bool
    any_blocks: bool
    any_customers: bool


def import_leads(
    engine: Engine,
    source: TableSource,
    columns: LeadColumns,
    report: Path,
    options: LeadImportOptions,
    *,
    progress: Callable[[ImportProgress], None] | None = None,
    now: dt.datetime | None = None,
) -> LeadImportSummary:
    """Import every row of `source` into the list; rows with errors go to the CSV `report`."""
    now = now or dt.datetime.now(dt.UTC)
    summary = LeadImportSummary(report)
    started = time.perf_counter()
    report_file = open_report(report)
    try:
        with report_file, engine.connect() as plain:
            conn = plain.execution_options(**{WRITE_TRANSACTION: True})
            errors = report_rows(report_file)
            try:
                with conn.begin():
                    lookups = _lookups(conn, options.campaign)
                    summary.list_id = open_list(
                        conn, options.campaign, options.list_name, str(source.path), now
                    )
            except RecordRejected as exc:
                raise ImportFailed(str(exc)) from exc
            seen: set[str] = set()
            pending: list[LeadRow] = []
            chunks = prepared_chunks(source.rows(), columns, options.region, workers=options.workers)
            with closing(chunks), _collector_paused():
                for chunk in chunks:
                    summary.rows_read += len(chunk)
                    for prepared in chunk:
                        if isinstance(prepared, list):
                            _reject(prepared, summary, errors)
                        elif prepared.phone_e164 in seen:
                            summary.duplicates += 1
                        else:
                            seen.add(prepared.phone_e164)
                            pending.append(prepared)
                    if len(pending) >= options.batch_size:
                        _write_batch(
                            conn, pending, options=options, lookups=lookups, summary=summary, now=now
                        )
                    _report_progress(progress, summary, source, started)
            _write_batch(conn, pending, options=options, lookups=lookups, summary=summary, now=now)
    except sa_exc.SQLAlchemyError as exc:
        raise DatabaseFailed(f"{translate(exc, 'importing a call list')}; {_RERUN}") from exc
    except StorageError as exc:
        raise DatabaseFailed(f"{exc}; {_RERUN}") from exc
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _reject(row_errors: Sequence[RowError], summary: LeadImportSummary, report: Any) -> None:
    report.writerows(_report_row(error) for error in row_errors)
    summary.rows_rejected += 1


def _report_progress(
    progress: Callable[[ImportProgress], None] | None,
    summary: LeadImportSummary,
    source: TableSource,
    started: float,
) -> None:
    if progress is not None:
        elapsed = time.perf_counter() - started
        progress(ImportProgress(summary.rows_read, summary.rows_rejected, source.fraction_read(), elapsed))


def _lookups(conn: Connection, campaign: str) -> _Lookups:
    had_leads = conn.execute(select(exists().where(LEADS.c.campaign == campaign))).scalar_one()
    blocks = (
        conn.execute(select(exists().select_from(DNC))).scalar_one()
        or conn.execute(select(exists().where(EXCLUSIONS.c.campaign == campaign))).scalar_one()
    )
    customers = conn.execute(select(exists().select_from(PHONE_NUMBERS))).scalar_one()
    return _Lookups(bool(had_leads), bool(blocks), bool(customers))


def _write_batch(
    conn: Connection,
    pending: list[LeadRow],
    *,
    options: LeadImportOptions,
    lookups: _Lookups,
    summary: LeadImportSummary,
    now: dt.datetime,
) -> None:
    """One transaction: drop the batch's duplicates and blocked numbers, write the rest, update counts."""
    numbers = [lead.phone_e164 for lead in pending]
    with conn.begin():
        known = _existing_leads(conn, options.campaign, numbers) if lookups.campaign_had_leads else set()
        blocked = blocked_among(conn, options.campaign, numbers) if lookups.any_blocks else {}
        customers = _customers_by_phone(conn, numbers) if lookups.any_customers else {}
        rows: list[LeadRow] = []
        duplicates = 0
        excluded: dict[str, int] = {}
        for lead in pending:
            if lead.phone_e164 in known:
                duplicates += 1
            elif (reason := blocked.get(lead.phone_e164)) is not None:
                excluded[reason] = excluded.get(reason, 0) + 1
            else:
                rows.append(lead)
        if rows:
            LeadInserter(conn, summary.list_id, options.campaign, now).insert(rows, customers)
            summary.leads_added += len(rows)
        summary.duplicates += duplicates
        for reason, count in excluded.items():
            summary.excluded[reason] = summary.excluded.get(reason, 0) + count
        _count(conn, summary)
    pending.clear()


def _count(conn: Connection, summary: LeadImportSummary) -> None:
    """Add to the list's counts what this import did since they were last written."""
    now_counted = summary.counts()
    delta = {
        name: now - before for name, now, before in zip(COUNTS, now_counted, summary.counted, strict=True)
    }
    conn.execute(
        update(CALL_LISTS)
        .where(CALL_LISTS.c.id == summary.list_id)
        .values(**{name: CALL_LISTS.c[name] + value for name, value in delta.items()})
    )
    summary.counted = now_counted


def _existing_leads(conn: Connection, campaign: str, numbers: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        found.update(
            conn.execute(
                select(LEADS.c.phone_e164).where(LEADS.c.campaign == campaign, LEADS.c.phone_e164.in_(chunk))
            ).scalars()
        )
    return found


def _customers_by_phone(conn: Connection, numbers: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        rows = conn.execute(
            select(PHONE_NUMBERS.c.e164, PHONE_NUMBERS.c.customer_id).where(PHONE_NUMBERS.c.e164.in_(chunk))
        ).all()
        found.update((e164, int(customer)) for e164, customer in rows)
    return found
