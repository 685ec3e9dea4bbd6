"""What the scripted caller does, and what a call recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Version = Literal["1.10.12", "1.11.2"]
BridgeOutcome = Literal["answered", "no_answer", "busy", "failed"]
ParkEvent = Literal["after_first_reply", "before_first_reply", "after_linger_reply", "none"]
NoticePlacement = Literal["after_hangup", "after_hangup_complete"]


@dataclass(frozen=True)
class CallScript:
    """One call as the stand-in switch plays it.

    keys: per play_and_get_digits, in order, the keys the caller presses ("" = silent, so the
        collect times out). Collects beyond the list are silent.
    hangup_at: the caller hangs up while the application with this index runs (0-based, counting
        every `sendmsg` execute; for playback/speak/collect during the prompt, for bridge while
        bridged).
    hangup_after: the caller hangs up this many seconds after the connect reply.
    bridges: per bridge, what the agent's phone does. "answered" talks `talk_seconds`, then the
        agent hangs up (unless the caller hangs up first).
    media_seconds: how long playback, speak and a collect's prompt take (0: instant).
    realtime_collect: wait the collect's timeout when the caller is silent.
    park_event: where CHANNEL_PARK falls relative to the reply to the first sendmsg (a race in
        FreeSWITCH: the transcripts show both, and none at all), or right after the reply to
        `linger`, before any sendmsg ("after_linger_reply", as tests/transcripts/ shows it too).
    linger_notice: where the linger disconnect-notice falls; default per version as captured:
        1.11.2 sends it right after CHANNEL_HANGUP when the call hangs up while bridged.
    refuse_apps: application -> reply text (e.g. "-ERR memory error") for its sendmsg.
    malformed_at: instead of the reply to this sendmsg (0-based), send `malformed_frame`.
    missing_files: files playback reports as FILE NOT FOUND.
    prompt_keys: per playback of a prompt, speak or say, in order, the keys the caller presses while
        it plays (""= none). As FreeSWITCH does (mod_dptools on_dtmf): a key that is not in
        playback_terminators is swallowed; the first that is ends the prompt and is left in
        playback_terminator_used; the keys after it wait in the DTMF queue for the next
        play_and_get_digits.
    hold_keys: per playback of endless music (local_stream://, played until uuid_break), in
        order, the keys the caller presses `hold_key_after` seconds into it ("" = none).
    max_linger: how long the switch keeps a hung-up call's socket open for the application.
    recordings_dir: record_session writes real WAV files for paths under this directory (None:
        none is written, as for a switch on another host); see tests/support/standin/recording.py.
    after_socket_transfer: the dialplan action after `socket` ("<extension> XML <context>", as
        public.xml renders the fallback), run when a uuid_bridge ends and neither
        park_after_bridge, transfer_after_bridge nor hangup_after_bridge applies; None: no action
        follows, so the call hangs up with NORMAL_CLEARING (see uuid_bridge.py).
    local_streams: the mod_local_stream sources running (local_stream.conf directories that
        exist); playback of any other local_stream:// fails at once with FILE NOT FOUND.
    """

    keys: Sequence[str] = ()
    hangup_at: int | None = None
    hangup_after: float | None = None
    version: Version = "1.10.12"
    uuid: str | None = None
    caller_number: str = "+15551230001"
    caller_name: str | None = None
    destination: str = "4001"
    bridges: Sequence[BridgeOutcome] = ()
    talk_seconds: float = 0.0
    media_seconds: float = 0.0
    realtime_collect: bool = False
    park_event: ParkEvent = "after_first_reply"
    linger_notice: NoticePlacement | None = None
    refuse_apps: Mapping[str, str] = field(default_factory=dict)
    malformed_at: int | None = None
    malformed_frame: bytes = b"Content-Type: command/reply\nReply-Text +OK\n\n"
    missing_files: frozenset[str] = frozenset()
    prompt_keys: Sequence[str] = ()
    hold_keys: Sequence[str] = ()
    hold_key_after: float = 0.0
    # What our rendered public.xml sets before `socket` (freeswitch_conf/templates/dialplan/public.xml).
    variables: Mapping[str, str] = field(default_factory=lambda: {"playback_terminators": "none"})
    max_linger: float = 10.0
    connect_timeout: float = 5.0
    after_socket_transfer: str | None = None
    recordings_dir: str | None = None
    local_streams: frozenset[str] = frozenset({"moh"})


@dataclass(frozen=True)
class Execution:
    """A `sendmsg` execute the switch received."""

    app: str
    arg: str | None
    event_uuid: str | None


@dataclass(frozen=True)
class Collected:
    """What one play_and_get_digits heard and returned."""

    prompt: str
    keys: str
    digits: str | None  # the value left in the variable (None: unset)
    variable: str
    read_result: str


@dataclass(frozen=True)
class Said:
    """What one `say` was asked to read, as mod_dptools say_function splits its argument."""

    module: str
    say_type: str
    method: str
    gender: str | None
    text: str
