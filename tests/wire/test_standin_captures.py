"""The stand-in switch against the project's own FreeSWITCH captures (tests/transcripts/<version>/).

As tests/wire/test_standin_transcripts.py does for the shared transcripts: the application side of
each captured outbound socket is replayed over TCP against a stand-in built from that capture's
templates, and what comes back must match the capture frame for frame (kinds, event names, reply
texts, header-name order, Application-* values, interleavings, linger placement). The captures were
made by `python -m tests.captures.capture` (docs/testing.md). Where the stand-in does not yet do what
FreeSWITCH did, the test is a strict xfail naming the difference: it fails as soon as the stand-in is
fixed, so the mark goes with the fix.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import pytest
from gevent import socket as gsocket

from tests.captures.capture import SETVAR_PROBE
from tests.captures.esl_recorder import REDACTED
from tests.support.standin import CallScript, InboundSwitch, OutboundSwitch, ScriptedCall, TemplateLibrary
from tests.support.standin.agents import AgentPhone
from tests.support.standin.script import ParkEvent, Version
from tests.support.standin.transcripts import WireFrame, parse_frames, switch_frames
from tests.support.transcript_replay import UUID, WAIT, Receiver, assert_same_frames, replay
from tests.support.transcripts import CAPTURES_DIR, VERSIONS, Entry, load

pytestmark = pytest.mark.wire


@dataclass(frozen=True)
class Case:
    script: CallScript
    differs: str | None = None  # why the stand-in does not match the capture yet (a strict xfail)


# What the SIPp caller did in each capture (tests/captures/capture.py). The capture tool's dialplan set no
# playback_terminators before `socket` (ours sets none): `variables={}` as it was.
OUTBOUND_CASES: dict[str, Case] = {
    "speak_outbound": Case(CallScript(variables={})),
    "say_outbound": Case(CallScript(variables={})),
    "record_session_outbound": Case(CallScript(variables={})),
    "uuid_record_outbound": Case(CallScript(variables={})),
    "park_hold_outbound": Case(CallScript(variables={})),
    "playback_missing_outbound": Case(
        CallScript(variables={}, missing_files=frozenset({"/no/such/file.wav"}))
    ),
    "pagd_invalid_timeout_outbound": Case(CallScript(keys=["91", ""], variables={})),
    # Type-ahead: keys pressed during a playback (CallScript.prompt_keys) and during the next collect.
    "typeahead_default_outbound": Case(CallScript(prompt_keys=["12"], keys=[""], variables={})),
    "typeahead_none_outbound": Case(CallScript(prompt_keys=["12"], keys=[""], variables={})),
    "typeahead_star_outbound": Case(CallScript(prompt_keys=["*"], keys=["2"], variables={})),
    "typeahead_terminators_outbound": Case(CallScript(prompt_keys=["1"], keys=["2"], variables={})),
    # myevents narrowed by nixevent; api uuid_setvar / uuid_setvar_multi; a collect nobody answers.
    "event_subset_outbound": Case(CallScript(keys=[""], variables={})),
    # The application's own session: a Unique-ID filter and `event plain` of five types; variables set
    # by uuid_setvar_multi with app_args.setvar_list's escaping and read back; short Event-UUIDs.
    "socket_events_outbound": Case(CallScript(keys=[""], variables={})),
}


def _cases() -> list[object]:
    params: list[object] = []
    for name, case in sorted(OUTBOUND_CASES.items()):
        for version in VERSIONS:
            marks = (
                [pytest.mark.xfail(strict=True, raises=AssertionError, reason=case.differs)]
                if case.differs
                else []
            )
            params.append(pytest.param(name, version, marks=marks, id=f"{version}-{name}"))
    return params


def _captured_call_uuid(entries: tuple[Entry, ...]) -> str:
    connect_reply = next(e for e in entries if e.from_switch)
    match = re.search(r"^Unique-ID: (\S+)$", connect_reply.raw, re.MULTILINE)
    assert match is not None
    return match.group(1)


def _park_event(entries: tuple[Entry, ...]) -> ParkEvent:
    """Where CHANNEL_PARK fell relative to the replies to linger and the first sendmsg (a race)."""
    sent = False
    replied = False
    for entry in entries:
        if not entry.from_switch:
            sent = sent or entry.raw.startswith("sendmsg")
        elif "\nEvent-Name: CHANNEL_PARK\n" in entry.raw:
            if not sent:
                return "after_linger_reply"
            return "after_first_reply" if replied else "before_first_reply"
        elif sent and entry.raw.startswith("Content-Type: command/reply"):
            replied = True
    return "none"


@pytest.mark.parametrize(("name", "version"), _cases())
def test_outbound_capture_matches_the_standin(name: str, version: Version) -> None:
    sent, captured, call = _replay_outbound(name, version)
    assert_same_frames(sent, captured, call.uuid)


@pytest.mark.parametrize("version", VERSIONS)
def test_variables_set_by_api_reach_later_events(version: Version) -> None:
    """event_subset: api uuid_setvar / uuid_setvar_multi fire no event, and every event after them
    carries the variables as captured (the value with a space URL-encoded: `one%20two`)."""
    sent, captured, _ = _replay_outbound("event_subset_outbound", version)
    names = ("variable_cc_probe", "variable_cc_a", "variable_cc_b", "variable_x")

    def carried(frames: list[WireFrame]) -> list[tuple[str | None, list[tuple[str, str]]]]:
        return [
            (f.event_name, [(k, v) for k, v in f.event_headers if k in names])
            for f in frames
            if f.content_type == "text/event-plain"
        ]

    ours = carried(sent)
    assert ours == carried(captured)
    assert ours[0][0] == "CHANNEL_EXECUTE"
    probe = ("variable_cc_probe", "one%20two")
    assert all(found == [probe, ("variable_cc_a", "1"), ("variable_cc_b", "2")] for _, found in ours)


def _replay_outbound(name: str, version: Version) -> tuple[list[WireFrame], list[WireFrame], ScriptedCall]:
    """Replay a capture's application side against the stand-in: what it sent, what was captured."""
    case = OUTBOUND_CASES[name]
    entries = load(version, name, CAPTURES_DIR)
    captured_uuid = _captured_call_uuid(entries)
    listener = gsocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    library = TemplateLibrary.from_transcripts(version, [name], sequenced=True, root=CAPTURES_DIR)
    switch = OutboundSwitch(listener.getsockname(), library=library)
    script = dataclasses.replace(case.script, park_event=_park_event(entries))
    call = switch.place_call(script, version=version, max_linger=WAIT)
    sock, _ = listener.accept()
    receiver = Receiver(sock)
    try:
        replay(entries, receiver, lambda raw: raw.replace(captured_uuid, call.uuid))
    finally:
        sock.close()
        listener.close()
    assert call.wait(WAIT)
    assert call.error is None
    sent, rest = parse_frames(bytes(call.sent))
    assert not rest
    return sent, switch_frames(entries), call


