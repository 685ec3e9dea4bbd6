"""The stand-in's park mode against tests/transcripts/<version>/parked_control_inbound.jsonl.

The capture's application side (event + filter, then per parked call sendmsg <uuid> and api commands) is
replayed over TCP against an InboundSwitch built from that capture's templates; the stand-in parks the
two calls when the capture shows them arriving and fires the second call's lease when the capture shows
the park ending. What comes back must match the capture frame for frame (kinds, reply texts and api
bodies byte for byte, event names and header-name order, Application-*, Unique-ID, the filter's
variable). See tests/support/standin/parked.py for what the capture taught.
"""

from __future__ import annotations

from dataclasses import dataclass

import gevent
import pytest
from gevent import socket as gsocket

from tests.captures.esl_recorder import REDACTED
from tests.support.standin import CallScript, InboundSwitch, TemplateLibrary
from tests.support.standin.parked import PARK_VARIABLES, ParkedCall
from tests.support.standin.script import Version
from tests.support.standin.transcripts import WireFrame, parse_frames, switch_frames
from tests.support.transcript_replay import WAIT, Receiver, assert_same_frames, replay
from tests.support.transcripts import CAPTURES_DIR, VERSIONS, Entry, load

pytestmark = pytest.mark.wire

NAME = "parked_control_inbound"
SUBSCRIBED = "CHANNEL_PARK CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE"
KEY_HEADERS = (
    "Unique-ID",
    "Call-Direction",
    "variable_cc_control",
    "variable_cc_did",
    "Caller-Destination-Number",
)


@dataclass(frozen=True)
class Arrival:
    """One parked call of the capture: who, where, its lease, and its fallback's actions."""

    uuid: str
    caller: str
    destination: str
    lease: str
    fallback: tuple[tuple[str, str | None], ...]


def _events(entries: tuple[Entry, ...]) -> list[WireFrame]:
    return [f for f in switch_frames(entries) if f.content_type == "text/event-plain"]


def _arrivals(entries: tuple[Entry, ...]) -> list[Arrival]:
    events = _events(entries)
    arrivals: list[Arrival] = []
    for park in (f for f in events if f.event_name == "CHANNEL_PARK"):
        uuid = park.event_value("Unique-ID") or ""
        own = [f for f in events if f.event_value("Unique-ID") == uuid]
        lease = next(f for f in own if f.event_value("Application") == "sched_transfer")
        ended = next(
            i
            for i, f in enumerate(own)
            if f.event_name == "CHANNEL_EXECUTE_COMPLETE" and f.event_value("Application") == "park"
        )
        fallback = tuple(
            (f.event_value("Application") or "", f.event_value("Application-Data"))
            for f in own[ended + 1 :]
            if f.event_name == "CHANNEL_EXECUTE"
        )
        arrivals.append(
            Arrival(
                uuid,
                park.event_value("Caller-Caller-ID-Number") or "",
                park.event_value("Caller-Destination-Number") or "",
                lease.event_value("Application-Data") or "",
                fallback,
            )
        )
    return arrivals


def _replay(version: Version) -> tuple[list[WireFrame], list[WireFrame], InboundSwitch, list[ParkedCall]]:
    entries = load(version, NAME, CAPTURES_DIR)
    arrivals = {a.uuid: a for a in _arrivals(entries)}
    library = TemplateLibrary.from_transcripts(
        version, [NAME], sequenced=True, root=CAPTURES_DIR, per_channel=True
    )
    switch = InboundSwitch(password=REDACTED, version=version, library=library)
    switch.start()
    calls: list[ParkedCall] = []

    def on_event(frame: WireFrame) -> None:
        uuid = frame.event_value("Unique-ID") or ""
        arrival = arrivals.get(uuid)
        if arrival is not None and uuid not in switch.parked:
            # The fallback's prompt plays 1 s (the capture's application hangs up during it); a bridge to
            # agents not registered fails, after the same stand-in media time.
            script = CallScript(
                uuid=uuid,
                caller_number=arrival.caller,
                destination=arrival.destination,
                variables={},
                media_seconds=1.0 if arrival.fallback else 0.0,
                bridges=["failed"],
            )
            calls.append(switch.park_call(script, lease=arrival.lease, fallback=arrival.fallback))
        elif (
            frame.event_name == "CHANNEL_EXECUTE_COMPLETE"
            and frame.event_value("Application") == "park"
            and frame.event_value("Hangup-Cause") is None
        ):
            assert switch.parked[uuid].fire_lease()

    sock = gsocket.create_connection(switch.address)
    receiver = Receiver(sock)
    try:
        replay(entries, receiver, lambda raw: raw, on_event)
        assert receiver.closed(), "the switch closes the connection after exit's goodbye"
    finally:
        sock.close()
        switch.stop()
    return receiver.frames, switch_frames(entries), switch, calls


