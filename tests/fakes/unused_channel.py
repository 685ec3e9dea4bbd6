"""A base for partial Channel fakes: every verb fails the test unless the fake overrides it."""

from __future__ import annotations

from ivr_scripts.channel import Audio, BridgeResult, CallInfo, SayKind


class UnusedChannel:
    """Each Channel verb raises AssertionError naming itself: a fake overrides the verbs its code uses,
    so a verb the code under test should not reach fails loudly instead of doing nothing."""

    @property
    def info(self) -> CallInfo:
        raise AssertionError("info not used")

    def answer(self) -> None:
        raise AssertionError("answer not used")

    def play(self, audio: Audio, *, type_ahead: bool = False) -> None:
        raise AssertionError("play not used")

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
        raise AssertionError("collect_digits not used")

    def say(self, kind: SayKind, value: str, *, language: str = "en") -> None:
        raise AssertionError("say not used")

    def transfer(self, extension: str, context: str) -> None:
        raise AssertionError("transfer not used")

    def bridge(self, endpoint: str, *, timeout: float) -> BridgeResult:
        raise AssertionError("bridge not used")

    def set_variable(self, name: str, value: str) -> None:
        raise AssertionError("set_variable not used")

    def get_variable(self, name: str) -> str | None:
        raise AssertionError("get_variable not used")

    def record(self, path: str) -> None:
        raise AssertionError("record not used")

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        raise AssertionError("hangup not used")

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        raise AssertionError("hold not used")

    def interrupt(self) -> None:
        raise AssertionError("interrupt not used")

    def voicemail(self, profile: str, domain: str, box: str) -> None:
        raise AssertionError("voicemail not used")
