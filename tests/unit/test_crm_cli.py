"""`callcenter user|token|blacklist …` against a temporary SQLite database: output, exit codes, and
what the database holds afterwards."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dialplans.crm_models import Blacklist, Crm
from schema.crm.screening_rules import list_rules, sync_yaml_rules
from schema.crm.users import authenticate, user_viewer
from schema.db import create_engine_from_url
from schema.viewer import SYSTEM, Viewer
from tests.support.cli import callcenter

PLAN = """\
prompts:
  hi: {text: Hello}
menus:
  main:
    prompt: hi
    options: {"1": {hangup: {}}}
    fallback: {hangup: {}}
dids:
  "4001": {menu: main}
crm:
  default_region: GB
"""


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Settings pointed at a fresh SQLite file and a dialplan whose default region is GB."""
    url = f"sqlite:///{tmp_path / 'var' / 'callcenter.db'}"
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(PLAN), encoding="utf-8")
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(plan))
    assert callcenter("user", "add", "maria", "--role", "manager") == 0  # creates and migrates the database
    engine = create_engine_from_url(url)
    yield engine
    engine.dispose()


def test_users_of_each_role_are_added(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert callcenter("user", "add", "alice", "--role", "agent", "--agent", "1001") == 0
    assert callcenter("user", "add", "sam", "--role", "supervisor", "--department", "sales") == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("user alice (agent, agent 1001) added as #")
    assert out[1].startswith("user sam (supervisor, department sales) added as #")


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (("user", "add", "maria", "--role", "manager"), "user 'maria' already exists"),
        (("user", "add", "alice", "--role", "agent"), "agent user 'alice' needs an agent id"),
        (("user", "add", "sam", "--role", "supervisor"), "supervisor user 'sam' needs a department"),
        (("token", "issue", "nobody"), "no user 'nobody'"),
    ],
)
def test_refusals_exit_1_with_the_reason(
    database: Engine, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], problem: str
) -> None:
    capsys.readouterr()

    assert callcenter(*argv) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"callcenter {argv[0]} {argv[1]}: {problem}\n"


def test_a_role_outside_the_three_is_a_usage_error(database: Engine) -> None:
    with pytest.raises(SystemExit) as exit_:
        callcenter("user", "add", "root", "--role", "admin")
    assert exit_.value.code == 2


def test_a_token_is_printed_once_and_works_until_revoked(
    database: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    assert callcenter("token", "issue", "maria", "--label", "laptop") == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert captured.out == f"{token}\n"  # stdout holds the token alone, for scripts
    assert token.startswith("cc_"), "never '-': `token revoke TOKEN` would take it for an option"
    assert "shown this once" in captured.err
    assert authenticate(database, token) == Viewer("maria", "manager")

    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    assert callcenter("token", "revoke", "-") == 0
    assert capsys.readouterr().out == "token revoked\n"
    assert authenticate(database, token) is None

    assert callcenter("token", "revoke", token) == 1
    assert capsys.readouterr().err == "callcenter token revoke: no such active token\n"


def issued(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert callcenter("token", "issue", *argv) == 0
    return capsys.readouterr().out.strip()


def test_tokens_are_listed_without_the_secret_and_revoked_by_id(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert callcenter("user", "add", "alice", "--role", "agent", "--agent", "1001") == 0
    capsys.readouterr()
    laptop = issued(capsys, "maria", "--label", "laptop")
    desk = issued(capsys, "alice", "--label", "desk")

    assert callcenter("token", "list") == 0
    listing = capsys.readouterr().out
    assert laptop not in listing
    assert desk not in listing
    rows = [line.split() for line in listing.splitlines()[1:]]
    assert [(row[1], row[2], row[-1]) for row in rows] == [
        ("maria", "laptop", "active"),
        ("alice", "desk", "active"),
    ]
    desk_id = rows[1][0]

    assert callcenter("token", "list", "alice") == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:]] == ["alice"]

    assert callcenter("token", "revoke", "--id", desk_id) == 0
    assert capsys.readouterr().out == "token revoked\n"
    assert authenticate(database, desk) is None
    assert authenticate(database, laptop) == Viewer("maria", "manager")
    assert callcenter("token", "revoke", "--id", desk_id) == 1
    assert capsys.readouterr().err == "callcenter token revoke: no such active token\n"
    assert callcenter("token", "list", "alice") == 0
    assert "revoked" in capsys.readouterr().out

    assert callcenter("token", "list", "nobody") == 1
    assert capsys.readouterr().err == "callcenter token list: no user 'nobody'\n"


def test_a_disabled_user_is_refused_until_enabled_again(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    token = issued(capsys, "maria")

    assert callcenter("user", "disable", "maria") == 0
    assert capsys.readouterr().out == "user maria disabled\n"
    assert authenticate(database, token) is None
    assert callcenter("token", "list", "maria") == 0
    assert capsys.readouterr().out.splitlines()[1].endswith("inactive (user disabled)")

    assert callcenter("user", "enable", "maria") == 0
    assert authenticate(database, token) == Viewer("maria", "manager")

    capsys.readouterr()
    assert callcenter("user", "disable", "nobody") == 1
    assert capsys.readouterr().err == "callcenter user disable: no user 'nobody'\n"


def test_a_users_phone_extension_is_given_set_and_cleared(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ("user", "add", "sam", "--role", "supervisor", "--department", "sales", "--extension", "1201")
    assert callcenter(*argv) == 0
    assert capsys.readouterr().out.startswith("user sam (supervisor, department sales, extension 1201) added")
    assert user_viewer(database, "sam").extension == "1201"

    assert callcenter("user", "set-extension", "maria", "1299") == 0
    assert capsys.readouterr().out == "user maria's extension is now 1299\n"
    assert user_viewer(database, "maria").extension == "1299"

    assert callcenter("user", "set-extension", "maria", "--clear") == 0
    assert capsys.readouterr().out == "user maria has no extension now: they cannot supervise calls\n"
    assert user_viewer(database, "maria").extension is None


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (("user", "set-extension", "maria", "12 01"), "extension '12 01' is not a phone number"),
        (("user", "set-extension", "nobody", "1201"), "no user 'nobody'"),
        (
            ("user", "add", "sue", "--role", "manager", "--extension", "x1"),
            "extension 'x1' is not a phone number",
        ),
    ],
)
def test_a_bad_extension_is_refused_and_changes_nothing(
    database: Engine, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], problem: str
) -> None:
    capsys.readouterr()

    assert callcenter(*argv) == 1

    assert capsys.readouterr().err.startswith(f"callcenter user {argv[1]}: {problem}")
    assert user_viewer(database, "maria").extension is None