@pytest.mark.parametrize("version", VERSIONS)
def test_bgapi_jobs_match_the_standin(version: Version) -> None:
    """bgapi with and without our Job-UUID (status, version, an unknown command, an originate to a
    user who is not registered), api uuid_bridge of unknown channels: frames and job bodies."""
    name = "bgapi_jobs_inbound"
    entries = load(version, name, CAPTURES_DIR)
    library = TemplateLibrary.from_transcripts(version, [name], sequenced=True, root=CAPTURES_DIR)
    switch = InboundSwitch(password=REDACTED, version=version, library=library)
    switch.agents.phone("user/1006@callcenter.local", AgentPhone("unregistered"))
    switch.start()
    sock = gsocket.create_connection(switch.address)
    receiver = Receiver(sock)
    try:
        replay(entries, receiver, lambda raw: raw)
        assert receiver.closed(), "the switch closes the connection after the goodbye notice"
    finally:
        sock.close()
        switch.stop()
    captured = switch_frames(entries)
    assert_same_frames(receiver.frames, captured, None)
    jobs = [
        (f.event_value("Job-Command"), f.event_body) for f in captured if f.event_name == "BACKGROUND_JOB"
    ]
    ours = [
        (f.event_value("Job-Command"), f.event_body)
        for f in receiver.frames
        if f.event_name == "BACKGROUND_JOB"
    ]
    assert [(c, b) for c, b in ours if c != "status"] == [(c, b) for c, b in jobs if c != "status"]
    ours_given = [f.outer_value("Job-UUID") for f in receiver.frames if f.outer_value("Job-UUID")]
    given = "5f3c6a1e-0d55-4f0e-9a57-3b7a1e2f9c10"  # the Job-UUID the capture's second bgapi chose
    assert ours_given.count(given) == 1


