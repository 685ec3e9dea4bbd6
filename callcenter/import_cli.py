"""`callcenter import customers FILE`: customers from CSV or Excel into the CRM (schema does the work).

Prints the column mapping, a progress line on stderr (a one-line bar with rows/s and ETA on a
terminal, a plain line every few seconds otherwise), then a summary. Rows with errors are listed in
a CSV report beside the file (`customers.errors.csv`) and skipped; the import goes on.
Exit status: 0 every row imported, 1 some rows skipped (see the report), 2 the import could not
run or stopped (unreadable file, bad --map, database unavailable: batches already written stay,
and running the same command again finishes the job, since re-importing changes nothing).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import phonenumbers

from callcenter.settings import Settings
from customer_import.pipeline import (
    DEFAULT_BATCH_SIZE,
    ImportOptions,
    ImportProgress,
    ImportSummary,
    import_customers,
)
from customer_import.rows import FIELDS, SKIP, map_columns
from customer_import.sources import ImportFailed, open_source
from dialplans.loader import DialplanError, load_dialplan
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade

DEFAULT_REGION = "US"
DEFAULT_KEYPAD_FIELDS = ("plate",)
EXIT_OK, EXIT_ROWS_SKIPPED, EXIT_FAILED = 0, 1, 2

FIELDS_HELP = f"""\
Columns are recognised by their header: name (or first_name + last_name), phone (phone, phone1..n,
mobile, tel, ...: every such column, and several numbers in one cell separated by ; , or |),
account/account_number, tier, department, owner/agent (owner_agent_id), plate/licence_plate
(custom field "plate"), purchase_date. Every other column is kept as a custom field under its
header. --map COLUMN=FIELD overrides a column; FIELD is one of {", ".join(FIELDS)}, custom:<name> or
{SKIP}. A row whose account number or phone number already belongs to a customer updates that
customer (non-empty cells overwrite, new phone numbers are added) instead of creating another.
"""


def add_import_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `import customers` to the `callcenter` command's subparsers."""
    parser = sub.add_parser("import", help="import customers from CSV or Excel")
    what = parser.add_subparsers(dest="what", required=True)
    customers = what.add_parser(
        "customers",
        help="customers, phone numbers and keypad keys from a .csv or .xlsx file",
        description=FIELDS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    customers.add_argument("file", type=Path, help="the .csv (UTF-8, any delimiter) or .xlsx file")
    customers.add_argument(
        "--map", action="append", default=[], metavar="COLUMN=FIELD", help="map a column (repeatable)"
    )
    customers.add_argument(
        "--region", help="country of national numbers, e.g. GB (default: the dialplan's crm.default_region)"
    )
    customers.add_argument("--dialplan", type=Path, help="the dialplan to take the defaults from")
    customers.add_argument(
        "--keypad-fields",
        help="comma-separated custom fields callers key in (default: the dialplan's crm.keypad_fields)",
    )
    customers.add_argument("--report", type=Path, help="the error report (default: FILE.errors.csv)")
    customers.add_argument("--sheet", help="the .xlsx sheet (default: the first)")
    customers.add_argument(
        "--delimiter", type=_delimiter, help="the CSV delimiter, or tab (default: guessed from the header)"
    )
    customers.add_argument("--encoding", default="utf-8-sig", help="the CSV encoding (default: UTF-8)")
    customers.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per transaction")
    customers.add_argument(
        "--workers", type=int, help="processes normalising numbers (default: up to 2, for big files)"
    )
    customers.set_defaults(func=run_import)


def run_import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        options = _options(settings, args)
    except (ValueError, DialplanError) as exc:
        print(f"callcenter import customers: {exc}", file=sys.stderr)
        return EXIT_FAILED
    report = args.report or args.file.with_name(args.file.stem + ".errors.csv")
    bar = ProgressBar(sys.stderr)
    try:
        with open_source(
            args.file, sheet=args.sheet, delimiter=args.delimiter, encoding=args.encoding
        ) as source:
            mapping = map_columns(source.columns, options.mapping)
            print(f"columns: {', '.join(mapping.describe())}", file=sys.stderr)
            upgrade(settings.database_url)
            engine = create_engine_from_url(settings.database_url)
            try:
                summary = import_customers(engine, source, report, options=options, progress=bar)
            finally:
                engine.dispose()
                bar.finish()
    except (ImportFailed, StorageError) as exc:
        print(f"callcenter import customers: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            f"\ninterrupted after reading {bar.rows:,} rows; the batches written stay, and running the same "
            "command again finishes the import",
            file=sys.stderr,
        )
        raise
    print(summary_text(args.file, summary))
    return EXIT_ROWS_SKIPPED if summary.rows_rejected else EXIT_OK


def _options(settings: Settings, args: argparse.Namespace) -> ImportOptions:
    if args.batch_size < 1:
        raise ValueError("--batch-size must be at least 1")
    region: str | None = args.region
    keypad_fields: tuple[str, ...] | None = None
    if args.keypad_fields is not None:
        keypad_fields = tuple(name.strip() for name in args.keypad_fields.split(",") if name.strip())
    if region is None or keypad_fields is None:  # the dialplan is read only for what is not given
        default_region, default_keypad_fields = _dialplan_defaults(
            args.dialplan or settings.dialplan, required=bool(args.dialplan)
        )
        region = region or default_region
        keypad_fields = default_keypad_fields if keypad_fields is None else keypad_fields
    region = region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"--region {region}: not a country code phonenumbers knows (GB, US, DE, ...)")
    return ImportOptions(
        region=region,
        keypad_fields=keypad_fields,
        mapping=parse_map(args.map),
        batch_size=args.batch_size,
        workers=args.workers,
    )


