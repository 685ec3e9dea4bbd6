"""Events built from the transcripts' own frames.

A template is a captured event split into the block before the channel variables, the
variables, and the block after (the Application-* headers are dropped there and rebuilt per
event, in FreeSWITCH's order). Rendering a template for a call (tests/support/standin/render.py):

- substitutes the call's identity (UUID, caller number and name, destination, the bridged
  leg's UUID) wherever the captured call's values appear;
- sets Event-Sequence, the Event-Date-* headers and the per-event overrides (Hangup-Cause,
  DTMF-Digit, ...);
- overlays the variables this call has set: a captured variable that the call set takes the
  call's value (in place); one that the captured script had set but this call has not is
  dropped; the call's other variables are appended, as FreeSWITCH appends new variables.

Roles name what a template is for: "CHANNEL_EXECUTE:playback", "CHANNEL_STATE:CS_HANGUP",
"DTMF", ... . A library built from one transcript hands out the n-th template of a role to the
n-th use in a call, so replaying that transcript's exchange gives back its frames.

A library built per channel from a capture of originated legs (the campaign captures) also keys
each leg's templates by how it was originated: a customer dialled with an inline dialplan (the
dialer's call-progress listening) and a seat running `&park()` send different headers
(Caller-Dialplan and Caller-Transfer-Source, Channel-Presence-ID). A leg of that kind is rendered
from its kind's templates, preferring the shape captured with or without the Other-Leg-* block as
its profile names another leg or not (from uuid_bridge on, the seat's CHANNEL_PARK after the
customer left still carries the customer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Final, Literal
from urllib.parse import unquote

from tests.support.standin.setvar import names_set
from tests.support.standin.transcripts import WireFrame, parse_frames
from tests.support.standin.wire import separate_string
from tests.support.transcripts import VERSIONS, Entry, load

APP_HEADERS: Final = ("Application", "Application-Data", "Application-Response", "Application-UUID")
DESTINATION_HEADERS: Final = frozenset(
    {
        "Channel-Destination-Number",
        "Caller-Destination-Number",
        "variable_sip_req_user",
        "variable_sip_to_user",
        "variable_sip_req_uri",
        "variable_sip_to_uri",
        "variable_sip_full_to",
        "variable_DP_MATCH",
    }
)
# Templates for applications the transcripts never ran.
APP_ALIASES: Final = {"speak": "playback", "say": "playback", "sleep": "playback", "pre_answer": "answer"}
GENERIC_APP: Final = "set"
OUTBOUND_FILES: Final = ("outbound_menu", "outbound_caller_hangup", "outbound_bridge")
INBOUND_FILES: Final = ("inbound_plain", "inbound_json")

Header = tuple[str, str]
# How a leg was originated: `<dial> '<steps>' inline` (a campaign customer) or `<dial> &app(arg)`.
LegKind = Literal["inline", "application"]


@dataclass(frozen=True)
class LegShape:
    """What picks a leg's template: its kind, and whether its profile names another leg (Other-Leg-*)."""

    kind: LegKind
    names_other_leg: bool


@dataclass(frozen=True)
class Identity:
    """Who the captured call was, so its values can be replaced by another call's."""

    uuid: str
    caller_number: str
    caller_name: str
    destination: str
    other_leg: str | None = None


@dataclass(frozen=True)
class CallIdentity:
    uuid: str
    caller_number: str
    caller_name: str
    destination: str
    other_leg: str


@dataclass(frozen=True)
class EventTemplate:
    role: str
    source: str
    identity: Identity
    pre: tuple[Header, ...]  # decoded values
    variables: tuple[Header, ...]  # (name without "variable_", decoded value)
    post: tuple[Header, ...]
    app_headers: tuple[Header, ...]
    body: str | None
    json: bool = False

    @property
    def has_variables(self) -> bool:
        return bool(self.variables)

    @property
    def names_other_leg(self) -> bool:
        return any(name == "Other-Leg-Unique-ID" for name, _ in self.pre)


