"""`callcenter agent …` against a temporary SQLite database: output and exit codes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from schema.acd.agents import agent_snapshot
from schema.db import create_engine_from_url
from tests.support.cli import callcenter, callcenter_output

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
agents:
  "1001": {name: Alice Moreau, department: service, skills: {repair: 8}}
  "1002": {name: Ben Okafor, extension: "2002"}
"""


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite file, the settings pointed at it and at a dialplan with two agents."""
    url = f"sqlite:///{tmp_path / 'var' / 'callcenter.db'}"
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(PLAN), encoding="utf-8")
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(plan))
    return url


def test_sync_creates_the_dialplans_agents_logged_out(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = callcenter_output(capsys, "agent", "sync")

    assert code == 0
    assert out.startswith("synced 2 agents from ")
    engine = create_engine_from_url(cli_database)
    try:
        rows = [(a.agent_id, a.name, a.extension, a.department, a.state) for a in agent_snapshot(engine)]
    finally:
        engine.dispose()
    assert rows == [
        ("1001", "Alice Moreau", "1001", "service", "logged_out"),  # the extension defaults to the id
        ("1002", "Ben Okafor", "2002", None, "logged_out"),
    ]
    assert callcenter_output(capsys, "agent", "sync")[0] == 0  # again: nothing changes, nothing fails


def test_a_shift_login_break_ready_logout(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert callcenter_output(capsys, "agent", "sync")[0] == 0

    assert callcenter_output(capsys, "agent", "login", "1001") == (
        0,
        "agent 1001: logged_out → available\n",
        "",
    )
    assert callcenter_output(capsys, "agent", "break", "1001", "lunch") == (
        0,
        "agent 1001: available → on_break (lunch)\n",
        "",
    )

    code, out, _ = callcenter_output(capsys, "agent", "status", "1001")
    assert code == 0
    assert out.split()[:4] == ["1001", "on_break", "lunch", "-"]

    assert callcenter_output(capsys, "agent", "ready", "1001") == (
        0,
        "agent 1001: on_break → available\n",
        "",
    )
    assert callcenter_output(capsys, "agent", "ready", "1001") == (0, "agent 1001: already available\n", "")
    assert callcenter_output(capsys, "agent", "logout", "1001") == (
        0,
        "agent 1001: available → logged_out\n",
        "",
    )


def test_list_shows_every_agent(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert callcenter_output(capsys, "agent", "sync")[0] == 0
    assert callcenter_output(capsys, "agent", "break", "1002", "lunch")[0] == 1  # logged out: refused
    assert callcenter_output(capsys, "agent", "login", "1002")[0] == 0

    code, out, _ = callcenter_output(capsys, "agent", "list")

    header, first, second = out.splitlines()
    assert code == 0
    assert header.split() == ["AGENT", "STATE", "REASON", "CALL", "SINCE"]
    assert first.split()[:4] == ["1001", "logged_out", "-", "-"]
    assert second.split()[:4] == ["1002", "available", "-", "-"]


def test_a_refused_command_exits_1_with_the_reason(
    cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert callcenter_output(capsys, "agent", "sync")[0] == 0

    code, out, err = callcenter_output(capsys, "agent", "break", "1001", "lunch")

    assert (code, out) == (1, "")
    assert err == "callcenter agent break: agent 1001 is logged_out; cannot 'go_break'\n"
    assert callcenter_output(capsys, "agent", "status", "1001")[1].split()[1] == "logged_out"


def test_an_unknown_agent_exits_1(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = callcenter_output(capsys, "agent", "login", "9999")

    assert (code, out) == (1, "")
    assert "unknown agent '9999'" in err
    assert "callcenter agent sync" in err


def test_break_needs_a_reason(cli_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        callcenter("agent", "break", "1001")
    assert exited.value.code == 2
    assert "reason" in capsys.readouterr().err
