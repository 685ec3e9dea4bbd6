"""Replay every frame captured from real FreeSWITCH 1.10.12 and 1.11.2 through the codec.

fs>app frames go through the parser, as one stream and one by one; what the parser says is
checked against the raw text read independently here. Each app>fs command is re-encoded from its
parsed intent and must come out byte for byte as FreeSWITCH received it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from esl_handlers.codec import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    DisconnectNotice,
    EslParser,
    Event,
    Frame,
    api,
    auth,
    bgapi,
    connect,
    event,
    exit_,
    filter_,
    linger,
    myevents,
    nolinger,
    sendmsg_execute,
    sendmsg_hangup,
)
from esl_handlers.headers import parse_encoded
from tests.support.transcripts import VERSIONS, read_entries, transcript_files, transcripts_dir

FILES = transcript_files()
assert len(FILES) >= 12, f"expected the captured transcripts of both versions under {transcripts_dir()}"
IDS = [f"{path.parent.name}/{path.stem}" for path in FILES]


def incoming(path: Path) -> list[str]:
    return [record.raw for record in read_entries(path) if record.direction == "fs>app"]


def outgoing(path: Path) -> list[str]:
    return [record.raw for record in read_entries(path) if record.direction == "app>fs"]


# --- what the raw text says, read without the codec ---------------------------------------------


def outer_headers(raw: str) -> dict[str, str]:
    head = raw.split("\n\n", 1)[0]
    return dict(line.split(": ", 1) for line in head.split("\n"))


def outer_body(raw: str) -> str:
    return raw.split("\n\n", 1)[1]


def expected_type(raw: str) -> type:
    content_type = outer_headers(raw)["Content-Type"]
    return {
        "auth/request": AuthRequest,
        "command/reply": CommandReply,
        "api/response": ApiResponse,
        "text/event-plain": Event,
        "text/event-json": Event,
        "text/disconnect-notice": DisconnectNotice,
    }[content_type]


def header_in(block: str, name: str) -> str | None:
    """One URL-encoded header of a block, read with a regex (values here are ASCII)."""
    match = re.search(rf"^{re.escape(name)}: (.*)$", block, re.MULTILINE)
    return None if match is None else re.sub("%([0-9A-F]{2})", lambda m: chr(int(m[1], 16)), match[1])


def raw_event_header(raw: str, name: str) -> str | None:
    """A header of an event frame, read straight from the text."""
    if outer_headers(raw)["Content-Type"] == "text/event-json":
        value = json.loads(outer_body(raw)).get(name)
        return value if isinstance(value, str) else None
    return header_in(outer_body(raw).split("\n\n", 1)[0], name)


def event_uuids(raws: list[str]) -> set[str]:
    return {match for raw in raws for match in re.findall(r"^Event-UUID: (\S+)$", raw, re.MULTILINE)}


def sent_before_disconnect(path: Path) -> list[str]:
    """Commands the app sent before FreeSWITCH's disconnect notice (later ones are not executed)."""
    sent = []
    for record in read_entries(path):
        if record.direction == "fs>app" and "Content-Type: text/disconnect-notice" in record.raw:
            break
        if record.direction == "app>fs":
            sent.append(record.raw)
    return sent


# --- the parser on the captured frames ----------------------------------------------------------


def parse_stream(raws: list[str]) -> list[Frame]:
    parser = EslParser()
    frames = parser.feed("".join(raws).encode("utf-8"))
    parser.feed_eof()
    return frames


