"""The stand-in's campaign customers and seats against the real switch's campaign captures.

tests/transcripts/<release>/campaign_*_inbound.jsonl were recorded by `python -m
tests.captures.campaign_capture`: the dialer's inbound connection placing campaign calls (bgapi
originate with the call-progress listening), a seat (`&park()` with park_after_bridge), uuid_bridge of a
person to the seat, uuid_transfer to the identification or machine message, uuid_kill. Each capture's
application side is replayed against a stand-in whose customers answer as that capture's callee did
(customers.py), and what comes back must match the capture: the frames' kinds in order, reply texts,
api bodies, the events' names, Application(-Data, -Response), Hangup-Cause, the job bodies, and the
variables the dialer decides on (wait_for_silence_*, avmd_detect) on each wait_for_silence completion.
"""

from __future__ import annotations

import re
import uuid

import pytest
from gevent import socket as gsocket

from tests.captures.esl_recorder import REDACTED
from tests.support.standin import InboundSwitch, TemplateLibrary, default_library
from tests.support.standin.agents import AgentPhone
from tests.support.standin.customers import Customers, Kind, number_of
from tests.support.standin.script import Version
from tests.support.standin.transcripts import WireFrame, switch_frames
from tests.support.transcript_replay import UUID, Receiver, replay
from tests.support.transcripts import CAPTURES_DIR, VERSIONS, load
from tests.support.unchecked import unchecked

pytestmark = pytest.mark.wire

# What the capture's customer was (tests/captures/campaign_capture.py); None: no customer answers.
CUSTOMERS: dict[str, Kind] = {
    "campaign_person_inbound": "person",
    "campaign_dropped_inbound": "person",
    "campaign_machine_inbound": "machine",
    "campaign_machine_killed_inbound": "machine",
    "campaign_busy_inbound": "busy",
    "campaign_no_answer_inbound": "no_answer",
}
DECIDING_VARIABLES = (
    "variable_wait_for_silence_timeout",
    "variable_wait_for_silence_listenhits",
    "variable_avmd_detect",
)
_ORIGINATE = re.compile(r"origination_uuid=([0-9a-f-]{36}).*\}(\S+) ")


def story(frames: list[WireFrame], legs: dict[str, str]) -> list[tuple[str, ...]]:
    """Each frame as (kind, and what the dialer reads of it), uuids named by the leg they are."""

    def named(text: str) -> str:
        return UUID.sub(lambda found: legs.get(found.group(0), "<uuid>"), text)

    told: list[tuple[str, ...]] = []
    for frame in frames:
        name = frame.event_name
        if name is None or frame.content_type == "command/reply":
            told.append((frame.content_type, named(frame.reply_text or frame.body.decode())))
            continue
        if name == "BACKGROUND_JOB":
            told.append((name, named((frame.event_body or b"").decode())))
            continue
        fields = [name, named(frame.event_value("Unique-ID") or "")]
        for header in ("Application", "Application-Data", "Application-Response", "Hangup-Cause"):
            value = frame.event_value(header)
            if value is not None and not (header == "Hangup-Cause" and "HANGUP" not in name):
                fields.append(f"{header}={named(value)}")
        if frame.event_value("Application") == "wait_for_silence" and "COMPLETE" in name:
            # The machine message's wait (listen hits 0) counted 112 loud frames on 1.10.12 and 113 on
            # 1.11.2: the count matters only to the decision's wait.
            deciding = (frame.event_value("Application-Data") or "").split()[2:3] != ["0"]
            wanted = DECIDING_VARIABLES if deciding else DECIDING_VARIABLES[::2]
            fields += [f"{v}={frame.event_value(v)}" for v in wanted]
        told.append(tuple(fields))
    return told


def _header_names(frame: WireFrame) -> list[str]:
    """The frame's header names in order, the channel variables left out (a call's differ run to run)."""
    names = [name for name, _ in frame.outer]
    return names + [name for name, _ in frame.event_headers if not name.startswith("variable_")]


Paired = list[tuple[tuple[str, ...], WireFrame]]


