"""smoke() end to end with stand-ins for FreeSWITCH: a SIPp far end on the callers port and a tiny
event socket that answers `api` the way mod_event_socket frames it. Exercises everything the
runner does except starting FreeSWITCH itself: reading the rendered conf, the ESL exchange, the
plan, every SIPp run and the report. Needs sipp and root (SIPp replays DTMF over a raw socket).
"""

from __future__ import annotations

import socketserver
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialplans.models import Dialplan
from freeswitch_conf.render import SwitchSettings, render_conf
from sipp_scenarios.ports import free_media_port
from sipp_scenarios.runner import SmokeOptions, plan_calls, smoke
from tests.support.live.harness import answer_invite, free_udp_port, scenario, send_bye, sipp_or_skip
from tests.support.rendering import Loaded

pytestmark = pytest.mark.live

PASSWORD = "stand-in-secret"
PLAN = Dialplan.model_validate(
    {
        "prompts": {"p": {"text": "press"}},
        "queues": {"sales": {"extension": "2001"}},
        "menus": {
            "main": {
                "prompt": "p",
                "options": {"1": {"transfer": {"queue": "sales"}}, "2": {"menu": "sub"}},
                "fallback": {"hangup": {}},
            },
            "sub": {"prompt": "p", "options": {"2": {"hangup": {}}}, "fallback": {"hangup": {}}},
        },
        "dids": {"4001": {"menu": "main"}},
    }
)

# Answers every call; hangs up itself unless the caller does so within two seconds.
STAND_IN_SWITCH = scenario(
    "stand-in callers profile",
    answer_invite(tag="StandIn", origin="standin", media_port="[media_port]"),
    """\
  <recv request="ACK"/>
  <recv request="BYE" timeout="2000" ontimeout="we_hang_up"/>
  <send next="done">
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <label id="we_hang_up"/>
""",
    send_bye(tag="StandIn"),
    '  <label id="done"/>\n',
)


class EventSocket(socketserver.StreamRequestHandler):
    """Frames replies as mod_event_socket does: auth/request, command/reply, api/response."""

    commands: list[str] = []

    def handle(self) -> None:
        self.wfile.write(b"Content-Type: auth/request\n\n")
        while True:
            command = self._command()
            if command is None or command == "exit":
                return
            if command.startswith("auth "):
                ok = command == f"auth {PASSWORD}"
                reply = "+OK accepted" if ok else "-ERR invalid"
                self.wfile.write(f"Content-Type: command/reply\nReply-Text: {reply}\n\n".encode())
                if not ok:
                    return
            elif command.startswith("api "):
                EventSocket.commands.append(command)
                body = "FreeSWITCH Version 1.10.12-stand-in\n" if command == "api version" else "+OK\n"
                head = f"Content-Type: api/response\nContent-Length: {len(body)}\n\n"
                self.wfile.write(head.encode() + body.encode())

    def _command(self) -> str | None:
        lines: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return None
            if line == b"\n":
                return lines[0] if lines else ""
            lines.append(line.decode().strip())


@dataclass
class StandIn:
    conf_dir: Path
    esl: socketserver.ThreadingTCPServer
    switch: subprocess.Popen[bytes]


@pytest.fixture
def stand_in(tmp_path: Path) -> Iterator[StandIn]:
    sipp = sipp_or_skip()
    esl = socketserver.ThreadingTCPServer(("127.0.0.1", 0), EventSocket)
    threading.Thread(target=esl.serve_forever, daemon=True).start()
    sip_port = free_udp_port()
    settings = SwitchSettings(
        esl_password=PASSWORD, esl_port=esl.server_address[1], caller_sip_port=sip_port, app_port=1
    )
    conf_dir = tmp_path / "conf"
    render_conf(Loaded(PLAN, tmp_path), settings, conf_dir)
    scenario = tmp_path / "stand_in.xml"
    scenario.write_text(STAND_IN_SWITCH, encoding="iso-8859-1")
    command = [str(sipp), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(sip_port)]
    command += ["-mp", str(free_media_port("127.0.0.1"))]
    switch = subprocess.Popen(
        [*command, "-nostdin", "-timeout", "120s"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield StandIn(conf_dir, esl, switch)
    finally:
        switch.terminate()
        switch.wait()
        esl.shutdown()
        esl.server_close()


def test_smoke_runs_every_planned_scenario_and_reports(stand_in: StandIn, tmp_path: Path) -> None:
    options = SmokeOptions(run_dir=tmp_path / "run", start_freeswitch=False, load_calls=2, load_hold_ms=300)
    report = smoke(stand_in.conf_dir, dialplan=PLAN, options=options)
    assert report.ok, str(report)
    assert [r.name for r in report.results] == [c.name for c in plan_calls(PLAN, options)]
    assert report.freeswitch_version == "FreeSWITCH Version 1.10.12-stand-in"
    assert any("nothing listens on 127.0.0.1:1" in note for note in report.notes)
    assert "api version" in EventSocket.commands
    assert f"{len(report.results)}/{len(report.results)} scenarios passed" in str(report)
