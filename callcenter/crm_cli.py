"""`callcenter user|token|blacklist …`: the CRM's admin commands (no logic here: schema does the work).

- `user add NAME --role agent|supervisor|manager [--agent ID] [--department D]`: an HTTP API user;
- `user disable NAME` / `user enable NAME`: a disabled user's tokens stop working at the next request;
- `user add … --extension EXT`, `user set-extension NAME EXT|--clear`: the user's own phone, the only
  one `supervise` (and the API's /api/supervise) rings for them; without one they cannot supervise;
- `token issue NAME [--label L]`: prints a new token once (only its hash is kept); `token list [NAME]`
  shows ids, users, labels and states (never a token); `token revoke TOKEN` (or `-` to read it from
  stdin, out of the shell history) or `token revoke --id ID`;
- `blacklist add NUMBER [--prefix] [--reason R]`, `blacklist remove NUMBER [--prefix]` or
  `blacklist remove --id ID`, `blacklist list`: the database side of the blacklist, written as the
  call server itself (`schema.viewer` role system, named `cli@<host>` in `created_by`). National
  numbers are read in the dialplan's `crm.default_region` unless `--region` says otherwise.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable

from sqlalchemy import Engine

from callcenter.settings import Settings
from dialplans.loader import load_dialplan
from schema.crm.models import ROLES
from schema.crm.phones import normalise_number
from schema.crm.screening_rules import add_rule, list_rules, remove_rule
from schema.crm.users import (
    TokenInfo,
    create_user,
    issue_token,
    list_tokens,
    revoke_token,
    revoke_token_id,
    set_user_active,
    set_user_extension,
)
from schema.crm.views import ScreeningRuleView
from schema.db import create_engine_from_url
from schema.errors import StorageError
from schema.migrate import upgrade
from schema.viewer import Viewer

Action = Callable[[Settings, argparse.Namespace, Engine], int]


def add_crm_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `user`, `token` and `blacklist` to the `callcenter` command's subparsers."""
    _add_user_parser(sub)

    token = sub.add_parser("token", help="API tokens: issue (shown once), list and revoke")
    token_actions = token.add_subparsers(dest="action", required=True)
    issue = token_actions.add_parser("issue", help="print a new token for the user, once")
    issue.add_argument("name", help="user name")
    issue.add_argument("--label", help="what the token is for, e.g. alice-desktop")
    listing = token_actions.add_parser(
        "list", help="every token's id, user, label and state (never the token)"
    )
    listing.add_argument("name", nargs="?", help="only this user's tokens")
    revoke = token_actions.add_parser("revoke", help="revoke a token, given itself or its id")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("token", nargs="?", help="the token, or - to read it from stdin")
    which.add_argument("--id", type=int, help="the token id `token list` shows")
    token.set_defaults(func=cmd_token)

    blacklist = sub.add_parser("blacklist", help="numbers and prefixes refused before the menu")
    list_actions = blacklist.add_subparsers(dest="action", required=True)
    listed = list_actions.add_parser("add", help="refuse a number, or with --prefix every number it starts")
    listed.add_argument("number", help="E.164 (+441632960001), national, or with --prefix an E.164 prefix")
    listed.add_argument("--prefix", action="store_true", help="NUMBER is a prefix such as +44909")
    listed.add_argument("--reason", help="why (shown in `blacklist list` and the API)")
    listed.add_argument("--region", help="region of national numbers (default: the dialplan's)")
    unlisted = list_actions.add_parser("remove", help="remove a rule added here or through the API")
    target = unlisted.add_mutually_exclusive_group(required=True)
    target.add_argument("number", nargs="?", help="the number or prefix as listed")
    target.add_argument("--id", type=int, help="the rule id `blacklist list` shows")
    unlisted.add_argument("--prefix", action="store_true", help="NUMBER is a prefix")
    unlisted.add_argument("--region", help="region of national numbers (default: the dialplan's)")
    list_actions.add_parser("list", help="every blacklist rule, from the dialplan and from here")
    blacklist.set_defaults(func=cmd_blacklist)


def _add_user_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="users of the CRM's HTTP API")
    user_actions = user.add_subparsers(dest="action", required=True)
    add = user_actions.add_parser("add", help="add a user (then: callcenter token issue NAME)")
    add.add_argument("name", help="user name, e.g. alice")
    add.add_argument("--role", required=True, choices=ROLES, help="what the user may see")
    add.add_argument("--agent", help="the agent id an agent user works as (required for agents)")
    add.add_argument("--department", help="the department a supervisor oversees (required for them)")
    add.add_argument("--extension", help="the user's own phone, the only one `supervise` rings for them")
    for action, text in (
        ("disable", "her tokens stop working at once; kept"),
        ("enable", "tokens work again"),
    ):
        user_actions.add_parser(action, help=f"{action} a user ({text})").add_argument(
            "name", help="user name"
        )
    phone = user_actions.add_parser(
        "set-extension", help="set or clear the user's own phone (the only one supervision rings)"
    )
    phone.add_argument("name", help="user name")
    which = phone.add_mutually_exclusive_group(required=True)
    which.add_argument("extension", nargs="?", help="the extension, e.g. 1201")
    which.add_argument("--clear", action="store_true", help="no phone: the user can supervise no call")
    user.set_defaults(func=cmd_user)


