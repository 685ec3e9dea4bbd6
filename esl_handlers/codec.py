"""The ESL wire codec: bytes in, frozen frames out; commands out as bytes. No I/O.

CONTRACT (other modules are written against these names; keep them):

    parser = EslParser(max_body=16 * 1024 * 1024)
    frames: list[Frame] = parser.feed(data)      # raises ProtocolError on a bad frame
    parser.feed_eof()                            # raises ProtocolError if a frame was cut short
    parser.buffered_bytes                        # bytes held of the frame not yet complete
    parser.discard()                             # free them; the parser is unusable afterwards

Frame is one of:
    AuthRequest()
    CommandReply(reply_text: str, headers: Mapping[str, str])   # includes the outbound `connect` reply
    ApiResponse(body: str)
    Event(headers: Mapping[str, str], body: str | None)           # text/event-plain and text/event-json
    DisconnectNotice(headers: Mapping[str, str], body: str)
    RudeRejection(body: str)                                       # text/rude-rejection (ACL refusal)

Encoders (all return bytes, all refuse CR/LF inside arguments with ValueError):
    connect(), auth(password), event(fmt, names), filter_(header, value), myevents(uuid=None),
    linger(seconds=None), nolinger(), api(command), bgapi(command, job_uuid=None),
    sendmsg_execute(app, arg, event_uuid, uuid=None, lock=False), sendmsg_hangup(cause, uuid=None),
    exit_()

The parser lives here; frames and exceptions in esl_handlers.frames, header blocks in
esl_handlers.headers, encoders in esl_handlers.commands. Import them all from this module.

Decisions:
- Frame headers are taken verbatim, except a header-only frame carrying Event-Name (the outbound
  `connect` reply, a serialized CHANNEL_DATA event) whose values are URL-decoded. Event headers
  (text/event-plain) are always URL-decoded; text/event-json values are plain JSON strings, and
  JSON arrays become FreeSWITCH's plain-format "ARRAY::a|:b".
- A header line is "Name: value", split at the first ": "; a repeated name keeps its first value.
- CommandReply.reply_text drops trailing newlines (the connect reply's Reply-Text is "+OK\n");
  headers["Reply-Text"] keeps the value as sent.
- auth/request and command/reply carry no body; api/response and events need a Content-Length;
  a disconnect notice or rude rejection without one has an empty body.
- An unknown Content-Type (log/data, text/event-xml, anything else) is a ProtocolError: this
  layer only ever asks for plain or json events, so anything else means a confused peer.
- Content-Length is checked against max_body before any of the body is awaited; nothing is ever
  allocated on the peer's word. Header blocks are capped by max_header_bytes.
- Any ProtocolError poisons the parser: every later feed raises, and the caller drops the link.
  Frames completed earlier in the same feed() call are not returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from esl_handlers.commands import (
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
from esl_handlers.frames import (
    ApiResponse,
    AuthRequest,
    CommandReply,
    DisconnectNotice,
    EslError,
    Event,
    Frame,
    ProtocolError,
    RudeRejection,
)
from esl_handlers.headers import Headers, decode_utf8, is_simple_block, parse_encoded, parse_verbatim

__all__ = [
    "ApiResponse",
    "AuthRequest",
    "CommandReply",
    "DisconnectNotice",
    "EslError",
    "EslParser",
    "Event",
    "Frame",
    "Headers",
    "ProtocolError",
    "RudeRejection",
    "api",
    "auth",
    "bgapi",
    "connect",
    "event",
    "exit_",
    "filter_",
    "linger",
    "myevents",
    "nolinger",
    "sendmsg_execute",
    "sendmsg_hangup",
]

DEFAULT_MAX_BODY: Final = 16 * 1024 * 1024
# The outbound connect reply carries every channel variable in its header block (~6 KB usually).
DEFAULT_MAX_HEADER_BYTES: Final = 256 * 1024
_MAX_LENGTH_DIGITS: Final = 10

_HEADER_ONLY_TYPES: Final = frozenset({"auth/request", "command/reply"})
_BODY_TYPES: Final = frozenset(
    {"api/response", "text/event-plain", "text/event-json", "text/disconnect-notice", "text/rude-rejection"}
)


def _parse_length(value: str, max_body: int) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > _MAX_LENGTH_DIGITS:
        raise ProtocolError(f"Content-Length {value[:20]!r} is not a non-negative decimal integer")
    length = int(value)
    if length > max_body:
        raise ProtocolError(f"Content-Length {length} exceeds the {max_body}-byte limit")
    return length


def _parse_plain_event(payload: bytes) -> Event:
    """A text/event-plain body: URL-encoded headers, a blank line, then the optional inner body."""
    # Usually there is no inner body and the payload is just headers + "\n\n"; when the rest is one
    # ": " per line, that blank line is the first one and no search is needed.
    end = len(payload) - 2
    simple = payload.endswith(b"\n\n") and is_simple_block(payload[:end])
    if not simple:
        end = payload.find(b"\n\n")
        if end < 0:
            raise ProtocolError("text/event-plain body has no blank line after its headers")
    headers = parse_encoded(payload[:end], "event header", simple or None)
    rest = len(payload) - end - 2
    body: str | None = None
    inner_length = headers.get("Content-Length")
    if inner_length is not None:
        length = _parse_length(inner_length, len(payload))
        if length != rest:
            raise ProtocolError(f"event's inner Content-Length {length} does not match its {rest} body bytes")
        body = decode_utf8(payload[end + 2 :], "event body")
    elif rest:
        raise ProtocolError(f"event has {rest} bytes after its headers but no inner Content-Length")
    if "Event-Name" not in headers:
        raise ProtocolError("event without Event-Name")
    return Event(headers, body)


def _json_value(key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "ARRAY::" + "|:".join(value)
    raise ProtocolError(f"text/event-json header {key!r} is not a string")


def _parse_json_event(payload: bytes) -> Event:
    text = decode_utf8(payload, "text/event-json body")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"text/event-json body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ProtocolError("text/event-json body is not a JSON object")
    body = document.pop("_body", None)
    if body is not None and not isinstance(body, str):
        raise ProtocolError("text/event-json _body is not a string")
    headers = {key: _json_value(key, value) for key, value in document.items()}
    if "Event-Name" not in headers:
        raise ProtocolError("event without Event-Name")
    return Event(MappingProxyType(headers), body)


def _build_frame(raw: dict[str, str], block: bytes, body: bytes | None) -> Frame:
    # Event-Name marks the outbound connect reply: a serialized, URL-encoded CHANNEL_DATA event.
    encoded = "Event-Name" in raw
    headers: Mapping[str, str] = parse_encoded(block, "frame header") if encoded else MappingProxyType(raw)
    content_type = headers.get("Content-Type")
    if content_type is None:
        raise ProtocolError("frame has no Content-Type header")
    if content_type in _HEADER_ONLY_TYPES:
        if body:
            raise ProtocolError(f"unexpected {len(body)}-byte body on a {content_type} frame")
        if content_type == "auth/request":
            return AuthRequest()
        reply_text = headers.get("Reply-Text")
        if reply_text is None:
            raise ProtocolError("command/reply without Reply-Text")
        return CommandReply(reply_text.rstrip("\n"), headers)
    if content_type not in _BODY_TYPES:
        if content_type == "text/event-xml":
            raise ProtocolError(
                "text/event-xml is not supported; subscribe with 'event plain' or 'event json'"
            )
        raise ProtocolError(f"unknown Content-Type {content_type[:60]!r}")
    if content_type == "text/event-plain":
        if body is None:
            raise ProtocolError("text/event-plain frame without Content-Length")
        return _parse_plain_event(body)
    if content_type == "text/event-json":
        if body is None:
            raise ProtocolError("text/event-json frame without Content-Length")
        return _parse_json_event(body)
    if content_type == "api/response":
        if body is None:
            raise ProtocolError("api/response frame without Content-Length")
        return ApiResponse(decode_utf8(body, "api/response body"))
    text_body = "" if body is None else decode_utf8(body, f"{content_type} body")
    if content_type == "text/disconnect-notice":
        return DisconnectNotice(headers, text_body)
    return RudeRejection(text_body)


class EslParser:
    """Incremental parser of what FreeSWITCH sends; frames may be split at any byte."""

    def __init__(
        self, max_body: int = DEFAULT_MAX_BODY, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    ) -> None:
        self._max_body = max_body
        self._max_header_bytes = max_header_bytes
        self._buffer = bytearray()
        self._scan_from = 0  # where the search for the blank line resumes
        self._pending: tuple[dict[str, str], bytes] | None = None  # headers awaiting their body
        self._body_length = 0
        self._failed: ProtocolError | None = None
        self._closed = False

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return the frames they complete (possibly none)."""
        if self._failed is not None:
            raise ProtocolError(f"parser is unusable after an earlier error: {self._failed}")
        if self._closed:
            raise ProtocolError("data fed after feed_eof()")
        buffer = self._buffer
        buffer += data
        if self._pending is not None and len(buffer) < self._body_length:
            return []
        try:
            return self._parse()
        except ProtocolError as exc:
            self._failed = exc
            raise

    @property
    def buffered_bytes(self) -> int:
        """Bytes held of the frame not yet complete (after feed(), nothing else is kept)."""
        return len(self._buffer)

    def discard(self) -> None:
        """The connection is gone: free the buffered bytes; later feeds raise ProtocolError."""
        self._buffer = bytearray()
        self._pending = None
        self._scan_from = 0
        if self._failed is None:
            self._failed = ProtocolError("the parser's input was discarded")

    def feed_eof(self) -> None:
        """The peer closed the connection; raise ProtocolError if that cut a frame short."""
        self._closed = True
        if self._failed is not None:
            raise ProtocolError(f"parser is unusable after an earlier error: {self._failed}")
        if self._pending is not None:
            raise ProtocolError(
                f"connection closed {self._body_length - len(self._buffer)} bytes short of a frame body"
            )
        if self._buffer:
            raise ProtocolError(f"connection closed inside a frame's headers ({len(self._buffer)} bytes)")

    def _parse(self) -> list[Frame]:
        buffer = self._buffer
        size = len(buffer)
        position = 0
        frames: list[Frame] = []
        while True:
            if self._pending is None:
                end = buffer.find(b"\n\n", self._scan_from)
                if end < 0:
                    # A block of the limit's length may hold the first newline of its blank line too.
                    if size - position > self._max_header_bytes + buffer.endswith(b"\n"):
                        raise ProtocolError(
                            f"no end of headers within {self._max_header_bytes} bytes (missing blank line)"
                        )
                    self._scan_from = max(position, size - 1)
                    break
                if end - position > self._max_header_bytes:
                    raise ProtocolError(f"header block over the {self._max_header_bytes}-byte limit")
                block = bytes(buffer[position:end])
                raw = parse_verbatim(decode_utf8(block, "frame headers"), "frame header")
                position = self._scan_from = end + 2
                length = raw.get("Content-Length")
                if length is None:
                    frames.append(_build_frame(raw, block, None))
                    continue
                self._body_length = _parse_length(length, self._max_body)
                self._pending = (raw, block)
            if size - position < self._body_length:
                break
            raw, block = self._pending
            end = position + self._body_length
            body = bytes(buffer[position:end])
            position = self._scan_from = end
            self._pending = None
            frames.append(_build_frame(raw, block, body))
        del buffer[:position]
        self._scan_from -= position
        return frames