def completed(frames: list[Frame], application: str, header: str) -> list[str | None]:
    """`header` of every CHANNEL_EXECUTE_COMPLETE event of `application`."""
    return [
        frame.get(header)
        for frame in frames
        if isinstance(frame, Event)
        and frame.name == "CHANNEL_EXECUTE_COMPLETE"
        and frame.get("Application") == application
    ]


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_stream_and_frame_by_frame_agree(path: Path) -> None:
    raws = incoming(path)
    as_stream = parse_stream(raws)
    one_by_one: list[Frame] = []
    parser = EslParser()
    for raw in raws:
        got = parser.feed(raw.encode("utf-8"))
        assert len(got) == 1, raw[:80]
        one_by_one += got
    parser.feed_eof()
    assert len(as_stream) == len(raws)
    assert as_stream == one_by_one


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_frame_types_and_contents(path: Path) -> None:
    raws = incoming(path)
    frames = parse_stream(raws)
    for raw, frame in zip(raws, frames, strict=True):
        kind = expected_type(raw) if not raw.startswith("Event-Name: CHANNEL_DATA\n") else CommandReply
        assert type(frame) is kind, raw[:80]
        if isinstance(frame, CommandReply):
            if raw.startswith("Event-Name: CHANNEL_DATA\n"):
                assert frame.reply_text == "+OK"
                assert frame.get("Event-Name") == "CHANNEL_DATA"
                assert frame.get("Unique-ID") == header_in(raw, "Unique-ID")
                assert frame.get("Caller-Destination-Number") == header_in(raw, "Caller-Destination-Number")
                assert frame.get("Socket-Mode") == "async"
                assert frame.get("Control") == "full"
            else:
                reply_text = re.search(r"^Reply-Text: (.*)$", raw, re.MULTILINE)
                assert reply_text is not None
                assert frame.reply_text == reply_text[1]
                assert frame.ok == reply_text[1].startswith("+OK")
        elif isinstance(frame, ApiResponse):
            assert frame.body == outer_body(raw)
        elif isinstance(frame, Event):
            assert frame.name == raw_event_header(raw, "Event-Name")
            assert frame.unique_id == raw_event_header(raw, "Unique-ID")
            assert frame.application_uuid == raw_event_header(raw, "Application-UUID")
            assert frame.get("Event-Sequence") == raw_event_header(raw, "Event-Sequence")
        elif isinstance(frame, DisconnectNotice):
            assert frame.body == outer_body(raw)
            assert frame.lingering == ("Content-Disposition: linger" in raw)


@pytest.mark.parametrize("path", [p for p in FILES if p.stem.startswith("outbound")], ids=str)
def test_outbound_application_uuids_echo_the_event_uuids_sent(path: Path) -> None:
    frames = parse_stream(incoming(path))
    executes = [
        frame
        for frame in frames
        if isinstance(frame, Event)
        and frame.name in ("CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE")
        and frame.get("Application") != "socket"
    ]
    assert executes
    echoed = {frame.application_uuid for frame in executes}
    assert echoed <= event_uuids(outgoing(path))
    assert event_uuids(sent_before_disconnect(path)) <= echoed
    connect_reply = frames[0]
    assert isinstance(connect_reply, CommandReply)
    assert connect_reply.ok
    assert connect_reply.headers["Reply-Text"] == "+OK\n"
    assert connect_reply.headers["Channel-Name"].startswith("sofia/lab/+")
    assert connect_reply.get("variable_current_application_data") == "127.0.0.1:8084 async full"
    assert any(isinstance(frame, DisconnectNotice) and frame.lingering for frame in frames)


@pytest.mark.parametrize("version", VERSIONS)
def test_inbound_plain_api_and_background_job(version: str) -> None:
    path = transcripts_dir() / version / "inbound_plain.jsonl"
    frames = parse_stream(incoming(path))
    responses = [frame for frame in frames if isinstance(frame, ApiResponse)]
    assert len(responses) == 2
    assert responses[0].body.startswith("UP 0 years")
    assert "is ready\n" in responses[0].body
    assert responses[1].body == "-ERR no_such_command Command not found!\n"

    job_reply = next(f for f in frames if isinstance(f, CommandReply) and "Job-UUID" in f.reply_text)
    job_uuid = job_reply.get("Job-UUID")
    assert job_uuid is not None
    assert job_reply.reply_text == f"+OK Job-UUID: {job_uuid}"

    job = next(f for f in frames if isinstance(f, Event) and f.name == "BACKGROUND_JOB")
    raw_job = next(raw for raw in incoming(path) if "Event-Name: BACKGROUND_JOB" in raw)
    assert job.job_uuid == job_uuid
    assert job.get("Job-Command") == "status"
    assert job.body == outer_body(raw_job).split("\n\n", 1)[1]
    assert job.body is not None
    assert job.body.startswith("UP 0 years")
    assert job.get("Content-Length") == str(len(job.body.encode()))

    digits = [f.get("DTMF-Digit") for f in frames if isinstance(f, Event) and f.name == "DTMF"]
    assert digits == ["1", "2", "#"]
    assert isinstance(frames[-1], DisconnectNotice)
    assert frames[-1].body.startswith("Disconnected, goodbye.")


@pytest.mark.parametrize("version", VERSIONS)
def test_inbound_json_events(version: str) -> None:
    path = transcripts_dir() / version / "inbound_json.jsonl"
    raws = incoming(path)
    frames = parse_stream(raws)
    events = [(raw, frame) for raw, frame in zip(raws, frames, strict=True) if isinstance(frame, Event)]
    assert [frame.name for _, frame in events] == ["CHANNEL_CREATE", "CHANNEL_HANGUP_COMPLETE"]
    arrays = 0
    for raw, frame in events:
        document = json.loads(outer_body(raw))
        assert frame.body == document.pop("_body", None)
        # JSON arrays come out in the plain format's notation, so consumers see one type.
        expected = {
            key: "ARRAY::" + "|:".join(value) if isinstance(value, list) else value
            for key, value in document.items()
        }
        assert dict(frame.headers) == expected
        assert frame.unique_id == document["Unique-ID"]
        arrays += sum(isinstance(value, list) for value in document.values())
    assert arrays > 0


