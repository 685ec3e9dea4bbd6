"""The live tier for the fallback: what a caller reaches when the application server is down.

A real FreeSWITCH on the rendered conf of the example dialplan, whose top-level fallback rings the
operators 1007 and 1008, then takes a message in voicemail box `care`, and whose roadside line
(4002) rings 1005 and 1006, then plays its message (the file render synthesized from its text, not
mod_flite) and hangs up with NORMAL_TEMPORARY_FAILURE.
Callers and agent phones are SIPp; the agent registers with the password the render gave it.

Skipped, saying why, without a FreeSWITCH binary (PATH or FREESWITCH_BIN) or sipp. The core log
level is raised to debug so the log shows each application FreeSWITCH executes.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from dialplans.prompt_audio import find_prompt_audio, synthesis_voices
from freeswitch_conf.directory import directory_users
from freeswitch_conf.settings import PARK_LEASE_SECONDS, CallControl
from sipp_scenarios.agent_phone import AgentLogin, AgentOptions, AgentPhone, Registrar
from sipp_scenarios.dtmf_pcap import Tone, tone_packets, write_rtp_pcap
from sipp_scenarios.ports import free_media_port
from sipp_scenarios.sipp_run import ScenarioResult
from sipp_scenarios.switch import esl_api
from tests.support.live import harness
from tests.support.live.harness import OPEN_DID, Build, Live, free_sip_port

pytestmark = pytest.mark.live

# Both ways of taking calls, each proven on the real switch (docs/inbound-control.md).
CALL_CONTROLS: tuple[CallControl, ...] = ("socket", "park")

OPERATOR = "1007"
ROADSIDE_DID = "4002"
MAILBOX = "care"
# switch_ivr_session_transfer() logs "Transfer <channel> to XML[<extension>@<context>]".
_TRANSFER = r"Transfer \S+ to XML\[{target}\]"
# switch_core_session_exec() logs "EXECUTE [depth=0] <channel> <application>(<data>)" at debug.
_EXECUTE = r"EXECUTE \[depth=\d+\] \S+ {application}\({data}\)"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, build: Build | None, call_control: CallControl
) -> Iterator[Live]:
    work = tmp_path_factory.mktemp(f"live_fallback_{call_control}")
    with harness.live_switch(work, build, call_control=call_control) as running:
        assert esl_api(running.endpoints, "fsctl loglevel debug").startswith("+OK")
        yield running


class Log:
    """FreeSWITCH's log from the moment it is made: what one test's calls made it write."""

    def __init__(self, live: Live) -> None:
        self.path = live.switch.log_dir / "freeswitch.log"
        self.start = self.path.stat().st_size if self.path.is_file() else 0

    def text(self) -> str:
        with self.path.open("rb") as handle:
            handle.seek(self.start)
            return handle.read().decode("utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if re.search(pattern, text):
                return text
            time.sleep(0.2)
        pytest.fail(f"FreeSWITCH never logged {pattern!r}:\n{self.text()[-6000:]}")


def login_of(live: Live, agent_id: str) -> AgentLogin:
    users = directory_users(live.loaded.model, live.settings.agent_passwords)
    user = next(user for user in users if user.agent_id == agent_id)
    return AgentLogin(user.extension, live.settings.domain, user.password)


def agent_phone(live: Live, agent_id: str, work: Path) -> AgentPhone:
    """A SIPp phone for `agent_id` that answers one call and stays in it until the far end's BYE."""
    options = AgentOptions(hangup_after_ms=0, timeout_s=90)
    return AgentPhone(live.sipp, login_of(live, agent_id), Registrar.from_conf(live.conf_dir), work, options)