@pytest.mark.parametrize("version", VERSIONS)
def test_parked_control_matches_the_standin(version: Version) -> None:
    ours, captured, _, calls = _replay(version)
    assert_same_frames(ours, captured, None, app_uuids=frozenset({"cc1", "cc2", "cc3"}))
    for index, (mine, theirs) in enumerate(zip(ours, captured, strict=True)):
        for name in KEY_HEADERS:
            assert mine.event_value(name) == theirs.event_value(name), f"frame {index}: {name}"
        if theirs.content_type in ("api/response", "command/reply"):
            assert mine.raw == theirs.raw, f"frame {index}"
    assert [c.hung_up_by for c in calls] == ["application", "application"]
    assert all(c.wait(WAIT) for c in calls)


@pytest.mark.parametrize("version", VERSIONS)
def test_parked_call_records_what_the_application_did(version: Version) -> None:
    _, _, switch, calls = _replay(version)
    renewed, leased = calls
    assert renewed.executed == [("answer", None), ("playback", "silence_stream://500")]
    assert [e.event_uuid for e in renewed.executions] == ["cc1", "cc2"]
    assert renewed.api_sets == [("cc_probe", "1")]
    uuid = renewed.uuid
    assert renewed.api_commands == [
        f"uuid_setvar_multi {uuid} cc_probe=1",
        f"sched_del {uuid}",
        f"sched_transfer +15 {uuid} main XML cc_fallback",
        f"sched_del {uuid}",
    ]
    assert not renewed.lease_fired
    assert renewed.transferred_to is None
    assert leased.lease_fired
    assert leased.transferred_to == ("main", "XML", "cc_fallback")
    assert leased.executed == [("answer", None)]
    assert not switch.scheduler.tasks


@pytest.mark.parametrize("version", VERSIONS)
def test_the_filter_passes_only_calls_carrying_the_variable(version: Version) -> None:
    """`filter variable_cc_control park`: a parked call's events pass from multiset's completion on (its
    CHANNEL_EXECUTE comes before the variable exists); a call parked without the variable sends none,
    to the filtered connection, while an unfiltered one gets both."""
    switch = InboundSwitch(password="pw", version=version)
    switch.start()
    filtered = gsocket.create_connection(switch.address)
    plain = gsocket.create_connection(switch.address)
    try:
        for sock, extra in ((filtered, "filter variable_cc_control park\n\n"), (plain, "")):
            sock.sendall(f"auth pw\n\nevent plain {SUBSCRIBED}\n\n{extra}".encode())
        assert switch.wait_for_subscribers(2)
        gevent.sleep(0.05)
        other = {k: v for k, v in PARK_VARIABLES.items() if k != "cc_control"}
        stranger = switch.park_call(CallScript(variables={}), variables=other)
        ours = switch.park_call(CallScript(variables={}))
        gevent.sleep(0.05)
        seen = {}
        for name, sock in (("filtered", filtered), ("plain", plain)):
            sock.settimeout(0.2)
            data = b""
            try:
                while chunk := sock.recv(65536):
                    data += chunk
            except TimeoutError:
                pass
            frames, _ = parse_frames(data)
            seen[name] = [
                (f.event_value("Unique-ID"), f.event_name, f.event_value("Application"))
                for f in frames
                if f.content_type == "text/event-plain"
            ]
    finally:
        filtered.close()
        plain.close()
        switch.stop()
    story = [
        ("CHANNEL_EXECUTE_COMPLETE", "multiset"),
        ("CHANNEL_EXECUTE", "sched_transfer"),
        ("CHANNEL_EXECUTE_COMPLETE", "sched_transfer"),
        ("CHANNEL_EXECUTE", "park"),
        ("CHANNEL_PARK", None),
    ]
    assert seen["filtered"] == [(ours.uuid, *step) for step in story]
    full = [("CHANNEL_EXECUTE", "multiset"), *story]
    assert seen["plain"] == [(stranger.uuid, *step) for step in full] + [(ours.uuid, *step) for step in full]


@pytest.mark.parametrize("version", VERSIONS)
def test_sendmsg_and_sched_commands_without_a_channel(version: Version) -> None:
    switch = InboundSwitch(password="pw", version=version)
    switch.start()
    sock = gsocket.create_connection(switch.address)
    receiver = Receiver(sock)
    gone = "00000000-0000-0000-0000-000000000000"
    try:
        sock.sendall(b"auth pw\n\n")
        receiver.until(2)
        call = switch.park_call()
        for line in (
            f"sendmsg {gone}\ncall-command: hangup\n\n",
            f"api sched_transfer +15 {gone} main XML cc_fallback\n\n",
            "api sched_transfer +15\n\n",
            f"api sched_del {gone}\n\n",
            f"api sched_del {call.uuid}\n\n",
            f"api sched_del {call.uuid}\n\n",
        ):
            sock.sendall(line.encode())
            receiver.until(len(receiver.frames) + 1)
        assert not call.fire_lease()  # sched_del took the dialplan's lease
    finally:
        sock.close()
        switch.stop()
    replies = [f.reply_text or f.body.decode() for f in receiver.frames[2:]]
    assert replies == [
        f"-ERR invalid session id [{gone}]",
        "-ERR No such channel!\n",
        "-USAGE: [+]<time> <uuid> <extension> [<dialplan>] [<context>]\n",
        "+OK Deleted: 0\n",
        "+OK Deleted: 1\n",
        "+OK Deleted: 0\n",
    ]
