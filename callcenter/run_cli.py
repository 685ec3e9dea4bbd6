"""`callcenter run`: FreeSWITCH on the rendered conf and the application server beside it, stopped together;
`callcenter demo`: one SIPp caller through the running IVR, and the rows it left."""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sys
from collections.abc import Callable

from callcenter.settings import Settings
from callcenter.walk import check_walk, describe, walk_path
from dialplans.loader import load_dialplan
from dialplans.models import Dialplan
from ivr_scripts.schedule import menu_for
from schema.db import create_engine_from_url
from schema.migrate import upgrade
from sipp_scenarios.generate import MenuPath, menu_paths
from sipp_scenarios.switch import FreeSwitch, SwitchEndpoints, SwitchFailed
from sipp_scenarios.tools import ToolMissing, find_freeswitch, find_sipp

NO_FREESWITCH = (
    "no FreeSWITCH found ({hint}).\n"
    "  FreeSWITCH 1.10 or later from your distribution or SignalWire's packages, or a source build, then\n"
    "  FREESWITCH_BIN=/path/to/freeswitch make run. Until then the application server runs alone and\n"
    "  waits for a FreeSWITCH to connect to; point one at {conf} (docs/freeswitch.md)."
)

Serve = Callable[[Settings, argparse.Namespace], int]


def run(settings: Settings, args: argparse.Namespace, serve: Serve) -> int:
    """Start FreeSWITCH (when one is found) on the rendered conf, then serve until stopped."""
    try:
        binary = find_freeswitch()
    except ToolMissing as exc:
        print(NO_FREESWITCH.format(hint=exc.hint, conf=settings.conf_dir), file=sys.stderr)
        return serve(settings, args)
    endpoints = SwitchEndpoints.from_conf(settings.conf_dir)
    run_dir = settings.var_dir / "freeswitch"
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with FreeSwitch(binary, settings.conf_dir, run_dir, endpoints) as switch:
            dids = ", ".join(sorted(load_dialplan(settings.dialplan).model.dids))
            print(
                f"FreeSWITCH is up ({switch.wait_ready(5)}), logs in {switch.log_dir}.\n"
                f"  Call sip:<DID>@{endpoints.sip_host}:{endpoints.sip_port} (DIDs: {dids});\n"
                f"  `callcenter demo` places a SIPp call and prints what it left in the database.",
                file=sys.stderr,
            )
            return serve(settings, args)
    except SwitchFailed as exc:
        print(f"callcenter run: FreeSWITCH did not start: {exc}", file=sys.stderr)
        return 1


def paths_now(model: Dialplan, did: str | None = None) -> list[MenuPath]:
    """The menu paths callers can take now (of `did`, else of every DID): each line's open menu, or its
    closed one out of hours."""
    now = dt.datetime.now(dt.UTC)
    return [
        path
        for path in menu_paths(model)
        if did in (None, path.did)
        and path.start_menu == menu_for(model.dids[path.did], model.schedules, now)[0]
    ]


def demo(settings: Settings, args: argparse.Namespace) -> int:
    """Walk one menu path (by default the first key of the first DID) as a SIPp caller."""
    try:
        sipp = find_sipp()
    except ToolMissing as exc:
        print(f"callcenter demo: {exc}", file=sys.stderr)
        return 2
    model = load_dialplan(settings.dialplan).model
    did = args.did or sorted(model.dids)[0]
    if did not in model.dids:
        print(f"callcenter demo: the dialplan has no DID {did}; it has {sorted(model.dids)}", file=sys.stderr)
        return 2
    reachable = paths_now(model, did)
    if args.keys is None:
        paths = sorted(reachable, key=lambda path: len(path.digits))[:1]
    else:
        paths = [p for p in reachable if p.dialed == args.keys]
    if not paths:
        keys = sorted({p.dialed for p in reachable if len(p.digits) <= 3})
        print(
            f"callcenter demo: no menu path of DID {did} keys {args.keys!r}; try one of {keys}",
            file=sys.stderr,
        )
        return 2
    endpoints = SwitchEndpoints.from_conf(settings.conf_dir)
    upgrade(settings.database_url)
    engine = create_engine_from_url(settings.database_url)
    try:
        walked = walk_path(
            sipp,
            endpoints,
            engine,
            paths[0],
            caller=f"+1555019{secrets.randbelow(10_000):04d}",
            work_dir=settings.var_dir / "demo",
            linger_s=args.linger,
        )
    finally:
        engine.dispose()
    print(describe(walked))
    return 0 if walked.sipp.ok and walked.call is not None else 1


def smoke(settings: Settings, args: argparse.Namespace) -> int:
    """Every menu path callers can take now, one SIPp call each, checked in the database (`check_walk`)."""
    try:
        sipp = find_sipp()
    except ToolMissing as exc:
        print(f"sipp smoke skipped: {exc}", file=sys.stderr)
        return 0 if args.allow_missing else 2
    model = load_dialplan(settings.dialplan).model
    paths = paths_now(model, args.did)
    endpoints = SwitchEndpoints.from_conf(settings.conf_dir)
    upgrade(settings.database_url)
    engine = create_engine_from_url(settings.database_url)
    run_id = secrets.randbelow(1000)
    failed = 0
    try:
        for index, path in enumerate(paths, start=1):
            walked = walk_path(
                sipp,
                endpoints,
                engine,
                path,
                caller=f"+1555{run_id:03d}{index:04d}",
                work_dir=settings.var_dir / "smoke" / f"{index:03d}",
                index=index,
            )
            problems = check_walk(walked, model)
            failed += bool(problems)
            keys = " ".join(path.digits) or "(none)"
            verdict = "FAIL" if problems else "ok  "
            print(f"{verdict} {path.did} [{path.start_menu}] keys {keys} -> {path.outcome}")
            for problem in problems:
                print(f"       {problem}")
    finally:
        engine.dispose()
    print(f"sipp smoke: {len(paths) - failed}/{len(paths)} menu paths went where their keys say")
    return 1 if failed or not paths else 0


def add_run_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], serve: Serve) -> None:
    runner = sub.add_parser("run", help="FreeSWITCH (when found) and the application server, together")
    runner.set_defaults(func=lambda settings, args: run(settings, args, serve))
    placed = sub.add_parser("demo", help="place one SIPp call through the running IVR and print its rows")
    placed.add_argument("--did", help="the number to dial (default: the dialplan's first)")
    placed.add_argument(
        "--keys", help="the keys of a menu path, e.g. 2 or 11 (default: the one with the fewest keys)"
    )
    placed.add_argument(
        "--linger", type=float, default=3.0, help="seconds the caller stays once placed (default: 3)"
    )
    placed.set_defaults(func=demo)
    sipp = sub.add_parser("sipp", help="SIPp callers against the running call center")
    sipp.add_argument("action", choices=["smoke"], help="smoke: every menu path, checked in the database")
    sipp.add_argument("--allow-missing", action="store_true", help="exit 0 when sipp is missing")
    sipp.add_argument("--did", help="only this DID's paths")
    sipp.set_defaults(func=smoke)
