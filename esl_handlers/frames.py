"""The frames the ESL codec produces, their header mappings, and the codec's exceptions.

Frames are immutable values. Their `headers` are read-only mappings: `esl_handlers.headers.Headers`
for URL-encoded blocks (events, the outbound connect reply), a MappingProxyType otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import overload


class EslError(Exception):
    """Root of the ESL layer's exceptions."""


class ProtocolError(EslError):
    """The peer sent bytes that are not a valid ESL frame; the connection must be dropped."""


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """Inbound connection: FreeSWITCH asks for the password."""


@dataclass(frozen=True, slots=True)
class CommandReply:
    """Reply to a command (also the outbound `connect` reply, whose headers carry the channel data).

    `reply_text` is the Reply-Text header without trailing newlines.
    """

    reply_text: str
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return self.reply_text.startswith("+OK")

    @overload
    def get(self, key: str, default: None = None) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    def get(self, key: str, default: str | None = None) -> str | None:
        return self.headers.get(key, default)


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """Result of `api`; FreeSWITCH signals failure in the text (`-ERR ...`), not in the framing."""

    body: str


@dataclass(frozen=True, slots=True)
class Event:
    """A text/event-plain or text/event-json event; `body` is the event's own body (e.g. a job result)."""

    headers: Mapping[str, str]
    body: str | None

    @property
    def name(self) -> str:
        # The parser rejects events without Event-Name.
        return self.headers.get("Event-Name") or ""

    @overload
    def get(self, key: str, default: None = None) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    def get(self, key: str, default: str | None = None) -> str | None:
        return self.headers.get(key, default)

    @property
    def unique_id(self) -> str | None:
        return self.headers.get("Unique-ID")

    @property
    def application_uuid(self) -> str | None:
        return self.headers.get("Application-UUID")

    @property
    def job_uuid(self) -> str | None:
        return self.headers.get("Job-UUID")


@dataclass(frozen=True, slots=True)
class DisconnectNotice:
    """text/disconnect-notice; with `Content-Disposition: linger` more events may follow."""

    headers: Mapping[str, str]
    body: str

    @property
    def lingering(self) -> bool:
        return self.headers.get("Content-Disposition") == "linger"


@dataclass(frozen=True, slots=True)
class RudeRejection:
    """text/rude-rejection: the switch's ACL refused this connection."""

    body: str


Frame = AuthRequest | CommandReply | ApiResponse | Event | DisconnectNotice | RudeRejection
