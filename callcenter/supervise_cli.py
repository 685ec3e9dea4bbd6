"""`callcenter supervise listen|whisper|barge AGENT_ID --as USERNAME [--from EXT]`: join an agent's call.

The command does not go through `callcenter serve`: it connects to FreeSWITCH's event socket itself
(CALLCENTER_ESL_HOST / _PORT / _PASSWORD, as the server does) and runs esl_handlers.supervision's
Supervisor, which rings the supervisor's own phone (`user/EXTENSION@<agent domain>`, EXTENSION being
USERNAME's: `callcenter user set-extension`) with `&eavesdrop(<the agent's leg>)`. `--from`, when
given, must be that same extension: no other phone is ever rung. So it works whichever server's ACD
connected the call, and with no server running at all; the eavesdrop leg lives on in the switch after
the command exits (hang the phone up to leave).

Rights are those of the CRM user USERNAME (`callcenter user add`): a supervisor only for their
department's agents, a manager for anyone; agents are refused, and so is a user without an extension.
Exit status: 0 the phone answered and is on the call; 1 refused (no such user or agent, no right,
no extension or another one given, the agent is on no call, the phone did not answer); 2 the switch
or the database could not be reached.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import cast, get_args

from callcenter.server_config import ServerConfig
from callcenter.settings import Settings
from esl_handlers.supervision import DEFAULT_RING_TIMEOUT, Supervisor
from esl_handlers.switch import EslSwitch
from ivr_scripts.supervision import Mode, SupervisionError
from ivr_scripts.switch import SwitchError
from schema.crm.users import user_viewer
from schema.db import create_engine_from_url
from schema.errors import NotFound, PermissionDenied, StorageError
from schema.migrate import upgrade

EXIT_JOINED, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 1, 2
# The agents' SIP domain of the rendered directory, which `callcenter serve` uses too.
AGENT_DOMAIN = ServerConfig.agent_domain
SwitchFactory = Callable[[Settings], EslSwitch]


def add_supervise_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `supervise` to the `callcenter` command's subparsers."""
    parser = sub.add_parser(
        "supervise",
        help="listen to, whisper to, or barge in on an agent's call from your phone",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "mode",
        choices=get_args(Mode),
        help="listen: hear both sides; whisper: speak to the agent only; barge: speak to both",
    )
    parser.add_argument("agent", metavar="AGENT_ID", help="the agent id, e.g. 1001")
    parser.add_argument(
        "--from",
        dest="extension",
        help="your own phone's extension (optional: it must be the one your user has, which is rung anyway)",
    )
    parser.add_argument(
        "--as", dest="user", metavar="USERNAME", required=True, help="your CRM user name (its rights apply)"
    )
    parser.add_argument(
        "--ring-timeout",
        type=float,
        default=DEFAULT_RING_TIMEOUT,
        help=f"seconds your phone rings before giving up (default {DEFAULT_RING_TIMEOUT:g})",
    )
    parser.set_defaults(func=cmd_supervise)


def cmd_supervise(
    settings: Settings, args: argparse.Namespace, *, connect: SwitchFactory | None = None
) -> int:
    """`connect` opens the switch (tests pass a scripted one); by default the settings' event socket."""
    try:
        upgrade(settings.database_url)
        engine = create_engine_from_url(settings.database_url)
    except StorageError as exc:
        return _fail(EXIT_UNREACHABLE, f"{exc}")
    switch = (connect or _event_socket)(settings)
    try:
        viewer = user_viewer(engine, args.user)
        supervisor = Supervisor(switch, AGENT_DOMAIN, engine, ring_timeout=args.ring_timeout)
        if viewer.extension is not None and args.extension in (None, viewer.extension):
            print(f"ringing {viewer.extension} to {args.mode} on agent {args.agent}...", file=sys.stderr)
        joined = supervisor.eavesdrop(viewer, args.agent, args.extension, cast(Mode, args.mode))
    except (NotFound, PermissionDenied, SupervisionError) as exc:
        return _fail(EXIT_REFUSED, str(exc))
    except SwitchError as exc:
        return _fail(EXIT_UNREACHABLE, f"the switch refused or did not answer: {exc}")
    except StorageError as exc:
        return _fail(EXIT_UNREACHABLE, str(exc))
    finally:
        switch.close()
        engine.dispose()
    if joined.outcome.result != "answered":
        return _fail(
            EXIT_REFUSED, f"{joined.extension} did not answer ({joined.outcome.cause}): nothing joined"
        )
    print(
        f"{joined.extension} is {_doing(joined.mode)} agent {joined.agent_id} "
        f"({joined.target.side} leg {joined.target.uuid}); hang up to leave"
    )
    return EXIT_JOINED


def _event_socket(settings: Settings) -> EslSwitch:
    return EslSwitch(settings.esl_host, settings.esl_port, settings.esl_password())


def _doing(mode: str) -> str:
    return {"listen": "listening to", "whisper": "whispering to", "barge": "in a three-way call with"}[mode]


def _fail(code: int, message: str) -> int:
    print(f"callcenter supervise: {message}", file=sys.stderr)
    return code
