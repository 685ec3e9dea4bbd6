"""A Channel whose holds follow a script (music, a key, a hang-up, something meanwhile), for the waiting
caller and the agent offer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ivr_scripts.channel import Audio, CallerHungUp, CallInfo
from tests.fakes.clock import FakeClock
from tests.fakes.unused_channel import UnusedChannel

CALL = "6f0b8a52-0d7e-4b59-9d4e-1c2f3a4b5c6d"
MUSIC = "local_stream://moh"


@dataclass(frozen=True)
class Music:
    """The hold runs its full time."""


@dataclass(frozen=True)
class Press:
    key: str
    after: float


@dataclass(frozen=True)
class HangUp:
    after: float


@dataclass(frozen=True)
class Meanwhile:
    """After `after` seconds of music another greenlet runs `action` (which may interrupt the hold)."""

    after: float
    action: Callable[[], None]
    key: str = ""  # a key the caller pressed at the same moment


HoldStep = Music | Press | HangUp | Meanwhile


@dataclass
class ScriptedChannel(UnusedChannel):
    """A Channel whose holds follow a script; logs what the caller hears, at which second."""

    clock: FakeClock
    script: list[HoldStep]
    caller_number: str = "+15551234567"
    caller_name: str = "Jane Doe"
    play_seconds: float = 2.0
    hang_up_on_play: bool = False
    log: list[tuple[float, str, str]] = field(default_factory=list)
    holds: list[tuple[float, float, str]] = field(default_factory=list)  # (start, seconds, exit keys)
    interrupted: bool = False
    interrupts: int = 0

    @property
    def info(self) -> CallInfo:
        return CallInfo(CALL, self.caller_number, self.caller_name, "4001")

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        assert music == MUSIC
        assert seconds > 0
        self.holds.append((self.clock.elapsed(), seconds, exit_keys))
        if not self.script:
            raise AssertionError(f"unexpected hold at {self.clock.elapsed()} s")
        step = self.script.pop(0)
        if isinstance(step, Music):
            self.clock.advance(seconds)
            return ""
        assert step.after <= seconds, "scripted step later than the hold lasts"
        self.clock.advance(step.after)
        if isinstance(step, Press):
            assert step.key in exit_keys, f"key {step.key} is not an exit key here ({exit_keys!r})"
            return step.key
        if isinstance(step, HangUp):
            raise CallerHungUp("NORMAL_CLEARING")
        self.interrupted = False
        step.action()
        if step.key:
            return step.key
        if self.interrupted:
            return ""
        self.clock.advance(seconds - step.after)
        return ""

    def interrupt(self) -> None:
        self.interrupts += 1
        self.interrupted = True

    def play(self, audio: Audio, *, type_ahead: bool = False) -> None:
        self.log.append((self.clock.elapsed(), "play", audio.text or audio.label))
        self.clock.advance(self.play_seconds)
        if self.hang_up_on_play:
            raise CallerHungUp("NORMAL_CLEARING")

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        self.log.append((self.clock.elapsed(), "hangup", cause))
