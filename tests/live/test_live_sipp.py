"""The live tier: a real FreeSWITCH on the rendered conf, the real application server, real SIPp calls.

Skipped, saying why, when there is no FreeSWITCH binary (PATH or FREESWITCH_BIN) or no sipp.
Never faked: every assertion here is about what FreeSWITCH and SIPp actually did.
"""

from __future__ import annotations

import os
import re
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
from freeswitch_conf.reload import RELOADXML
from freeswitch_conf.render import SwitchSettings, modules_for, render_conf
from sipp_scenarios.runner import SmokeOptions, smoke
from sipp_scenarios.switch import FreeSwitch, SwitchEndpoints, esl_api
from sipp_scenarios.tools import ToolMissing, find_freeswitch, find_sipp

pytestmark = pytest.mark.live

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


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not os.environ.get("FREESWITCH_BIN") and not _on_path("freeswitch"):
        pytest.skip(NO_FREESWITCH)
    try:
        freeswitch, sipp = find_freeswitch(), find_sipp()
    except ToolMissing as exc:
        pytest.skip(f"live tier needs both FreeSWITCH and SIPp: {exc}")
    work = tmp_path_factory.mktemp("live")
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


@pytest.fixture
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    """`callcenter serve` pointed at the live switch, as the lead's CLI runs it."""
    executable = Path(sys.executable).with_name("callcenter")
    env = {
        **os.environ,
        "CALLCENTER_ROOT": str(ROOT),
        "CALLCENTER_DIALPLAN": str(EXAMPLE),
        "CALLCENTER_VAR_DIR": str(live.work / "var"),
        "CALLCENTER_BUILD_DIR": str(live.work / "build"),
        "DATABASE_URL": f"sqlite:///{live.work / 'calls.db'}",
        "CALLCENTER_ESL_PASSWORD": PASSWORD,
        "CALLCENTER_ESL_HOST": live.settings.esl_host,
        "CALLCENTER_ESL_PORT": str(live.settings.esl_port),
        "CALLCENTER_APP_HOST": live.settings.app_host,
        "CALLCENTER_APP_PORT": str(live.settings.app_port),
        "CALLCENTER_FALLBACK_EXTENSION": live.settings.fallback_extension,
    }
    output = (live.work / "app_server.out").open("wb")
    process = subprocess.Popen(
        [str(executable), "serve"], env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
    )
    try:
        _wait_listening(live.settings.app_host, live.settings.app_port, process, live.work / "app_server.out")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


def test_every_module_we_list_is_loaded(live: Live) -> None:
    for module in modules_for(live.settings):
        if module == "mod_flite":
            continue  # optional: a FreeSWITCH built without flite still serves recorded prompts
        assert esl_api(live.endpoints, f"module_exists {module}").strip() == "true", module


def test_both_profiles_run_and_reloadxml_accepts_the_conf(live: Live) -> None:
    for profile in ("callers", "agents"):
        assert "RUNNING" in esl_api(live.endpoints, f"sofia status profile {profile}")
    assert esl_api(live.endpoints, RELOADXML).startswith("+OK")


def test_unreachable_application_server_falls_back(live: Live) -> None:
    """No `callcenter serve`: the socket app fails to connect and the caller goes to the fallback."""
    did = sorted(live.loaded.model.dids)[0]
    scenario = live.work / "fallback"
    scenario.mkdir()
    log = live.switch.log_dir / "freeswitch.log"
    before = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    subprocess.run(
        [
            str(live.sipp),
            f"{live.endpoints.sip_host}:{live.endpoints.sip_port}",
            "-sn",
            "uac",
            "-s",
            did,
            "-i",
            "127.0.0.1",
            "-p",
            str(free_sip_port()),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "30s",
        ],
        cwd=scenario,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    after = log.read_text(encoding="utf-8", errors="replace")[len(before) :]
    fallback = f"{live.settings.fallback_extension}@default"
    # switch_ivr_session_transfer() logs "Transfer <channel> to XML[<extension>@<context>]".
    assert re.search(r"Transfer \S+ to XML\[" + re.escape(fallback) + r"\]", after), after[-4000:]


def test_smoke_every_menu_path_hangup_and_load(live: Live, app_server: subprocess.Popen[bytes]) -> None:
    options = SmokeOptions(run_dir=live.work / "smoke", start_freeswitch=False)
    report = smoke(live.conf_dir, dialplan=live.loaded.model, options=options)
    assert live.switch.alive(), live.switch.log_tail()
    assert report.ok, f"{report}\n{live.switch.log_tail()}"
    assert len(report.results) >= len(live.loaded.model.dids) + 1


def _on_path(name: str) -> bool:
    return any(os.access(Path(d) / name, os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep) if d)


def _wait_listening(host: str, port: int, process: subprocess.Popen[bytes], output: Path) -> None:
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
