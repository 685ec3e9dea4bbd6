"""The stand-in switch reproduces the captured FreeSWITCH exchanges frame for frame.

Each transcript's application side is replayed over real TCP against the stand-in (built from
that transcript's templates, the caller scripted as in the capture). The frames that come back
must match the captured ones: same order and kinds, same event names and reply texts, the same
header names in the same order, Content-Length equal to the body, the Application-UUID the
application chose, the interleavings (CHANNEL_PARK before the first +OK) and the linger notice
where each version put it. Values that identify the call, and timestamps, may differ.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import pytest
from gevent import socket as gsocket

from tests.support.standin import CallScript, InboundCall, InboundSwitch, OutboundSwitch, TemplateLibrary
from tests.support.standin.transcripts import WireFrame, parse_frames, switch_frames
from tests.support.transcripts import VERSIONS, Entry, load

pytestmark = pytest.mark.wire

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
WAIT = 5.0


@dataclass
class Receiver:
    """Collects the frames the stand-in sends over one socket."""

    sock: gsocket.socket
    buffer: bytes = b""

    def __post_init__(self) -> None:
        self.frames: list[WireFrame] = []

    def until(self, count: int, timeout: float = WAIT) -> None:
        with gevent.Timeout(
            timeout, AssertionError(f"stand-in sent {len(self.frames)} frames, expected {count}")
        ):
            while len(self.frames) < count:
                data = self.sock.recv(65536)
                if not data:
                    raise AssertionError(f"stand-in closed after {len(self.frames)} frames, expected {count}")
                frames, self.buffer = parse_frames(self.buffer + data)
                self.frames.extend(frames)

    def closed(self, timeout: float = WAIT) -> bool:
        with gevent.Timeout(timeout, False):
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                frames, self.buffer = parse_frames(self.buffer + data)
                self.frames.extend(frames)
        return False


def replay(
    entries: tuple[Entry, ...],
    receiver: Receiver,
    rewrite: Callable[[str], str],
    on_event: Callable[[WireFrame], None] | None = None,
) -> None:
    """Send the application's frames, each once the switch frames captured before it arrived."""
    expected = 0
    for entry in entries:
        if entry.from_switch:
            frame = parse_frames(entry.raw.encode())[0][0]
            if (
                on_event is not None
                and frame.content_type.startswith("text/event")
                and not _answers_a_command(frame)
            ):
                receiver.until(expected)
                on_event(frame)
            expected += 1
            continue
        receiver.until(expected)
        receiver.sock.sendall(rewrite(entry.raw).encode())
    receiver.until(expected)


def _answers_a_command(frame: WireFrame) -> bool:
    return frame.event_name == "BACKGROUND_JOB"


def assert_same_frames(
    actual: list[WireFrame],
    captured: list[WireFrame],
    call_uuid: str | None,
    *,
    app_uuids: frozenset[str] | None = None,
) -> None:
    """`app_uuids`: the Event-UUIDs the application chose; every other Application-UUID is one the
    switch chose for a dialplan action (a fresh uuid each run), so it need only be a uuid (None: every
    Application-UUID must be the captured one)."""
    assert [_kind(f) for f in actual] == [_kind(f) for f in captured]
    sequences = []
    for index, (ours, theirs) in enumerate(zip(actual, captured, strict=True)):
        where = f"frame {index} ({_kind(theirs)})"
        assert [name for name, _ in ours.outer] == [name for name, _ in theirs.outer], where
        length = ours.outer_value("Content-Length")
        assert int(length or 0) == len(ours.body), where
        if theirs.content_type in ("text/event-plain", "text/event-json", "command/reply"):
            ours_names = [name for name, _ in ours.event_headers]
            theirs_names = [name for name, _ in theirs.event_headers]
            assert ours_names == theirs_names, (
                f"{where}: header names differ\n{_diff(ours_names, theirs_names)}"
            )
        if theirs.event_name is None:
            if theirs.content_type == "api/response":
                assert UUID.sub("<uuid>", ours.body.decode()) == UUID.sub("<uuid>", theirs.body.decode()), (
                    where
                )
            if theirs.content_type == "text/disconnect-notice":
                assert ours.body == theirs.body, where
                assert ours.outer_value("Content-Disposition") == theirs.outer_value("Content-Disposition"), (
                    where
                )
            continue
        sequences.append(int(ours.event_value("Event-Sequence") or 0))
        for name in (
            "Application",
            "Application-Data",
            "Application-Response",
            "DTMF-Digit",
            "Hangup-Cause",
            "Channel-State",
            "Job-Command",
        ):
            assert ours.event_value(name) == theirs.event_value(name), f"{where}: {name}"
        theirs_app = theirs.event_value("Application-UUID")
        if app_uuids is not None and theirs_app is not None and theirs_app not in app_uuids:
            assert UUID.fullmatch(ours.event_value("Application-UUID") or ""), where
        elif theirs.event_value("Application") != "socket":
            assert ours.event_value("Application-UUID") == theirs_app, where
        if call_uuid is not None and theirs.event_value("Unique-ID") is not None:
            assert ours.event_value("Unique-ID") == call_uuid, where
        body = ours.event_body
        if body is not None:
            assert ours.event_value("Content-Length") == str(len(body)), where
    assert all(a < b for a, b in itertools.pairwise(sequences)), "Event-Sequence must increase"


def _kind(frame: WireFrame) -> str:
    if frame.event_name is not None and frame.content_type != "command/reply":
        return f"{frame.content_type} {frame.event_name}"
    reply = frame.reply_text
    if reply is not None:
        return f"reply {UUID.sub('<uuid>', reply)}"
    return frame.content_type


def _diff(ours: list[str], theirs: list[str]) -> str:
    for index, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if a != b:
            return f"first difference at {index}: {a!r} != {b!r}"
    return f"lengths {len(ours)} != {len(theirs)}"


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
