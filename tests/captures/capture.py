"""Recapture the ESL transcripts from a real FreeSWITCH: `python -m tests.captures.capture`.

    python -m tests.captures.capture --build /work/shared/freeswitch/1.10.12/bin/freeswitch \\
        --out tests/transcripts/1.10.12 [--only NAME ...] [--work DIR]

Starts the build on the example dialplan's rendered conf (tests.support.live.harness.live_switch), places
real SIPp calls to the main line (DID 4001, whose dialplan runs `socket` to SwitchEndpoints.app_port),
and plays the application's side itself: a scripted outbound-ESL server where the `socket` app
connects, and, where a scenario needs one, an inbound ESL client (originate, uuid_bridge, bgapi,
eavesdrop). Every frame of every socket is recorded byte-exact (esl_recorder.Recorder) into
<out>/<scenario>_outbound.jsonl and <out>/<scenario>_inbound.jsonl. Agent phones are SIPp
(sipp_scenarios.agent_phone) answering, answering 486 Busy, or ringing without answering.

Needs root (SIPp replays RFC 2833 DTMF from a pcap over a raw socket). Never run by pytest: the
stand-in tests read what it wrote (tests/wire/test_standin_captures.py).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from dialplans.loader import LoadedDialplan
from esl_handlers.app_args import setvar_list
from esl_handlers.channel_commands import application_id
from esl_handlers.outbound_server import SOCKET_EVENTS
from freeswitch_conf.directory import directory_users
from freeswitch_conf.fallback import fallback_extension
from freeswitch_conf.prompt_audio import PromptAudioReport
from freeswitch_conf.render import SwitchSettings
from sipp_scenarios.agent_phone import ANSWER_SCENARIO, AgentLogin, AgentOptions, AgentPhone, Registrar
from sipp_scenarios.dtmf_pcap import DtmfTiming, write_dtmf_pcap
from sipp_scenarios.generate import DEFAULT_CALLER
from sipp_scenarios.ports import free_media_port, free_udp_port
from tests.bench.live_bench import add_public_extension
from tests.captures.esl_recorder import CaptureError, Frame, Recorder
from tests.support.live import harness
from tests.support.live.harness import Build, Live

DESCRIPTION: Final = "Recapture the ESL transcripts from a real FreeSWITCH."
DID: Final = "4001"
AGENT: Final = "1003"  # the agent phone rung by the originate scenarios
SUPERVISOR: Final = "1004"  # the supervisor's phone in the eavesdrop scenarios
LONG_TONE: Final = "tone_stream://%(1000,0,440);loops=-1"  # endless: until uuid_break
INBOUND_EVENTS: Final = (
    "BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE "
    "CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE"
)

# Values uuid_setvar_multi must carry unchanged (socket_events): its separator, quotes, a backslash
# before a letter FreeSWITCH would unescape, inner spaces.
SETVAR_PROBE: Final = {"cc_probe": 'O\'Neil; "Bob" C:\\new x', "cc_plain": "vip"}

BUSY_SCENARIO: Final = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="capture agent: busy">
  <Global variables="call_done,hangup_after_ms"/>
  <recv request="INVITE">
    <action><todouble assign_to="hangup_after_ms" variable="hangup_after_ms"/></action>
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpBusy[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <nop><action><assign assign_to="call_done" value="1"/></action></nop>
</scenario>
"""

