"""Capture campaign calls from a real FreeSWITCH: `python -m tests.captures.campaign_capture`.

    python -m tests.captures.campaign_capture --build /work/shared/freeswitch/1.11.2/bin/freeswitch \\
        --out tests/transcripts/1.11.2 [--only NAME ...] [--work DIR]

The dialer's side of a campaign call, played by hand over one inbound ESL connection and recorded
byte-exact (esl_recorder.Recorder) into <out>/campaign_<scenario>_inbound.jsonl. The commands are the
ones esl_handlers.switch.EslSwitch sends for esl_handlers.campaign_calls.CampaignCalls: `bgapi
originate {origination_uuid=..,origination_caller_id_number=..,origination_caller_id_name=..,
originate_timeout=..,ignore_early_media=true,cc_campaign=..,cc_lead=..}<endpoint> '<listening>' inline`
(call_progress.listening_steps then park), `api uuid_bridge <customer> <seat>`, `api uuid_transfer
<customer> '<message steps>' inline`, `api uuid_kill <seat>`. The customers are one SIPp
(tests.support.live.callees) answering with a synthesized person ("Hello?"), a machine (a greeting
and a beep), 486 Busy Here, or ringing without answering; a seat is the example's first agent's SIPp
phone, originated with the seat's variables (seat_legs.seat_variables) and `&park()`.

Needs root (SIPp sends the callees' audio from pcaps) and a speech synthesizer (flite). Never run by
pytest: tests/wire/test_standin_campaigns.py reads what it wrote.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import socket
import struct
import sys
import tempfile
import time
import traceback
import uuid
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from esl_handlers import app_args
from esl_handlers.after_answer import PARK, AfterAnswer
from esl_handlers.call_progress import (
    listening_steps,
    machine_message_steps,
    message_steps,
    originate_timeout,
)
from esl_handlers.seat_legs import seat_variables
from ivr_scripts.campaigns.call_progress import DetectionSettings
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.audio_pcap import Beep, Silence
from sipp_scenarios.callee import CalleeKind
from tests.captures.esl_recorder import Frame, Recorder
from tests.support.live import harness
from tests.support.live.acd import agent_phone
from tests.support.live.callees import CalleeSet, Said, Voice, callee_sipp
from tests.support.live.harness import Build, Live

PERSON, PERSON_SHORT, MACHINE, BUSY, NO_ANSWER = 1, 2, 11, 31, 32
GREETING: Final = (
    "Hi, you have reached Sam and Alex. We cannot take your call right now. Please leave a message."
)
VOICES: Final = {
    PERSON: Voice("person", (Silence(300), Said("Hello?"), Silence(30000)), hangs_up_after_ms=6000),
    PERSON_SHORT: Voice("person_dropped", (Silence(300), Said("Hello?"), Silence(30000))),
    MACHINE: Voice("machine", (Silence(300), Said(GREETING), Silence(300), Beep(), Silence(30000))),
}
OTHERS: Final[dict[int, CalleeKind]] = {BUSY: "busy", NO_ANSWER: "no_answer"}
EVENTS: Final = (
    "BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_PARK CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_BRIDGE "
    "CHANNEL_UNBRIDGE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CUSTOM avmd::beep"
)
CAMPAIGN: Final = "spring"
CALLER_ID: Final = ("+15550100000", "Acme")
RING_SECONDS: Final = 4  # the unanswered callee: originate_timeout 5


@dataclass
class Rig:
    live: Live
    carrier: CalleeSet
    work: Path
    out: Path
    message: Path

    @contextlib.contextmanager
    def inbound(self, name: str) -> Iterator[Recorder]:
        endpoints = self.live.endpoints
        sock = socket.create_connection((endpoints.esl_host, endpoints.esl_port), timeout=10)
        sock.settimeout(None)
        recorder = Recorder(sock, f"campaign_{name} inbound")
        try:
            recorder.auth(endpoints.esl_password)
            recorder.command(f"event plain {EVENTS}")
            yield recorder
            recorder.drain(1.0)
            recorder.command("exit")
            recorder.until_closed(10)
        finally:
            recorder.close()
            recorder.write(self.out / f"campaign_{name}_inbound.jsonl")


def originate_line(leg: str, endpoint: str, seconds: int, extra: dict[str, str], then: AfterAnswer) -> str:
    """The originate EslSwitch.originate builds (its `_global_settings`, then the dial string)."""
    settings = [
        f"origination_uuid={leg}",
        f"origination_caller_id_number={CALLER_ID[0]}",
        f"origination_caller_id_name={CALLER_ID[1]}",
        f"originate_timeout={seconds}",
        "ignore_early_media=true",
        *(f"{name}={app_args.originate_value(value, name)}" for name, value in extra.items()),
    ]
    return "originate {" + ",".join(settings) + "}" + app_args.endpoint(endpoint) + " " + then.text


def dial_customer(rig: Rig, inbound: Recorder, code: int, lead: int, ring: int = 15) -> tuple[str, Frame]:
    leg = str(uuid.uuid4())
    extra = {"cc_campaign": CAMPAIGN, "cc_lead": str(lead)}
    then = listening_steps(DetectionSettings(), [("park", "")])
    line = originate_line(leg, rig.carrier.endpoint(code), originate_timeout(ring), extra, then)
    _, job = inbound.bgapi(line)
    return leg, job


def of_leg(leg: str, event: str, app: str | None = None) -> Callable[[Frame], bool]:
    def matches(frame: Frame) -> bool:
        if frame.event_name != event or frame.event.get("Unique-ID") != leg:
            return False
        return app is None or frame.event.get("Application") == app

    return matches


def decided(inbound: Recorder, leg: str) -> Frame:
    return inbound.wait(of_leg(leg, "CHANNEL_EXECUTE_COMPLETE", "wait_for_silence"), "the decision", 15)


def person(rig: Rig) -> None:
    """A seat waits (parked); a person answers, is bridged to it, hangs up; the seat is parked again."""
    agent_id = sorted(rig.live.loaded.model.agents)[0]
    extension = rig.live.loaded.model.agents[agent_id].extension or agent_id
    with (
        agent_phone(rig.live, agent_id, AgentOptions(timeout_s=120), "seat-agent"),
        rig.inbound("person") as inbound,
    ):
        seat = str(uuid.uuid4())
        endpoint = f"user/{extension}@{rig.live.settings.domain}"
        inbound.bgapi(originate_line(seat, endpoint, 10, seat_variables(agent_id), PARK))
        inbound.wait(of_leg(seat, "CHANNEL_PARK"), "the seat's park", 10)
        customer, _ = dial_customer(rig, inbound, PERSON, 101)
        decided(inbound, customer)
        inbound.wait(of_leg(customer, "CHANNEL_PARK"), "the customer's park", 5)
        inbound.api(f"uuid_bridge {customer} {seat}")
        inbound.wait(of_leg(customer, "CHANNEL_HANGUP_COMPLETE"), "the person's hangup", 20)
        inbound.wait(of_leg(seat, "CHANNEL_PARK"), "the seat parked again", 10)
        inbound.drain(0.5)
        inbound.api(f"uuid_kill {seat}")
        inbound.wait(of_leg(seat, "CHANNEL_HANGUP_COMPLETE"), "the seat's end", 10)


def dropped(rig: Rig) -> None:
    """A person no seat takes: the identification message, then the switch hangs up."""
    with rig.inbound("dropped") as inbound:
        customer, _ = dial_customer(rig, inbound, PERSON_SHORT, 102)
        decided(inbound, customer)
        inbound.wait(of_leg(customer, "CHANNEL_PARK"), "the customer's park", 5)
        inbound.api(f"uuid_transfer {customer} {message_steps(str(rig.message)).text}")
        inbound.wait(of_leg(customer, "CHANNEL_HANGUP_COMPLETE"), "the end", 30)


def machine(rig: Rig) -> None:
    """A machine: the machine message after its beep (wait_for_silence again), then the switch hangs up."""
    with rig.inbound("machine") as inbound:
        customer, _ = dial_customer(rig, inbound, MACHINE, 103)
        decided(inbound, customer)
        inbound.wait(of_leg(customer, "CHANNEL_PARK"), "the customer's park", 5)
        steps = machine_message_steps(str(rig.message), DetectionSettings())
        inbound.api(f"uuid_transfer {customer} {steps.text}")
        inbound.wait(of_leg(customer, "CHANNEL_HANGUP_COMPLETE"), "the end", 60)


def machine_killed(rig: Rig) -> None:
    """A machine hung up on (a campaign whose machine action is hangup): uuid_kill while parked."""
    with rig.inbound("machine_killed") as inbound:
        customer, _ = dial_customer(rig, inbound, MACHINE, 104)
        decided(inbound, customer)
        inbound.wait(of_leg(customer, "CHANNEL_PARK"), "the customer's park", 5)
        inbound.api(f"uuid_kill {customer} NORMAL_CLEARING")
        inbound.wait(of_leg(customer, "CHANNEL_HANGUP_COMPLETE"), "the end", 10)


def busy(rig: Rig) -> None:
    with rig.inbound("busy") as inbound:
        dial_customer(rig, inbound, BUSY, 105)


def no_answer(rig: Rig) -> None:
    with rig.inbound("no_answer") as inbound:
        dial_customer(rig, inbound, NO_ANSWER, 106, ring=RING_SECONDS)


SCENARIOS: Final[dict[str, Callable[[Rig], None]]] = {
    "person": person,
    "dropped": dropped,
    "machine": machine,
    "machine_killed": machine_killed,
    "busy": busy,
    "no_answer": no_answer,
}


def message_wav(folder: Path) -> Path:
    """A 2 s tone standing in for the campaign's message (its content does not matter to the frames)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "message.wav"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        samples = (int(6000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(8000 * 2))
        audio.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.captures.campaign_capture", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--build", type=Path, required=True, help="the freeswitch binary")
    parser.add_argument("--out", type=Path, required=True, help="the folder the .jsonl files go to")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="these scenarios only")
    parser.add_argument("--work", type=Path, help="keep the switch's conf and logs here")
    args = parser.parse_args(argv)
    build = Build(args.build.resolve().parents[1].name, args.build)
    work = args.work or Path(tempfile.mkdtemp(prefix="campaign-captures-"))
    failed: list[str] = []
    with (
        harness.live_switch(work, build) as live,
        callee_sipp(live, work / "callees", VOICES, OTHERS) as carrier,
    ):
        rig = Rig(live, carrier, work, args.out, message_wav(work / "message"))
        for name in args.only or list(SCENARIOS):
            started = time.monotonic()
            try:
                SCENARIOS[name](rig)
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
