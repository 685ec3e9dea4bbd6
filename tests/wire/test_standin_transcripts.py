"""The stand-in switch reproduces the captured FreeSWITCH exchanges frame for frame.

Each transcript's application side is replayed over real TCP against the stand-in (built from
that transcript's templates, the caller scripted as in the capture). The frames that come back
must match the captured ones: same order and kinds, same event names and reply texts, the same
header names in the same order, Content-Length equal to the body, the Application-UUID the
application chose, the interleavings (CHANNEL_PARK before the first +OK) and the linger notice
where each version put it. Values that identify the call, and timestamps, may differ.
"""

from __future__ import annotations

import re

import pytest
from gevent import socket as gsocket

from tests.support.standin import CallScript, InboundCall, InboundSwitch, OutboundSwitch, TemplateLibrary
from tests.support.standin.transcripts import WireFrame, parse_frames, switch_frames
from tests.support.transcript_replay import (
    WAIT,
    Receiver,
    assert_same_frames,
    replay,
)
from tests.support.transcripts import VERSIONS, Entry, load

pytestmark = pytest.mark.wire


OUTBOUND_SCRIPTS = {
    "outbound_menu": CallScript(keys=["12#"], variables={}),
    "outbound_caller_hangup": CallScript(hangup_at=1, park_event="before_first_reply", variables={}),
    "outbound_bridge": CallScript(hangup_at=2, bridges=["answered"], park_event="none", variables={}),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", sorted(OUTBOUND_SCRIPTS))
def test_outbound_exchange_matches_the_capture(version: str, name: str) -> None:
    entries = load(version, name)
    captured_uuid = _captured_call_uuid(entries)
    listener = gsocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    library = TemplateLibrary.from_transcripts(version, [name], sequenced=True)
    switch = OutboundSwitch(listener.getsockname(), library=library)
    script = OUTBOUND_SCRIPTS[name]
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
    assert_same_frames(sent, switch_frames(entries), call.uuid)
    assert receiver.frames == sent[: len(receiver.frames)]


def _captured_call_uuid(entries: tuple[Entry, ...]) -> str:
    connect_reply = next(e for e in entries if e.from_switch)
    match = re.search(r"^Unique-ID: (\S+)$", connect_reply.raw, re.MULTILINE)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["inbound_plain", "inbound_json", "inbound_bad_password"])
def test_inbound_exchange_matches_the_capture(version: str, name: str) -> None:
    entries = load(version, name)
    library = TemplateLibrary.from_transcripts(version, [name], sequenced=True)
    switch = InboundSwitch(password="labsecret", library=library)
    switch.start()
    call = InboundCall()
    sock = gsocket.create_connection(switch.address)
    receiver = Receiver(sock)

    def emit(frame: WireFrame) -> None:
        name = frame.event_name or ""
        digit = frame.event_value("DTMF-Digit")
        assert switch.emit(name, call, overrides={"DTMF-Digit": digit} if digit else None) == 1

    try:
        replay(entries, receiver, lambda raw: raw, emit)
        assert receiver.closed(), "the switch closes the connection after the goodbye notice"
    finally:
        sock.close()
        switch.stop()
    assert_same_frames(receiver.frames, switch_frames(entries), call.uuid)