def cmd_user(settings: Settings, args: argparse.Namespace) -> int:
    return _with_engine(settings, args, _user)


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    return _with_engine(settings, args, _token)


def cmd_blacklist(settings: Settings, args: argparse.Namespace) -> int:
    return _with_engine(settings, args, _blacklist)


def _with_engine(settings: Settings, args: argparse.Namespace, action: Action) -> int:
    try:
        upgrade(settings.database_url)
        engine = create_engine_from_url(settings.database_url)
        try:
            return action(settings, args, engine)
        finally:
            engine.dispose()
    except StorageError as exc:  # NotFound, PermissionDenied, RecordRejected: the message says it all
        print(f"callcenter {args.command} {args.action}: {exc}", file=sys.stderr)
        return 1


def _user(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    if args.action in ("disable", "enable"):
        set_user_active(engine, args.name, args.action == "enable")
        print(f"user {args.name} {args.action}d")
        return 0
    if args.action == "set-extension":
        set_user_extension(engine, args.name, None if args.clear else args.extension)
        if args.clear:
            print(f"user {args.name} has no extension now: they cannot supervise calls")
        else:
            print(f"user {args.name}'s extension is now {args.extension}")
        return 0
    user_id = create_user(
        engine,
        args.name,
        args.role,
        agent_id=args.agent,
        department=args.department,
        extension=args.extension,
    )
    scope = {"agent": f"agent {args.agent}", "supervisor": f"department {args.department}"}.get(args.role)
    details = [
        args.role,
        *([scope] if scope else []),
        *([f"extension {args.extension}"] if args.extension else []),
    ]
    print(f"user {args.name} ({', '.join(details)}) added as #{user_id}")
    return 0


def _token(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    if args.action == "issue":
        token = issue_token(engine, args.name, label=args.label)
        print(token)
        print(f"token for {args.name} issued: it is shown this once, keep it safe", file=sys.stderr)
        return 0
    if args.action == "list":
        print(f"{'ID':>5} {'USER':<20} {'LABEL':<20} {'CREATED':<20} STATE")
        for info in list_tokens(engine, args.name):
            print(_token_row(info))
        return 0
    revoked = (
        revoke_token_id(engine, args.id)
        if args.id is not None
        else revoke_token(engine, _token_argument(args.token))
    )
    if not revoked:
        print("callcenter token revoke: no such active token", file=sys.stderr)
        return 1
    print("token revoked")
    return 0


def _token_row(info: TokenInfo) -> str:
    if info.revoked_at is not None:
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}"
    else:
        state = "active" if info.user_active else "inactive (user disabled)"
    created = f"{info.created_at:%Y-%m-%d %H:%M}"
    return f"{info.id:>5} {info.username:<20} {info.label or '-':<20} {created:<20} {state}"


def _token_argument(text: str, stdin_marker: str = "-") -> str:
    """The token given, or read from stdin for `-` (a token on the command line lands in shell history)."""
    return sys.stdin.readline().strip() if text == stdin_marker else text


def _blacklist(settings: Settings, args: argparse.Namespace, engine: Engine) -> int:
    viewer = _cli_viewer()
    if args.action == "list":
        rules = list_rules(engine, viewer, kind="block")
        print(f"{'ID':>5} {'PATTERN':<17} {'KIND':<7} {'SOURCE':<7} {'BY':<20} REASON")
        for rule in rules:
            print(_rule_row(rule))
        return 0
    region = args.region or load_dialplan(settings.dialplan).model.crm.default_region
    if args.action == "add":
        rule = add_rule(
            engine, viewer, "block", args.number, is_prefix=args.prefix, reason=args.reason, region=region
        )
        print(f"blacklisted: {_rule_row(rule)}")
        return 0
    rule_id = args.id if args.id is not None else _rule_id(engine, viewer, args.number, args.prefix, region)
    if rule_id is None:
        what = "prefix" if args.prefix else "number"
        print(f"callcenter blacklist remove: {what} {args.number} is not blacklisted", file=sys.stderr)
        return 1
    remove_rule(engine, viewer, rule_id)
    print(f"removed blacklist rule #{rule_id}")
    return 0


def _rule_id(engine: Engine, viewer: Viewer, number: str, is_prefix: bool, region: str) -> int | None:
    pattern = number.strip() if is_prefix else normalise_number(number, region)
    for rule in list_rules(engine, viewer, kind="block"):
        if rule.pattern == pattern and rule.is_prefix == is_prefix:
            return rule.id
    return None


def _rule_row(rule: ScreeningRuleView) -> str:
    kind = "prefix" if rule.is_prefix else "number"
    reason = rule.reason or "-"
    return f"{rule.id:>5} {rule.pattern:<17} {kind:<7} {rule.source:<7} {rule.created_by:<20} {reason}"


def _cli_viewer() -> Viewer:
    """The call server's own rights (managers' and more), named after this host for `created_by`."""
    return Viewer(f"cli@{socket.gethostname()}"[:64], "system")