NO_ANSWER_SCENARIO: Final = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="capture agent: rings, never answers">
  <Global variables="call_done,hangup_after_ms"/>
  <recv request="INVITE">
    <action><todouble assign_to="hangup_after_ms" variable="hangup_after_ms"/></action>
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpRing[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="CANCEL"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpRing[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send>
    <![CDATA[

      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpRing[call_number]
      [last_Call-ID:]
      CSeq: [cseq] INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <nop><action><assign assign_to="call_done" value="1"/></action></nop>
</scenario>
"""


@dataclass(frozen=True)
class Keys:
    """What the caller presses: `keys`, the first `delay_ms` after the call is answered."""

    keys: tuple[str, ...] = ()
    delay_ms: int = 1500
    timing: DtmfTiming = field(default_factory=DtmfTiming)


class Caller:
    """One SIPp caller to the main line, or to `did` (caller.xml, the DTMF step dropped when it presses
    nothing)."""

    def __init__(self, live: Live, work: Path, keys: Keys, did: str = DID) -> None:
        self.live = live
        self.work = work
        self.keys = keys
        self.did = did
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        text = resources.files("sipp_scenarios").joinpath("caller.xml").read_text(encoding="utf-8")
        text = text.replace('<pause milliseconds="1500"/>', f'<pause milliseconds="{self.keys.delay_ms}"/>')
        if self.keys.keys:
            write_dtmf_pcap(self.work / "dtmf.pcap", self.keys.keys, self.keys.timing)
        else:
            text = text.replace('<exec play_pcap_audio="dtmf.pcap"/>', "")
        (self.work / "caller.xml").write_text(text, encoding="utf-8")
        (self.work / "calls.csv").write_text(
            f"SEQUENTIAL\n{self.did};{DEFAULT_CALLER};{''.join(self.keys.keys)}\n"
        )
        endpoints = self.live.endpoints
        host = endpoints.sip_host
        command = [
            str(self.live.sipp),
            f"{host}:{endpoints.sip_port}",
            "-sf",
            str(self.work / "caller.xml"),
            "-inf",
            str(self.work / "calls.csv"),
            "-i",
            host,
            "-mi",
            host,
            "-p",
            str(free_udp_port(host)),
            "-mp",
            str(free_media_port(host)),
            "-rtp_echo",
            "-nostdin",
            "-m",
            "1",
            "-timeout",
            "120s",
            "-trace_err",
            "-error_file",
            str(self.work / "errors.log"),
        ]
        with (self.work / "sipp.stderr").open("wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=self.work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
            )

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Rig:
    """What a scenario works with: the running switch, its directory, and where to put files."""

    live: Live
    work: Path
    out: Path
    name: str

    def login(self, extension: str) -> AgentLogin:
        users = directory_users(self.live.loaded.model, self.live.settings.agent_passwords)
        user = next(u for u in users if u.extension == extension)
        return AgentLogin(user.extension, self.live.settings.domain, user.password)

    @property
    def domain(self) -> str:
        return self.live.settings.domain

    @contextlib.contextmanager
    def inbound(self) -> Iterator[Recorder]:
        endpoints = self.live.endpoints
        sock = socket.create_connection((endpoints.esl_host, endpoints.esl_port), timeout=10)
        sock.settimeout(None)
        recorder = Recorder(sock, f"{self.name} inbound")
        try:
            recorder.auth(endpoints.esl_password)
            yield recorder
            recorder.command("exit")
            recorder.until_closed(10)
        finally:
            recorder.close()
            recorder.write(self.out / f"{self.name}_inbound.jsonl")

    @contextlib.contextmanager
    def call(
        self, keys: Keys = Keys(), subscribe: Callable[[str], Sequence[str]] = lambda _uuid: ("myevents",)
    ) -> Iterator[Recorder]:
        """A SIPp call to the main line; yields its outbound socket after connect, the commands
        `subscribe` gives for the call's uuid (`myevents` unless told), and linger."""
        endpoints = self.live.endpoints
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((endpoints.app_host, endpoints.app_port))
        listener.listen(1)
        listener.settimeout(30)
        caller = Caller(self.live, self.work / f"{self.name}-caller", keys)
        recorder: Recorder | None = None
        try:
            caller.start()
            sock, _ = listener.accept()
            sock.settimeout(None)
            recorder = Recorder(sock, f"{self.name} outbound")
            recorder.send("connect\n\n")
            connected = recorder.wait(lambda f: f.content_type == "command/reply", "the connect reply")
            recorder.call_uuid = connected.outer["Unique-ID"]
            for line in subscribe(recorder.call_uuid):
                recorder.command(line)
            recorder.command("linger")
            yield recorder
            # With linger the switch keeps the socket open after the call: the application closes it
            # once it has the hang-up complete and the notice (their order differs between releases).
            recorder.wait(lambda f: f.event_name == "CHANNEL_HANGUP_COMPLETE", "CHANNEL_HANGUP_COMPLETE")
            recorder.wait(lambda f: f.content_type == "text/disconnect-notice", "the disconnect notice")
            recorder.drain(0.5)
        finally:
            listener.close()
            if recorder is not None:
                recorder.close()
                recorder.write(self.out / f"{self.name}_outbound.jsonl")
            caller.stop()

    @contextlib.contextmanager
    def parked_caller(self, did: str, label: str) -> Iterator[Caller]:
        """A SIPp call to one of the parked DIDs (parked_extensions): no socket, the dialplan parks it;
        the caller stays until the switch hangs up (caller.xml waits for the BYE)."""
        caller = Caller(self.live, self.work / f"{self.name}-{label}", Keys(), did)
        try:
            caller.start()
            yield caller
        finally:
            caller.stop()

    @contextlib.contextmanager
    def phone(
        self, extension: str, scenario: str | None = None, hangup_after_ms: int = 0
    ) -> Iterator[AgentPhone]:
        """A registered SIPp phone; `scenario` replaces its answering scenario (busy, no answer)."""
        phone = AgentPhone(
            self.live.sipp,
            self.login(extension),
            Registrar.from_conf(self.live.conf_dir),
            self.work / f"{self.name}-phone-{extension}",
            AgentOptions(hangup_after_ms=hangup_after_ms, timeout_s=90),
        )
        if scenario is not None:
            (phone.work_dir / ANSWER_SCENARIO).write_text(scenario, encoding="utf-8")
        phone.start()
        try:
            phone.wait_registered(timeout=20)
            yield phone
        finally:
            phone.stop()


def caller_uuid(out: Recorder) -> str:
    return out.call_uuid


def body_text(frame: Frame) -> str:
    """A BACKGROUND_JOB's own body (after its headers)."""
    return frame.body.split(b"\n\n", 1)[1].decode() if b"\n\n" in frame.body else ""


# -- scenarios ---------------------------------------------------------------------------------


def _agent_leg(rig: Rig, scenario: str | None, extension: str = AGENT, *, talk_ms: int = 3000) -> None:
    """The ACD's offer: the caller waits on music; bgapi originate the agent; uuid_bridge on answer."""
    with rig.inbound() as inbound, contextlib.ExitStack() as stack:
        inbound.command(f"event plain {INBOUND_EVENTS}")
        if scenario != "unregistered":
            stack.enter_context(
                rig.phone(extension, None if scenario == "answer" else scenario, hangup_after_ms=talk_ms)
            )
        with rig.call() as out:
            uuid = caller_uuid(out)
            out.execute("answer")
            out.execute("set", "park_after_bridge=true")
            music = out.execute("playback", "local_stream://moh", wait=False)
            out.started(music, "playback")  # a uuid_break sent before the playback starts is lost
            dial = (
                "{origination_caller_id_number=4001,origination_caller_id_name=Caller,"
                f"originate_timeout=6,ignore_early_media=true}}user/{extension}@{rig.domain}"
            )
            _, job = inbound.bgapi(f"originate {dial} &park()")
            result = body_text(job)
            if result.startswith("+OK"):
                leg = result[3:].strip()
                inbound.api(f"uuid_bridge {uuid} {leg}")
                out.wait(lambda f: f.event_name == "CHANNEL_BRIDGE", "CHANNEL_BRIDGE")
                out.wait(lambda f: f.event_name == "CHANNEL_UNBRIDGE", "CHANNEL_UNBRIDGE", 30)
                out.drain(1.0)
            else:
                inbound.api(f"uuid_bridge {uuid} 00000000-0000-0000-0000-000000000000")
                inbound.api(f"uuid_break {uuid}")
            out.completion(music, "playback")
            out.hangup()
        inbound.drain(1.0)


def agent_answered(rig: Rig) -> None:
    _agent_leg(rig, "answer")


def agent_busy(rig: Rig) -> None:
    _agent_leg(rig, BUSY_SCENARIO)


def agent_no_answer(rig: Rig) -> None:
    _agent_leg(rig, NO_ANSWER_SCENARIO)


def agent_unregistered(rig: Rig) -> None:
    _agent_leg(rig, "unregistered", extension="1005")


def park_hold(rig: Rig) -> None:
    """Music on hold from local_stream, an endless tone_stream, and `park`, each ended by uuid_break."""
    with rig.call() as out:
        uuid = caller_uuid(out)
        out.execute("answer")
        for media in ("local_stream://moh", LONG_TONE):
            played = out.execute("playback", media, wait=False)
            out.drain(2.0)
            out.api(f"uuid_break {uuid}")
            out.completion(played, "playback")
        parked = out.execute("park", wait=False)
        out.drain(1.0)
        out.api(f"uuid_break {uuid}")
        out.drain(1.0)
        out.api(f"uuid_break {uuid} all")
        out.drain(1.0)
        out.hangup()
        out.completion(parked, "park")


def playback_missing(rig: Rig) -> None:
    """playback of a local_stream that does not exist, and of a file that does not exist."""
    with rig.call() as out:
        out.execute("answer")
        out.execute("playback", "local_stream://no_such_stream")
        out.execute("playback", "/no/such/file.wav")
        out.hangup()


def record_session(rig: Rig) -> None:
    """record_session / stop_record_session with RECORD_START and RECORD_STOP; one left to the hangup."""
    directory = rig.work / "recordings"
    directory.mkdir(parents=True, exist_ok=True)
    with rig.call() as out:
        out.command("event plain RECORD_START RECORD_STOP")
        out.execute("answer")
        first = directory / "record_session_1.wav"
        out.execute("record_session", str(first))
        out.execute("playback", "tone_stream://%(1000,0,440);loops=1")
        out.execute("stop_record_session", str(first))
        out.wait(lambda f: f.event_name == "RECORD_STOP", "RECORD_STOP")
        out.execute("record_session", str(directory / "record_session_2.wav"))
        out.execute("playback", "tone_stream://%(500,0,350);loops=1")
        out.hangup()


def uuid_record(rig: Rig) -> None:
    """uuid_record start, mask, unmask, stop by api over the call's own socket."""
    directory = rig.work / "recordings"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "uuid_record.wav"
    with rig.call() as out:
        uuid = caller_uuid(out)
        out.command("event plain RECORD_START RECORD_STOP")
        out.execute("answer")
        out.api(f"uuid_record {uuid} start {path}")
        out.execute("playback", "tone_stream://%(500,0,440);loops=1")
        out.api(f"uuid_record {uuid} mask {path}")
        out.execute("playback", "tone_stream://%(500,0,440);loops=1")
        out.api(f"uuid_record {uuid} unmask {path}")
        out.api(f"uuid_record {uuid} mask /no/such/recording.wav")
        out.execute("playback", "tone_stream://%(500,0,440);loops=1")
        out.api(f"uuid_record {uuid} stop {path}")
        out.wait(lambda f: f.event_name == "RECORD_STOP", "RECORD_STOP")
        out.api(f"uuid_record {uuid} stop {path}")
        out.hangup()


def _eavesdrop(rig: Rig, whisper_aleg: bool, whisper_bleg: bool) -> None:
    with rig.inbound() as inbound, rig.phone(SUPERVISOR, hangup_after_ms=3000):
        inbound.command(f"event plain {INBOUND_EVENTS}")
        with rig.call() as out:
            uuid = caller_uuid(out)
            out.execute("answer")
            tone = out.execute("playback", LONG_TONE, wait=False)
            out.started(tone, "playback")
            variables = (
                "eavesdrop_enable_dtmf=false,"
                f"eavesdrop_whisper_aleg={str(whisper_aleg).lower()},"
                f"eavesdrop_whisper_bleg={str(whisper_bleg).lower()}"
            )
            dial = (
                "{origination_caller_id_number=4001,origination_caller_id_name=Supervisor,"
                f"originate_timeout=15,ignore_early_media=true,{variables}}}user/{SUPERVISOR}@{rig.domain}"
            )
            _, job = inbound.bgapi(f"originate {dial} &eavesdrop({uuid})")
            if body_text(job).startswith("+OK"):
                inbound.wait(
                    lambda f: f.event_name == "CHANNEL_HANGUP_COMPLETE" and f.event.get("Unique-ID") != uuid,
                    "the supervisor's CHANNEL_HANGUP_COMPLETE",
                    30,
                )
            out.api(f"uuid_break {uuid}")
            out.completion(tone, "playback")
            out.hangup()
        inbound.drain(1.0)


def eavesdrop_listen(rig: Rig) -> None:
    _eavesdrop(rig, False, False)


def eavesdrop_whisper(rig: Rig) -> None:
    _eavesdrop(rig, False, True)


def eavesdrop_barge(rig: Rig) -> None:
    _eavesdrop(rig, True, True)


def speak(rig: Rig) -> None:
    """mod_flite: speak with engine|voice|text, then with tts_engine/tts_voice set and the text alone."""
    with rig.call() as out:
        out.execute("answer")
        out.execute("speak", "flite|kal|Thank you for calling.")
        out.execute("set", "tts_engine=flite")
        out.execute("set", "tts_voice=kal")
        out.execute("speak", "Goodbye.")
        out.execute("speak", "no_such_engine|kal|Nobody hears this.")
        out.hangup()


def say(rig: Rig) -> None:
    """say without sound files: a number, a currency, digits spelled, a date; and a parse error."""
    with rig.call() as out:
        out.execute("answer")
        out.execute("say", "en number pronounced 42")
        out.execute("say", "en currency pronounced 12.50")
        out.execute("say", "en name_spelled iterated 1234")
        out.execute("say", "en current_date pronounced 1700000000")
        out.execute("say", "en number pronounced 1234567890")
        out.execute("say", "xx number pronounced 7")
        out.hangup()


PAGD_PROMPT: Final = "tone_stream://%(300,0,600);loops=1"
PAGD_INVALID: Final = "tone_stream://%(300,0,300);loops=1"


def pagd_invalid_timeout(rig: Rig) -> None:
    """play_and_get_digits: a wrong key (9) then a right one (1); then a collect that times out."""
    keys = Keys(("9", "1"), delay_ms=1500, timing=DtmfTiming(key_ms=200, gap_ms=2000))
    with rig.call(keys) as out:
        out.execute("answer")
        out.execute(
            "play_and_get_digits", f"1 1 3 5000 # {PAGD_PROMPT} {PAGD_INVALID} choice ^[12]$ 3000", timeout=40
        )
        out.execute(
            "play_and_get_digits", f"1 1 1 2000 # {PAGD_PROMPT} {PAGD_INVALID} silent ^[12]$ 2000", timeout=40
        )
        out.hangup()


def _typeahead(rig: Rig, terminators: str | None, pressed: tuple[str, ...] = ("1", "2")) -> None:
    """Keys (1 and 2) pressed during a 4 s playback; then play_and_get_digits for two digits."""
    keys = Keys(pressed, delay_ms=1500, timing=DtmfTiming(key_ms=200, gap_ms=300))
    with rig.call(keys) as out:
        out.execute("answer")
        if terminators is not None:
            out.execute("set", f"playback_terminators={terminators}")
        out.execute("playback", "tone_stream://%(4000,0,440);loops=1")
        out.api(f"uuid_getvar {caller_uuid(out)} playback_terminator_used")
        out.execute(
            "play_and_get_digits", f"1 2 1 3000 # {PAGD_PROMPT} {PAGD_INVALID} typed \\d+ 3000", timeout=40
        )
        out.hangup()


def typeahead_default(rig: Rig) -> None:
    _typeahead(rig, None)


def typeahead_terminators(rig: Rig) -> None:
    _typeahead(rig, "any")


def typeahead_none(rig: Rig) -> None:
    _typeahead(rig, "none")


def typeahead_star(rig: Rig) -> None:
    """playback_terminators unset (FreeSWITCH's default is `*`): * then 2 pressed during the playback."""
    _typeahead(rig, None, ("*", "2"))


# What the application nixes after myevents: the socket keeps CHANNEL_ANSWER, CHANNEL_BRIDGE,
# CHANNEL_UNBRIDGE, CHANNEL_EXECUTE, CHANNEL_EXECUTE_COMPLETE, CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE.
NIXED_EVENTS: Final = (
    "CHANNEL_STATE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_DATA CHANNEL_PARK CHANNEL_UNPARK "
    "CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_OUTGOING CHANNEL_UUID CHANNEL_PROGRESS "
    "CHANNEL_PROGRESS_MEDIA DETECTED_SPEECH DTMF TALK NOTALK"
)
NO_SUCH_UUID: Final = "00000000-0000-0000-0000-000000000000"


def event_subset(rig: Rig) -> None:
    """myevents narrowed by nixevent; variables set by api uuid_setvar / uuid_setvar_multi (one of a
    channel that does not exist); answer, a short playback, a collect nobody answers."""
    with rig.call(subscribe=lambda _uuid: ("myevents", f"nixevent {NIXED_EVENTS}")) as out:
        uuid = caller_uuid(out)
        out.api(f"uuid_setvar {uuid} cc_probe one two")
        out.api(f"uuid_setvar_multi {uuid} cc_a=1;cc_b=2")
        out.api(f"uuid_setvar {NO_SUCH_UUID} x y")
        out.execute("answer")
        out.execute("playback", "silence_stream://200")
        out.execute(
            "play_and_get_digits", f"1 1 1 2000 # {PAGD_PROMPT} {PAGD_INVALID} silent ^[12]$ 2000", timeout=40
        )
        out.hangup()


def socket_events(rig: Rig) -> None:
    """What the application's outbound session does (esl_handlers.outbound_server): a Unique-ID filter
    and `event plain` of its five types instead of myevents; variables set by uuid_setvar_multi with
    the escaping of app_args.setvar_list, read back with uuid_getvar; short Event-UUIDs."""

    def subscribe(uuid: str) -> tuple[str, str]:
        return f"filter Unique-ID {uuid}", "event plain " + " ".join(SOCKET_EVENTS)

    with rig.call(subscribe=subscribe) as out:
        uuid = caller_uuid(out)
        out.api(f"uuid_setvar_multi {uuid} {setvar_list(SETVAR_PROBE)}")
        for name in SETVAR_PROBE:
            out.api(f"uuid_getvar {uuid} {name}")
        out.execute("answer", event_uuid=application_id())
        out.execute("playback", "silence_stream://200", event_uuid=application_id())
        out.execute(
            "play_and_get_digits",
            f"1 1 1 2000 # {PAGD_PROMPT} {PAGD_INVALID} silent ^[12]$ 2000",
            timeout=40,
            event_uuid=application_id(),
        )
        out.hangup()


def bgapi_jobs(rig: Rig) -> None:
    """bgapi with and without our own Job-UUID, on a known and an unknown command; api uuid_bridge -ERR."""
    with rig.inbound() as inbound:
        inbound.command("event plain BACKGROUND_JOB")
        inbound.bgapi("status")
        inbound.bgapi("version", job_uuid="5f3c6a1e-0d55-4f0e-9a57-3b7a1e2f9c10")
        inbound.bgapi("no_such_command")
        inbound.bgapi("originate user/1006@" + rig.domain + " &park()")
        inbound.api("uuid_bridge 00000000-0000-0000-0000-000000000000 00000000-0000-0000-0000-000000000001")


# Park mode (esl_handlers/parked_calls.py): the DID's variables, the fallback lease, `park`; one inbound
# connection finds the call by CHANNEL_PARK and drives it with `sendmsg <uuid>` and api commands.
PARKED_DID: Final = "4998"  # lease LEASE_SECONDS, as the product renders it
LEASE_DID: Final = "4997"  # the same with a lease short enough to watch it fire
LEASE_SECONDS: Final = 15
SHORT_LEASE_SECONDS: Final = 3
PARKED_SERVES: Final = DID  # the IVR the parked calls stand for: cc_did, and the fallback's extension
PARKED_EVENTS: Final = (
    "CHANNEL_PARK CHANNEL_BRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP "
    "CHANNEL_HANGUP_COMPLETE CHANNEL_UNBRIDGE"
)
PARKED_FILTER: Final = "variable_cc_control park"
PARKED_VARIABLES: Final = f"cc_did={PARKED_SERVES} playback_terminators=none cc_say_by=tts cc_control=park"


def parked_extensions(
    conf_dir: Path, loaded: LoadedDialplan, settings: SwitchSettings, prompts: PromptAudioReport
) -> None:
    """PARKED_DID and LEASE_DID in the public context: multiset, the sched_transfer lease, park."""
    fallback = fallback_extension(loaded.model, PARKED_SERVES)
    for name, did, lease in (
        ("parked", PARKED_DID, LEASE_SECONDS),
        ("parked-lease", LEASE_DID, SHORT_LEASE_SECONDS),
    ):
        add_public_extension(
            conf_dir,
            f"""
    <extension name="{name}">
      <condition field="destination_number" expression="^{did}$">
        <action application="multiset" data="{PARKED_VARIABLES}"/>
        <action application="sched_transfer" data="+{lease} {fallback} XML cc_fallback"/>
        <action application="park"/>
      </condition>
    </extension>""",
        )


def _parked_uuid(inbound: Recorder, seen: set[str]) -> str:
    """The Unique-ID of the next inbound call's CHANNEL_PARK not taken yet."""
    park = inbound.wait(
        lambda f: (
            f.event_name == "CHANNEL_PARK"
            and f.event.get("Call-Direction") == "inbound"
            and f.event.get("Unique-ID") not in seen
        ),
        "CHANNEL_PARK of a new call",
    )
    uuid = park.event["Unique-ID"]
    seen.add(uuid)
    return uuid


def _hangup_complete(inbound: Recorder, uuid: str, timeout: float = 15) -> Frame:
    return inbound.wait(
        lambda f: f.event_name == "CHANNEL_HANGUP_COMPLETE" and f.event.get("Unique-ID") == uuid,
        f"CHANNEL_HANGUP_COMPLETE of {uuid}",
        timeout,
    )


def parked_control(rig: Rig) -> None:
    """Park mode: one inbound connection subscribed to the call events and filtered on the variable
    the parked DIDs set. Call 1 (lease 15 s): the app takes it on CHANNEL_PARK, sets a variable,
    answers, plays, renews the lease (sched_del, sched_transfer), cancels it (sched_del) and hangs up.
    Call 2 (lease 3 s): the app answers, then lets the dialplan's lease fire and watches what the
    scheduler's transfer to the fallback sends, then hangs the call up (uuid_kill if that fails)."""
    fallback = fallback_extension(rig.live.loaded.model, PARKED_SERVES)
    seen: set[str] = set()
    with rig.inbound() as inbound:
        inbound.command(f"event plain {PARKED_EVENTS}")
        inbound.command(f"filter {PARKED_FILTER}")
        with rig.parked_caller(PARKED_DID, "renewed"):
            uuid = _parked_uuid(inbound, seen)
            inbound.api(f"uuid_setvar_multi {uuid} cc_probe=1")
            inbound.execute("answer", event_uuid="cc1", channel=uuid)
            inbound.execute("playback", "silence_stream://500", event_uuid="cc2", channel=uuid)
            inbound.api(f"sched_del {uuid}")
            inbound.api(f"sched_transfer +{LEASE_SECONDS} {uuid} {fallback} XML cc_fallback")
            inbound.api(f"sched_del {uuid}")
            inbound.hangup(channel=uuid)
            _hangup_complete(inbound, uuid)
            inbound.drain(1.0)
        with rig.parked_caller(LEASE_DID, "lease"):
            uuid = _parked_uuid(inbound, seen)
            inbound.execute("answer", event_uuid="cc3", channel=uuid)
            # The lease fires 2..4 s after the dialplan's sched_transfer: park ends, the fallback runs.
            inbound.wait(
                lambda f: (
                    f.event_name == "CHANNEL_EXECUTE_COMPLETE"
                    and f.event.get("Unique-ID") == uuid
                    and f.event.get("Application") == "park"
                ),
                "the park's completion when the lease fires",
                SHORT_LEASE_SECONDS + 10,
            )
            inbound.drain(3.0)
            if not inbound.seen(
                lambda f: f.event_name == "CHANNEL_HANGUP_COMPLETE" and f.event.get("Unique-ID") == uuid
            ):
                inbound.hangup(channel=uuid)
                try:
                    _hangup_complete(inbound, uuid, 5)
                except CaptureError:
                    inbound.api(f"uuid_kill {uuid}")
                    _hangup_complete(inbound, uuid)
            inbound.drain(1.0)


SCENARIOS: Final[dict[str, Callable[[Rig], None]]] = {
    "agent_answered": agent_answered,
    "agent_busy": agent_busy,
    "agent_no_answer": agent_no_answer,
    "agent_unregistered": agent_unregistered,
    "park_hold": park_hold,
    "playback_missing": playback_missing,
    "record_session": record_session,
    "uuid_record": uuid_record,
    "eavesdrop_listen": eavesdrop_listen,
    "eavesdrop_whisper": eavesdrop_whisper,
    "eavesdrop_barge": eavesdrop_barge,
    "speak": speak,
    "say": say,
    "pagd_invalid_timeout": pagd_invalid_timeout,
    "typeahead_default": typeahead_default,
    "typeahead_terminators": typeahead_terminators,
    "typeahead_none": typeahead_none,
    "typeahead_star": typeahead_star,
    "bgapi_jobs": bgapi_jobs,
    "event_subset": event_subset,
    "socket_events": socket_events,
    "parked_control": parked_control,
}


def with_music(work: Path) -> harness.Mutation:
    """The dialplan's sounds folder with one music file, so local_stream://moh has a source."""

    def mutate(data: dict[str, Any]) -> None:
        music = work / "sounds" / "music"
        music.mkdir(parents=True, exist_ok=True)
        with wave.open(str(music / "hold.wav"), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(8000)
            samples = (int(8000 * math.sin(2 * math.pi * 330 * n / 8000)) for n in range(8000 * 3))
            audio.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
        data["sounds_dir"] = str(work / "sounds")

    return mutate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.captures.capture", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--build", type=Path, required=True, help="the freeswitch binary")
    parser.add_argument("--out", type=Path, required=True, help="the folder the .jsonl files go to")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="these scenarios only")
    parser.add_argument("--work", type=Path, help="keep the switch's conf and logs here")
    args = parser.parse_args(argv)
    build = Build(args.build.resolve().parents[1].name, args.build)
    work = args.work or Path(tempfile.mkdtemp(prefix="captures-"))
    failed: list[str] = []
    with harness.live_switch(work, build, with_music(work), conf_hook=parked_extensions) as live:
        for name in args.only or list(SCENARIOS):
            started = time.monotonic()
            try:
                SCENARIOS[name](Rig(live, work / name, args.out, name))
                print(f"{name}: captured in {time.monotonic() - started:.1f}s", flush=True)
            except Exception as exc:
                failed.append(name)
                traceback.print_exc()
                print(f"{name}: FAILED: {exc}\n{live.switch.log_tail(20)}", file=sys.stderr, flush=True)
            if not live.switch.alive():
                print("FreeSWITCH died", file=sys.stderr)
                return 1
            time.sleep(1.0)
    print(f"work folder (conf, logs, SIPp traces): {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