def start_caller(
    live: Live, did: str, work: Path, *, scenario: str, hold_ms: int = 0
) -> subprocess.Popen[bytes]:
    """A SIPp caller on the callers profile dialling `did` (one call, traced into `work`)."""
    work.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            str(live.sipp),
            f"{live.endpoints.sip_host}:{live.endpoints.sip_port}",
            "-sf",
            scenario,
            "-s",
            did,
            "-d",
            str(hold_ms),
            "-i",
            "127.0.0.1",
            "-p",
            str(free_sip_port()),
            "-mp",
            str(free_media_port("127.0.0.1")),
            "-m",
            "1",
            "-nostdin",
            "-timeout",
            "60s",
            "-timeout_error",
            "-trace_err",
            "-trace_msg",
        ],
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def hanging_up_caller(work: Path) -> str:
    """caller_hangup.xml: answered, holds for -d milliseconds, hangs up itself."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "caller_hangup.xml"
    path.write_bytes(resources.files("sipp_scenarios").joinpath("caller_hangup.xml").read_bytes())
    return str(path)


def synthesized(live: Live, opening: str) -> Path:
    """The file render synthesized for the dialplan prompt whose text starts with `opening`."""
    [text] = [p.text for p in live.loaded.model.prompts.values() if p.text and p.text.startswith(opening)]
    found = find_prompt_audio(live.prompts.prompt_dir, synthesis_voices(live.settings.tts_voice), text)
    assert found is not None, f"render synthesized no file for {text!r}: {live.prompts.lines()}"
    return found


def speaking_caller(work: Path, seconds: float) -> str:
    """A caller who is answered, then sends a tone (their voice) for `seconds`, and hangs up after -d."""
    work.mkdir(parents=True, exist_ok=True)
    # The caller's voice: mod_voicemail keeps no message under 3 s and ends one on silence.
    write_rtp_pcap(work / "voice.pcap", tone_packets(Tone(start_ms=0, duration_ms=int(seconds * 1000))))
    path = work / "caller_speaks.xml"
    path.write_text(harness.scenario("caller speaks", _INVITE, _SPEAK, _BYE), encoding="utf-8")
    return str(path)


def hung_up_caller(work: Path) -> str:
    """A caller who is answered and then waits for FreeSWITCH to hang up, keeping its BYE's Reason."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / "caller_hung_up.xml"
    path.write_text(harness.scenario("caller hung up", _INVITE, harness.await_bye()), encoding="utf-8")
    return str(path)


def wait(process: subprocess.Popen[bytes], timeout: float = 90) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("the SIPp caller did not finish")


def agent_took_the_call(result: ScenarioResult | None) -> bool:
    return result is not None and result.ok


def messages(work: Path) -> str:
    return "".join(path.read_text(errors="replace") for path in work.glob("*_messages.log"))


def test_server_down_a_fallback_agent_answers(live: Live) -> None:
    """No application server: FreeSWITCH rings the operators itself and 1007's phone answers."""
    log = Log(live)
    phone = agent_phone(live, OPERATOR, live.work / "answered" / "agent")
    phone.start()
    try:
        phone.wait_registered(timeout=20)
        work = live.work / "answered" / "caller"
        caller = start_caller(live, OPEN_DID, work, scenario=hanging_up_caller(work), hold_ms=3000)
        returncode = wait(caller)
        agent = phone.finish(timeout=30 if returncode == 0 else 5)
    finally:
        phone.stop()
    text = log.text()
    assert re.search(_TRANSFER.format(target="main@cc_fallback"), text), text[-6000:]
    assert returncode == 0, f"the caller was not answered and bridged\n{messages(work)[-3000:]}"
    assert agent_took_the_call(agent), f"{agent}\n{text[-6000:]}"
    assert re.search(r"Originate Resulted in Success: \[sofia/agents/", text), text[-6000:]
    assert "SUBSCRIBER_ABSENT" not in text
    assert not re.search(_EXECUTE.format(application="voicemail", data=".*"), text)


def test_server_down_nobody_answers_the_caller_leaves_a_voicemail(live: Live) -> None:
    """No application server and no operator's phone registered: the caller hears the greeting and
    the tone, speaks for a while and hangs up; mod_voicemail keeps the message in box `care`."""
    log = Log(live)
    work = live.work / "voicemail"
    # The greeting file is ~8 s, and mod_voicemail discards a message under 3 s: 18 s leaves ~10 s.
    caller = start_caller(live, OPEN_DID, work, scenario=speaking_caller(work, seconds=18), hold_ms=18000)
    returncode = wait(caller)
    text = log.text()
    assert re.search(_TRANSFER.format(target="main@cc_fallback"), text), text[-6000:]
    # The operators were tried first; neither is registered.
    assert re.search(r"bridge\(user/1007@callcenter\.local,user/1008@callcenter\.local\)", text), text
    played = re.escape(str(synthesized(live, "Sorry, nobody can")))
    assert re.search(_EXECUTE.format(application="playback", data=played), text), text[-6000:]
    assert "speak(" not in text  # the synthesized file, not mod_flite at every call
    box = re.escape(f"default {live.settings.domain} {MAILBOX}")
    assert re.search(_EXECUTE.format(application="voicemail", data=box), text), text[-6000:]
    assert returncode == 0, messages(work)[-3000:]
    assert "SUBSCRIBER_ABSENT" not in text
    kept = sorted(live.settings.voicemail_dir.rglob("msg_*.wav"))
    assert kept, f"no message under {live.settings.voicemail_dir}\n{text[-6000:]}"
    assert all(f"/{MAILBOX}/" in str(path) for path in kept), kept


