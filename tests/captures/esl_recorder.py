"""Both ends of an ESL socket as the capture tool plays the application's side, every frame recorded.

`Recorder` wraps one connected socket: what the application writes (`send`) and every frame the
switch sends (read by a thread) are kept in order, byte-exact, with the seconds since the socket
opened, and written out as the JSONL the transcripts use:

    {"dir": "fs>app" | "app>fs", "t": seconds, "raw": exact frame text}

Only the ESL password is redacted (`auth <password>` becomes `auth REDACTED`); it is random per run.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote

REDACTED: Final = "REDACTED"
WAIT_S: Final = 30.0


class CaptureError(Exception):
    """The switch did not send what the script waited for, or closed the socket."""


@dataclass(frozen=True)
class Frame:
    """One frame from the switch: outer headers, body, and the event's own headers when it is one."""

    raw: bytes
    outer: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.outer.get("Content-Type", "")

    @property
    def event(self) -> dict[str, str]:
        """The event's headers, URL-decoded (plain events; the connect reply's headers too)."""
        if self.content_type == "text/event-plain":
            head = self.body.split(b"\n\n", 1)[0].decode("utf-8", errors="replace")
            return {
                name: unquote(value)
                for name, _, value in (line.partition(": ") for line in head.split("\n"))
                if name
            }
        if "Event-Name" in self.outer:
            return {name: unquote(value) for name, value in self.outer.items()}
        return {}

    @property
    def event_name(self) -> str:
        return self.event.get("Event-Name", "")

    @property
    def reply_text(self) -> str:
        return self.outer.get("Reply-Text", "")


def split_frames(data: bytes) -> tuple[list[Frame], bytes]:
    frames: list[Frame] = []
    position = 0
    while True:
        end = data.find(b"\n\n", position)
        if end < 0:
            break
        head = data[position:end].decode("utf-8", errors="replace")
        outer: dict[str, str] = {}
        for line in head.split("\n"):
            name, _, value = line.partition(": ")
            outer[name] = value
        length = int(outer.get("Content-Length", "0") or "0")
        body_end = end + 2 + length
        if body_end > len(data):
            break
        frames.append(Frame(data[position:body_end], outer, data[end + 2 : body_end]))
        position = body_end
    return frames, data[position:]


def sendmsg_line(channel: str | None) -> str:
    """`sendmsg` on the call's own (outbound) socket, `sendmsg <uuid>` on an inbound connection."""
    return "sendmsg" if channel is None else f"sendmsg {channel}"


