"""What the live tests share: finding SIPp, free ports, UAS scenarios, and a real FreeSWITCH on the
rendered conf with `callcenter serve` beside it (skipped, saying why, without a FreeSWITCH binary).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialplans.loader import LoadedDialplan, load_dialplan
from freeswitch_conf.render import SwitchSettings, render_conf
from sipp_scenarios.switch import FreeSwitch, SwitchEndpoints
from sipp_scenarios.tools import ToolMissing, find_freeswitch, find_sipp

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "dialplans" / "main.yaml"
PASSWORD = "live-test-" + os.urandom(6).hex()
NO_FREESWITCH = "no freeswitch binary on PATH and FREESWITCH_BIN unset: live tier needs a real FreeSWITCH"


@dataclass(frozen=True)
class Live:
    freeswitch: Path
    sipp: Path
    conf_dir: Path
    settings: SwitchSettings
    loaded: LoadedDialplan
    endpoints: SwitchEndpoints
    switch: FreeSwitch
    work: Path


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def free_sip_port() -> int:
    """A port free for both UDP and TCP: sofia listens on both."""
    for _ in range(50):
        port = free_port(socket.SOCK_DGRAM)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free SIP port")


@contextlib.contextmanager
def live_switch(work: Path) -> Iterator[Live]:
    """FreeSWITCH on the example dialplan's rendered conf, agents' passwords included; skips without it."""
    if not os.environ.get("FREESWITCH_BIN") and not on_path("freeswitch"):
        pytest.skip(NO_FREESWITCH)
    try:
        freeswitch, sipp = find_freeswitch(), find_sipp()
    except ToolMissing as exc:
        pytest.skip(f"live tier needs both FreeSWITCH and SIPp: {exc}")
    loaded = load_dialplan(EXAMPLE)
    settings = SwitchSettings(
        esl_password=PASSWORD,
        esl_port=free_port(socket.SOCK_STREAM),
        app_port=free_port(socket.SOCK_STREAM),
        caller_sip_port=free_sip_port(),
        agent_sip_port=free_sip_port(),
        recordings_dir=work / "recordings",
        tts_engine="flite",
        agent_passwords={agent: secrets.token_urlsafe(18) for agent in loaded.model.agents},
    )
    conf_dir = work / "conf"
    render_conf(loaded, settings, conf_dir)
    endpoints = SwitchEndpoints.from_conf(conf_dir)
    with FreeSwitch(freeswitch, conf_dir, work / "freeswitch", endpoints) as switch:
        yield Live(freeswitch, sipp, conf_dir, settings, loaded, endpoints, switch, work)


def callcenter_env(live: Live) -> dict[str, str]:
    """The environment `callcenter` commands run with against the live switch and its database."""
    return {
        **os.environ,
        "CALLCENTER_ROOT": str(ROOT),
        "CALLCENTER_DIALPLAN": str(EXAMPLE),
        "CALLCENTER_VAR_DIR": str(live.work / "var"),
        "CALLCENTER_BUILD_DIR": str(live.work / "build"),
        "DATABASE_URL": database_url(live),
        "CALLCENTER_ESL_PASSWORD": PASSWORD,
        "CALLCENTER_ESL_HOST": live.settings.esl_host,
        "CALLCENTER_ESL_PORT": str(live.settings.esl_port),
        "CALLCENTER_APP_HOST": live.settings.app_host,
        "CALLCENTER_APP_PORT": str(live.settings.app_port),
        "CALLCENTER_FALLBACK_EXTENSION": live.settings.fallback_extension,
    }


def database_url(live: Live) -> str:
    return f"sqlite:///{live.work / 'calls.db'}"


def callcenter(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `callcenter` command (e.g. `agent login 1003`); fails the test when it fails."""
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("callcenter")), *args],
        env=callcenter_env(live),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, (args, completed.stdout, completed.stderr)
    return completed


@contextlib.contextmanager
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    """`callcenter serve` pointed at the live switch, as the lead's CLI runs it."""
    executable = Path(sys.executable).with_name("callcenter")
    output = (live.work / "app_server.out").open("wb")
    process = subprocess.Popen(
        [str(executable), "serve"],
        env=callcenter_env(live),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_listening(live.settings.app_host, live.settings.app_port, process, live.work / "app_server.out")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


def on_path(name: str) -> bool:
    return any(os.access(Path(d) / name, os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep) if d)


def wait_listening(host: str, port: int, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"callcenter serve exited with {process.returncode}:\n{output.read_text(errors='replace')}"
            )
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"callcenter serve did not listen on {host}:{port}:\n{output.read_text(errors='replace')}")


def sipp_binary_or_skip() -> Path:
    """The sipp binary; skips the test, saying so, when it is missing."""
    try:
        return find_sipp()
    except ToolMissing as exc:
        pytest.skip(str(exc))


def sipp_or_skip() -> Path:
    """The sipp binary; skips the test when it is missing or cannot replay DTMF captures."""
    binary = sipp_binary_or_skip()
    if os.geteuid() != 0:
        pytest.skip("SIPp replays DTMF captures over a raw socket: run as root (or grant CAP_NET_RAW)")
    return binary


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answer_invite(*, tag: str, origin: str, media_port: str) -> str:
    """SIPp steps that take an INVITE and answer it with PCMU and telephone-events on `media_port`.

    Keeps the caller, callee and contact in $caller, $callee and $target for `send_bye`.
    """
    return f"""  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="caller"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="callee"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="target"/>
    </action>
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]{tag}[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o={origin} 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio {media_port} RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000

    ]]>
  </send>
"""


def send_bye(*, tag: str) -> str:
    """SIPp steps that hang up a call `answer_invite` took (with the same tag) and await the 200."""
    return f"""  <send retrans="500">
    <![CDATA[

      BYE [$target] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From:[$callee];tag=[pid]{tag}[call_number]
      To:[$caller]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
"""


def scenario(name: str, *steps: str) -> str:
    head = f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{name}">\n'
    return head + "".join(steps) + "</scenario>\n"
