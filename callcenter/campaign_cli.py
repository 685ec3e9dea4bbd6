"""`callcenter campaign …`: call lists in, numbers excluded, and the campaign's status (schema does the work).

- `campaign import CAMPAIGN FILE [--list NAME] [--region R] [--phone-column C] [--time-zone-column C]`:
  a CSV or .xlsx call list becomes the campaign's leads; prints the columns used, a progress line on
  stderr, then a summary (leads added, duplicates, excluded per reason, rows skipped). Rows with
  errors go to FILE.errors.csv. Exit 0 every row imported or knowingly left out (duplicate,
  excluded), 1 some rows skipped with errors, 2 the import could not run or stopped.
- `campaign exclude CAMPAIGN FILE`: the numbers of a file may not be called by this campaign.
- `campaign status [NAME]`: each campaign's status and lists; with NAME, its transitions too.
- `campaign pilot|start|pause|resume|close NAME [--reason R]`: a lifecycle step, logged with
  `by` = cli@<host>; a step the lifecycle refuses exits 1 with the reason.
- `campaign preview next|show|dial|skip ...`: preview dialling (callcenter.preview_cli).
National numbers are read in --region, else the dialplan's `crm.default_region`, else US.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
from pathlib import Path
from typing import Final

import phonenumbers
from sqlalchemy import Engine

from callcenter.import_cli import EXIT_FAILED, EXIT_OK, EXIT_ROWS_SKIPPED, ProgressBar
from callcenter.preview_cli import add_preview_parser, run_preview
from callcenter.settings import Settings
from customer_import.lead_import import LeadImportOptions, LeadImportSummary, import_leads
from customer_import.lead_rows import lead_columns
from customer_import.number_import import NumberImportSummary, exclusion_writer, import_numbers
from customer_import.sources import ImportFailed, open_source
from dialplans.campaign_vocabulary import CampaignStatus
from dialplans.loader import DialplanError, load_dialplan
from ivr_scripts.campaigns.lifecycle import TransitionRefused
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.lists import campaign_lists
from schema.campaigns.status import get_campaign, list_campaigns, transition, transitions
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade

STEPS: Final = {
    "pilot": (CampaignStatus.PILOT, "call the pilot sample only"),
    "start": (CampaignStatus.RUNNING, "start dialling the whole list"),
    "pause": (CampaignStatus.PAUSED, "stop placing new calls"),
    "resume": (CampaignStatus.RUNNING, "dial again after a pause"),
    "close": (CampaignStatus.CLOSED, "end the campaign for good"),
}


def add_campaign_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `campaign` to the `callcenter` command's subparsers."""
    campaign = sub.add_parser("campaign", help="outbound campaigns: call lists, exclusions, status")
    actions = campaign.add_subparsers(dest="action", required=True)
    imported = actions.add_parser("import", help="import a call list (.csv or .xlsx) into a campaign")
    imported.add_argument("campaign", help="the campaign's name (created as draft if new)")
    imported.add_argument("file", type=Path)
    imported.add_argument("--list", dest="list_name", help="the list's name (default: the file's name)")
    imported.add_argument("--phone-column", help="the column of numbers (default: found by its header)")
    imported.add_argument("--time-zone-column", help="a column of IANA zones overriding the numbers' own")
    excluded = actions.add_parser("exclude", help="numbers (a .csv or .xlsx) this campaign may not call")
    excluded.add_argument("campaign")
    excluded.add_argument("file", type=Path)
    excluded.add_argument("--phone-column", help="the column of numbers (default: found by its header)")
    for parser in (imported, excluded):
        add_file_options(parser)
    status = actions.add_parser("status", help="campaigns' status and lists")
    status.add_argument("name", nargs="?", help="one campaign, with its transitions")
    for step, (target, text) in STEPS.items():
        moved = actions.add_parser(step, help=f"{text} (-> {target})")
        moved.add_argument("name")
        moved.add_argument("--reason", help="why, for the log")
    add_preview_parser(actions)
    campaign.set_defaults(func=run_campaign)


def add_file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="country of national numbers, e.g. GB (default: the dialplan's)")
    parser.add_argument("--report", type=Path, help="the error report (default: FILE.errors.csv)")
    parser.add_argument("--sheet", help="the .xlsx sheet (default: the first)")
    parser.add_argument("--encoding", default="utf-8-sig", help="the CSV encoding (default: UTF-8)")


def run_campaign(settings: Settings, args: argparse.Namespace) -> int:
    try:
        upgrade(settings.database_url)
        engine = create_engine_from_url(settings.database_url)
        try:
            if args.action == "import":
                return _import(settings, args, engine)
            if args.action == "exclude":
                return _exclude(settings, args, engine)
            if args.action == "status":
                return _status(args, engine, _dialplan_campaigns(settings))
            if args.action == "preview":
                plan = CampaignPlan.of(load_dialplan(settings.dialplan).model)
                return run_preview(args, engine, plan, settings.control_socket)
            return _step(args, engine)
        finally:
            engine.dispose()
    except (ImportFailed, StorageError, ValueError, DialplanError) as exc:
        print(f"callcenter campaign {args.action}: {exc}", file=sys.stderr)
        return EXIT_FAILED if args.action in ("import", "exclude") else 1


def file_region(settings: Settings, given: str | None) -> str:
    """--region, else the dialplan's crm.default_region (when there is a dialplan), else US."""
    region = given or (
        load_dialplan(settings.dialplan).model.crm.default_region if settings.dialplan.exists() else "US"
    )
    region = region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"--region {region}: not a country code phonenumbers knows (GB, US, DE, ...)")
    return region


