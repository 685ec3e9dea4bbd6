"""`callcenter dnc …`: the do-not-call lists (schema does the work).

- `dnc add NUMBER [--reason R] [--source internal|national]`: an opt-out (internal by default);
- `dnc remove NUMBER [--source S]`: off one list, or off both;
- `dnc import FILE --source national|internal`: a file of numbers, as `campaign import` reads files
  (rows with errors go to FILE.errors.csv; exit 1 if there were any, 2 if the import failed);
- `dnc check NUMBER`: which lists hold it (exit 0 if none does, 1 if it is listed).
Every campaign checks these lists at import and again just before dialling.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from sqlalchemy import Engine

from callcenter.campaign_cli import add_file_options, file_region, number_summary_text, report_path
from callcenter.import_cli import EXIT_FAILED, EXIT_OK, EXIT_ROWS_SKIPPED
from callcenter.settings import Settings
from customer_import.number_import import dnc_writer, import_numbers
from customer_import.number_zones import parse_number
from customer_import.sources import ImportFailed, open_source
from dialplans.loader import DialplanError
from schema.campaigns.dnc import add_dnc, dnc_entries, remove_dnc
from schema.campaigns.models import DNC_SOURCES
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade


def add_dnc_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `dnc` to the `callcenter` command's subparsers."""
    dnc = sub.add_parser("dnc", help="do-not-call lists: add, remove, import, check")
    actions = dnc.add_subparsers(dest="action", required=True)
    added = actions.add_parser("add", help="put a number on a do-not-call list")
    added.add_argument("number")
    added.add_argument("--reason", help="why, e.g. asked on the phone")
    added.add_argument("--source", choices=DNC_SOURCES, default="internal")
    removed = actions.add_parser("remove", help="take a number off a list (both by default)")
    removed.add_argument("number")
    removed.add_argument("--source", choices=DNC_SOURCES)
    imported = actions.add_parser("import", help="a file (.csv or .xlsx) of numbers onto a list")
    imported.add_argument("file", type=Path)
    imported.add_argument("--source", choices=DNC_SOURCES, required=True)
    imported.add_argument("--phone-column", help="the column of numbers (default: found by its header)")
    add_file_options(imported)
    checked = actions.add_parser("check", help="which do-not-call lists hold a number")
    checked.add_argument("number")
    for parser in (added, removed, checked):
        parser.add_argument("--region", help="country of national numbers (default: the dialplan's)")
    dnc.set_defaults(func=run_dnc)


def run_dnc(settings: Settings, args: argparse.Namespace) -> int:
    failed = EXIT_FAILED if args.action == "import" else 1
    try:
        region = file_region(settings, args.region)
        upgrade(settings.database_url)
        engine = create_engine_from_url(settings.database_url)
        try:
            if args.action == "import":
                return _import(args, engine, region)
            number = parse_number(args.number, region)
            if number is None:
                print(f"callcenter dnc {args.action}: {args.number!r} is not a full phone number ({region})",
                      file=sys.stderr)  # fmt: skip
                return 1
            return _one(args, engine, number[0])
        finally:
            engine.dispose()
    except (ImportFailed, StorageError, ValueError, DialplanError) as exc:
        print(f"callcenter dnc {args.action}: {exc}", file=sys.stderr)
        return failed


def _one(args: argparse.Namespace, engine: Engine, number: str) -> int:
    now = dt.datetime.now(dt.UTC)
    if args.action == "add":
        new = add_dnc(engine, number, source=args.source, now=now, reason=args.reason)
        print(f"{number} {'added to' if new else 'already on'} the {args.source} do-not-call list")
        return 0
    if args.action == "remove":
        removed = remove_dnc(engine, number, source=args.source)
        print(
            f"{number} removed from {removed} do-not-call list(s)" if removed else f"{number} was on no list"
        )
        return 0
    entries = dnc_entries(engine, number)
    if not entries:
        print(f"{number}: on no do-not-call list")
        return 0
    for entry in entries:
        why = f": {entry.reason}" if entry.reason else ""
        print(f"{number}: {entry.source} DNC since {entry.added_at:%Y-%m-%d}{why}")
    return 1


def _import(args: argparse.Namespace, engine: Engine, region: str) -> int:
    with open_source(args.file, sheet=args.sheet, encoding=args.encoding) as source:
        summary = import_numbers(
            engine,
            source,
            report_path(args),
            dnc_writer(args.source, dt.datetime.now(dt.UTC)),
            region=region,
            phone_column=args.phone_column,
        )
    print(number_summary_text(f"added to the {args.source} do-not-call list", summary))
    return EXIT_ROWS_SKIPPED if summary.rows_rejected else EXIT_OK
