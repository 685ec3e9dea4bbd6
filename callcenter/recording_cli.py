"""`callcenter recordings prune|backup|keep|unkeep|list`: recording files and their bookkeeping.

No logic here: ivr_scripts.retention deletes and copies files, schema.recording.recordings keeps the books.
schema.adapters.recording_catalog's `SqlRecordingCatalog` plumbs the one into the other.

- `prune [--dry-run]`: delete the files of recordings past their policy's retention_days, except
  those flagged to keep, and mark them deleted (a dry run lists them and changes nothing);
- `backup DEST`: copy every closed recording not yet backed up to DEST/<its path under the
  dialplan's recording.directory>, verify the copy's sha256, and only then mark it backed up;
- `keep ID [--reason R]` / `unkeep ID`: protect a recording from pruning (a dispute, a QA sample);
- `list [--agent A] [--call UUID] [--deleted] [--limit N]`: recordings, newest first.

Prune and backup are safe to rerun and to interrupt (see ivr_scripts.retention). They act on the
files under the dialplan's `recording.directory` only, so run them on the host the switch records on.
Exit status: 0 done; 1 some files were not handled (listed on stderr; rerun after fixing the cause),
or the recording named is missing; 2 the command could not run (database unavailable, bad DEST).
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from callcenter.settings import Settings
from dialplans.loader import load_dialplan
from ivr_scripts.retention import BackupReport, PruneReport, UnsafePath, backup, prune
from schema.adapters.recording_catalog import SqlRecordingCatalog
from schema.db import create_engine_from_url
from schema.errors import NotFound, PermissionDenied, RecordRejected, StorageError
from schema.migrate import upgrade
from schema.recording import recordings
from schema.recording.views import RecordingView
from schema.viewer import Viewer

EXIT_OK, EXIT_INCOMPLETE, EXIT_FAILED = 0, 1, 2
Action = Callable[[Settings, argparse.Namespace, Engine], int]


def add_recording_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `recordings` to the `callcenter` command's subparsers."""
    parser = sub.add_parser("recordings", help="call recordings: retention, backup, keep flags, listing")
    actions = parser.add_subparsers(dest="action", required=True)
    pruning = actions.add_parser(
        "prune", help="delete recordings past their retention (except those flagged to keep)"
    )
    pruning.add_argument("--dry-run", action="store_true", help="list what would be deleted; change nothing")
    backing_up = actions.add_parser("backup", help="copy new recordings to DEST and verify each by sha256")
    backing_up.add_argument("dest", type=Path, help="the backup directory (outside the recording directory)")
    keep = actions.add_parser("keep", help="protect a recording from pruning")
    keep.add_argument("id", type=int, help="the recording id (`recordings list`)")
    keep.add_argument("--reason", help="why, e.g. 'dispute #4711' or 'QA sample'")
    unkeep = actions.add_parser("unkeep", help="let pruning delete the recording again when it is due")
    unkeep.add_argument("id", type=int, help="the recording id")
    listing = actions.add_parser("list", help="recordings, newest first")
    listing.add_argument("--agent", help="only this agent's")
    listing.add_argument("--call", help="only this call's (its UUID)")
    listing.add_argument("--deleted", action="store_true", help="include pruned recordings")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    parser.set_defaults(func=cmd_recordings)


def cmd_recordings(settings: Settings, args: argparse.Namespace) -> int:
    actions: dict[str, Action] = {
        "prune": _prune,
        "backup": _backup,
        "keep": _keep,
        "unkeep": _keep,
        "list": _list,
    }
    try:
        upgrade(settings.database_url)
        engine = create_engine_from_url(settings.database_url)
        try:
            return actions[args.action](settings, args, engine)
        finally:
            engine.dispose()
    except (NotFound, PermissionDenied, RecordRejected) as exc:
        _complain(args, str(exc))
        return EXIT_INCOMPLETE
    except StorageError as exc:
        _complain(args, f"{exc} (nothing is lost: run it again once the database is back)")
        return EXIT_FAILED