ORIGINATE_PHONES: dict[str, AgentPhone] = {
    "eavesdrop_listen_inbound": AgentPhone("answer", talk_seconds=0.2),
    "eavesdrop_whisper_inbound": AgentPhone("answer", talk_seconds=0.2),
    "eavesdrop_barge_inbound": AgentPhone("answer", talk_seconds=0.2),
    "agent_busy_inbound": AgentPhone("busy"),
    "agent_no_answer_inbound": AgentPhone("no_answer", ring_seconds=0.2),
    "agent_unregistered_inbound": AgentPhone("unregistered"),
}


def _leg_story(frames: list[WireFrame], caller: str | None) -> list[tuple[str, str | None]]:
    """The originated leg's events (name, and the hangup cause or the application) and the job's
    body, in order."""
    story: list[tuple[str, str | None]] = []
    for frame in frames:
        name = frame.event_name
        if name == "BACKGROUND_JOB":
            story.append((name, UUID.sub("<uuid>", (frame.event_body or b"").decode())))
        elif (
            name is not None
            and frame.content_type != "command/reply"
            and frame.event_value("Unique-ID") != caller
        ):
            detail = "Hangup-Cause" if "HANGUP" in name else "Application"
            story.append((name, frame.event_value(detail)))
    return story


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", sorted(ORIGINATE_PHONES))
def test_an_originated_leg_matches_the_standin(version: Version, name: str) -> None:
    """bgapi originate to a phone that is busy, never answers, or is not registered, and a
    supervisor's `&eavesdrop(<caller>)` leg that answers and hangs up: the leg's events in order
    (CHANNEL_HANGUP, the application's completion, CHANNEL_HANGUP_COMPLETE; the causes and
    applications) and the job's body."""
    entries = load(version, name, CAPTURES_DIR)
    captured = switch_frames(entries)
    caller = next(f.event_value("Unique-ID") or "" for f in captured if f.event_name == "CHANNEL_ANSWER")
    expected = _leg_story(captured, caller)
    extension = {"agent_unregistered_inbound": "1005"}.get(name, "1004" if "eavesdrop" in name else "1003")
    command = next(e.raw for e in entries if not e.from_switch and e.raw.startswith("bgapi originate"))
    subscribe = next(e.raw for e in entries if not e.from_switch and e.raw.startswith("event plain"))
    switch = InboundSwitch(password=REDACTED, version=version)
    switch.agents.phone(f"user/{extension}@callcenter.local", ORIGINATE_PHONES[name])
    switch.agents.add_channel(caller)  # the call being eavesdropped
    switch.start()
    sock = gsocket.create_connection(switch.address)
    receiver = Receiver(sock)
    try:
        receiver.until(1)
        sock.sendall(f"auth {REDACTED}\n\n".encode())
        sock.sendall(subscribe.encode())
        sock.sendall(command.encode())
        receiver.until(4 + len(expected))
    finally:
        sock.close()
        switch.stop()
    ours = _leg_story(receiver.frames, caller)
    if name == "agent_no_answer_inbound":  # the job and the leg's last event race in FreeSWITCH
        assert sorted(ours) == sorted(expected)
    else:
        assert ours == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_setvar_escaping_round_trips_through_the_real_switch(version: Version) -> None:
    """socket_events: what app_args.setvar_list escaped, uuid_getvar read back unchanged from the real
    switch (separator, quotes, a backslash before a letter), and the stand-in answers the same."""
    sent, captured, _ = _replay_outbound("socket_events_outbound", version)

    def read_back(frames: list[WireFrame]) -> list[str]:
        bodies = [f.body.decode() for f in frames if f.content_type == "api/response"]
        return bodies[1 : 1 + len(SETVAR_PROBE)]  # after the uuid_setvar_multi's "+OK"

    assert read_back(captured) == list(SETVAR_PROBE.values())
    assert read_back(sent) == read_back(captured)
