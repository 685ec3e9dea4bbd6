"""`EslDigitCollection`: one call's digits, read with play_and_get_digits over its ESL connection.

Choices checked against the FreeSWITCH source (see docs/ for the longer notes):
- Inside play_and_get_digits the prompt is `say:<text>`, which switch_ivr_play_file speaks with
  the tts_engine/tts_voice channel variables, set once per call; the prompt is single-quoted so
  its spaces survive the split.
- play_and_get_digits leaves the variable unset when nothing valid was entered (switch_ivr_read
  deletes it first and sets it only with digits), so a missing variable_<var> means "".
- Type-ahead: the key that ended a type_ahead prompt (see esl_handlers.esl_channel) is added
  here, and answers the next collect before its prompt is played.
- A sensitive collect (a card number) reads the keys into a variable named once for that collect,
  then `unset`s it (and `<var>_invalid`, where play_and_get_digits puts keys its regex refused):
  events carry every channel variable (RECORD_STOP, CHANNEL_HANGUP_COMPLETE to every listener),
  so nothing must keep them. The keys are never logged.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Final

from esl_handlers import app_args
from esl_handlers.channel_commands import ChannelCommands
from ivr_scripts.channel import Audio

DIGITS_REGEX: Final = "^[0-9*#]+$"
INVALID_INPUT_FILE: Final = "silence_stream://250"
SENSITIVE_VARIABLE_PREFIX: Final = "cc_pci_"
_digit_vars = itertools.count(1)


class EslDigitCollection:
    def __init__(self, commands: ChannelCommands, tts_engine: str, tts_voice: str) -> None:
        self._commands = commands
        self._tts_engine = tts_engine
        self._tts_voice = tts_voice
        self._tts_ready = False
        self._type_ahead = ""  # keys that ended a type_ahead prompt, for the next collect_digits

    def add_type_ahead(self, keys: str) -> None:
        self._type_ahead += keys

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
        if max_digits < 1:
            raise ValueError(f"max_digits must be at least 1, not {max_digits}")
        typed, self._type_ahead = self._type_ahead, ""
        if typed:
            # The caller typed ahead during the prompt before: the question is already being answered,
            # so its prompt is not played; the rest of the entry (if any) is read in silence.
            if typed[0] in terminators:
                return ""
            if max_digits == 1:
                return typed[0]
            rest = self._read_digits(
                "silence",
                max_digits=max_digits - 1,
                timeout=digit_timeout,
                digit_timeout=digit_timeout,
                terminators=terminators,
                sensitive=sensitive,
            )
            return typed[0] + rest
        return self._read_digits(
            self._prompt(audio),
            max_digits=max_digits,
            timeout=timeout,
            digit_timeout=digit_timeout,
            terminators=terminators,
            sensitive=sensitive,
        )

    def _read_digits(
        self,
        prompt: str,
        *,
        max_digits: int,
        timeout: float,
        digit_timeout: float,
        terminators: str,
        sensitive: bool,
    ) -> str:
        """One play_and_get_digits: `prompt` (an argument as `_prompt` makes it, or "silence")."""
        # A sensitive collect's variable is named for it alone: no later collect can read it back.
        var = (
            f"{SENSITIVE_VARIABLE_PREFIX}{uuid.uuid4().hex}"
            if sensitive
            else f"cc_digits_{next(_digit_vars)}"
        )
        arg = " ".join(
            [
                "1",
                str(max_digits),
                "1",
                str(app_args.milliseconds(timeout, "timeout")),
                app_args.terminators(terminators),
                prompt,
                INVALID_INPUT_FILE,
                var,
                DIGITS_REGEX,
                str(app_args.milliseconds(digit_timeout, "digit timeout")),
            ]
        )
        done = self._commands.execute("play_and_get_digits", arg)
        digits = done.get(f"variable_{var}") or ""
        if sensitive:
            # The completion carries every variable, so it says which of the two hold keys.
            for name in (var, f"{var}_invalid"):
                if done.get(f"variable_{name}") is not None:
                    self._commands.execute("unset", name)
        return digits

    def _prompt(self, audio: Audio) -> str:
        if audio.file is not None:
            return app_args.quoted(app_args.literal(audio.file, "audio file"))
        if audio.text is not None:
            self._ensure_tts()
            # Older switch_ivr_play_file split "say:" text at ':' (engine:voice:text).
            return app_args.quoted("say:" + app_args.speech(audio.text).replace(":", ","))
        return "silence"

    def _ensure_tts(self) -> None:
        if not self._tts_ready:
            self._commands.set({"tts_engine": self._tts_engine, "tts_voice": self._tts_voice})
            self._tts_ready = True
