"""Bytes on the wire as mod_event_socket writes and reads them (src/mod/event_handlers/mod_event_socket).

Everything here mirrors a piece of FreeSWITCH: the URL encoding of switch_url_encode (used by
switch_event_serialize), the frames built with snprintf in mod_event_socket.c, the command
reader of read_packet, and switch_separate_string's splitting of application arguments.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote

# SWITCH_URL_UNSAFE in switch_utils.h, plus every byte outside ' '..'~'.
_UNSAFE: Final = frozenset(b'\r\n #%&+:;<=>?@[\\]^`{|}"')
_NEEDS_ENCODING: Final = re.compile(r"[^\x21\x24\x27-\x2a\x2c-\x39\x41-\x5a\x5f\x61-\x7a\x7e]")
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
# What urllib's quote() must leave alone besides letters, digits and "_.-~".
_SAFE_PUNCTUATION: Final = "!$'()*,/"
GOODBYE: Final = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def url_encode(value: str) -> str:
    """switch_url_encode without double encoding: an existing %XX escape passes through."""
    if not _NEEDS_ENCODING.search(value):
        return value
    if "%" not in value:
        return quote(value, safe=_SAFE_PUNCTUATION)
    data = value.encode("utf-8")
    out: list[str] = []
    size = len(data)
    for index, byte in enumerate(data):
        if byte == 0x25 and index + 2 < size and data[index + 1] in _HEX and data[index + 2] in _HEX:
            out.append("%")
        elif byte < 0x20 or byte > 0x7E or byte in _UNSAFE:
            out.append(f"%{byte:02X}")
        else:
            out.append(chr(byte))
    return "".join(out)


def command_reply(reply_text: str, *extra: tuple[str, str]) -> bytes:
    lines = ["Content-Type: command/reply", f"Reply-Text: {reply_text}", *(f"{k}: {v}" for k, v in extra)]
    return ("\n".join(lines) + "\n\n").encode()


def api_response(body: str) -> bytes:
    data = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def auth_request() -> bytes:
    return b"Content-Type: auth/request\n\n"


def goodbye_notice(session_uuid: str | None = None) -> bytes:
    """send_disconnect(): sent when the listener ends (exit, bad password, no linger)."""
    body = GOODBYE.encode()
    if session_uuid is None:
        head = f"Content-Type: text/disconnect-notice\nContent-Length: {len(body)}\n\n"
    else:
        head = (
            "Content-Type: text/disconnect-notice\n"
            f"Controlled-Session-UUID: {session_uuid}\n"
            "Content-Disposition: disconnect\n"
            f"Content-Length: {len(body)}\n\n"
        )
    return head.encode() + body


def linger_notice(session_uuid: str, channel_name: str, linger_time: int = -1) -> bytes:
    return (
        "Content-Type: text/disconnect-notice\n"
        f"Controlled-Session-UUID: {session_uuid}\n"
        "Content-Disposition: linger\n"
        f"Channel-Name: {channel_name}\n"
        f"Linger-Time: {linger_time}\n"
        "Content-Length: 0\n\n"
    ).encode()


def serialize_plain(headers: Sequence[tuple[str, str]], body: str | None = None) -> bytes:
    """switch_event_serialize(encode=TRUE): 'Name: value' lines, then the body if any."""
    text = "".join(f"{name}: {value}\n" for name, value in headers)
    if body is not None:
        body_bytes = body.encode()
        payload = text.encode() + b"Content-Length: %d\n\n" % len(body_bytes) + body_bytes
    else:
        payload = text.encode() + b"\n"
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(payload) + payload


def serialize_json(headers: Sequence[tuple[str, str]], body: str | None = None) -> bytes:
    """switch_event_serialize_json: ARRAY:: values become arrays; a body adds Content-Length/_body."""
    document: dict[str, object] = {}
    for name, value in headers:
        document[name] = value[7:].split("|:") if value.startswith("ARRAY::") else value
    if body is not None:
        document["Content-Length"] = str(len(body.encode()))
        document["_body"] = body
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n" % len(payload) + payload


@dataclass
class ReceivedCommand:
    """One command the application sent, as read_packet() splits it."""

    raw: bytes
    line: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None

    @property
    def verb(self) -> str:
        return self.line.split(" ", 1)[0].lower()

    @property
    def argument(self) -> str:
        parts = self.line.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


class CommandReader:
    """Reads commands from the application: lines up to a blank line, then Content-Length bytes."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def read(self) -> ReceivedCommand | None:
        """The next command, or None once the application closed the connection."""
        while True:
            while self._buffer and self._buffer[0] in (0x0D, 0x0A):
                del self._buffer[:1]
            end = self._buffer.find(b"\n\n")
            if end >= 0:
                break
            if not self._fill():
                return None
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        lines = head.decode("utf-8", "replace").replace("\r", "").split("\n")
        command = ReceivedCommand(raw=head + b"\n\n", line=lines[0].strip())
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                command.headers[name.strip()] = value.lstrip(" ")
        length = command.header("Content-Length")
        if length is not None and length.isdigit() and int(length) > 0:
            size = int(length)
            while len(self._buffer) < size:
                if not self._fill():
                    return None
            body = bytes(self._buffer[:size])
            del self._buffer[:size]
            command.raw += body
            command.body = body.decode("utf-8", "replace")
        return command

    def _fill(self) -> bool:
        try:
            data = self._sock.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        self._buffer += data
        return True


_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def _cleanup(token: str, delim: str | None) -> str:
    """cleanup_separated_string(): strip unescaped quotes, resolve escapes."""
    out: list[str] = []
    inside = False
    index = 0
    while index < len(token):
        char = token[index]
        if char == "\\" and index + 1 < len(token):
            nxt = token[index + 1]
            if nxt in ("'", '"', "\\") or nxt == delim or nxt in _ESCAPES:
                out.append(_ESCAPES.get(nxt, nxt))
                index += 2
                continue
        if char == "'" and (inside or "'" in token[index + 1 :]):
            inside = not inside
        else:
            out.append(char)
        index += 1
    return "".join(out).strip(" ") if delim is None else "".join(out)


def separate_string(text: str, delim: str = " ", limit: int = 64) -> list[str]:
    """switch_separate_string(): split on `delim` (blank: runs of spaces) honouring quotes and '\\'."""
    if text.startswith("^^") and len(text) > 3:
        delim, text = text[2], text[3:]
    tokens: list[str] = []
    current: list[str] = []
    inside = False
    index = 0
    while index < len(text):
        char = text[index]
        if len(tokens) == limit - 1:
            current.append(text[index:])
            break
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == "'":
            inside = not inside
        if char == delim and not inside:
            tokens.append("".join(current))
            current = []
            index += 1
            if delim == " ":
                while index < len(text) and text[index] == " ":
                    index += 1
            continue
        current.append(char)
        index += 1
    tokens.append("".join(current))
    return [_cleanup(token, None if delim == " " else delim) for token in tokens]
