"""The runner's view of FreeSWITCH: endpoints read from the rendered conf, the ESL `api` exchange,
the command line it starts, how it reports a switch that dies, and missing tools."""

from __future__ import annotations

import socketserver
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialplans.models import Dialplan
from freeswitch_conf.render import SwitchSettings, render_conf
from sipp_scenarios.switch import (
    EslError,
    FreeSwitch,
    SwitchEndpoints,
    SwitchFailed,
    esl_api,
    profile_running,
)
from sipp_scenarios.tools import ToolMissing, find_freeswitch, find_sipp
from tests.support.rendering import Loaded

PLAN = Dialplan.model_validate(
    {
        "prompts": {"p": {"text": "press"}},
        "menus": {"m": {"prompt": "p", "options": {"1": {"hangup": {}}}, "fallback": {"hangup": {}}}},
        "dids": {"4001": {"menu": "m"}},
    }
)
SETTINGS = SwitchSettings(esl_password="s3cret", esl_port=8123, app_port=9000, caller_sip_port=5090)


@pytest.fixture
def conf_dir(tmp_path: Path) -> Path:
    render_conf(Loaded(PLAN, tmp_path), SETTINGS, tmp_path / "conf")
    return tmp_path / "conf"


class FakeEventSocket(socketserver.StreamRequestHandler):
    reply_length: int | None = None

    def handle(self) -> None:
        self.wfile.write(b"Content-Type: auth/request\n\n")
        for command in self._commands():
            if command.startswith("auth "):
                ok = command == "auth s3cret"
                text = "+OK accepted" if ok else "-ERR invalid"
                self.wfile.write(f"Content-Type: command/reply\nReply-Text: {text}\n\n".encode())
                if not ok:
                    return
            elif command.startswith("api "):
                body = f"you asked: {command[4:]}\n".encode()
                length = self.reply_length if self.reply_length is not None else len(body)
                self.wfile.write(f"Content-Type: api/response\nContent-Length: {length}\n\n".encode() + body)
                if self.reply_length is not None:
                    return

    def _commands(self) -> Iterator[str]:
        lines: list[str] = []
        for raw in self.rfile:
            if raw == b"\n":
                if lines:
                    yield lines[0]
                lines = []
            else:
                lines.append(raw.decode().strip())


@pytest.fixture
def esl() -> Iterator[SwitchEndpoints]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeEventSocket)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield SwitchEndpoints(
        "127.0.0.1", 5090, "127.0.0.1", server.server_address[1], "s3cret", "127.0.0.1", 9000
    )
    FakeEventSocket.reply_length = None
    server.shutdown()
    server.server_close()


def test_endpoints_come_from_the_rendered_conf(conf_dir: Path) -> None:
    assert SwitchEndpoints.from_conf(conf_dir) == SwitchEndpoints(
        sip_host="127.0.0.1",
        sip_port=5090,
        esl_host="127.0.0.1",
        esl_port=8123,
        esl_password="s3cret",
        app_host="127.0.0.1",
        app_port=9000,
    )


def test_api_returns_the_response_body(esl: SwitchEndpoints) -> None:
    assert esl_api(esl, "sofia status profile callers") == "you asked: sofia status profile callers\n"


def test_a_wrong_password_is_an_error(esl: SwitchEndpoints) -> None:
    wrong = SwitchEndpoints(**{**esl.__dict__, "esl_password": "nope"})
    with pytest.raises(EslError, match="refused"):
        esl_api(wrong, "status")


@pytest.mark.parametrize("length", [100, 10**9])
def test_a_short_or_huge_body_is_an_error(esl: SwitchEndpoints, length: int) -> None:
    FakeEventSocket.reply_length = length
    with pytest.raises(EslError):
        esl_api(esl, "status")


def test_freeswitch_gets_every_directory_it_needs(conf_dir: Path, tmp_path: Path) -> None:
    switch = FreeSwitch(
        Path("/opt/fs/bin/freeswitch"), conf_dir, tmp_path / "run", SwitchEndpoints.from_conf(conf_dir)
    )
    command = switch.command()
    assert command[:4] == ["/opt/fs/bin/freeswitch", "-nonat", "-nc", "-nf"]
    options = dict(zip(command[4::2], command[5::2], strict=True))
    assert options["-conf"] == str(conf_dir)
    for name in ("-log", "-db", "-run", "-temp"):  # FreeSWITCH wants -conf, -log and -db together
        assert Path(options[name]).is_dir()
        assert Path(options[name]).is_relative_to(tmp_path / "run")


def test_a_switch_that_exits_is_reported_with_its_output(conf_dir: Path, tmp_path: Path) -> None:
    fake = tmp_path / "freeswitch"
    fake.write_text("#!/bin/sh\necho 'Cannot Initialize [modules]'\nexit 3\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    switch = FreeSwitch(fake, conf_dir, tmp_path / "run", SwitchEndpoints.from_conf(conf_dir))
    with pytest.raises(SwitchFailed, match=r"(?s)exited with 3.*Cannot Initialize"):
        switch.start()
    switch.stop()


def test_missing_tools_say_how_to_get_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("FREESWITCH_BIN", raising=False)
    monkeypatch.delenv("SIPP_BIN", raising=False)
    with pytest.raises(ToolMissing, match="FREESWITCH_BIN") as missing:
        find_freeswitch()
    assert missing.value.tool == "freeswitch"
    with pytest.raises(ToolMissing, match="sip-tester"):
        find_sipp()
    monkeypatch.setenv("FREESWITCH_BIN", str(tmp_path / "nothing-here"))
    with pytest.raises(ToolMissing, match="not an executable"):
        find_freeswitch()


# Captured from `api sofia status` on FreeSWITCH 1.11.2 with the rendered conf.
SOFIA_STATUS = """\
                     Name	   Type	                                      Data	State
=================================================================================================
                  callers	profile	            sip:mod_sofia@127.0.0.1:40551	RUNNING (0)
                   agents	profile	            sip:mod_sofia@127.0.0.1:47187	RUNNING (0)
=================================================================================================
2 profiles 0 aliases
"""


def test_a_listed_running_profile_is_running() -> None:
    assert profile_running(SOFIA_STATUS, "callers")
    assert profile_running(SOFIA_STATUS, "agents")


def test_a_missing_or_stopped_profile_is_not() -> None:
    assert not profile_running(SOFIA_STATUS, "internal")
    assert not profile_running(SOFIA_STATUS.replace("RUNNING (0)", "DOWN"), "callers")
    assert not profile_running("", "callers")