def report_path(args: argparse.Namespace) -> Path:
    report: Path = args.report or args.file.with_name(args.file.stem + ".errors.csv")
    return report


def _import(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    options = LeadImportOptions(
        campaign=args.campaign,
        list_name=args.list_name or args.file.name,
        region=file_region(settings, args.region),
    )
    bar = ProgressBar(sys.stderr)
    with open_source(args.file, sheet=args.sheet, encoding=args.encoding) as source:
        columns = lead_columns(
            source.columns, phone_column=args.phone_column, time_zone_column=args.time_zone_column
        )
        print(
            f"numbers: {columns.phone}; time zones: {columns.time_zone or 'from the numbers'}; "
            f"external id: {columns.external_id or '-'}",
            file=sys.stderr,
        )
        try:
            summary = import_leads(engine, source, columns, report_path(args), options, progress=bar)
        finally:
            bar.finish()
    print(lead_summary_text(args.file, options, summary))
    return EXIT_ROWS_SKIPPED if summary.rows_rejected else EXIT_OK


def lead_summary_text(path: Path, options: LeadImportOptions, summary: LeadImportSummary) -> str:
    excluded = ", ".join(f"{count:,} {reason}" for reason, count in sorted(summary.excluded.items()))
    lines = [
        f"{path.name}: {summary.rows_read:,} rows read in {summary.elapsed_s:.1f} s "
        f"({summary.rows_per_s:,.0f} rows/s)",
        f"campaign {options.campaign}, list {options.list_name}: {summary.leads_added:,} leads added, "
        f"{summary.duplicates:,} duplicates left out",
        f"excluded: {excluded or 'none'}",
    ]
    if summary.rows_rejected:
        lines.append(f"{summary.rows_rejected:,} rows skipped with errors: see {summary.report}")
    else:
        lines.append("no errors")
    return "\n".join(lines)


def _exclude(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    region = file_region(settings, args.region)
    now = dt.datetime.now(dt.UTC)
    with open_source(args.file, sheet=args.sheet, encoding=args.encoding) as source:
        summary = import_numbers(
            engine,
            source,
            report_path(args),
            exclusion_writer(args.campaign, now),
            region=region,
            phone_column=args.phone_column,
        )
    print(number_summary_text(f"excluded from campaign {args.campaign}", summary))
    return EXIT_ROWS_SKIPPED if summary.rows_rejected else EXIT_OK


def number_summary_text(what: str, summary: NumberImportSummary) -> str:
    text = f"{summary.added:,} numbers {what}, {summary.already_listed:,} already were"
    if summary.rows_rejected:
        return f"{text}\n{summary.rows_rejected:,} rows skipped with errors: see {summary.report}"
    return f"{text}\nno errors"


def _dialplan_campaigns(settings: Settings) -> set[str]:
    """The campaigns the dialplan names (none when there is no dialplan file)."""
    return set(load_dialplan(settings.dialplan).model.campaigns) if settings.dialplan.exists() else set()


def _status(args: argparse.Namespace, engine: Engine, in_dialplan: set[str]) -> int:
    campaigns = list_campaigns(engine)
    if args.name is not None:
        found = get_campaign(engine, args.name)
        if found is None and args.name in in_dialplan:
            print(f"{args.name}: draft (in the dialplan, not used yet)")
            return 0
        if found is None:
            print(f"callcenter campaign status: no campaign {args.name!r}", file=sys.stderr)
            return 1
        campaigns = [found]
    unused = sorted(in_dialplan - {campaign.name for campaign in campaigns}) if args.name is None else []
    if not campaigns and not unused:
        print("no campaigns yet")
    for name in unused:
        print(f"{name}: draft (in the dialplan, not used yet)")
    for campaign in campaigns:
        lists = campaign_lists(engine, campaign.name)
        leads = sum(listed.leads_added for listed in lists)
        where = "" if campaign.name in in_dialplan or not in_dialplan else ", not in the dialplan"
        print(f"{campaign.name}: {campaign.status} (since {campaign.updated_at:%Y-%m-%d %H:%M} UTC{where}), "
              f"{len(lists)} lists, {leads:,} leads")  # fmt: skip
        if args.name is None:
            continue
        for listed in lists:
            print(f"  list {listed.name}: {listed.leads_added:,} leads from {listed.source_file} "
                  f"({listed.rows_duplicate:,} duplicates, {listed.rows_excluded:,} excluded, "
                  f"{listed.rows_rejected:,} rejected)")  # fmt: skip
        for step in transitions(engine, campaign.name):
            why = f": {step.reason}" if step.reason else ""
            print(f"  {step.at:%Y-%m-%d %H:%M:%S} {step.from_status} -> {step.to_status} by {step.by}{why}")
    return 0


def _step(args: argparse.Namespace, engine: Engine) -> int:
    target, _text = STEPS[args.action]
    try:
        done = transition(
            engine,
            args.name,
            target,
            by=f"cli@{socket.gethostname()}",
            reason=args.reason,
            now=dt.datetime.now(dt.UTC),
        )
    except TransitionRefused as exc:
        print(f"callcenter campaign {args.action}: {exc}", file=sys.stderr)
        return 1
    print(f"campaign {args.name}: {done.from_status} -> {done.to_status}")
    return 0
