"""Encoders for the commands an ESL client sends, byte for byte as mod_event_socket expects them.

Each returns the whole command including the terminating blank line. Every argument is checked
for CR, LF and NUL: any of them would end the command early and let the rest of the argument be
read by FreeSWITCH as a further command (command injection).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

_FORBIDDEN: Final = ("\r", "\n", "\x00")
_END: Final = "\n\n"


def _line_safe(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    for char in _FORBIDDEN:
        if char in value:
            raise ValueError(f"{what} must not contain {char!r}: {value[:60]!r}")
    return value


def _word(value: str, what: str) -> str:
    """A single non-empty token: no whitespace at all (UUIDs, header and event names, causes)."""
    _line_safe(value, what)
    if not value or any(char.isspace() for char in value):
        raise ValueError(f"{what} must be a non-empty word without whitespace: {value[:60]!r}")
    return value


def _text(value: str, what: str) -> str:
    _line_safe(value, what)
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    return value


def _encode(command: str) -> bytes:
    return (command + _END).encode("utf-8")


def connect() -> bytes:
    """Outbound mode: ask for the channel data (answered by a command/reply carrying it)."""
    return b"connect\n\n"


def auth(password: str) -> bytes:
    return _encode(f"auth {_text(password, 'password')}")


def event(fmt: Literal["plain", "json"], names: Iterable[str]) -> bytes:
    """Subscribe: `event plain CHANNEL_ANSWER DTMF`, or `event json CUSTOM sofia::register`.

    No "xml": the parser does not read text/event-xml.
    """
    if fmt not in ("plain", "json"):
        raise ValueError(f"event format must be plain or json, not {fmt!r}")
    words = [names] if isinstance(names, str) else list(names)
    if not words:
        raise ValueError("event needs at least one event name")
    return _encode(" ".join(["event", fmt, *(_word(name, "event name") for name in words)]))


def filter_(header: str, value: str) -> bytes:
    """Only deliver events whose `header` equals `value` (FreeSWITCH ORs several filters)."""
    return _encode(f"filter {_word(header, 'filter header')} {_text(value, 'filter value')}")


def myevents(uuid: str | None = None) -> bytes:
    """Outbound: events of the controlled channel; inbound: of channel `uuid`."""
    if uuid is None:
        return b"myevents\n\n"
    return _encode(f"myevents {_word(uuid, 'uuid')}")


def linger(seconds: int | None = None) -> bytes:
    """Keep the socket open after hangup to receive the final events (for `seconds`, default: until done)."""
    if seconds is None:
        return b"linger\n\n"
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise ValueError(f"linger seconds must be a positive int, not {seconds!r}")
    return _encode(f"linger {seconds}")


def nolinger() -> bytes:
    return b"nolinger\n\n"


def api(command: str) -> bytes:
    """Blocking API call; answered by an api/response frame."""
    return _encode(f"api {_text(command, 'api command')}")


def bgapi(command: str, job_uuid: str | None = None) -> bytes:
    """Background API call; the result arrives as a BACKGROUND_JOB event with this Job-UUID."""
    line = f"bgapi {_text(command, 'bgapi command')}"
    if job_uuid is None:
        return _encode(line)
    return _encode(f"{line}\nJob-UUID: {_word(job_uuid, 'job_uuid')}")


def _sendmsg_line(uuid: str | None) -> str:
    return "sendmsg" if uuid is None else f"sendmsg {_word(uuid, 'uuid')}"


def sendmsg_execute(
    app: str, arg: str | None, event_uuid: str, uuid: str | None = None, lock: bool = False
) -> bytes:
    """Run dialplan application `app` on the channel; CHANNEL_EXECUTE(_COMPLETE) echo `event_uuid`
    as Application-UUID. An empty or None `arg` sends no execute-app-arg header, as FreeSWITCH's
    own clients do. `lock` makes the switch run queued applications one after another."""
    lines = [_sendmsg_line(uuid), "call-command: execute", f"execute-app-name: {_word(app, 'app')}"]
    if arg:
        lines.append(f"execute-app-arg: {_line_safe(arg, 'app arg')}")
    if lock:
        lines.append("event-lock: true")
    lines.append(f"Event-UUID: {_word(event_uuid, 'event_uuid')}")
    return _encode("\n".join(lines))


def sendmsg_hangup(cause: str, uuid: str | None = None) -> bytes:
    """Hang up the channel with a Q.850 cause name such as NORMAL_CLEARING."""
    return _encode(f"{_sendmsg_line(uuid)}\ncall-command: hangup\nhangup-cause: {_word(cause, 'cause')}")


def exit_() -> bytes:
    """Ask FreeSWITCH to close the connection (answered by "+OK bye" and a disconnect notice)."""
    return b"exit\n\n"
