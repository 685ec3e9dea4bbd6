"""The ESL codec on hand-made frames: every frame type, every class of bad frame, split feeding, encoders."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from urllib.parse import quote, unquote

import pytest

from esl_handlers.codec import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    DisconnectNotice,
    EslError,
    EslParser,
    Event,
    Frame,
    ProtocolError,
    RudeRejection,
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
from esl_handlers.headers import percent_decode
from tests.support.unchecked import unchecked

UUID = "3094dd46-b45e-4d4b-9c38-5280aaf6a3e0"


def encoded_event(headers: list[tuple[str, str]], body: str | None = None) -> bytes:
    """A text/event-plain frame as FreeSWITCH serializes it (values URL-encoded)."""
    lines = [f"{name}: {quote(value, safe='')}" for name, value in headers]
    payload = "\n".join(lines).encode()
    if body is None:
        payload += b"\n\n"
    else:
        raw_body = body.encode()
        payload += f"\nContent-Length: {len(raw_body)}\n\n".encode() + raw_body
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(payload) + payload


def framed(content_type: str, body: bytes) -> bytes:
    return b"Content-Type: %s\nContent-Length: %d\n\n" % (content_type.encode(), len(body)) + body


EXECUTE_COMPLETE = encoded_event(
    [
        ("Event-Name", "CHANNEL_EXECUTE_COMPLETE"),
        ("Unique-ID", "39d27abf-dd33-4539-a4e9-158fdd590d4b"),
        ("Application", "playback"),
        ("Application-Data", "tone_stream://%(500,0,440);loops=1"),
        ("Application-Response", "FILE PLAYED"),
        ("Caller-Caller-ID-Name", "Zoë Ñúñez"),
        ("variable_switch_r_sdp", "v=0\r\no=user1 1 2 IN IP4 127.0.0.1\r\n"),
        ("Application-UUID", UUID),
    ]
)
BACKGROUND_JOB = encoded_event(
    [("Event-Name", "BACKGROUND_JOB"), ("Job-UUID", UUID), ("Job-Command", "status")],
    body="UP 0 years, 0 days\n2000 session(s) max\n",
)
JSON_EVENT = framed(
    "text/event-json",
    json.dumps(
        {
            "Event-Name": "BACKGROUND_JOB",
            "Job-UUID": UUID,
            "variable_DP_MATCH": ["4001", "4001"],
            "_body": "+OK done\n",
        }
    ).encode(),
)
CONNECT_REPLY = (
    b"Event-Name: CHANNEL_DATA\nUnique-ID: 39d27abf-dd33-4539-a4e9-158fdd590d4b\n"
    b"Channel-Name: sofia/lab/%2B15551230001%40127.0.0.1%3A5070\n"
    b"variable_current_application_data: 127.0.0.1%3A8084%20async%20full\n"
    b"Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: async\nControl: full\n\n"
)
LINGER_NOTICE = (
    b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: 39d27abf\n"
    b"Content-Disposition: linger\nChannel-Name: sofia/lab/+15551230001@127.0.0.1:5070\n"
    b"Linger-Time: -1\nContent-Length: 0\n\n"
)
GOODBYE = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
STREAM_PARTS = [
    b"Content-Type: auth/request\n\n",
    b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n",
    b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: %s\nJob-UUID: %s\n\n"
    % (UUID.encode(), UUID.encode()),
    framed("api/response", b"-ERR no_such_command Command not found!\n"),
    framed("api/response", b""),
    CONNECT_REPLY,
    EXECUTE_COMPLETE,
    BACKGROUND_JOB,
    JSON_EVENT,
    LINGER_NOTICE,
    framed("text/disconnect-notice", GOODBYE),
    framed("text/rude-rejection", b"Access Denied, go away.\n"),
]
STREAM = b"".join(STREAM_PARTS)


def parse_all(data: bytes) -> list[Frame]:
    parser = EslParser()
    frames = parser.feed(data)
    parser.feed_eof()
    return frames


def parse_one(data: bytes) -> Frame:
    frames = parse_all(data)
    assert len(frames) == 1
    return frames[0]


# --- every frame type ---------------------------------------------------------------------------


def test_auth_request() -> None:
    assert parse_one(b"Content-Type: auth/request\n\n") == AuthRequest()


def test_command_reply_is_verbatim() -> None:
    reply = parse_one(b"Content-Type: command/reply\nReply-Text: -ERR invalid 100%\n\n")
    assert isinstance(reply, CommandReply)
    assert reply.reply_text == "-ERR invalid 100%"
    assert not reply.ok
    assert reply.get("Content-Type") == "command/reply"
    assert reply.get("Job-UUID") is None


def test_bgapi_reply_carries_job_uuid() -> None:
    reply = parse_all(STREAM_PARTS[2])[0]
    assert isinstance(reply, CommandReply)
    assert reply.ok
    assert reply.reply_text == f"+OK Job-UUID: {UUID}"
    assert reply.get("Job-UUID") == UUID


def test_outbound_connect_reply_is_url_decoded() -> None:
    reply = parse_one(CONNECT_REPLY)
    assert isinstance(reply, CommandReply)
    assert reply.ok
    assert reply.reply_text == "+OK"
    assert reply.headers["Reply-Text"] == "+OK\n"
    assert reply.get("Channel-Name") == "sofia/lab/+15551230001@127.0.0.1:5070"
    assert reply.get("variable_current_application_data") == "127.0.0.1:8084 async full"
    assert reply.get("Unique-ID") == "39d27abf-dd33-4539-a4e9-158fdd590d4b"
    assert len(reply.headers) == 8


def test_api_response_bodies() -> None:
    assert parse_one(framed("api/response", b"12")) == ApiResponse("12")
    assert parse_one(framed("api/response", b"")) == ApiResponse("")
    assert parse_one(framed("api/response", "caf\u00e9\n".encode())) == ApiResponse("caf\u00e9\n")


def test_plain_event_headers_are_decoded() -> None:
    frame = parse_one(EXECUTE_COMPLETE)
    assert isinstance(frame, Event)
    assert frame.name == "CHANNEL_EXECUTE_COMPLETE"
    assert frame.application_uuid == UUID
    assert frame.unique_id == "39d27abf-dd33-4539-a4e9-158fdd590d4b"
    assert frame.job_uuid is None
    assert frame.body is None
    assert frame.get("Application-Data") == "tone_stream://%(500,0,440);loops=1"
    assert frame.get("Application-Response") == "FILE PLAYED"
    assert frame.get("Caller-Caller-ID-Name") == "Zoë Ñúñez"
    assert frame.get("variable_switch_r_sdp") == "v=0\r\no=user1 1 2 IN IP4 127.0.0.1\r\n"
    assert frame.get("No-Such-Header", "fallback") == "fallback"
    assert "Content-Length" not in frame.headers  # the frame's own headers are not the event's


def test_plain_event_headers_behave_as_a_mapping() -> None:
    frame = parse_one(EXECUTE_COMPLETE)
    assert isinstance(frame, Event)
    headers = frame.headers
    assert next(iter(headers)) == "Event-Name"
    assert len(headers) == 8
    assert dict(headers.items())["Application-Response"] == "FILE PLAYED"
    assert headers["Application"] == "playback"
    with pytest.raises(KeyError):
        headers["Missing"]
    assert "Application" in headers
    assert "Application\nUnique-ID" not in headers
    assert headers.get("Application: playback") is None
    assert headers == dict(headers.items())


def test_repeated_header_keeps_first_value() -> None:
    frame = parse_one(encoded_event([("Event-Name", "CUSTOM"), ("X", "first"), ("X", "second")]))
    assert isinstance(frame, Event)
    assert frame.get("X") == "first"
    assert dict(frame.headers)["X"] == "first"
    reply = parse_one(b"Content-Type: command/reply\nReply-Text: +OK\nReply-Text: -ERR\n\n")
    assert isinstance(reply, CommandReply)
    assert reply.reply_text == "+OK"


def test_background_job_inner_body() -> None:
    frame = parse_one(BACKGROUND_JOB)
    assert isinstance(frame, Event)
    assert frame.name == "BACKGROUND_JOB"
    assert frame.job_uuid == UUID
    assert frame.body == "UP 0 years, 0 days\n2000 session(s) max\n"
    assert frame.get("Content-Length") == str(len(frame.body))


def test_inner_body_ending_in_blank_line() -> None:
    frame = parse_one(encoded_event([("Event-Name", "BACKGROUND_JOB")], body="a: b\n\n"))
    assert isinstance(frame, Event)
    assert frame.body == "a: b\n\n"


def test_non_ascii_inner_body_is_counted_in_bytes() -> None:
    frame = parse_one(encoded_event([("Event-Name", "BACKGROUND_JOB")], body="Zoë\n"))
    assert isinstance(frame, Event)
    assert frame.body == "Zoë\n"


def test_header_names_with_spaces_or_colons_take_the_general_path() -> None:
    payload = b"Event-Name: CUSTOM\nOdd Name: 1\nweird:name: 2\nvalue-with-colon: a:b\n\n"
    data = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(payload) + payload
    frame = parse_one(data)
    assert isinstance(frame, Event)
    assert (frame.get("Odd Name"), frame.get("weird:name"), frame.get("value-with-colon")) == (
        "1",
        "2",
        "a:b",
    )
    assert dict(frame.headers) == {
        "Event-Name": "CUSTOM",
        "Odd Name": "1",
        "weird:name": "2",
        "value-with-colon": "a:b",
    }


def test_json_event() -> None:
    frame = parse_one(JSON_EVENT)
    assert isinstance(frame, Event)
    assert frame.name == "BACKGROUND_JOB"
    assert frame.job_uuid == UUID
    assert frame.body == "+OK done\n"
    assert frame.get("variable_DP_MATCH") == "ARRAY::4001|:4001"
    assert "_body" not in frame.headers


def test_json_event_without_body() -> None:
    frame = parse_one(framed("text/event-json", b'{"Event-Name": "DTMF", "DTMF-Digit": "#"}'))
    assert frame == Event({"Event-Name": "DTMF", "DTMF-Digit": "#"}, None)


def test_disconnect_notices() -> None:
    linger_notice = parse_one(LINGER_NOTICE)
    assert isinstance(linger_notice, DisconnectNotice)
    assert linger_notice.lingering
    assert linger_notice.body == ""
    assert linger_notice.headers["Channel-Name"] == "sofia/lab/+15551230001@127.0.0.1:5070"
    goodbye = parse_one(framed("text/disconnect-notice", GOODBYE))
    assert isinstance(goodbye, DisconnectNotice)
    assert not goodbye.lingering
    assert goodbye.body == GOODBYE.decode()


def test_rude_rejection() -> None:
    assert parse_one(framed("text/rude-rejection", b"Access Denied, go away.\n")) == RudeRejection(
        "Access Denied, go away.\n"
    )


def test_frames_are_immutable() -> None:
    frame = parse_one(EXECUTE_COMPLETE)
    assert isinstance(frame, Event)
    with pytest.raises(AttributeError):
        unchecked(frame).body = "x"
    with pytest.raises(TypeError):
        unchecked(frame.headers)["Event-Name"] = "x"


# --- split and batched feeding ------------------------------------------------------------------

EXPECTED_TYPES = [
    AuthRequest,
    CommandReply,
    CommandReply,
    ApiResponse,
    ApiResponse,
    CommandReply,
    Event,
    Event,
    Event,
    DisconnectNotice,
    DisconnectNotice,
    RudeRejection,
]


def test_many_frames_in_one_read() -> None:
    frames = parse_all(STREAM)
    assert [type(frame) for frame in frames] == EXPECTED_TYPES
    assert frames == [parse_one(part) for part in STREAM_PARTS]


def test_byte_by_byte() -> None:
    parser = EslParser()
    frames: list[Frame] = []
    for index in range(len(STREAM)):
        frames += parser.feed(STREAM[index : index + 1])
    parser.feed_eof()
    assert frames == parse_all(STREAM)


@pytest.mark.parametrize("seed", range(8))
def test_random_chunks(seed: int) -> None:
    rng = random.Random(seed)
    parser = EslParser()
    frames: list[Frame] = []
    position = 0
    while position < len(STREAM):
        size = rng.choice([1, 2, 3, 7, 64, 500, 4096])
        frames += parser.feed(STREAM[position : position + size])
        position += size
    parser.feed_eof()
    assert frames == parse_all(STREAM)


def test_split_at_every_offset() -> None:
    whole = parse_all(STREAM)
    for cut in range(0, len(STREAM), 7):
        parser = EslParser()
        frames = parser.feed(STREAM[:cut]) + parser.feed(STREAM[cut:])
        parser.feed_eof()
        assert frames == whole, cut


def test_empty_feed_and_clean_eof() -> None:
    parser = EslParser()
    assert parser.feed(b"") == []
    parser.feed_eof()


# --- bad frames ---------------------------------------------------------------------------------

BAD_FRAMES: dict[str, bytes] = {
    "api/response without Content-Length": b"Content-Type: api/response\n\n",
    "event-plain without Content-Length": b"Content-Type: text/event-plain\n\n",
    "event-json without Content-Length": b"Content-Type: text/event-json\n\n",
    "negative Content-Length": b"Content-Type: api/response\nContent-Length: -1\n\n",
    "non-numeric Content-Length": b"Content-Type: api/response\nContent-Length: abc\n\n",
    "signed Content-Length": b"Content-Type: api/response\nContent-Length: +5\n\nhello",
    "spaced Content-Length": b"Content-Type: api/response\nContent-Length:  5\n\nhello",
    "exponent Content-Length": b"Content-Type: api/response\nContent-Length: 1e3\n\n",
    "non-ASCII digits": "Content-Type: api/response\nContent-Length: \u0663\n\nabc".encode(),
    "empty Content-Length": b"Content-Type: api/response\nContent-Length: \n\n",
    "huge Content-Length": b"Content-Type: api/response\nContent-Length: 99999999999999999999\n\n",
    "Content-Length over max_body": b"Content-Type: api/response\nContent-Length: 16777217\n\n",
    "non-UTF-8 frame headers": b"Content-Type: command/reply\nReply-Text: \xff\n\n",
    "non-UTF-8 api body": framed("api/response", b"\xc3\x28"),
    "non-UTF-8 event headers": framed("text/event-plain", b"Event-Name: X\nY: \xfe\n\n"),
    "bad escape": framed("text/event-plain", b"Event-Name: X\nY: 100%zz\n\n"),
    "short escape at end": framed("text/event-plain", b"Event-Name: X\nY: 100%4\n\n"),
    "lone percent at end": framed("text/event-plain", b"Event-Name: X\nY: 100%\n\n"),
    "escape of invalid UTF-8": framed("text/event-plain", b"Event-Name: X\nY: %C3%28\n\n"),
    "bad escape in connect reply": (
        b"Event-Name: CHANNEL_DATA\nContent-Type: command/reply\nReply-Text: %2\n\n"
    ),
    "frame header without separator": b"Content-Type: command/reply\nReply-Text +OK\n\n",
    "frame header without space": b"Content-Type:command/reply\n\n",
    "event header without separator": framed("text/event-plain", b"Event-Name: X\nbroken\n\n"),
    "event header line compensated by another": framed("text/event-plain", b"Event-Name: X\na: b: c\nd\n\n"),
    "event with an empty line inside": framed("text/event-plain", b"Event-Name: X\n\nY: z\n\n"),
    "event without blank line": framed("text/event-plain", b"Event-Name: X\nY: z"),
    "event without Event-Name": framed("text/event-plain", b"Unique-ID: 1\n\n"),
    "inner Content-Length too long": framed("text/event-plain", b"Event-Name: X\nContent-Length: 9\n\nabc"),
    "inner Content-Length too short": framed("text/event-plain", b"Event-Name: X\nContent-Length: 1\n\nabc"),
    "inner Content-Length not a number": framed(
        "text/event-plain", b"Event-Name: X\nContent-Length: x\n\nabc"
    ),
    "inner body without Content-Length": framed("text/event-plain", b"Event-Name: X\n\nabc"),
    "unknown Content-Type": framed("application/x-unknown", b"abc"),
    "log/data": framed("log/data", b"a log line\n"),
    "event-xml": framed("text/event-xml", b"<event><headers/></event>"),
    "no Content-Type": b"Reply-Text: +OK\n\n",
    "command/reply without Reply-Text": b"Content-Type: command/reply\n\n",
    "command/reply with a body": framed("command/reply", b"abc"),
    "auth/request with a body": framed("auth/request", b"abc"),
    "invalid JSON": framed("text/event-json", b"{not json"),
    "JSON not an object": framed("text/event-json", b'["Event-Name"]'),
    "JSON number value": framed("text/event-json", b'{"Event-Name": "X", "n": 1}'),
    "JSON nested object": framed("text/event-json", b'{"Event-Name": "X", "n": {"a": "b"}}'),
    "JSON body not a string": framed("text/event-json", b'{"Event-Name": "X", "_body": 5}'),
    "JSON without Event-Name": framed("text/event-json", b'{"Job-UUID": "1"}'),
    "JSON nested too deep": framed("text/event-json", b"[" * 100_000 + b"]" * 100_000),
    "JSON huge integer": framed("text/event-json", b'{"Event-Name": "X", "n": ' + b"9" * 5000 + b"}"),
    "blank line first": b"\nContent-Type: auth/request\n\n",
}


@pytest.mark.parametrize("data", list(BAD_FRAMES.values()), ids=list(BAD_FRAMES))
def test_bad_frame_raises_protocol_error(data: bytes) -> None:
    parser = EslParser()
    with pytest.raises(ProtocolError):
        parser.feed(data)
    # The parser refuses to go on: the connection is to be dropped.
    with pytest.raises(ProtocolError, match="earlier error"):
        parser.feed(b"Content-Type: auth/request\n\n")


@pytest.mark.parametrize("data", list(BAD_FRAMES.values()), ids=list(BAD_FRAMES))
def test_bad_frame_raises_when_fed_byte_by_byte(data: bytes) -> None:
    def feed_slowly() -> None:
        parser = EslParser()
        for index in range(len(data)):
            parser.feed(data[index : index + 1])
        parser.feed_eof()

    with pytest.raises(ProtocolError):
        feed_slowly()


def test_protocol_error_is_an_esl_error_with_a_clear_message() -> None:
    assert issubclass(ProtocolError, EslError)
    with pytest.raises(ProtocolError, match=r"Content-Length .*exceeds"):
        EslParser(max_body=100).feed(b"Content-Type: api/response\nContent-Length: 101\n\n")
    with pytest.raises(ProtocolError, match="line 2 has no ': '"):
        EslParser().feed(b"Content-Type: command/reply\nReply-Text\n\n")
    with pytest.raises(ProtocolError, match="text/event-xml is not supported"):
        EslParser().feed(framed("text/event-xml", b"<event/>"))
    with pytest.raises(ProtocolError, match="missing blank line"):
        EslParser(max_header_bytes=64).feed(b"Content-Type: command/reply\n" * 3)


def test_oversized_body_is_refused_before_it_arrives() -> None:
    parser = EslParser(max_body=1024)
    with pytest.raises(ProtocolError):
        parser.feed(b"Content-Type: api/response\nContent-Length: 1025\n\n")


def test_body_at_the_limit_is_accepted() -> None:
    parser = EslParser(max_body=4)
    assert parser.feed(framed("api/response", b"abcd")) == [ApiResponse("abcd")]


def test_header_block_without_end_over_the_limit() -> None:
    parser = EslParser(max_header_bytes=1024)
    first = b"Content-Type: command/reply\n"
    parser.feed(first)
    line = b"X-Filler: " + b"a" * 20 + b"\n"
    buffered = len(first)
    while buffered + len(line) <= 1024:
        assert parser.feed(line) == []
        buffered += len(line)
    with pytest.raises(ProtocolError, match="missing blank line"):
        parser.feed(line)


def test_header_block_at_the_limit_is_accepted() -> None:
    frame = b"Content-Type: command/reply\nReply-Text: +OK\n\n"
    parsed = EslParser(max_header_bytes=len(frame) - 2).feed(frame)
    assert isinstance(parsed[0], CommandReply)
    assert parsed[0].reply_text == "+OK"


@pytest.mark.parametrize("cut", [1, 10, len(BACKGROUND_JOB) - 60, len(BACKGROUND_JOB) - 1])
def test_eof_inside_a_frame(cut: int) -> None:
    parser = EslParser()
    assert parser.feed(BACKGROUND_JOB[:cut]) == []
    with pytest.raises(ProtocolError, match="connection closed"):
        parser.feed_eof()


def test_feed_after_eof() -> None:
    parser = EslParser()
    parser.feed_eof()
    with pytest.raises(ProtocolError):
        parser.feed(b"Content-Type: auth/request\n\n")


def test_mangled_frames_only_ever_raise_protocol_error() -> None:
    """Mutations of real frames: the parser returns frames or raises ProtocolError, nothing else."""
    rng = random.Random(20261123)
    alphabet = b"\n\n\n: %%0aF\xc3\xff-19"
    outcomes = {"frames": 0, "errors": 0}
    for _ in range(1500):
        data = bytearray(rng.choice(STREAM_PARTS))
        for _ in range(rng.randint(1, 4)):
            where = rng.randrange(len(data))
            action = rng.randrange(3)
            if action == 0:
                data[where] = rng.choice(alphabet)
            elif action == 1:
                del data[where]
            else:
                data.insert(where, rng.choice(alphabet))
        parser = EslParser(max_body=1 << 16, max_header_bytes=1 << 14)
        try:
            parser.feed(bytes(data))
            parser.feed_eof()
            outcomes["frames"] += 1
        except ProtocolError:
            outcomes["errors"] += 1
    assert outcomes["frames"] > 0
    assert outcomes["errors"] > 0


# --- encoders -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (connect(), b"connect\n\n"),
        (auth("labsecret"), b"auth labsecret\n\n"),
        (
            event("plain", ["CHANNEL_CREATE", "CHANNEL_ANSWER", "BACKGROUND_JOB", "DTMF"]),
            b"event plain CHANNEL_CREATE CHANNEL_ANSWER BACKGROUND_JOB DTMF\n\n",
        ),
        (event("json", "ALL"), b"event json ALL\n\n"),
        (event("plain", ("CUSTOM", "sofia::register")), b"event plain CUSTOM sofia::register\n\n"),
        (filter_("Unique-ID", UUID), f"filter Unique-ID {UUID}\n\n".encode()),
        (myevents(), b"myevents\n\n"),
        (myevents(UUID), f"myevents {UUID}\n\n".encode()),
        (linger(), b"linger\n\n"),
        (linger(30), b"linger 30\n\n"),
        (nolinger(), b"nolinger\n\n"),
        (api("uuid_getvar 39d27abf digits"), b"api uuid_getvar 39d27abf digits\n\n"),
        (bgapi("status"), b"bgapi status\n\n"),
        (
            bgapi("originate sofia/x &park", UUID),
            f"bgapi originate sofia/x &park\nJob-UUID: {UUID}\n\n".encode(),
        ),
        (
            sendmsg_execute("answer", None, UUID),
            f"sendmsg\ncall-command: execute\nexecute-app-name: answer\nEvent-UUID: {UUID}\n\n".encode(),
        ),
        (
            sendmsg_execute("answer", "", UUID),
            f"sendmsg\ncall-command: execute\nexecute-app-name: answer\nEvent-UUID: {UUID}\n\n".encode(),
        ),
        (
            sendmsg_execute("playback", "tone_stream://%(500,0,440);loops=1", UUID),
            b"sendmsg\ncall-command: execute\nexecute-app-name: playback\n"
            b"execute-app-arg: tone_stream://%(500,0,440);loops=1\n" + f"Event-UUID: {UUID}\n\n".encode(),
        ),
        (
            sendmsg_execute("set", "a=b", UUID, uuid="39d27abf", lock=True),
            b"sendmsg 39d27abf\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: a=b\n"
            b"event-lock: true\n" + f"Event-UUID: {UUID}\n\n".encode(),
        ),
        (
            sendmsg_hangup("NORMAL_CLEARING"),
            b"sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n",
        ),
        (
            sendmsg_hangup("USER_BUSY", uuid="39d27abf"),
            b"sendmsg 39d27abf\ncall-command: hangup\nhangup-cause: USER_BUSY\n\n",
        ),
        (exit_(), b"exit\n\n"),
    ],
)
def test_encoder_bytes(encoded: bytes, expected: bytes) -> None:
    assert encoded == expected


INJECTING_CALLS: dict[str, Callable[[str], bytes]] = {
    "auth password": auth,
    "event name": lambda bad: event("plain", ["DTMF", bad]),
    "filter header": lambda bad: filter_(bad, "x"),
    "filter value": lambda bad: filter_("Unique-ID", bad),
    "myevents uuid": myevents,
    "api command": api,
    "bgapi command": bgapi,
    "bgapi job uuid": lambda bad: bgapi("status", bad),
    "execute app": lambda bad: sendmsg_execute(bad, "x", UUID),
    "execute arg": lambda bad: sendmsg_execute("playback", bad, UUID),
    "execute event uuid": lambda bad: sendmsg_execute("playback", "x", bad),
    "execute uuid": lambda bad: sendmsg_execute("playback", "x", UUID, uuid=bad),
    "hangup cause": sendmsg_hangup,
    "hangup uuid": lambda bad: sendmsg_hangup("NORMAL_CLEARING", uuid=bad),
}


@pytest.mark.parametrize("separator", ["\n", "\r", "\r\n", "\x00"])
@pytest.mark.parametrize("call", list(INJECTING_CALLS.values()), ids=list(INJECTING_CALLS))
def test_encoders_refuse_line_breaks(call: Callable[[str], bytes], separator: str) -> None:
    with pytest.raises(ValueError, match="must not contain"):
        call(f"status{separator}{separator}api system rm -rf /")


@pytest.mark.parametrize(
    "call",
    [
        lambda: event("plain", []),
        lambda: event(unchecked("yaml"), ["ALL"]),
        lambda: event(unchecked("xml"), ["ALL"]),
        lambda: event("plain", ["CHANNEL_CREATE DTMF"]),
        lambda: linger(0),
        lambda: linger(-5),
        lambda: linger(True),
        lambda: api(""),
        lambda: api("   "),
        lambda: auth(""),
        lambda: sendmsg_execute("", None, UUID),
        lambda: sendmsg_execute("play back", None, UUID),
        lambda: sendmsg_execute("answer", None, ""),
        lambda: sendmsg_hangup("NORMAL CLEARING"),
        lambda: myevents("a b"),
    ],
)
def test_encoders_refuse_malformed_arguments(call: Callable[[], bytes]) -> None:
    with pytest.raises(ValueError):
        call()


def test_many_lookups_switch_to_a_decoded_dict_with_the_same_answers() -> None:
    frame = parse_one(encoded_event([("Event-Name", "CUSTOM"), ("X", "a b"), ("X", "second"), ("Y", "%")]))
    assert isinstance(frame, Event)
    answers = [
        (frame.get("X"), frame.get("Y"), frame.get("X: a"), frame.get("Missing"), "X" in frame.headers)
        for _ in range(20)
    ]
    assert answers == [("a b", "%", None, None, True)] * 20


def test_percent_decode_matches_urllib_on_valid_input() -> None:
    rng = random.Random(7)
    pieces = ["a", " ", ":", "\\", "\\x41", "é", "€", "\n", "\x00", "%", "+", "ß"]
    for _ in range(500):
        original = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        encoded = quote(original, safe="\\é€ß") if rng.random() < 0.5 else quote(original, safe="")
        assert percent_decode(encoded) == unquote(encoded, errors="strict") == original


def test_decoded_dict_with_nul_escapes_and_odd_lines() -> None:
    values = [("Event-Name", "CUSTOM"), ("Nul", "a\x00b"), ("Sdp", "v=0\r\n"), ("Plain", "x")]
    frame = parse_one(encoded_event(values))
    assert isinstance(frame, Event)
    assert dict(frame.headers) == dict(values)
    odd = b"Event-Name: CUSTOM\nWith Space: a%20b\nRaw: a:b\n\n"
    frame = parse_one(b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(odd) + odd)
    assert isinstance(frame, Event)
    assert dict(frame.headers) == {"Event-Name": "CUSTOM", "With Space": "a b", "Raw": "a:b"}
