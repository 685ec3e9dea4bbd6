"""A plain parser for the frames of the captured ESL exchanges (tests.support.transcripts).

The frame parser here is deliberately independent of esl_handlers.codec: the stand-in and its
transcript test must not inherit a codec bug.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote

from tests.support.transcripts import Entry


@dataclass(frozen=True)
class WireFrame:
    """One frame FreeSWITCH sent: outer header lines, body, and for events the event's own parts."""

    raw: bytes
    outer: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def content_type(self) -> str:
        return dict(self.outer).get("Content-Type", "")

    def outer_value(self, name: str) -> str | None:
        return dict(self.outer).get(name)

    @property
    def event_headers(self) -> tuple[tuple[str, str], ...]:
        """(name, value as sent): URL-encoded for plain events, JSON-typed text for json events."""
        if self.content_type == "text/event-plain":
            head = self.body.split(b"\n\n", 1)[0].decode()
            return tuple(_split(line) for line in head.split("\n"))
        if self.content_type == "text/event-json":
            document = json.loads(self.body)
            return tuple((k, v if isinstance(v, str) else json.dumps(v)) for k, v in document.items())
        if self.content_type == "command/reply" and "Event-Name" in dict(self.outer):
            return self.outer
        return ()

    def event_value(self, name: str) -> str | None:
        for key, value in self.event_headers:
            if key == name:
                return unquote(value) if self.content_type != "text/event-json" else value
        return None

    @property
    def event_name(self) -> str | None:
        return self.event_value("Event-Name")

    @property
    def event_body(self) -> bytes | None:
        if self.content_type != "text/event-plain" or b"\n\n" not in self.body:
            return None
        rest = self.body.split(b"\n\n", 1)[1]
        return rest if rest else None

    @property
    def reply_text(self) -> str | None:
        value = self.outer_value("Reply-Text")
        if value is None:
            return None
        return unquote(value).rstrip("\n") if "Event-Name" in dict(self.outer) else value


def _split(line: str) -> tuple[str, str]:
    name, _, value = line.partition(": ")
    return name, value


def parse_frames(data: bytes) -> tuple[list[WireFrame], bytes]:
    """Split a byte stream from the switch into frames; return them and any incomplete rest."""
    frames: list[WireFrame] = []
    position = 0
    while True:
        end = data.find(b"\n\n", position)
        if end < 0:
            break
        head = data[position:end].decode()
        outer = tuple(_split(line) for line in head.split("\n"))
        length = int(dict(outer).get("Content-Length", "0") or "0")
        body_end = end + 2 + length
        if body_end > len(data):
            break
        frames.append(WireFrame(data[position:body_end], outer, data[end + 2 : body_end]))
        position = body_end
    return frames, data[position:]


def switch_frames(entries: tuple[Entry, ...]) -> list[WireFrame]:
    frames: list[WireFrame] = []
    for entry in entries:
        if entry.from_switch:
            parsed, rest = parse_frames(entry.raw.encode())
            if rest or len(parsed) != 1:
                raise ValueError(f"transcript entry is not one frame: {entry.raw[:80]!r}")
            frames.extend(parsed)
    return frames
