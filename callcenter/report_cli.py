"""`callcenter report --from DATE --to DATE [--tz ZONE] [--queue Q] -o report.html [--csv report.csv]`
and `callcenter report rollup [--settle-minutes N] [--rebuild]`.

The analysts' report of a period (local dates in --tz, both included): headline figures, volume by
hour, service level and ASA by hour, the abandon curve, the agent table and the IVR funnel, as one
self-contained HTML page and/or one CSV file (docs/reports.md, "callcenter report"). `-` writes to
standard output. The command reads the database with full rights, like the other CLI commands.
Exit status: 0 written; 2 bad input (an unknown zone, a range backwards), no database, or a file that
cannot be written.

`report rollup` stores the report's per-quarter-hour sums of the closed quarter-hours not rolled up yet
that ended at least --settle-minutes ago (default 60), so reports of long ranges read them instead of
the raw tables (docs/reports.md, "Rollups"). Idempotent: run it from cron every few minutes. --rebuild
drops the rollups and redoes them from the start. Exit status: 0 done (or nothing to do); 2 no database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
from pathlib import Path

from callcenter.settings import Settings
from ivr_scripts.report.csv_out import render_csv
from ivr_scripts.report.html import render_html
from ivr_scripts.report.model import Period, Report
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade
from schema.reporting.report import build_report
from schema.reporting.rollup import roll_up
from schema.viewer import Viewer

EXIT_OK, EXIT_FAILED = 0, 2


def add_report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report` to the `callcenter` command's subparsers."""
    parser = sub.add_parser(
        "report",
        help="the analysts' report of a date range: HTML with charts, and/or CSV",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "action", nargs="?", choices=["rollup"], help="rollup: store the per-quarter-hour sums"
    )
    parser.add_argument("--from", dest="first", type=_date, help="first day, YYYY-MM-DD (required)")
    parser.add_argument("--to", dest="last", type=_date, help="last day (included; required)")
    parser.add_argument("--tz", default="UTC", help="IANA time zone of the dates and hours (default UTC)")
    parser.add_argument("--queue", help="only this queue's figures (default: every queue)")
    parser.add_argument("-o", "--output", type=Path, metavar="PATH", help="the HTML page ('-': stdout)")
    parser.add_argument("--csv", type=Path, metavar="PATH", help="the figures as CSV ('-': stdout)")
    parser.add_argument(
        "--settle-minutes", type=int, default=60, help="rollup: leave quarter-hours this recent (default 60)"
    )
    parser.add_argument("--rebuild", action="store_true", help="rollup: drop the rollups and redo them")
    parser.set_defaults(func=cmd_report)


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "rollup":
        return cmd_rollup(settings, args)
    if args.first is None or args.last is None:
        return _complain("give the range: --from DATE --to DATE")
    if args.output is None and args.csv is None:
        return _complain("say where to write: -o report.html and/or --csv report.csv")
    if args.output == args.csv == Path("-"):
        return _complain("only one of -o and --csv can write to standard output")
    period = Period(first=args.first, last=args.last, zone=args.tz, queue=args.queue)
    try:
        period.check()
    except ValueError as exc:
        return _complain(str(exc))
    try:
        report = _read(settings, period)
    except StorageError as exc:
        return _complain(str(exc))
    try:
        if args.output is not None:
            _write(args.output, render_html(report))
        if args.csv is not None:
            _write(args.csv, render_csv(report))
    except OSError as exc:
        return _complain(f"cannot write {exc.filename}: {exc.strerror}")
    return EXIT_OK


def _read(settings: Settings, period: Period) -> Report:
    upgrade(settings.database_url)
    engine = create_engine_from_url(settings.database_url)
    try:
        return build_report(engine, Viewer(f"cli@{socket.gethostname()}"[:64], "system"), period)
    finally:
        engine.dispose()


def cmd_rollup(settings: Settings, args: argparse.Namespace) -> int:
    if args.settle_minutes < 0:
        return _complain("--settle-minutes cannot be negative")
    try:
        upgrade(settings.database_url)
        engine = create_engine_from_url(settings.database_url)
        try:
            summary = roll_up(
                engine,
                now=dt.datetime.now(dt.UTC),
                settle=dt.timedelta(minutes=args.settle_minutes),
                rebuild=args.rebuild,
            )
        finally:
            engine.dispose()
    except StorageError as exc:
        return _complain(str(exc))
    redone = "rebuilt (the thresholds changed, or --rebuild): " if summary.rebuilt else ""
    if summary.rolled_up_to is None:
        print(f"{redone}nothing to roll up yet")
    else:
        print(
            f"{redone}{summary.quarters} quarter-hour(s) rolled up; the rollups cover "
            f"{summary.rolled_up_from:%Y-%m-%d %H:%M} to {summary.rolled_up_to:%Y-%m-%d %H:%M} UTC"
        )
    return EXIT_OK


def _write(path: Path, text: str) -> None:
    if path == Path("-"):
        sys.stdout.write(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _complain(message: str) -> int:
    print(f"callcenter report: {message}", file=sys.stderr)
    return EXIT_FAILED
