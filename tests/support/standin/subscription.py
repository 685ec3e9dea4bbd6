"""Which of its channel's events an outbound socket gets: mod_event_socket's event_list.

Modelled on parse_command and event_handler in mod_event_socket.c (1.10.12 and 1.11.2 alike) and checked
against tests/transcripts/<version>/event_subset_outbound.jsonl and record_session_outbound.jsonl:

- Nothing reaches the socket before a command turns events on (LFLAG_EVENTS).
- `myevents` turns on exactly MYEVENTS (no RECORD_*, no PLAYBACK_*, no BACKGROUND_JOB): "+OK Events
  Enabled"; a second time "-ERR aready enabled." (sic).
- `event <format> NAME ...` adds types: "+OK event listener enabled <format>"; "-ERR no keywords
  supplied" when no word names an event type. Only the first word may be a format.
- `nixevent NAME ...` removes types: "+OK events nixed", or "-ERR no keywords supplied". Words that name
  no event type are skipped (a format word too); `nixevent ALL` clears everything, nixing one type
  while ALL is on keeps all the others.
- `filter <header> <value>` keeps only events whose header matches: "+OK filter added. [h]=[v]". With
  any filter an event is sent only if one matches (a value starting '-' excludes instead, '/' is a
  regex). The application filters on Unique-ID and subscribes with `event` (no LFLAG_MYEVENTS): the
  real socket then sees every channel's events of those types before the filter, the stand-in only
  its own call's, which the filter passes (tests/transcripts/<version>/socket_events_outbound.jsonl).
- After CUSTOM, the words are subclass names (the stand-in fires no CUSTOM events; they are kept).
- switch_name_event matches a name case-insensitively, or whatever follows a 13-character prefix
  (SWITCH_EVENT_DTMF names DTMF).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

# EVENT_NAMES in switch_event.c, SWITCH_EVENT_ALL last; 1.11.2 adds CERT_RELOAD before ALL.
EVENT_NAMES: Final = (
    "CUSTOM",
    "CLONE",
    "CHANNEL_CREATE",
    "CHANNEL_DESTROY",
    "CHANNEL_STATE",
    "CHANNEL_CALLSTATE",
    "CHANNEL_ANSWER",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HOLD",
    "CHANNEL_UNHOLD",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_OUTGOING",
    "CHANNEL_PARK",
    "CHANNEL_UNPARK",
    "CHANNEL_APPLICATION",
    "CHANNEL_ORIGINATE",
    "CHANNEL_UUID",
    "API",
    "LOG",
    "INBOUND_CHAN",
    "OUTBOUND_CHAN",
    "STARTUP",
    "SHUTDOWN",
    "PUBLISH",
    "UNPUBLISH",
    "TALK",
    "NOTALK",
    "SESSION_CRASH",
    "MODULE_LOAD",
    "MODULE_UNLOAD",
    "DTMF",
    "MESSAGE",
    "PRESENCE_IN",
    "NOTIFY_IN",
    "PRESENCE_OUT",
    "PRESENCE_PROBE",
    "MESSAGE_WAITING",
    "MESSAGE_QUERY",
    "ROSTER",
    "CODEC",
    "BACKGROUND_JOB",
    "DETECTED_SPEECH",
    "DETECTED_TONE",
    "PRIVATE_COMMAND",
    "HEARTBEAT",
    "TRAP",
    "ADD_SCHEDULE",
    "DEL_SCHEDULE",
    "EXE_SCHEDULE",
    "RE_SCHEDULE",
    "RELOADXML",
    "NOTIFY",
    "PHONE_FEATURE",
    "PHONE_FEATURE_SUBSCRIBE",
    "SEND_MESSAGE",
    "RECV_MESSAGE",
    "REQUEST_PARAMS",
    "CHANNEL_DATA",
    "GENERAL",
    "COMMAND",
    "SESSION_HEARTBEAT",
    "CLIENT_DISCONNECTED",
    "SERVER_DISCONNECTED",
    "SEND_INFO",
    "RECV_INFO",
    "RECV_RTCP_MESSAGE",
    "SEND_RTCP_MESSAGE",
    "CALL_SECURE",
    "NAT",
    "RECORD_START",
    "RECORD_STOP",
    "PLAYBACK_START",
    "PLAYBACK_STOP",
    "CALL_UPDATE",
    "FAILURE",
    "SOCKET_DATA",
    "MEDIA_BUG_START",
    "MEDIA_BUG_STOP",
    "CONFERENCE_DATA_QUERY",
    "CONFERENCE_DATA",
    "CALL_SETUP_REQ",
    "CALL_SETUP_RESULT",
    "CALL_DETAIL",
    "DEVICE_STATE",
    "TEXT",
    "SHUTDOWN_REQUESTED",
)
ADDED_IN: Final = {"CERT_RELOAD": "1.11.2"}
ALL: Final = "ALL"
CUSTOM: Final = "CUSTOM"
# The types `myevents` turns on (mod_event_socket.c, parse_command).
MYEVENTS: Final = frozenset(
    {
        "CHANNEL_ANSWER",
        "CHANNEL_APPLICATION",
        "CHANNEL_BRIDGE",
        "CHANNEL_CREATE",
        "CHANNEL_DATA",
        "CHANNEL_DESTROY",
        "CHANNEL_EXECUTE",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
        "CHANNEL_ORIGINATE",
        "CHANNEL_UUID",
        "CHANNEL_OUTGOING",
        "CHANNEL_PARK",
        "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA",
        "CHANNEL_STATE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_UNPARK",
        "DETECTED_SPEECH",
        "DTMF",
        "NOTALK",
        "TALK",
    }
)
NO_KEYWORDS: Final = "-ERR no keywords supplied"


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def event_names(version: str) -> tuple[str, ...]:
    """Every event type a release knows, SWITCH_EVENT_ALL last."""
    added = tuple(name for name, since in ADDED_IN.items() if _release(version) >= _release(since))
    return (*EVENT_NAMES, *added, ALL)


def event_type(word: str, version: str) -> str | None:
    """switch_name_event: the type `word` names, or None."""
    for name in event_names(version):
        if (len(word) > 13 and word[13:].upper() == name) or word.upper() == name:
            return name
    return None


class Subscription:
    """One outbound socket's event_list, LFLAG_EVENTS and LFLAG_MYEVENTS."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.types: set[str] = set()
        self.custom: set[str] = set()  # CUSTOM subclasses
        self.enabled = False
        self.myevents = False
        self.filters: list[tuple[str, str]] = []

    def wants(self, event_name: str) -> bool:
        """Whether an event of this type (of the socket's own channel) goes to the socket."""
        return self.enabled and (ALL in self.types or event_name in self.types)

    def passes(self, headers: Iterable[tuple[str, str]]) -> bool:
        """event_handler's filter check: no filter passes all; else the first match decides."""
        if not self.filters:
            return True
        values = {name.lower(): value for name, value in headers}
        send = False
        for name, wanted in self.filters:
            value = values.get(name.lower())
            if value is None:
                continue
            positive = not wanted.lstrip(" +").startswith("-")
            pattern = wanted.lstrip(" +-")
            if send and positive:
                continue
            matched = (
                re.search(pattern[1:].rstrip("/"), value) is not None
                if pattern.startswith("/")
                else value.lower() == pattern.lower()
            )
            if matched:
                if not positive:
                    return False
                send = True
        return send

    def add_filter(self, argument: str) -> str:
        """`filter <header> <value>` (the `delete` form is not modelled)."""
        name, _, value = argument.strip(" ").partition(" ")
        if not value:
            return "-ERR invalid syntax"
        self.filters.append((name, value))
        return f"+OK filter added. [{name}]=[{value}]"

    def command(self, verb: str, argument: str) -> str:
        """The reply text to `myevents`, `event` or `nixevent`."""
        if verb == "myevents":
            return self._myevents()
        if verb == "nixevent":
            return self._nixevent(argument.split(" ") if argument else [])
        return self._event(argument.split(" ") if argument else [])

    def _myevents(self) -> str:
        if self.myevents:
            return "-ERR aready enabled."
        self.types |= MYEVENTS
        self.myevents = self.enabled = True
        return "+OK Events Enabled"

    def _event(self, words: list[str]) -> str:
        keys = 0
        custom = False
        for count, word in enumerate(words):
            if count == 0 and word.lower() in ("xml", "plain", "json"):
                continue
            if custom:
                self.custom.add(word)
                continue
            name = event_type(word, self.version)
            if name is None:
                continue
            keys += 1
            if name == ALL:
                self.types.update(event_names(self.version))
            self.types.add(name)
            if name == CUSTOM:
                custom = True
        if not keys:
            return NO_KEYWORDS
        self.enabled = True
        # The stand-in writes events plain whatever the format word asked for.
        return "+OK event listener enabled plain"

    def _nixevent(self, words: list[str]) -> str:
        keys = 0
        custom = False
        for word in words:
            if custom:
                self.custom.discard(word)
                continue
            name = event_type(word, self.version)
            if name is None:
                continue
            keys += 1
            if name == CUSTOM:
                custom = True
            elif name == ALL:
                self.types.clear()
            else:
                if ALL in self.types:
                    self.types = set(event_names(self.version)) - {ALL}
                self.types.discard(name)
        if not keys:
            return NO_KEYWORDS
        self.enabled = True
        return "+OK events nixed"