@pytest.mark.parametrize("version", VERSIONS)
def test_outbound_menu_digits_and_getvar(version: str) -> None:
    frames = parse_stream(incoming(transcripts_dir() / version / "outbound_menu.jsonl"))
    collected = completed(frames, "play_and_get_digits", "variable_digits")
    assert collected == ["12"]
    assert ApiResponse("12") in frames
    names = [f.name for f in frames if isinstance(f, Event)]
    assert names[-1] == "CHANNEL_HANGUP_COMPLETE"
    playbacks = completed(frames, "playback", "Application-Response")
    assert playbacks == ["FILE PLAYED", "FILE PLAYED"]


@pytest.mark.parametrize("version", VERSIONS)
def test_caller_hangup_playback_error(version: str) -> None:
    frames = parse_stream(incoming(transcripts_dir() / version / "outbound_caller_hangup.jsonl"))
    kinds = [type(f).__name__ if not isinstance(f, Event) else f.name for f in frames]
    # An event arrives before the command/reply of the first sendmsg.
    assert kinds[3:5] == ["CHANNEL_PARK", "CommandReply"]
    responses = completed(frames, "playback", "Application-Response")
    assert responses == ["PLAYBACK ERROR"]


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_password(version: str) -> None:
    frames = parse_stream(incoming(transcripts_dir() / version / "inbound_bad_password.jsonl"))
    assert frames[0] == AuthRequest()
    assert isinstance(frames[1], CommandReply)
    assert frames[1].reply_text == "-ERR invalid"
    assert not frames[1].ok
    assert isinstance(frames[2], DisconnectNotice)
    assert not frames[2].lingering


# --- the encoders against what was sent ---------------------------------------------------------


def reencode(raw: str) -> bytes:
    """Read a captured command's intent from its text, then encode it with the codec."""
    first, *header_lines = raw[:-2].split("\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    word, _, rest = first.partition(" ")
    if word == "sendmsg":
        uuid = rest or None
        if headers["call-command"] == "hangup":
            return sendmsg_hangup(headers["hangup-cause"], uuid=uuid)
        assert headers["call-command"] == "execute"
        return sendmsg_execute(
            headers["execute-app-name"],
            headers.get("execute-app-arg"),
            headers["Event-UUID"],
            uuid=uuid,
            lock=headers.get("event-lock") == "true",
        )
    assert not headers, f"unexpected headers on {first!r}"
    if word == "event":
        fmt, *names = rest.split(" ")
        assert fmt in ("plain", "json")
        return event("plain" if fmt == "plain" else "json", names)
    simple = {
        "connect": connect,
        "exit": exit_,
        "nolinger": nolinger,
    }
    if word in simple and not rest:
        return simple[word]()
    if word == "myevents":
        return myevents(rest or None)
    if word == "linger":
        return linger(int(rest) if rest else None)
    if word == "auth":
        return auth(rest)
    if word == "api":
        return api(rest)
    if word == "bgapi":
        return bgapi(rest, headers.get("Job-UUID"))
    if word == "filter":
        header, _, value = rest.partition(" ")
        return filter_(header, value)
    raise AssertionError(f"no encoder for captured command {first!r}")


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_reencoded_commands_are_byte_identical(path: Path) -> None:
    commands = outgoing(path)
    assert commands
    for raw in commands:
        assert reencode(raw) == raw.encode("utf-8")


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_header_search_and_full_decode_agree(path: Path) -> None:
    """Every header of every plain event: a lookup on a fresh block equals the decoded dict."""
    checked = 0
    for raw in incoming(path):
        if outer_headers(raw)["Content-Type"] != "text/event-plain":
            continue
        block = outer_body(raw).split("\n\n", 1)[0].encode()
        decoded: dict[str, str] = {}
        for line in block.decode().split("\n"):
            name, value = line.split(": ", 1)
            decoded.setdefault(name, unquote(value))
        assert dict(parse_encoded(block, "event")) == decoded
        for name, value in decoded.items():
            assert parse_encoded(block, "event").get(name) == value
            checked += 1
    if "inbound_plain" in path.stem or "outbound" in path.stem:
        assert checked > 100
