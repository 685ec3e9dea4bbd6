"""`callcenter`: the one console script. It parses arguments and calls into the rooms; no logic here."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from callcenter.settings import Settings, load_settings
from dialplans.jsonschema import dialplan_json_schema
from dialplans.loader import DialplanError, load_dialplan, validate_file
from esl_handlers.app import ServerConfig, serve
from freeswitch_conf.render import SwitchSettings, render_conf
from ivr_scripts.simulate import simulate
from schema.migrate import current_revision, upgrade
from sipp_scenarios.runner import ToolMissing, smoke


def _cmd_validate(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else settings.dialplan
    diagnostics = validate_file(path)
    for diagnostic in diagnostics:
        print(diagnostic)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    print(f"{path}: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _cmd_schema(settings: Settings, args: argparse.Namespace) -> int:
    text = json.dumps(dialplan_json_schema(), indent=2, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _cmd_render(settings: Settings, args: argparse.Namespace) -> int:
    loaded = load_dialplan(settings.dialplan)
    switch = SwitchSettings(
        esl_password=settings.esl_password(),
        esl_host=settings.esl_host,
        esl_port=settings.esl_port,
        app_host=settings.app_host,
        app_port=settings.app_port,
        fallback_extension=settings.fallback_extension,
        tts_engine=settings.tts_engine or None,
        tts_voice=settings.tts_voice,
    )
    out = Path(args.out) if args.out else settings.conf_dir
    written = render_conf(loaded, switch, out)
    print(f"rendered {len(written)} files into {out}", file=sys.stderr)
    return 0


def _cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    serve(
        ServerConfig(
            dialplan=settings.dialplan,
            database_url=settings.database_url,
            app_host=settings.app_host,
            app_port=settings.app_port,
            esl_host=settings.esl_host,
            esl_port=settings.esl_port,
            esl_password=settings.esl_password(),
            dead_letter=settings.var_dir / "dead_letter.jsonl",
            tts_engine=settings.tts_engine,
            tts_voice=settings.tts_voice,
        )
    )
    return 0


def _cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    loaded = load_dialplan(Path(args.dialplan) if args.dialplan else settings.dialplan)
    at = dt.datetime.fromisoformat(args.at) if args.at else None
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    simulate(
        loaded.model,
        loaded.sounds_dir,
        did=args.did,
        keys=args.keys,
        caller=args.caller,
        at=at,
        hang_up_after=args.hang_up_after,
    )
    return 0


def _cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "upgrade":
        upgrade(settings.database_url)
    print(f"database at revision {current_revision(settings.database_url)}", file=sys.stderr)
    return 0


def _cmd_sipp(settings: Settings, args: argparse.Namespace) -> int:
    loaded = load_dialplan(settings.dialplan)
    try:
        report = smoke(settings.conf_dir, dialplan=loaded.model)
    except ToolMissing as exc:
        print(f"sipp smoke skipped: {exc}", file=sys.stderr)
        return 0 if args.allow_missing else 2
    print(report)
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callcenter", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    validate = sub.add_parser("validate", help="check a YAML dialplan; errors carry file:line:column")
    validate.add_argument("path", nargs="?", help="the dialplan (default: dialplans/main.yaml)")
    validate.set_defaults(func=_cmd_validate)

    schema = sub.add_parser("schema", help="write the dialplan JSON Schema for editors")
    schema.add_argument(
        "-o", "--output", default="dialplans/dialplan.schema.json", help="file, or - for stdout"
    )
    schema.set_defaults(func=_cmd_schema)

    render = sub.add_parser("render", help="render the FreeSWITCH conf directory")
    render.add_argument("--out", help="target directory (default: build/freeswitch)")
    render.set_defaults(func=_cmd_render)

    serve = sub.add_parser("serve", help="run the outbound-socket server and the event listener")
    serve.set_defaults(func=_cmd_serve)

    simulate = sub.add_parser("simulate", help="walk the IVR in the terminal")
    simulate.add_argument("--did", required=True, help="the number dialled, e.g. 4001")
    simulate.add_argument("--keys", default="", help='keys pressed at successive prompts; "." is silence')
    simulate.add_argument("--caller", default="+15551230001")
    simulate.add_argument("--at", help="ISO time of the call (default now), e.g. 2026-11-23T10:00+00:00")
    simulate.add_argument("--hang-up-after", type=int, help="the caller hangs up after N prompts")
    simulate.add_argument("--dialplan", help="another dialplan file")
    simulate.set_defaults(func=_cmd_simulate)

    db = sub.add_parser("db", help="the call database")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=_cmd_db)

    sipp = sub.add_parser("sipp", help="SIPp scenarios against a real FreeSWITCH")
    sipp.add_argument("action", choices=["smoke"])
    sipp.add_argument(
        "--allow-missing", action="store_true", help="exit 0 when freeswitch or sipp is missing"
    )
    sipp.set_defaults(func=_cmd_sipp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = load_settings()
    try:
        code: int = args.func(settings, args)
    except KeyboardInterrupt:
        return 130
    except DialplanError as exc:
        # A broken dialplan is the engineer's input, not our crash: its diagnostics, no traceback.
        print(exc, file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