def _replayed(version: Version, name: str) -> tuple[Paired, Paired]:
    """(the stand-in's frames, the capture's), each with its story, in the same order."""
    entries = load(version, name, CAPTURES_DIR)
    captured = switch_frames(entries)
    legs: dict[str, str] = {}
    customers = Customers({"person": 1.0}, listen_seconds=0.02, talk_seconds=0.1, message_seconds=0.02)
    library = TemplateLibrary.from_transcripts(version, [name], root=CAPTURES_DIR, per_channel=True)
    library.roles = {**default_library(version).roles, **library.roles}  # events it did not subscribe to
    switch = InboundSwitch(password=REDACTED, version=version, library=library)
    fresh: dict[str, str] = {}  # the captured legs' uuids -> this run's (templates hold the captured ones)
    for entry in entries:
        found = _ORIGINATE.search(entry.raw) if entry.raw.startswith("bgapi originate") else None
        if found is None:
            continue
        captured_leg, endpoint = found.groups()
        leg = fresh[captured_leg] = str(uuid.uuid4())
        if endpoint.startswith("user/"):
            legs[leg] = "<seat>"
            switch.agents.phone(endpoint, AgentPhone("answer"))
        else:
            legs[leg] = "<customer>"
            customers.drawn[number_of(endpoint)] = CUSTOMERS[name]
    switch.agents.customers = customers
    switch.start()
    sock = gsocket.create_connection(switch.address)
    receiver = Receiver(sock)
    try:
        replay(entries, receiver, lambda raw: UUID.sub(lambda found: fresh.get(found[0], found[0]), raw))
        assert receiver.closed(), "the switch closes the connection after exit"
    finally:
        sock.close()
        switch.stop()
    ours = list(zip(story(receiver.frames, legs), receiver.frames, strict=True))
    theirs = list(zip(story(captured, {old: legs[new] for old, new in fresh.items()}), captured, strict=True))
    if name == "campaign_no_answer_inbound":
        # The job and the leg's CHANNEL_HANGUP_COMPLETE race in FreeSWITCH (agent_no_answer too).
        return sorted(ours, key=lambda pair: pair[0]), sorted(theirs, key=lambda pair: pair[0])
    return ours, theirs


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", sorted(CUSTOMERS))
def test_a_campaign_capture_tells_the_same_story_on_the_standin(version: Version, name: str) -> None:
    """Frame kinds, replies, api and job bodies, each event's leg, application, response, cause, and the
    variables the dialer decides on."""
    ours, theirs = _replayed(version, name)
    assert [told for told, _ in ours] == [told for told, _ in theirs]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", sorted(CUSTOMERS))
def test_a_campaign_capture_has_the_same_headers_on_the_standin(version: Version, name: str) -> None:
    """Every frame's header names in order, channel variables aside."""
    ours, theirs = _replayed(version, name)
    for (told, mine), (_, real) in zip(ours, theirs, strict=True):
        assert _header_names(mine) == _header_names(real), told


def test_customers_are_drawn_once_per_number_whatever_the_order() -> None:
    rates: dict[Kind, float] = {"person": 0.4, "machine": 0.3, "busy": 0.15, "no_answer": 0.15}
    numbers = [f"+1312210{n:04d}" for n in range(4000)]
    forwards, backwards = Customers(rates, seed=3), Customers(rates, seed=3)
    drawn = [forwards.kind_of(number) for number in numbers]
    assert [backwards.kind_of(number) for number in reversed(numbers)] == drawn[::-1]
    assert [forwards.kind_of(number) for number in numbers] == drawn, "a number answers alike every time"
    assert drawn != [Customers(rates, seed=4).kind_of(number) for number in numbers]
    for kind, rate in rates.items():
        assert abs(drawn.count(kind) / len(numbers) - rate) < 0.03, kind


@pytest.mark.parametrize("rates", [{}, {"person": -1.0}, {"fax": 1.0}])
def test_customers_refuse_rates_they_cannot_draw(rates: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="rates must weigh"):
        Customers(unchecked(rates))