def test_server_down_the_roadside_line_speaks_its_message_and_hangs_up_with_its_cause(live: Live) -> None:
    """The roadside line's own fallback: nobody registered, so its message, then cause 41 (503)."""
    log = Log(live)
    work = live.work / "message"
    caller = start_caller(live, ROADSIDE_DID, work, scenario=hung_up_caller(work))
    returncode = wait(caller)
    text = log.text()
    assert re.search(_TRANSFER.format(target=f"{ROADSIDE_DID}@cc_fallback"), text), text[-6000:]
    played = re.escape(str(synthesized(live, "Sorry, our rescue")))
    assert re.search(_EXECUTE.format(application="playback", data=played), text), text[-6000:]
    assert "speak(" not in text
    assert re.search(r"Hangup sofia/callers/\S+ \[CS_EXECUTE\] \[NORMAL_TEMPORARY_FAILURE\]", text), text
    assert returncode == 0, messages(work)[-3000:]
    assert re.search(r"Reason: Q\.850;cause=41", messages(work)), messages(work)[-3000:]


def test_application_server_killed_mid_menu_the_caller_reaches_the_fallback(live: Live) -> None:
    """`callcenter serve` answers and plays the menu; SIGKILL it: the operator's phone rings."""
    log = Log(live)
    phone = agent_phone(live, OPERATOR, live.work / "killed" / "agent")
    phone.start()
    try:
        phone.wait_registered(timeout=20)
        with harness.app_server(live) as server:
            work = live.work / "killed" / "caller"
            # Parked, the caller reaches the fallback when the lease runs out (PARK_LEASE_SECONDS after
            # the park); they stay on the line long enough for that.
            hold_ms = 15000 if live.settings.call_control == "socket" else 15000 + 1000 * PARK_LEASE_SECONDS
            caller = start_caller(live, OPEN_DID, work, scenario=hanging_up_caller(work), hold_ms=hold_ms)
            # The application server has the call: it answered and plays the greeting or the options.
            log.wait_for(_CONTROLLED[live.settings.call_control], timeout=20)
            log.wait_for(_EXECUTE.format(application=r"(speak|playback|play_and_get_digits)", data=".*"), 20)
            before_kill = log.text()
            server.kill()
            server.wait(timeout=10)
            returncode = wait(caller)
        agent = phone.finish(timeout=30 if returncode == 0 else 5)
    finally:
        phone.stop()
    text = log.text()
    after_kill = text[len(before_kill) :]
    assert not re.search(_TRANSFER.format(target=".*@cc_fallback"), before_kill), before_kill[-6000:]
    assert re.search(_TRANSFER.format(target="main@cc_fallback"), after_kill), after_kill[-6000:]
    assert agent_took_the_call(agent), f"{agent}\n{after_kill[-6000:]}"
    assert re.search(r"Originate Resulted in Success: \[sofia/agents/", after_kill), after_kill[-6000:]
    assert returncode == 0, messages(work)[-3000:]


# How the log shows the call handed to the application server, by call control.
_CONTROLLED = {
    "socket": r"socket\(127\.0\.0\.1:\d+ async full\)",
    "park": _EXECUTE.format(application="park", data=""),
}

_INVITE = harness.invite(caller="+15550000001", tag="SIPpTag01")

_SPEAK = """  <nop>
    <action>
      <exec play_pcap_audio="voice.pcap"/>
    </action>
  </nop>
  <pause/>
"""

_BYE = """  <send retrans="500">
    <![CDATA[

      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:+15550000001@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
"""