def _prune(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    root = _recording_root(settings)
    report = prune(SqlRecordingCatalog(engine), now=_now(), dry_run=args.dry_run, root=root)
    print(_prune_summary(report))
    if report.dry_run:
        for path in report.deleted:
            print(f"would delete {path}")
        for path in report.already_gone:
            print(f"would mark deleted (no file) {path}")
    _list_problems(args, "refused (not an absolute path under the recording directory)", report.refused)
    _list_problems(args, "not deleted (see the log for why)", report.failed)
    return EXIT_OK if report.ok else EXIT_INCOMPLETE


def _backup(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    root = _recording_root(settings)
    dest = args.dest.absolute()
    if dest.is_relative_to(root) or root.is_relative_to(dest):
        _complain(args, f"{dest} overlaps the recording directory {root}: back up somewhere else")
        return EXIT_FAILED
    try:
        report = backup(SqlRecordingCatalog(engine), dest, now=_now(), root=root)
    except UnsafePath as exc:
        _complain(args, str(exc))
        return EXIT_FAILED
    print(_backup_summary(report, dest))
    _list_problems(args, "copy does not match its sha256, not marked", report.mismatched)
    _list_problems(args, "file missing", report.missing)
    _list_problems(args, "refused (not an absolute path under the recording directory)", report.refused)
    _list_problems(args, "not copied (see the log for why)", report.failed)
    return EXIT_OK if report.ok else EXIT_INCOMPLETE


def _keep(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    keep = args.action == "keep"
    reason = args.reason if keep else None
    view = recordings.set_keep(engine, cli_viewer(), args.id, keep, reason)
    because = f" ({view.keep_reason})" if view.keep_reason else ""
    state = f"kept{because}: pruning leaves it alone" if view.keep else "no longer kept: pruned when due"
    print(f"recording #{view.id} {state}")
    return EXIT_OK


def _list(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    views = recordings.list_recordings(
        engine,
        cli_viewer(),
        agent_id=args.agent,
        call_uuid=args.call,
        include_deleted=args.deleted,
        limit=args.limit,
    )
    print(f"{'ID':>6} {'STARTED (UTC)':<19} {'AGENT':<8} {'SECONDS':>8} {'FMT':<6} {'STATE':<8} PATH")
    for view in views:
        print(recording_row(view))
    return EXIT_OK


def recording_row(view: RecordingView) -> str:
    started = view.started_at.strftime("%Y-%m-%d %H:%M:%S") if view.started_at else "-"
    seconds = f"{view.duration_s:.1f}" if view.duration_s is not None else "-"
    form = f"{view.format}/{view.channels}"
    state = "deleted" if view.deleted_at else "kept" if view.keep else "open" if not view.ended_at else "-"
    agent = view.agent_id or "-"
    return f"{view.id:>6} {started:<19} {agent:<8} {seconds:>8} {form:<6} {state:<8} {view.path}"


def _prune_summary(report: PruneReport) -> str:
    verb = "would delete" if report.dry_run else "deleted"
    return (
        f"prune{' (dry run)' if report.dry_run else ''}: {len(report.deleted)} {verb}, "
        f"{len(report.already_gone)} already gone, {len(report.refused)} refused, "
        f"{len(report.failed)} failed"
    )


def _backup_summary(report: BackupReport, dest: Path) -> str:
    return (
        f"backup to {dest}: {len(report.copied)} copied, {len(report.verified)} already there and verified, "
        f"{len(report.mismatched)} mismatched, {len(report.missing)} missing, "
        f"{len(report.refused)} refused, {len(report.failed)} failed"
    )


def _recording_root(settings: Settings) -> Path:
    return Path(load_dialplan(settings.dialplan).model.recording.directory)


def _list_problems(args: argparse.Namespace, what: str, paths: Sequence[str]) -> None:
    for path in paths:
        _complain(args, f"{what}: {path}")


def _complain(args: argparse.Namespace, message: str) -> None:
    print(f"callcenter recordings {args.action}: {message}", file=sys.stderr)


def cli_viewer() -> Viewer:
    """The call server's own rights, named after this host (as `callcenter blacklist` does)."""
    return Viewer(f"cli@{socket.gethostname()}"[:64], "system")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