@dataclass
class TemplateLibrary:
    """Templates by role, plus what the captured calls' scripts set (dropped unless a call sets it)."""

    connect: EventTemplate | None
    roles: dict[str, list[EventTemplate]]
    script_vars: frozenset[str]
    status_body: str
    sequenced: bool = False
    json_roles: dict[str, list[EventTemplate]] = field(default_factory=dict)
    legs: dict[LegKind, dict[str, list[EventTemplate]]] = field(default_factory=dict)

    def get(
        self, role: str, occurrence: int = 0, *, json_format: bool = False, leg: LegShape | None = None
    ) -> EventTemplate:
        """The template for `role`; for a `leg`, its kind's own when the library captured one."""
        own = self.legs.get(leg.kind, {}).get(role) if leg is not None else None
        if own and leg is not None:
            return min(own, key=lambda t: (t.json != json_format, t.names_other_leg != leg.names_other_leg))
        first, second = (self.json_roles, self.roles) if json_format else (self.roles, self.json_roles)
        candidates = first.get(role) or second.get(role) or self._fallback(role)
        index = min(occurrence, len(candidates) - 1) if self.sequenced else 0
        return candidates[index]

    def _fallback(self, role: str) -> list[EventTemplate]:
        event, _, app = role.partition(":")
        if event == "CHANNEL_STATE":  # a state no transcript passed through: any state event's shape
            states = sorted(name for name in self.roles if name.startswith("CHANNEL_STATE:"))
            if states:
                return self.roles[states[0]]
        for alias in (APP_ALIASES.get(app), GENERIC_APP):
            if alias and f"{event}:{alias}" in self.roles:
                return self.roles[f"{event}:{alias}"]
        raise KeyError(f"no template for {role}")

    @classmethod
    def from_transcripts(
        cls,
        version: str,
        names: Iterable[str],
        *,
        sequenced: bool = False,
        root: Path | None = None,
        per_channel: bool = False,
    ) -> TemplateLibrary:
        """Templates from the shared transcripts, or from those under `root` (CAPTURES_DIR).

        `per_channel`: each event's identity is its own channel's (by Unique-ID), for captures of
        several calls on one connection (parked_control_inbound), and the templates of a leg the
        capture originated are its kind's too (`legs`); else the transcript's first call's."""
        library = cls(connect=None, roles={}, script_vars=frozenset(), status_body="", sequenced=sequenced)
        script_vars: set[str] = set()
        for name in names:
            entries = load(version, name, root)
            script_vars |= _script_variables(entries)
            library._add(entries, f"{version}/{name}", per_channel=per_channel)
        library.script_vars = frozenset(script_vars - library.channel_data_vars())
        return library

    def channel_data_vars(self) -> set[str]:
        return {name for name, _ in self.connect.variables} if self.connect else set()

    def _add(self, entries: tuple[Entry, ...], source: str, *, per_channel: bool = False) -> None:
        identity: Identity | None = None
        channels: dict[str, Identity] = {}
        kinds = originated_kinds(entries) if per_channel else {}
        frames = [
            frame for entry in entries if entry.from_switch for frame in parse_frames(entry.raw.encode())[0]
        ]
        for index, frame in enumerate(frames):
            if frame.content_type == "api/response" and frame.body.startswith(b"UP "):
                self.status_body = self.status_body or frame.body.decode()
            headers = _decoded_headers(frame)
            if not headers:
                continue
            if identity is None:
                identity = _identity(frames)
            own = identity
            channel = dict(headers).get("Unique-ID") if per_channel else None
            if channel:
                own = channels.get(channel) or channels.setdefault(
                    channel,
                    _identity([f for f in frames if dict(_decoded_headers(f)).get("Unique-ID") == channel]),
                )
            template = _template(headers, frame, own, f"{source}#{index}")
            if template.role == "CHANNEL_DATA":
                self.connect = self.connect or template
                continue
            target = self.json_roles if template.json else self.roles
            target.setdefault(template.role, []).append(template)
            kind = kinds.get(channel or "")
            if kind is not None:
                self.legs.setdefault(kind, {}).setdefault(template.role, []).append(template)


@cache
def default_library(version: str) -> TemplateLibrary:
    """Every transcript of a version; the first template of each role serves every use."""
    if version not in VERSIONS:
        raise ValueError(f"unknown FreeSWITCH version {version!r}; captured: {', '.join(VERSIONS)}")
    return TemplateLibrary.from_transcripts(version, OUTBOUND_FILES + INBOUND_FILES)


def originated_kinds(entries: Iterable[Entry]) -> dict[str, LegKind]:
    """The legs a capture's application originated with an origination_uuid, by that uuid."""
    kinds: dict[str, LegKind] = {}
    for entry in entries:
        command, _, arg = entry.raw.strip().partition(" originate ")
        argv = separate_string(arg)
        if entry.from_switch or command not in ("api", "bgapi") or len(argv) < 2:
            continue
        settings = argv[0][1:].partition("}")[0] if argv[0].startswith("{") else ""
        for setting in settings.split(","):
            name, _, value = setting.partition("=")
            if name == "origination_uuid":
                kinds[value] = "inline" if argv[2:3] == ["inline"] else "application"
    return kinds


