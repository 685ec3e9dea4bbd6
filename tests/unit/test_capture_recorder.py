"""The capture tool's recorder (tests/captures/esl_recorder.py) over a socket pair: frames are split as
FreeSWITCH sends them, recorded byte-exact in the transcripts' JSONL, the password redacted."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.captures.esl_recorder import REDACTED, CaptureError, Recorder, split_frames
from tests.support.transcripts import read_entries

EVENT_BODY = (
    "Event-Name: BACKGROUND_JOB\nJob-UUID: 5f3c6a1e-0d55-4f0e-9a57-3b7a1e2f9c10\nJob-Command: status\n"
    "Content-Length: 4\n\n+OK\n"
)
EVENT = f"Content-Length: {len(EVENT_BODY)}\nContent-Type: text/event-plain\n\n{EVENT_BODY}"
REPLY = "Content-Type: command/reply\nReply-Text: +OK accepted\n\n"


def test_frames_are_split_by_their_content_length_and_a_partial_frame_is_kept() -> None:
    data = (REPLY + EVENT + "Content-Type: api/response\nContent-Length: 10\n\n+OK").encode()
    frames, rest = split_frames(data)
    assert [f.raw.decode() for f in frames] == [REPLY, EVENT]
    assert rest == b"Content-Type: api/response\nContent-Length: 10\n\n+OK"
    assert frames[1].event_name == "BACKGROUND_JOB"
    assert frames[1].event["Job-UUID"] == "5f3c6a1e-0d55-4f0e-9a57-3b7a1e2f9c10"
    assert frames[0].reply_text == "+OK accepted"


def test_the_exchange_is_recorded_byte_exact_with_the_password_redacted(tmp_path: Path) -> None:
    app_side, switch_side = socket.socketpair()
    recorder = Recorder(app_side, "test")
    try:
        switch_side.sendall(b"Content-Type: auth/request\n\n")
        switch_side.sendall(REPLY.encode())  # the reply arrives before the auth is even sent: kept
        recorder.auth("s3cret-per-run")
        assert switch_side.recv(100) == b"auth s3cret-per-run\n\n"
        # An event that arrives before the reply a command waits for stays for a later wait.
        switch_side.sendall(EVENT.encode())
        deadline = time.monotonic() + 5
        while not recorder.seen(lambda f: f.event_name == "BACKGROUND_JOB") and time.monotonic() < deadline:
            time.sleep(0.01)
        reply = b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: x\n\n"
        threading.Timer(0.1, switch_side.sendall, (reply,)).start()
        assert recorder.command("bgapi status").reply_text == "+OK Job-UUID: x"
        assert recorder.wait(lambda f: f.event_name == "BACKGROUND_JOB", "the job").body.endswith(b"+OK\n")
        with pytest.raises(CaptureError):
            recorder.wait(lambda f: f.event_name == "BACKGROUND_JOB", "a second job", timeout=0.1)
    finally:
        switch_side.close()
        recorder.until_closed(5)
        recorder.close()
    path = tmp_path / "capture.jsonl"
    recorder.write(path)
    entries = read_entries(path)
    assert [(e.direction, e.raw) for e in entries] == [
        ("fs>app", "Content-Type: auth/request\n\n"),
        ("fs>app", REPLY),
        ("app>fs", f"auth {REDACTED}\n\n"),
        ("fs>app", EVENT),
        ("app>fs", "bgapi status\n\n"),
        ("fs>app", "Content-Type: command/reply\nReply-Text: +OK Job-UUID: x\n\n"),
    ]
    assert all(a.t <= b.t for a, b in itertools.pairwise(entries))
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert list(first) == ["dir", "t", "raw"]
    assert "s3cret-per-run" not in path.read_text(encoding="utf-8")
