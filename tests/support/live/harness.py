"""What the live tests share: the FreeSWITCH builds to run, free ports, a test dialplan with pinned
opening hours, a real FreeSWITCH on its rendered conf and `callcenter serve` beside it.

Builds: FREESWITCH_BIN when set (that one), else every `../shared/freeswitch/*/bin/freeswitch` beside
the checkout, else `freeswitch` on PATH. Without any, live tests skip saying so; under CI=true
tests/conftest.py turns that skip into a failure.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialplans.loader import LoadedDialplan, load_dialplan
from esl_handlers.parked_calls import READY_LOG
from freeswitch_conf.prompt_audio import PromptAudioReport, render_prompt_audio
from freeswitch_conf.render import SwitchSettings, render_conf
from freeswitch_conf.settings import CallControl, call_control_setting
from sipp_scenarios import ports, uas_steps
from sipp_scenarios.switch import FreeSwitch, SwitchEndpoints
from sipp_scenarios.tools import FREESWITCH_ENV, ToolMissing, find_sipp
from tests.support.cli import callcenter_process, start_callcenter

ROOT = Path(__file__).resolve().parents[3]
# Set by tests/run_tiers.py on every build's run but the first: the live tests that need no switch
# (SIPp against stand-ins) then run once, not once per build (tests/live/conftest.py).
BUILD_TESTS_ONLY_ENV = "CALLCENTER_LIVE_BUILD_TESTS_ONLY"
EXAMPLE = ROOT / "dialplans" / "main.yaml"
SHARED_BUILDS = ROOT.parent / "shared" / "freeswitch"
PASSWORD = "live-test-" + os.urandom(6).hex()
NO_FREESWITCH = (
    f"no FreeSWITCH: set {FREESWITCH_ENV}, put freeswitch on PATH, or keep the builds in {SHARED_BUILDS}"
)
# The test dialplan pins opening hours instead of reading the weekday: the example's main line (4001)
# is always open, and CLOSED_DID is the same line on a schedule that never opens.
# How the live switch hands calls to `callcenter serve`: LIVE_CALL_CONTROL=park runs the tier with
# calls parked and driven over one inbound connection (docs/inbound-control.md).
CALL_CONTROL = call_control_setting(os.environ.get("LIVE_CALL_CONTROL", "socket"))
OPEN_DID = "4001"
CLOSED_DID = "4003"
ALWAYS_OPEN = "always_open"
NEVER_OPEN = "never_open"

Mutation = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Build:
    """One FreeSWITCH binary to run the live tier on; `release` names it in test ids."""

    release: str
    binary: Path


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
    dialplan: Path
    release: str
    api_port: int
    prompts: PromptAudioReport  # what render synthesized into callcenter serve's prompt directory


def freeswitch_builds() -> list[Build]:
    configured = os.environ.get(FREESWITCH_ENV)
    if configured:
        path = Path(configured)
        return [Build(_release_of(path), path)]
    shared = sorted(SHARED_BUILDS.glob("*/bin/freeswitch"))
    if shared:
        return [Build(path.parents[1].name, path) for path in shared]
    found = on_path("freeswitch")
    return [Build("PATH", found)] if found else []


def _release_of(binary: Path) -> str:
    version = binary.resolve().parents[1] / "VERSION"
    return binary.resolve().parents[1].name if version.is_file() else "FREESWITCH_BIN"


def free_port(kind: int) -> int:
    return ports.free_port(kinds=(kind,))


def free_sip_port() -> int:
    return ports.free_sip_port()


def live_dialplan(work: Path, *mutations: Mutation) -> Path:
    """The example dialplan as the live tier runs it: pinned hours, recordings under `work`.

    Each mutation edits the YAML data before it is written (a test's own queues, numbers, ...).
    """
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["sounds_dir"] = str((EXAMPLE.parent / data.get("sounds_dir", "sounds")).resolve())
    data["recording"]["directory"] = str(work / "recordings")
    all_week = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    data["schedules"] = {
        ALWAYS_OPEN: {"timezone": "UTC", "hours": [{"days": all_week, "open": "00:00", "close": "24:00"}]},
        NEVER_OPEN: {"timezone": "UTC", "hours": []},
    }
    # No line samples its IVR for recording: a sampled call hears the legal notice before the greeting, and
    # no key may cut that short (keys pressed during it are swallowed), so the first key of a call would be
    # lost on the calls sampled only. Tests that record a line say so with a mutation.
    for did in data["dids"].values():
        did.pop("recording", None)
    main_line = data["dids"][OPEN_DID]
    main_line["schedule"] = ALWAYS_OPEN
    data["dids"][CLOSED_DID] = {**main_line, "name": "The main line, closed", "schedule": NEVER_OPEN}
    for mutate in mutations:
        mutate(data)
    path = work / "live.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def skip_without(build: Build | None) -> tuple[Build, Path]:
    """The build and sipp, or a skip saying which is missing."""
    if build is None:
        pytest.skip(NO_FREESWITCH)
    try:
        return build, find_sipp()
    except ToolMissing as exc:
        pytest.skip(f"live tier needs SIPp: {exc}")


ConfHook = Callable[[Path, LoadedDialplan, SwitchSettings, PromptAudioReport], None]


@contextlib.contextmanager
def live_switch(
    work: Path,
    build: Build | None,
    *mutations: Mutation,
    conf_hook: ConfHook | None = None,
    call_control: CallControl = CALL_CONTROL,
) -> Iterator[Live]:
    """FreeSWITCH `build` on the live dialplan's rendered conf, agents' passwords included;
    `conf_hook` may change the rendered conf (the benchmark's floor) before the switch starts."""
    build, sipp = skip_without(build)
    work.mkdir(parents=True, exist_ok=True)
    dialplan = live_dialplan(work, *mutations)
    loaded = load_dialplan(dialplan)
    prompt_dir = work / "build" / "prompts"
    settings = SwitchSettings(
        esl_password=PASSWORD,
        esl_port=free_port(socket.SOCK_STREAM),
        app_port=free_port(socket.SOCK_STREAM),
        caller_sip_port=free_sip_port(),
        agent_sip_port=free_sip_port(),
        recordings_dir=work / "switch-recordings",
        voicemail_dir=work / "voicemail",
        cdr_dir=work / "var" / "cdr",  # where callcenter serve (CALLCENTER_VAR_DIR) reads them
        tts_engine="flite",
        agent_passwords={agent: secrets.token_urlsafe(18) for agent in loaded.model.agents},
        prompt_dir=prompt_dir,
        call_control=call_control,
    )
    conf_dir = work / "conf"
    # As `callcenter render` does: the prompts first (into the directory `callcenter serve` reads
    # with callcenter_env), then the conf, whose fallbacks play them.
    prompts = render_prompt_audio(loaded.model, loaded.sounds_dir, prompt_dir, settings.tts_voice)
    render_conf(loaded, settings, conf_dir)
    if conf_hook is not None:
        conf_hook(conf_dir, loaded, settings, prompts)
    endpoints = SwitchEndpoints.from_conf(conf_dir)
    with FreeSwitch(build.binary, conf_dir, work / "freeswitch", endpoints) as switch:
        yield Live(
            build.binary,
            sipp,
            conf_dir,
            settings,
            loaded,
            endpoints,
            switch,
            work,
            dialplan,
            build.release,
            free_port(socket.SOCK_STREAM),
            prompts,
        )


def callcenter_env(live: Live) -> dict[str, str]:
    """The environment `callcenter` commands run with against the live switch and its database."""
    return {
        **os.environ,
        "CALLCENTER_ROOT": str(ROOT),
        "CALLCENTER_DIALPLAN": str(live.dialplan),
        "CALLCENTER_VAR_DIR": str(live.work / "var"),
        "CALLCENTER_BUILD_DIR": str(live.work / "build"),
        "DATABASE_URL": database_url(live),
        "CALLCENTER_ESL_PASSWORD": PASSWORD,
        "CALLCENTER_ESL_HOST": live.settings.esl_host,
        "CALLCENTER_ESL_PORT": str(live.settings.esl_port),
        "CALLCENTER_APP_HOST": live.settings.app_host,
        "CALLCENTER_APP_PORT": str(live.settings.app_port),
        "CALLCENTER_API_PORT": str(live.api_port),
        "CALLCENTER_TTS_VOICE": live.settings.tts_voice,
        "CALLCENTER_PROMPT_DIR": str(live.prompts.prompt_dir),
        "CALLCENTER_CALL_CONTROL": live.settings.call_control,
    }


def database_url(live: Live) -> str:
    return f"sqlite:///{live.work / 'calls.db'}"


def callcenter(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `callcenter` command (e.g. `agent login 1003`); fails the test when it fails."""
    completed = callcenter_process(*args, env=callcenter_env(live), timeout=60)
    assert completed.returncode == 0, (args, completed.stdout, completed.stderr)
    return completed


@contextlib.contextmanager
def app_server(
    live: Live, *, database: str | None = None, settings: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`callcenter serve` pointed at the live switch, as the README's `make run` starts it;
    `database`: another DATABASE_URL than the live tier's SQLite file; `settings`: more environment
    (e.g. CALLCENTER_CAMPAIGN_ENDPOINT)."""
    log = live.work / "app_server.out"
    env = callcenter_env(live) | ({"DATABASE_URL": database} if database else {}) | dict(settings or {})
    with log.open("ab") as output:
        start = output.tell()
        process = start_callcenter("serve", env=env, output=output)
        try:
            wait_ready(live, process, log, start)
            yield process
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def on_path(name: str) -> Path | None:
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder and os.access(Path(folder) / name, os.X_OK):
            return Path(folder) / name
    return None


def wait_ready(live: Live, process: subprocess.Popen[bytes], output: Path, start: int) -> None:
    """Until the server takes calls: its outbound socket listens, or (park) its inbound connection
    to the switch is subscribed (said in `output` past byte `start`: a test may start several)."""
    if live.settings.call_control == "socket":
        wait_listening(live.settings.app_host, live.settings.app_port, process, output)
        return
    _wait_server(
        lambda: READY_LOG.encode() in output.read_bytes()[start:], process, output, "never took parked calls"
    )


def wait_listening(host: str, port: int, process: subprocess.Popen[bytes], output: Path) -> None:
    def listening() -> bool:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            return False

    _wait_server(listening, process, output, f"did not listen on {host}:{port}")


def _wait_server(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], output: Path, failure: str
) -> None:
    """Poll `ready` for 30 s; fail the test with the server's output if it exits or never gets there."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"callcenter serve exited with {process.returncode}:\n{output.read_text(errors='replace')}"
            )
        if ready():
            return
        time.sleep(0.2)
    pytest.fail(f"callcenter serve {failure}:\n{output.read_text(errors='replace')}")


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
    return ports.free_udp_port()


def invite(*, caller: str, tag: str) -> str:
    """SIPp steps that call the DID given with -s (`[service]`) from `caller` with PCMU and
    telephone-events, and ACK the 200; `tag` tells this scenario's From tags apart."""
    return f"""  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]{tag}[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]{tag}[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
"""


def answer_invite(*, tag: str, origin: str, media_port: str) -> str:
    """SIPp steps that take an INVITE and answer it with PCMU and telephone-events on `media_port`.

    Keeps the caller, callee and contact in $caller, $callee and $target for `send_bye`.
    """
    return f"""  <recv request="INVITE" crlf="true">
    <action>
{uas_steps.CAPTURE_DIALOG}    </action>
  </recv>
""" + uas_steps.ok_with_sdp(tag=tag, origin=origin, media_port=media_port)


def await_bye() -> str:
    """SIPp steps that wait for the far end's BYE and answer it 200."""
    return '  <recv request="BYE"/>\n' + uas_steps.OK


send_bye = uas_steps.send_bye


def scenario(name: str, *steps: str) -> str:
    head = f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{name}">\n'
    return head + "".join(steps) + "</scenario>\n"


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` every 0.25 s until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.25)