def _decoded_headers(frame: WireFrame) -> list[Header]:
    if frame.content_type == "text/event-json":
        document = json.loads(frame.body)
        return [(k, "ARRAY::" + "|:".join(v) if isinstance(v, list) else str(v)) for k, v in document.items()]
    if frame.content_type == "text/event-plain" or (
        frame.content_type == "command/reply" and frame.outer_value("Event-Name")
    ):
        return [(name, unquote(value)) for name, value in frame.event_headers]
    return []


def _role(headers: Mapping[str, str]) -> str:
    name = headers["Event-Name"]
    if name in ("CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE"):
        return f"{name}:{headers.get('Application', '')}"
    if name == "CHANNEL_STATE":
        return f"{name}:{headers.get('Channel-State', '')}"
    return name


def _template(headers: list[Header], frame: WireFrame, identity: Identity, source: str) -> EventTemplate:
    as_dict = dict(headers)
    is_json = frame.content_type == "text/event-json"
    body: str | None = None
    if is_json:
        body = as_dict.get("_body")
        headers = [(k, v) for k, v in headers if k not in ("_body", "Content-Length")]
    elif frame.content_type == "text/event-plain":
        raw_body = frame.event_body
        body = raw_body.decode() if raw_body else None
        headers = [(k, v) for k, v in headers if k != "Content-Length"]
    first = next((i for i, (k, _) in enumerate(headers) if k.startswith("variable_")), None)
    last = max((i for i, (k, _) in enumerate(headers) if k.startswith("variable_")), default=None)
    if first is None or last is None:
        pre, variables, post = headers, [], []
    else:
        pre, post = headers[:first], headers[last + 1 :]
        variables = [(k[len("variable_") :], v) for k, v in headers[first : last + 1]]
    app_headers = tuple((k, v) for k, v in headers if k in APP_HEADERS)
    return EventTemplate(
        role="CHANNEL_DATA" if as_dict.get("Event-Name") == "CHANNEL_DATA" else _role(as_dict),
        source=source,
        identity=identity,
        pre=tuple((k, v) for k, v in pre if k not in APP_HEADERS),
        variables=tuple(variables),
        post=tuple((k, v) for k, v in post if k not in APP_HEADERS),
        app_headers=app_headers,
        body=body,
        json=is_json,
    )


def _identity(frames: list[WireFrame]) -> Identity:
    """The captured call: taken from its first channel event (connect reply or CHANNEL_CREATE)."""
    other_leg: str | None = None
    first: dict[str, str] | None = None
    for frame in frames:
        headers = dict(_decoded_headers(frame))
        if "Unique-ID" in headers and "Caller-Caller-ID-Number" in headers and first is None:
            first = headers
        other_leg = other_leg or headers.get("Other-Leg-Unique-ID") or headers.get("variable_bridge_uuid")
    if first is None:
        return Identity("", "", "", "")
    return Identity(
        uuid=first["Unique-ID"],
        caller_number=first.get("Caller-Caller-ID-Number", ""),
        caller_name=first.get("Caller-Caller-ID-Name", ""),
        destination=first.get("Caller-Destination-Number", ""),
        other_leg=other_leg,
    )


def _script_variables(entries: tuple[Entry, ...]) -> set[str]:
    """Variables the captured application set itself (set, uuid_setvar, uuid_setvar_multi,
    play_and_get_digits and its results)."""
    names: set[str] = set()
    for entry in entries:
        if not entry.from_switch and entry.raw.startswith("api "):
            names.update(names_set(entry.raw[4:].strip()))
        if entry.from_switch or not entry.raw.startswith("sendmsg"):
            continue
        fields = dict(line.split(": ", 1) for line in entry.raw.strip().split("\n")[1:] if ": " in line)
        app, arg = fields.get("execute-app-name"), fields.get("execute-app-arg", "")
        if app == "set" and "=" in arg:
            names.add(arg.split("=", 1)[0])
        elif app == "play_and_get_digits":
            argv = separate_string(arg)
            if len(argv) > 7:
                names |= {argv[7], f"{argv[7]}_invalid", "read_result", "read_terminator_used"}
    return names
