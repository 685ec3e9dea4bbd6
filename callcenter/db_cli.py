"""`callcenter db upgrade|current|replay`: the call database's schema, and dead letters sent again.

- `upgrade`: migrate to the newest schema; `current`: print the revision.
- `replay [--dead-letter FILE]` (default var/dead_letter.jsonl): send the dead letter's records
  through the same idempotent writes the server uses (esl_handlers.dead_letters); those accepted
  leave the file, those refused again stay with their new reason, lines that do not decode stay as
  they were (named file:line). Exit 0 when every record was replayed (or there was nothing to
  replay), 1 when some remain.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from callcenter.settings import Settings
from esl_handlers.dead_letters import replay_dead_letters
from schema.calls.writes import write_batch
from schema.db import create_engine_from_url
from schema.migrate import current_revision, upgrade


def add_db_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the call database: schema, dead letters")
    actions = db.add_subparsers(dest="action", required=True)
    actions.add_parser("upgrade", help="migrate the database to the newest schema")
    actions.add_parser("current", help="print the database's schema revision")
    replay = actions.add_parser("replay", help="write the dead letter's records again; keep those refused")
    replay.add_argument("--dead-letter", type=Path, help="the file (default: var/dead_letter.jsonl)")
    db.set_defaults(func=_cmd_db)


def _cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "replay":
        return _replay(settings, args.dead_letter or settings.var_dir / "dead_letter.jsonl")
    if args.action == "upgrade":
        upgrade(settings.database_url)
    print(f"database at revision {current_revision(settings.database_url)}", file=sys.stderr)
    return 0


def _replay(settings: Settings, path: Path) -> int:
    if not path.exists():
        print(f"{path}: no dead letters to replay")
        return 0
    upgrade(settings.database_url)
    engine = create_engine_from_url(settings.database_url)
    try:
        report = replay_dead_letters(path, functools.partial(write_batch, engine))
    finally:
        engine.dispose()
    for line in report.undecodable:
        print(f"{line} (kept)", file=sys.stderr)
    if report.unavailable is not None:
        print(f"{path}: the database is unavailable, the rest is kept: {report.unavailable}", file=sys.stderr)
    print(
        f"{path}: {report.replayed} replayed, {report.refused} refused again (kept with the reason), "
        f"{len(report.undecodable)} lines that do not decode (kept)"
    )
    return 0 if report.remaining == 0 else 1
