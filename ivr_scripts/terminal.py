"""A Channel in the terminal: the simulator prints what the caller hears and where the call goes.

Key presses are scripted: each character of `keys` is the caller's answer to the next prompt
that waits for a key; "." is silence (that prompt times out). A prompt that takes several keys
(a self-service account number) takes them up to its terminator, a "." or its maximum: "51234#1"
is 5 in the menu, 1234 as the account, 1 in the next menu. Once the script runs out the caller
stays silent, so the menus' timeout and fallback rules show. `hang_up_after` makes the caller hang
up after that many prompts (`say` counts as one). Keys of a sensitive entry (a card number) are
never printed; recordings print what the switch would do (start, stop, mask, unmask).
"""

from __future__ import annotations

from collections.abc import Callable

from dialplans.vocabulary import NORMAL_CLEARING
from ivr_scripts.channel import Audio, BridgeResult, CallerHungUp, CallInfo, CallLeg, NoEvents, SayKind

SILENCE = "."


class TerminalChannel:
    def __init__(
        self,
        info: CallInfo,
        keys: str,
        *,
        out: Callable[[str], None] = print,
        hang_up_after: int | None = None,
    ) -> None:
        self._info = info
        self._keys = list(keys)
        self._out = out
        self._hang_up_after = hang_up_after
        self._prompts_heard = 0
        self._variables: dict[str, str] = {}
        self.ended: str | None = None

    @property
    def leg(self) -> CallLeg:
        """This channel as a call leg: it prints its recording verbs too; nobody reports its events."""
        return CallLeg(self, self, NoEvents())

    @property
    def info(self) -> CallInfo:
        return self._info

    def answer(self) -> None:
        self._out("[answer]")

    def play(self, audio: Audio, *, type_ahead: bool = False) -> None:
        self._hear(audio)

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
        self._hear(audio)
        entered = ""
        while self._keys and len(entered) < max_digits:
            key = self._keys.pop(0)
            if key == SILENCE or key in terminators:
                break
            entered += key
        if not entered:
            self._out(f"  (caller silent for {timeout:g} s)")
            return ""
        self._out(
            "  caller keys in a sensitive entry (not shown)" if sensitive else f"  caller presses {entered}"
        )
        return entered

    def say(self, kind: SayKind, value: str, *, language: str = "en") -> None:
        self._caller_may_hang_up()
        self._out(f"♪ say {kind} ({language}): {value}")

    def transfer(self, extension: str, context: str) -> None:
        self._end(f"transfer to {extension} in context {context}")

    def bridge(self, endpoint: str, *, timeout: float) -> BridgeResult:
        self._out(f"[bridge {endpoint}]")
        return "answered"

    def set_variable(self, name: str, value: str) -> None:
        self._variables[name] = value
        self._out(f"[set {name}={value}]")

    def get_variable(self, name: str) -> str | None:
        return self._variables.get(name)

    def record(self, path: str) -> None:
        self._out(f"[record to {path}]")

    def start_recording(self, path: str, *, stereo: bool) -> None:
        self._out(f"[recording starts: {path} ({'stereo' if stereo else 'mono'})]")

    def stop_recording(self, path: str) -> None:
        self._out(f"[recording stops: {path}]")

    def mask_recording(self, path: str) -> None:
        self._out(f"[recording masked: {path}]")

    def unmask_recording(self, path: str) -> None:
        self._out(f"[recording unmasked: {path}]")

    def hangup(self, cause: str = NORMAL_CLEARING) -> None:
        self._end(f"hang up ({cause})")

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        self._hear(Audio(label="music on hold", file=music))
        if self._keys and self._keys[0] in exit_keys:
            key = self._keys.pop(0)
            self._out(f"  caller presses {key}")
            return key
        self._out(f"  (holds for {seconds:g} s)")
        return ""

    def interrupt(self) -> None:
        self._out("[music interrupted]")

    def voicemail(self, profile: str, domain: str, box: str) -> None:
        self._out(f"[voicemail: the caller leaves a message in {box}@{domain} ({profile})]")

    def _hear(self, audio: Audio) -> None:
        self._caller_may_hang_up()
        if audio.file is not None:
            self._out(f"♪ {audio.label}: {audio.file}")
        else:
            self._out(f'♪ {audio.label} (TTS): "{audio.text or ""}"')

    def _caller_may_hang_up(self) -> None:
        if self._hang_up_after is not None and self._prompts_heard >= self._hang_up_after:
            self._out("  caller hangs up")
            raise CallerHungUp()
        self._prompts_heard += 1

    def _end(self, what: str) -> None:
        self.ended = what
        self._out(f"[{what}]")
