"""A call leg as the call logic sees it: `Channel` (the media verbs), `RecordingControl` (recordings
running beside the call) and `CallEvents` (what the switch reports about the leg), bundled as `CallLeg`.

IVR menus, queues and recording rules are written against these protocols only.
`esl_handlers.esl_channel.EslChannel` implements it over the event socket,
`ivr_scripts.terminal.TerminalChannel` in the terminal simulator, and the
unit tests use scripted fakes. Every method blocks the calling greenlet until
FreeSWITCH says the application has completed, and raises `CallerHungUp` as
soon as the caller has gone, whatever was pending.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from dialplans.vocabulary import NORMAL_CLEARING


class ChannelError(Exception):
    """The channel could not carry out an operation (root of this layer's errors)."""


class CallerHungUp(ChannelError):
    """The caller hung up; every pending and later operation on the channel ends with this."""

    def __init__(self, cause: str = NORMAL_CLEARING) -> None:
        super().__init__(f"caller hung up ({cause})")
        self.cause = cause


class HoldFailed(ChannelError):
    """The hold music could not be played: the switch reported an error (FILE NOT FOUND, PLAYBACK
    ERROR), or the playback ended far sooner than asked without a key or `interrupt()`.

    `reason` is the switch's response, or ENDED_EARLY. A channel raises it only after keeping the
    caller a while (see `Channel.hold`), so a broken source can never make a caller's hold spin.
    """

    def __init__(self, music: str, reason: str) -> None:
        super().__init__(f"hold music {music} failed: {reason}")
        self.music = music
        self.reason = reason


# HoldFailed.reason for a playback that ended far sooner than asked with no key and no interrupt.
ENDED_EARLY: Final = "ENDED EARLY"


@dataclass(frozen=True, slots=True)
class CallInfo:
    uuid: str
    caller_number: str
    caller_name: str
    destination: str


@dataclass(frozen=True, slots=True)
class Audio:
    """What to play: a file the switch can open, else text for TTS.

    `label` names the prompt in logs and in the ivr_steps table.
    """

    label: str
    file: str | None = None
    text: str | None = None


# The shortest back-off of a failed hold; see Channel.hold.
HOLD_FAILURE_PAUSE: Final = 1.0

BridgeResult = Literal["answered", "no_answer", "busy", "failed"]
# What `say` reads with the switch's own phrases (mod_say_<language>): a number ("42" as forty-two),
# digits one by one, a date (YYYY-MM-DD), an amount of money ("12.50").
SayKind = Literal["number", "digits", "date", "money"]


class Channel(Protocol):
    @property
    def info(self) -> CallInfo: ...

    def answer(self) -> None: ...

    def play(self, audio: Audio, *, type_ahead: bool = False) -> None:
        """Play `audio` to the end. `type_ahead`: the prompt comes before a question, and a key the
        caller presses during it ends it and answers that question (the next `collect_digits`
        returns it without playing its own prompt). Otherwise keys pressed during it are ignored."""
        ...

    def collect_digits(
        self,
        audio: Audio,
        *,
        max_digits: int,
        timeout: float,
        digit_timeout: float,
        terminators: str = "#",
        sensitive: bool = False,
    ) -> str:
        """Play `audio`, then return the keys pressed ("" on timeout).

        One attempt only: retries, invalid-key and timeout prompts are the
        caller's business, so each attempt can be recorded as a step.
        `sensitive` (a card number): the keys are never logged, and no channel
        variable keeps them once they have been read.
        """
        ...

    def say(self, kind: SayKind, value: str, *, language: str = "en") -> None:
        """Read `value` with the switch's say phrases (FreeSWITCH's `say` application)."""
        ...

    def transfer(self, extension: str, context: str) -> None: ...

    def bridge(self, endpoint: str, *, timeout: float) -> BridgeResult: ...

    def set_variable(self, name: str, value: str) -> None: ...

    def get_variable(self, name: str) -> str | None: ...

    def record(self, path: str) -> None: ...

    def hangup(self, cause: str = NORMAL_CLEARING) -> None: ...

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        """Play music on hold (e.g. local_stream://moh) for up to `seconds`.

        Returns the exit key the caller pressed, or "" when the time ran out or `interrupt()` was
        called. The queue uses it between announcements.

        Raises `HoldFailed` when `music` cannot be played, and never sooner than a back-off after
        the attempt started (at least `min(seconds, HOLD_FAILURE_PAUSE)`, growing with each
        consecutive failure on this call) unless a key, `interrupt()` or a hang-up ends it: whatever
        the source, a caller costs a bounded number of hold attempts per second. What to play
        instead is the caller's business (the queue falls back to a tone). An early end that the
        switch may have caused itself (a uuid_bridge cuts playback short) may return "" once before
        a second in a row raises.
        """
        ...

    def interrupt(self) -> None:
        """End a pending hold or play early (from another greenlet); a no-op when nothing plays."""
        ...

    def voicemail(self, profile: str, domain: str, box: str) -> None:
        """Let the caller leave a message in `box` (a user of `domain`) with the switch's voicemail.

        Returns when the voicemail application ends with the caller still there; a caller who hangs
        up after recording (the usual end) raises `CallerHungUp`, the message being kept.
        """
        ...


class RecordingControl(Protocol):
    """Recordings that run beside the call (ivr_scripts.recording.CallRecorder drives them)."""

    def start_recording(self, path: str, *, stereo: bool) -> None:
        """Record the call into `path` from now on, through any bridge, until the call ends or
        `stop_recording`; `stereo`: the caller on the left channel, the other party on the right."""
        ...

    def stop_recording(self, path: str) -> None: ...

    def mask_recording(self, path: str) -> None:
        """Write silence into the recording at `path` until `unmask_recording` (PCI: card digits)."""
        ...

    def unmask_recording(self, path: str) -> None: ...


class LegEvent(Protocol):
    """One event the switch reported about a call leg (an ESL event satisfies it)."""

    @property
    def name(self) -> str: ...

    @property
    def unique_id(self) -> str | None: ...


class CallEvents(Protocol):
    """The switch's reports about a call leg, for whoever must follow them (the ACD watches the end)."""

    def add_event_listener(self, listener: Callable[[LegEvent], None]) -> None:
        """Call `listener` with every later event of the leg, in order, until the leg is gone."""
        ...


class NoEvents:
    """A leg whose events nobody reports (the terminal simulator, tests without an ACD)."""

    def add_event_listener(self, listener: Callable[[LegEvent], None]) -> None:
        del listener


@dataclass(frozen=True, slots=True)
class CallLeg:
    """One call leg's three faces; the runner and the ACD get them together, each used for its part."""

    channel: Channel
    recording: RecordingControl
    events: CallEvents
