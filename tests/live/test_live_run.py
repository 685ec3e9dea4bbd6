"""`make run` as a newcomer meets it: `callcenter run` brings FreeSWITCH up on the rendered conf beside the
application server and says where to call, `callcenter demo` places a real SIPp call through the IVR and
prints its rows, and stopping `run` stops FreeSWITCH too."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from sipp_scenarios.switch import EslError, SwitchEndpoints, esl_api
from tests.support.cli import callcenter_process, start_callcenter
from tests.support.live import harness
from tests.support.live.harness import ROOT, Build

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> dict[str, str]:
    build, _ = harness.skip_without(build)
    work = tmp_path_factory.mktemp("live_run")
    dialplan = harness.live_dialplan(work)
    env = {
        **os.environ,
        "FREESWITCH_BIN": str(build.binary),
        "CALLCENTER_ROOT": str(ROOT),
        "CALLCENTER_DIALPLAN": str(dialplan),
        "CALLCENTER_VAR_DIR": str(work / "var"),
        "CALLCENTER_BUILD_DIR": str(work / "build"),
        "DATABASE_URL": f"sqlite:///{work / 'calls.db'}",
        "CALLCENTER_ESL_PORT": str(harness.free_port(socket.SOCK_STREAM)),
        "CALLCENTER_APP_PORT": str(harness.free_port(socket.SOCK_STREAM)),
        "CALLCENTER_API_PORT": str(harness.free_port(socket.SOCK_STREAM)),
        "CALLCENTER_CALLER_SIP_PORT": str(harness.free_sip_port()),
        "CALLCENTER_AGENT_SIP_PORT": str(harness.free_sip_port()),
    }
    for command in (("db", "upgrade"), ("render",)):
        callcenter_process(*command, env=env, timeout=60).check_returncode()
    return env


def wait_for(path: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        if re.search(pattern, text):
            return text
        if process.poll() is not None:
            pytest.fail(f"callcenter run exited with {process.returncode}:\n{text}")
        time.sleep(0.3)
    pytest.fail(f"{pattern!r} never appeared:\n{path.read_text(errors='replace')}")


def test_run_brings_up_freeswitch_and_the_server_and_demo_places_a_call(environment: dict[str, str]) -> None:
    var = Path(environment["CALLCENTER_VAR_DIR"])
    var.mkdir(parents=True, exist_ok=True)
    output = var / "run.out"
    with output.open("wb") as sink:
        process = start_callcenter("run", env=environment, output=sink)
    try:
        said = wait_for(output, r"outbound ESL server listening", process)
        port = environment["CALLCENTER_CALLER_SIP_PORT"]
        assert f"Call sip:<DID>@127.0.0.1:{port}" in said, said
        endpoints = SwitchEndpoints.from_conf(Path(environment["CALLCENTER_BUILD_DIR"]) / "freeswitch")
        demo = callcenter_process("demo", "--did", "4002", "--keys", "1", env=environment, timeout=150)
        assert demo.returncode == 0, (demo.stdout, demo.stderr)
        assert "SIPp: ok" in demo.stdout, demo.stdout
        assert re.search(r"-> 4002, outcome \w+", demo.stdout), demo.stdout
        assert re.search(r"roadside_line\s+ok\s+roadside_options\s+1", demo.stdout), demo.stdout
        assert esl_api(endpoints, "status").startswith("UP")
        smoke = callcenter_process("sipp", "smoke", "--did", "4002", env=environment, timeout=300)
        assert smoke.returncode == 0, (smoke.stdout, smoke.stderr)
        assert "sipp smoke: 2/2 menu paths went where their keys say" in smoke.stdout, smoke.stdout
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
    # FreeSWITCH went down with it: its event socket no longer answers.
    with pytest.raises((OSError, EslError)):
        esl_api(endpoints, "status", timeout=2)


def test_without_freeswitch_run_says_how_to_get_one_and_serves_alone(environment: dict[str, str]) -> None:
    env = {**environment, "FREESWITCH_BIN": "/nonexistent/freeswitch", "PATH": "/usr/bin:/bin"}
    var = Path(env["CALLCENTER_VAR_DIR"])
    output = var / "alone.out"
    with output.open("wb") as sink:
        process = start_callcenter("run", env=env, output=sink)
    try:
        said = wait_for(output, r"outbound ESL server listening", process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
    assert "no FreeSWITCH found" in said
    assert "FREESWITCH_BIN=/path/to/freeswitch make run" in said