class Recorder:
    """One ESL socket, recorded. `wait(...)` consumes frames in arrival order until one matches."""

    def __init__(self, sock: socket.socket, name: str) -> None:
        self.sock = sock
        self.name = name
        self.opened = time.monotonic()
        self.entries: list[dict[str, object]] = []
        self.closed = threading.Event()
        self.call_uuid = ""  # outbound: the channel's, from the connect reply
        self._lock = threading.RLock()
        self._frames: list[Frame] = []
        self._claimed: set[int] = set()
        self._arrived = threading.Condition(self._lock)
        self._reader = threading.Thread(target=self._read, name=f"esl-{name}", daemon=True)
        self._reader.start()

    def _stamp(self) -> float:
        return round(time.monotonic() - self.opened, 4)

    def _record(self, direction: str, raw: str) -> None:
        with self._lock:
            self.entries.append({"dir": direction, "t": self._stamp(), "raw": raw})

    def _read(self) -> None:
        buffer = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                frames, buffer = split_frames(buffer + data)
                for frame in frames:
                    self._record("fs>app", frame.raw.decode("utf-8", errors="surrogateescape"))
                    with self._arrived:
                        self._frames.append(frame)
                        self._arrived.notify_all()
        except OSError:
            pass
        finally:
            self.closed.set()
            with self._arrived:
                self._arrived.notify_all()

    def send(self, raw: str, *, shown: str | None = None) -> None:
        self._record("app>fs", raw if shown is None else shown)
        self.sock.sendall(raw.encode())

    def wait(self, matches: Callable[[Frame], bool], what: str, timeout: float = WAIT_S) -> Frame:
        """The first frame not yet taken by an earlier wait that matches, already here or to come."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for index, frame in enumerate(self._frames):
                    if index not in self._claimed and matches(frame):
                        self._claimed.add(index)
                        return frame
                if self.closed.is_set():
                    raise CaptureError(f"{self.name}: the switch closed the socket before {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CaptureError(f"{self.name}: no {what} within {timeout:.0f}s")
                self._arrived.wait(left)

    def seen(self, matches: Callable[[Frame], bool]) -> bool:
        with self._lock:
            return any(matches(frame) for frame in self._frames)

    def drain(self, seconds: float) -> None:
        """Let the switch send whatever it sends for `seconds` (all of it is recorded)."""
        self.closed.wait(seconds)

    # -- commands ------------------------------------------------------------------------------

    def command(self, line: str) -> Frame:
        self.send(f"{line}\n\n")
        return self.wait(lambda f: f.content_type == "command/reply", f"the reply to {line!r}")

    def auth(self, password: str) -> Frame:
        self.wait(lambda f: f.content_type == "auth/request", "auth/request")
        self.send(f"auth {password}\n\n", shown=f"auth {REDACTED}\n\n")
        return self.wait(lambda f: f.content_type == "command/reply", "the reply to auth")

    def api(self, line: str) -> Frame:
        self.send(f"api {line}\n\n")
        return self.wait(lambda f: f.content_type == "api/response", f"the response to api {line}")

    def bgapi(self, line: str, job_uuid: str | None = None) -> tuple[Frame, Frame]:
        """Send bgapi; return its reply and its BACKGROUND_JOB (the listener must subscribe to it)."""
        self.send(f"bgapi {line}\n" + (f"Job-UUID: {job_uuid}\n" if job_uuid else "") + "\n")
        reply = self.wait(lambda f: f.content_type == "command/reply", f"the reply to bgapi {line}")
        job = reply.outer.get("Job-UUID", "")
        done = self.wait(
            lambda f: f.event_name == "BACKGROUND_JOB" and f.event.get("Job-UUID") == job,
            f"BACKGROUND_JOB of {line}",
            timeout=90,
        )
        return reply, done

    def execute(
        self,
        app: str,
        arg: str | None = None,
        *,
        wait: bool = True,
        timeout: float = WAIT_S,
        event_uuid: str | None = None,
        channel: str | None = None,
    ) -> str:
        """sendmsg execute with our Event-UUID (a new uuid unless given); unless `wait` is false, wait
        for its completion. `channel`: `sendmsg <uuid>` (an inbound connection names the call)."""
        event_uuid = event_uuid or str(uuid.uuid4())
        lines = [sendmsg_line(channel), "call-command: execute", f"execute-app-name: {app}"]
        if arg is not None:
            lines.append(f"execute-app-arg: {arg}")
        lines.append(f"Event-UUID: {event_uuid}")
        self.send("\n".join(lines) + "\n\n")
        self.wait(lambda f: f.content_type == "command/reply", f"the reply to execute {app}")
        if wait:
            self.completion(event_uuid, app, timeout)
        return event_uuid

    def started(self, event_uuid: str, app: str, timeout: float = WAIT_S) -> Frame:
        return self.wait(
            lambda f: f.event_name == "CHANNEL_EXECUTE" and f.event.get("Application-UUID") == event_uuid,
            f"CHANNEL_EXECUTE of {app}",
            timeout,
        )

    def completion(self, event_uuid: str, app: str, timeout: float = WAIT_S) -> Frame:
        return self.wait(
            lambda f: (
                f.event_name == "CHANNEL_EXECUTE_COMPLETE" and f.event.get("Application-UUID") == event_uuid
            ),
            f"CHANNEL_EXECUTE_COMPLETE of {app}",
            timeout,
        )

    def hangup(self, cause: str = "NORMAL_CLEARING", channel: str | None = None) -> None:
        self.send(f"{sendmsg_line(channel)}\ncall-command: hangup\nhangup-cause: {cause}\n\n")
        self.wait(lambda f: f.content_type == "command/reply", "the reply to hangup")

    def until_closed(self, timeout: float = WAIT_S) -> None:
        if not self.closed.wait(timeout):
            raise CaptureError(f"{self.name}: the switch kept the socket open {timeout:.0f}s")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._reader.join(5)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            lines = [json.dumps(entry, ensure_ascii=False) for entry in self.entries]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8", errors="surrogateescape")
