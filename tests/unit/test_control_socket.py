"""The local control socket: `callcenter agent ...` wakes the application server on this machine."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import stat
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.cli import main
from esl_handlers.control import ControlServer, ControlSocketError, parse_message, send_agent_changed
from schema.acd.agent_notify import AgentChange
from tests.fakes.agent_changes import HeardChanges

WAIT = 10.0  # seconds: a bound on waiting for a datagram, never a sleep


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: a unix socket's path must fit in 107 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="cc-ctl-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def heard() -> HeardChanges:
    return HeardChanges()


@pytest.fixture
def server(short_dir: Path, heard: HeardChanges) -> Iterator[ControlServer]:
    control = ControlServer(short_dir / "var" / "control.sock", heard)
    control.start()
    yield control
    control.stop()


def test_a_sent_change_reaches_the_server(server: ControlServer, heard: HeardChanges) -> None:
    assert send_agent_changed(server.path, "1001") is True

    assert heard.next() == AgentChange(agent_id="1001")


def test_an_agent_id_with_spaces_and_colons_arrives_whole(server: ControlServer, heard: HeardChanges) -> None:
    send_agent_changed(server.path, "team a:7")

    assert heard.next() == AgentChange(agent_id="team a:7")


def test_sending_without_a_server_is_silent(short_dir: Path) -> None:
    assert send_agent_changed(short_dir / "control.sock", "1001") is False


def test_sending_to_a_socket_left_by_a_dead_server_is_silent(short_dir: Path) -> None:
    path = short_dir / "control.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
        dead.bind(os.fspath(path))
    assert path.exists()

    assert send_agent_changed(path, "1001") is False


def test_malformed_messages_are_ignored_and_the_next_good_one_arrives(
    server: ControlServer, heard: HeardChanges, caplog: pytest.LogCaptureFixture
) -> None:
    bad = [b"hello", b"agent ", b"agent", b"\xff\xfe", b"agent a\nb", b"AGENT 1001", b"agent 1\x002"]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender, caplog.at_level(logging.WARNING):
        for datagram in [*bad, b"agent 1002\n"]:
            sender.sendto(datagram, os.fspath(server.path))
        change = heard.next()

    assert change == AgentChange(agent_id="1002")
    assert heard.pending() == 0
    assert sum("malformed" in record.getMessage() for record in caplog.records) == len(bad)


def test_a_failing_handler_does_not_stop_the_server(short_dir: Path, heard: HeardChanges) -> None:
    calls = 0

    def flaky(change: AgentChange) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("board busy")
        heard(change)

    control = ControlServer(short_dir / "control.sock", flaky)
    control.start()
    try:
        send_agent_changed(control.path, "1001")
        send_agent_changed(control.path, "1002")
        assert heard.next() == AgentChange(agent_id="1002")
    finally:
        control.stop()
    assert calls == 2


def test_the_socket_is_private_and_removed_on_stop(short_dir: Path, heard: HeardChanges) -> None:
    control = ControlServer(short_dir / "control.sock", heard)
    control.start()
    assert stat.S_IMODE(control.path.stat().st_mode) == 0o600
    control.stop()

    assert not control.path.exists()


def test_a_socket_left_by_a_dead_server_is_taken_over(short_dir: Path, heard: HeardChanges) -> None:
    path = short_dir / "control.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
        dead.bind(os.fspath(path))
    control = ControlServer(path, heard)
    control.start()
    try:
        send_agent_changed(path, "1001")
        assert heard.next() == AgentChange(agent_id="1001")
    finally:
        control.stop()


def test_a_second_server_on_the_same_socket_is_refused(server: ControlServer, heard: HeardChanges) -> None:
    with pytest.raises(ControlSocketError, match="another application server"):
        ControlServer(server.path, heard).start()

    send_agent_changed(server.path, "1001")  # the first one still owns it
    assert heard.next() == AgentChange(agent_id="1001")


def test_a_file_that_is_not_a_socket_is_left_alone(short_dir: Path, heard: HeardChanges) -> None:
    path = short_dir / "control.sock"
    path.write_text("keep me")

    with pytest.raises(ControlSocketError, match="not a socket"):
        ControlServer(path, heard).start()
    assert path.read_text() == "keep me"


@pytest.mark.parametrize(
    ("data", "agent_id"), [(b"agent 1001", "1001"), (b"agent 1001\n", "1001"), (b"agent a b", "a b")]
)
def test_parse_message_reads_the_agent_id(data: bytes, agent_id: str) -> None:
    assert parse_message(data) == AgentChange(agent_id=agent_id)


@pytest.mark.parametrize("data", [b"", b"agent ", b"agent 1\n\n", b"ready 1001", b"agent " + b"9" * 65])
def test_parse_message_refuses_anything_else(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_message(data)


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
  "1001": {name: Alice Moreau}
  "1002": {name: Ben Okafor}
"""


def test_agent_commands_wake_the_local_server_only_when_they_change_something(
    tmp_path: Path, short_dir: Path, heard: HeardChanges, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(PLAN), encoding="utf-8")
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'callcenter.db'}")
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(plan))
    monkeypatch.setenv("CALLCENTER_VAR_DIR", str(short_dir))
    control = ControlServer(short_dir / "control.sock", heard)
    control.start()
    try:
        assert main(["agent", "sync"]) == 0
        assert main(["agent", "login", "1001"]) == 0
        assert heard.next() == AgentChange(agent_id="1001")

        assert main(["agent", "login", "1001"]) == 0  # already available: a repeat, no wake-up
        assert main(["agent", "break", "1002", "lunch"]) == 1  # refused while logged out
        assert main(["agent", "login", "1002"]) == 0
        assert heard.next() == AgentChange(agent_id="1002")  # nothing came in between
    finally:
        control.stop()


def test_agent_commands_without_a_server_still_succeed(
    tmp_path: Path, short_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(PLAN), encoding="utf-8")
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'callcenter.db'}")
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(plan))
    monkeypatch.setenv("CALLCENTER_VAR_DIR", str(short_dir))
    assert main(["agent", "sync"]) == 0
    capsys.readouterr()

    assert main(["agent", "login", "1001"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "agent 1001: logged_out → available\n"
    assert captured.err == ""