def _delimiter(text: str) -> str:
    return "\t" if text in ("tab", "\\t") else text


def _dialplan_defaults(path: Path, *, required: bool) -> tuple[str, tuple[str, ...]]:
    """The dialplan's default region and keypad fields; US and plate if there is no dialplan."""
    if not required and not path.exists():
        return DEFAULT_REGION, DEFAULT_KEYPAD_FIELDS
    crm = load_dialplan(path).model.crm
    return crm.default_region, tuple(crm.keypad_fields)


def parse_map(items: Sequence[str]) -> dict[str, str]:
    """{column: field} from COLUMN=FIELD options (the last = splits: a header may hold one)."""
    mapping: dict[str, str] = {}
    for item in items:
        column, equals, target = item.rpartition("=")
        if not equals or not column.strip() or not target.strip():
            raise ValueError(f"--map {item}: write COLUMN=FIELD, e.g. --map 'Tel. 2=phone'")
        mapping[column.strip()] = target.strip()
    return mapping


def summary_text(path: Path, summary: ImportSummary) -> str:
    lines = [
        f"{path.name}: {summary.rows_read:,} rows read in {summary.elapsed_s:.1f} s "
        f"({summary.rows_per_s:,.0f} rows/s)",
        f"customers: {summary.customers_created:,} created, {summary.customers_updated:,} updated, "
        f"{summary.customers_unchanged:,} unchanged; {summary.phones_added:,} phone numbers added",
    ]
    if summary.rows_rejected:
        lines.append(f"{summary.rows_rejected:,} rows skipped with errors: see {summary.report}")
    else:
        lines.append("no errors")
    if summary.changed_nothing and summary.rows_read > summary.rows_rejected:
        lines.append("nothing changed: every row matched a customer who already had its values")
    return "\n".join(lines)


class ProgressBar:
    """Import progress on `stream`: a redrawn bar on a terminal, a plain line now and then otherwise."""

    def __init__(
        self,
        stream: TextIO,
        *,
        tty: bool | None = None,
        interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.interval_s = interval_s if interval_s is not None else (0.1 if self.tty else 5.0)
        self.clock = clock
        self.rows = 0
        self._last_shown: float | None = None
        self._drawn = False

    def __call__(self, progress: ImportProgress) -> None:
        self.rows = progress.rows_read
        now = self.clock()
        if self._last_shown is not None and now - self._last_shown < self.interval_s:
            return
        self._last_shown = now
        if self.tty:
            self.stream.write(
                "\r" + self.line(progress, width=shutil.get_terminal_size().columns - 1) + "\x1b[K"
            )
            self._drawn = True
        else:
            self.stream.write("import: " + self.line(progress, width=None) + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    @staticmethod
    def line(progress: ImportProgress, *, width: int | None) -> str:
        """`[####......]  42%  420,000 rows  21,000 rows/s  ETA 0:28  12 rejected`; no bar without width."""
        rate = progress.rows_read / progress.elapsed_s if progress.elapsed_s > 0 else 0.0
        parts = [f"{progress.rows_read:,} rows", f"{rate:,.0f} rows/s"]
        fraction = progress.fraction
        if fraction is not None:
            parts.insert(0, f"{fraction:4.0%}")
            if fraction > 0:
                parts.append(f"ETA {_clock(progress.elapsed_s * (1 - fraction) / fraction)}")
        if progress.rows_rejected:
            parts.append(f"{progress.rows_rejected:,} rejected")
        text = "  ".join(parts)
        if width is None or fraction is None:
            return text
        bar_width = min(40, width - len(text) - 4)
        if bar_width < 10:
            return text[:width]
        done = round(bar_width * min(max(fraction, 0.0), 1.0))
        return f"[{'#' * done}{'.' * (bar_width - done)}]  {text}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
