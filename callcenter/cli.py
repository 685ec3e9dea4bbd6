"""`callcenter`: the one console script. It parses arguments and calls into the rooms; no logic here."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from callcenter.campaign_cli import add_campaign_parser
from callcenter.crm_cli import add_crm_parsers
from callcenter.db_cli import add_db_parser
from callcenter.dnc_cli import add_dnc_parser
from callcenter.forecast_cli import add_forecast_parser
from callcenter.import_cli import add_import_parser
from callcenter.recording_cli import add_recording_parser
from callcenter.report_cli import add_report_parser
from callcenter.run_cli import add_run_parsers
from callcenter.server import serve
from callcenter.server_config import ServerConfig
from callcenter.settings import Settings, load_settings
from callcenter.supervise_cli import add_supervise_parser
from callcenter.supervisor import supervise
from callcenter.switch_link import release_orphans_of
from dialplans.jsonschema import dialplan_json_schema
from dialplans.loader import DialplanError, LoadedDialplan, load_dialplan, validate_file
from esl_handlers.control import send_agent_changed
from freeswitch_conf.hold_music import own_music_problem
from freeswitch_conf.prompt_audio import render_prompt_audio
from freeswitch_conf.render import SwitchSettings, render_conf
from freeswitch_conf.say import DEFAULT_SAY_SOUND_PREFIX, say_by_setting
from freeswitch_conf.settings import call_control_setting
from ivr_scripts.agent_service import AgentService, UnknownAgent
from ivr_scripts.agent_states import AgentStateError, AgentStatus, Transition
from ivr_scripts.simulate import simulate
from schema.acd.agents import upsert_agents
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade


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


# Removed: the fallback is the dialplan's `fallback:` (docs/dialplan.md). Refused, not ignored, so a
# deployment that still sets it learns that callers would no longer go where it says.
_REMOVED_FALLBACK_VARIABLE = "CALLCENTER_FALLBACK_EXTENSION"


def _cmd_render(settings: Settings, args: argparse.Namespace) -> int:
    if _REMOVED_FALLBACK_VARIABLE in os.environ:
        print(
            f"{_REMOVED_FALLBACK_VARIABLE} is no longer read: declare where callers go when the "
            "application server is down as `fallback:` in the dialplan YAML (docs/dialplan.md), "
            "then unset it",
            file=sys.stderr,
        )
        return 2
    loaded = load_dialplan(settings.dialplan)
    try:
        return _render(settings, loaded, Path(args.out) if args.out else settings.conf_dir)
    except ValueError as exc:  # RenderError, or a setting SwitchSettings refuses: input, not a crash
        print(f"callcenter render: {exc}", file=sys.stderr)
        return 1


def _render(settings: Settings, loaded: LoadedDialplan, out: Path) -> int:
    switch = SwitchSettings(
        esl_password=settings.esl_password(),
        esl_host=settings.esl_host,
        esl_port=settings.esl_port,
        app_host=settings.app_host,
        app_port=settings.app_port,
        caller_sip_port=settings.caller_sip_port,
        agent_sip_port=settings.agent_sip_port,
        tts_engine=settings.tts_engine or None,
        tts_voice=settings.tts_voice,
        agent_passwords=settings.agent_passwords(loaded.model.agents),
        agent_external_ip=settings.agent_external_ip,
        say_sound_prefix=settings.say_sound_prefix or DEFAULT_SAY_SOUND_PREFIX,
        moh_dir=settings.moh_dir,
        say_by=say_by_setting(settings.say_by),
        prompt_dir=settings.prompt_dir,
        cdr_dir=settings.cdr_dir,
        call_control=call_control_setting(settings.call_control),
    )
    # Prompts first: the fallbacks the conf renders play the synthesized files.
    report = render_prompt_audio(loaded.model, loaded.sounds_dir, settings.prompt_dir, settings.tts_voice)
    written = render_conf(loaded, switch, out)
    print(f"rendered {len(written)} files into {out}", file=sys.stderr)
    problem = own_music_problem(switch.moh_dir) if switch.moh_dir is not None else None
    if problem is not None:
        print(f"warning: {problem}", file=sys.stderr)
    for line in report.lines():
        print(line, file=sys.stderr)
    return 0


def _cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    config = server_config(settings)
    if getattr(args, "worker", False):  # `callcenter run` has no --worker: it is supervised too
        serve(config)
        return 0
    load_dialplan(config.dialplan)  # a broken dialplan is reported here, not by worker after worker
    return supervise(lambda: len(release_orphans_of(config)))


def server_config(settings: Settings) -> ServerConfig:
    """What `callcenter serve` runs with, from the settings (environment)."""
    return ServerConfig(
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
        acd=True,
        control_socket=settings.control_socket,
        app_limits=settings.app_limits,
        callback_endpoint=settings.callback_endpoint,
        campaign_endpoint=settings.campaign_endpoint,
        desk_caller_id=settings.desk_caller_id,
        api_host=settings.api_host,
        api_port=settings.api_port,
        api_limits=settings.api_limits,
        api_tls=settings.api_tls,
        prompt_dir=settings.prompt_dir,
        cdr_dir=settings.cdr_dir,
        call_control=call_control_setting(settings.call_control),
        time_zone=settings.time_zone,
    )


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


def _cmd_agent(settings: Settings, args: argparse.Namespace) -> int:
    try:
        upgrade(settings.database_url)
        engine = create_engine_from_url(settings.database_url)
        try:
            return _agent_action(settings, args, engine)
        finally:
            engine.dispose()
    except UnknownAgent as exc:
        print(
            f"callcenter agent {args.action}: {exc}; `callcenter agent sync` adds the dialplan's agents",
            file=sys.stderr,
        )
        return 1
    except (AgentStateError, StorageError) as exc:
        print(f"callcenter agent {args.action}: {exc}", file=sys.stderr)
        return 1


def _agent_action(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    if args.action == "sync":
        agents = load_dialplan(settings.dialplan).model.agents
        profiles = [
            AgentProfile(agent_id, name=agent.name, extension=agent.extension, department=agent.department)
            for agent_id, agent in agents.items()
        ]
        upsert_agents(engine, profiles)
        print(f"synced {len(profiles)} agents from {settings.dialplan}")
        return 0
    service = AgentService(
        SqlAgentStore(engine, server=f"cli@{socket.gethostname()}"), None, lambda: dt.datetime.now(dt.UTC)
    )
    if args.action == "list":
        print(f"{'AGENT':<10} {'STATE':<10} {'REASON':<12} {'CALL':<36} SINCE")
        for status in service.statuses():
            print(_agent_row(status))
        return 0
    if args.action == "status":
        print(_agent_row(service.status(args.agent)))
        return 0
    commands = {"login": service.login, "logout": service.logout, "ready": service.ready}
    if args.action == "break":
        transition = service.go_break(args.agent, args.reason)
    else:
        transition = commands[args.action](args.agent)
    print(_agent_change(transition))
    if transition.changed:  # wake the local server's dispatch (on PostgreSQL, NOTIFY has already)
        send_agent_changed(settings.control_socket, transition.agent_id)
    return 0


def _agent_state(status: AgentStatus) -> str:
    return f"{status.state} ({status.reason})" if status.reason else str(status.state)


def _agent_change(transition: Transition) -> str:
    after = _agent_state(transition.status)
    if not transition.changed:
        return f"agent {transition.agent_id}: already {after}"
    return f"agent {transition.agent_id}: {transition.from_state} → {after}"


def _agent_row(status: AgentStatus) -> str:
    reason, call = status.reason or "-", status.call_uuid or "-"
    since = status.since.isoformat(timespec="seconds")
    return f"{status.agent_id:<10} {status.state:<10} {reason:<12} {call:<36} {since}"


def _add_agent_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    agent = sub.add_parser("agent", help="agents: log in and out, breaks, states")
    actions = agent.add_subparsers(dest="action", required=True)
    for action, text in (
        ("login", "log the agent in (available)"),
        ("logout", "log the agent out"),
        ("ready", "the agent is available again (after a break or wrap-up)"),
        ("status", "the agent's state, reason, call and since"),
    ):
        actions.add_parser(action, help=text).add_argument("agent", help="agent id, e.g. 1001")
    go_break = actions.add_parser("break", help="put the agent on a break, with a reason")
    go_break.add_argument("agent", help="agent id, e.g. 1001")
    go_break.add_argument("reason", help="e.g. lunch")
    actions.add_parser("list", help="every agent's state")
    actions.add_parser("sync", help="create or update the agents of the YAML dialplan")
    agent.set_defaults(func=_cmd_agent)


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

    render = sub.add_parser("render", help="render the FreeSWITCH conf directory and the prompts' audio")
    render.add_argument("--out", help="target directory (default: build/freeswitch)")
    render.set_defaults(func=_cmd_render)

    serve = sub.add_parser("serve", help="run the application server (supervised: restarted if killed)")
    serve.add_argument(
        "--worker", action="store_true", help="run the application server itself, with no supervising process"
    )
    serve.set_defaults(func=_cmd_serve)

    simulate = sub.add_parser("simulate", help="walk the IVR in the terminal")
    simulate.add_argument("--did", required=True, help="the number dialled, e.g. 4001")
    simulate.add_argument("--keys", default="", help='keys pressed at successive prompts; "." is silence')
    simulate.add_argument("--caller", default="+15551230001")
    simulate.add_argument("--at", help="ISO time of the call (default now), e.g. 2026-11-23T10:00+00:00")
    simulate.add_argument("--hang-up-after", type=int, help="the caller hangs up after N prompts")
    simulate.add_argument("--dialplan", help="another dialplan file")
    simulate.set_defaults(func=_cmd_simulate)

    add_db_parser(sub)

    add_run_parsers(sub, _cmd_serve)
    _add_agent_parser(sub)
    add_crm_parsers(sub)
    add_import_parser(sub)
    add_campaign_parser(sub)
    add_dnc_parser(sub)
    add_recording_parser(sub)
    add_supervise_parser(sub)
    add_forecast_parser(sub)
    add_report_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # Alembic narrates every migration check at INFO; only its warnings matter day to day.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = load_settings()
    try:
        code: int = args.func(settings, args)
    except KeyboardInterrupt:
        return 130
    except DialplanError as exc:
        # A broken dialplan is the engineer's input, not a program crash: its diagnostics, no traceback.
        print(exc, file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
