"""A scripted Channel for the IVR runner: the caller's keys in turn, everything done to the call as events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ivr_scripts.channel import Audio, BridgeResult, CallerHungUp, CallInfo, CallLeg, NoEvents, SayKind

HANG_UP = "<hang up>"  # in a FakeChannel's answers: the caller hangs up at that prompt


class FakeChannel:
    """A scripted Channel that records everything done to the call as readable events.

    `answers` are the caller's keys for each collect_digits in turn ("" is silence, HANG_UP hangs up);
    once they run out the caller stays silent. Once the caller has hung up, every later operation
    raises CallerHungUp, as on the switch. Recording operations are events too (`record:start:<path>`,
    `record:mask:<path>`...); `sensitive` keeps the sensitive flag of each collect_digits in turn.
    """

    def __init__(self, info: CallInfo, answers: Iterable[str] = ()) -> None:
        self._info = info
        self._answers = list(answers)
        self.events: list[str] = []
        self.variables: dict[str, str] = {}
        self.collects: list[dict[str, Any]] = []
        self.sensitive: list[bool] = []
        self.typed_over: list[str] = []  # the prompts played with type_ahead, in order
        self.stereo: dict[str, bool] = {}
        self.gone = False
        self.after_hangup: list[str] = []  # operations tried once the caller had gone

    @property
    def leg(self) -> CallLeg:
        """This fake as a call leg: it notes its recording verbs too; it reports no events."""
        return CallLeg(self, self, NoEvents())

    @property
    def info(self) -> CallInfo:
        return self._info

    def heard(self, kind: str) -> list[str]:
        """The events of one kind (play, collect, say, hangup...), without the kind."""
        prefix = f"{kind}:"
        return [event.removeprefix(prefix) for event in self.events if event.startswith(prefix)]

    def answer(self) -> None:
        self._still_there("answer")
        self.events.append("answer")

    def play(self, audio: Audio, *, type_ahead: bool = False) -> None:
        self._still_there("play")
        if type_ahead:
            self.typed_over.append(audio.label)
        self.events.append(
            f"play:{audio.label}" + (f"={audio.text}" if audio.label.startswith("field:") else "")
        )

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
        self._still_there("collect_digits")
        self.events.append(f"collect:{audio.label}")
        self.sensitive.append(sensitive)
        self.collects.append(
            {
                "max_digits": max_digits,
                "timeout": timeout,
                "digit_timeout": digit_timeout,
                "term": terminators,
            }
        )
        answer = self._answers.pop(0) if self._answers else ""
        if answer == HANG_UP:
            self.gone = True
            raise CallerHungUp()
        return answer

    def say(self, kind: SayKind, value: str, *, language: str = "en") -> None:
        self._still_there("say")
        self.events.append(f"say:{kind}={value}")

    def transfer(self, extension: str, context: str) -> None:
        self._still_there("transfer")
        self.events.append(f"transfer:{extension}@{context}")

    def bridge(self, endpoint: str, *, timeout: float) -> BridgeResult:
        raise AssertionError("the IVR runner does not bridge")

    def set_variable(self, name: str, value: str) -> None:
        self._still_there("set_variable")
        self.variables[name] = value

    def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)

    def record(self, path: str) -> None:
        raise AssertionError("the IVR runner records with start_recording")

    def start_recording(self, path: str, *, stereo: bool) -> None:
        self._still_there("start_recording")
        self.events.append(f"record:start:{path}")
        self.stereo[path] = stereo

    def stop_recording(self, path: str) -> None:
        self._still_there("stop_recording")
        self.events.append(f"record:stop:{path}")

    def mask_recording(self, path: str) -> None:
        self._still_there("mask_recording")
        self.events.append(f"record:mask:{path}")

    def unmask_recording(self, path: str) -> None:
        self._still_there("unmask_recording")
        self.events.append(f"record:unmask:{path}")

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        self._still_there("hangup")
        self.events.append(f"hangup:{cause}")

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        raise AssertionError("only the ACD holds")

    def interrupt(self) -> None:
        raise AssertionError("only the ACD interrupts")

    def voicemail(self, profile: str, domain: str, box: str) -> None:
        raise AssertionError("only the ACD leaves voicemail")

    def _still_there(self, operation: str) -> None:
        if self.gone:
            self.after_hangup.append(operation)
            raise CallerHungUp()