@pytest.mark.parametrize("argv", [("maria",), ("maria", "1201", "--clear")], ids=["neither", "both"])
def test_set_extension_takes_an_extension_or_clear(database: Engine, argv: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as exited:
        callcenter("user", "set-extension", *argv)
    assert exited.value.code == 2


def test_the_blacklist_is_added_to_listed_and_removed(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert (
        callcenter("blacklist", "add", "01632 960099", "--reason", "abusive") == 0
    )  # national, in the plan's GB
    assert callcenter("blacklist", "add", "+44909", "--prefix") == 0
    assert callcenter("blacklist", "add", "+1 202 555 0143", "--region", "US") == 0
    out = capsys.readouterr().out
    assert out.count("blacklisted:") == 3

    rules = {
        (rule.pattern, rule.is_prefix, rule.reason) for rule in list_rules(database, SYSTEM, kind="block")
    }
    assert rules == {
        ("+441632960099", False, "abusive"),
        ("+44909", True, None),
        ("+12025550143", False, None),
    }
    assert all(rule.created_by.startswith("cli@") for rule in list_rules(database, SYSTEM))

    assert callcenter("blacklist", "list") == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split() == ["ID", "PATTERN", "KIND", "SOURCE", "BY", "REASON"]
    assert sorted(line.split()[1] for line in listing[1:]) == ["+12025550143", "+441632960099", "+44909"]

    assert callcenter("blacklist", "remove", "+44 1632 960099") == 0
    assert callcenter("blacklist", "remove", "+44909", "--prefix") == 0
    prefix_again = callcenter("blacklist", "remove", "+44909", "--prefix")
    us_rule = next(rule for rule in list_rules(database, SYSTEM) if rule.pattern == "+12025550143")
    assert callcenter("blacklist", "remove", "--id", str(us_rule.id)) == 0

    assert prefix_again == 1
    assert "prefix +44909 is not blacklisted" in capsys.readouterr().err
    assert list_rules(database, SYSTEM) == []


def test_rules_from_the_dialplan_are_not_removed_here(
    database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    sync_yaml_rules(database, Crm(default_region="GB", blacklist=Blacklist(numbers=["+441632960055"])))
    capsys.readouterr()

    assert callcenter("blacklist", "remove", "+441632960055") == 1

    assert "comes from the dialplan YAML: remove it there" in capsys.readouterr().err
    assert [rule.pattern for rule in list_rules(database, SYSTEM)] == ["+441632960055"]


def test_a_number_that_is_not_one_is_refused(database: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()

    assert callcenter("blacklist", "add", "12") == 1

    assert "'12' is not a full phone number (E.164, or national in GB)" in capsys.readouterr().err
