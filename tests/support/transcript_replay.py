"""Replaying a captured ESL exchange against the stand-in switch and comparing the frames it sends."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

import gevent
from gevent import socket as gsocket

from tests.support.standin.transcripts import WireFrame, parse_frames
from tests.support.transcripts import Entry

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
