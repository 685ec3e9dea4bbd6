"""`EslChannel`: the Channel protocol over an outbound ESL connection ("socket ... async full").

Its applications are sent by `ChannelCommands` (esl_handlers.channel_commands), its events
followed by `CallEvents` (esl_handlers.call_events), its recordings controlled by
`EslRecordingControl` (esl_handlers.channel_recording).

Choices checked against the FreeSWITCH source (see docs/ for the longer notes):
- Audio text is spoken with `speak` (engine|voice|text); digits are collected by
  `EslDigitCollection` (esl_handlers.digit_collection).
- A failed bridge hangs the caller up unless continue_on_fail is set, and a finished bridge
  hangs the caller up if hangup_after_bridge is true: both are set before the first bridge so
  the call logic decides what happens next.
- `say` reads numbers, digits, dates and amounts with the switch's say module (esl_handlers.say_args
  has what mod_dptools and mod_say_en accept); it is a media application like playback, so
  `interrupt()` breaks it the same way.
- `transfer` ends the socket's park; the outbound listener stays attached to the channel, so
  the server releases the socket with `exit` afterwards.
- Type-ahead (mod_dptools playback/speak/say): their on_dtmf callback swallows every key that is
  not in playback_terminators (unset means '*'), so keys pressed during a greeting are lost unless
  the prompt is played with playback_terminators=any. Then the first key ends the prompt and is
  left in playback_terminator_used (cleared by the application before it plays), which the
  completion carries; keys pressed after it stay in the channel's DTMF queue, where the next
  play_and_get_digits reads them (switch_ivr_read does not flush it). Prompts nobody may cut short
  are played with playback_terminators=none.
- hold is `playback` of the music with playback_terminators set first (mod_dptools on_dtmf
  takes an unset one as '*', so no keys means 'none'); playback_function clears
  playback_terminator_used before playing and on_dtmf sets it to the key, which the completion
  carries. The channel's timer and `interrupt()` end it with `api uuid_break <uuid>` (mod_commands
  break_function sets CF_BREAK; switch_ivr_play_file then stops and playback reports
  "FILE PLAYED" for a break as for the end of the file). switch_core_session_exec clears
  CF_BREAK when an application starts, after firing CHANNEL_EXECUTE, so a break is only sent
  once that event was seen; a late one is cleared by the next application. Without "all",
  uuid_break leaves the queued applications alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import gevent

from dialplans.vocabulary import NORMAL_CLEARING
from esl_handlers import app_args
from esl_handlers.bridge_outcome import bridge_outcome
from esl_handlers.call_events import CallEvents
from esl_handlers.channel_commands import ChannelCommands, application_id
from esl_handlers.channel_recording import EslRecordingControl
from esl_handlers.codec import EslError, sendmsg_hangup
from esl_handlers.codec import Event as EslEvent
from esl_handlers.connection import ConnectionClosed, EslConnection
from esl_handlers.digit_collection import EslDigitCollection
from esl_handlers.say_args import say_argument, spoken_text
from ivr_scripts.channel import (
    ENDED_EARLY,
    HOLD_FAILURE_PAUSE,
    Audio,
    BridgeResult,
    CallInfo,
    CallLeg,
    ChannelError,
    HoldFailed,
    SayKind,
)

log = logging.getLogger(__name__)

UNDEFINED: Final = "_undef_"
_PLAYBACK_FAILURES: Final = frozenset({"FILE NOT FOUND", "PLAYBACK ERROR"})
VOICEMAIL_SKIPS: Final = ("skip_greeting", "skip_instructions", "skip_record_urgent_check")
# playback_terminators for prompts the caller may answer early (mod_dptools on_dtmf: "any" is
# 1234567890*#), and for those no key may cut short.
TYPE_AHEAD_KEYS: Final = "any"
NO_KEYS: Final = "none"


@dataclass(eq=False)
class _Media:
    """One running playback or speak that `interrupt()` (or the hold timer) may break."""

    event_uuid: str = field(default_factory=application_id)
    started: bool = False  # CHANNEL_EXECUTE seen: CF_BREAK is no longer cleared by the start
    break_wanted: bool = False
    break_sent: bool = False


class EslChannel:
    def __init__(
        self,
        connection: EslConnection,
        info: CallInfo,
        *,
        command_timeout: float = 10.0,
        tts_engine: str = "flite",
        tts_voice: str = "kal",
        playback_terminators: str | None = None,
        say_by_tts: bool = False,
        controlled_uuid: str | None = None,
    ) -> None:
        """`controlled_uuid`: the channel is driven over a shared inbound connection (`sendmsg <uuid>`)
        rather than its own outbound socket (esl_handlers.parked_calls)."""
        self._info = info
        self._events = CallEvents(info, self._media_executing)
        self._commands = ChannelCommands(
            connection,
            info,
            self._events,
            command_timeout=command_timeout,
            controlled_uuid=controlled_uuid,
        )
        self._recording = EslRecordingControl(self._commands, self._events, info)
        self._tts_engine = app_args.word(tts_engine, "tts engine")
        self._tts_voice = app_args.word(tts_voice, "tts voice")
        self._say_by_tts = say_by_tts
        self._bridge_ready = False
        self._hold_failures = 0  # consecutive failed holds: the back-off doubles with each
        self._media: _Media | None = None
        # What the dialplan left before `socket` (the connect reply's variable_playback_terminators).
        self._playback_terminators = playback_terminators
        self._digits = EslDigitCollection(self._commands, self._tts_engine, self._tts_voice)

    # -- what the server and observers see -------------------------------------------------

    @property
    def info(self) -> CallInfo:
        return self._info

    @property
    def hangup_cause(self) -> str | None:
        """The cause once the call is gone (CONNECTION_LOST if the socket closed first)."""
        return self._events.hangup_cause

    @property
    def transferred(self) -> bool:
        return self._commands.transferred

    @property
    def leg(self) -> CallLeg:
        """This channel with its recording control and its events, as the runner and the ACD take it."""
        return CallLeg(self, self._recording, self._events)

    def add_event_listener(self, listener: Callable[[EslEvent], None]) -> None:
        """Observe every event of this call (DTMF, CHANNEL_ANSWER, ...); must not block."""
        self._events.add_event_listener(listener)

    def wait_finished(self, timeout: float | None) -> bool:
        """Wait for CHANNEL_HANGUP_COMPLETE or the connection closing."""
        return self._events.wait_finished(timeout)

    def handle_event(self, event: EslEvent) -> None:
        self._events.handle_event(event)

    def handle_close(self, reason: str) -> None:
        self._events.handle_close(reason)

    def _media_executing(self, event: EslEvent) -> None:
        media = self._media
        if media is not None and event.application_uuid == media.event_uuid:
            media.started = True
            if media.break_wanted:
                gevent.spawn(self._break, media)  # the reader greenlet must not wait for a reply

    # -- the Channel protocol ----------------------------------------------------------------

    def answer(self) -> None:
        self._execute("answer", None)

    def play(self, audio: Audio, *, type_ahead: bool = False) -> None:
        self._use_playback_terminators(TYPE_AHEAD_KEYS if type_ahead else NO_KEYS)
        if audio.file is not None:
            done = self._execute("playback", app_args.literal(audio.file, "audio file"), _Media())
            response = done.get("Application-Response")
            if response in _PLAYBACK_FAILURES:
                log.warning("call %s: prompt %s not played: %s", self._info.uuid, audio.label, response)
        elif audio.text is not None:
            text = app_args.speech(audio.text)
            speech = f"{self._tts_engine}|{self._tts_voice}|{_escape_for_split(text)}"
            done = self._execute("speak", speech, _Media())
        else:
            raise ValueError(f"audio {audio.label!r} has neither a file nor text")
        if type_ahead:
            # on_dtmf left the key that ended the prompt here (playback and speak clear it first).
            self._digits.add_type_ahead(done.get("variable_playback_terminator_used") or "")

    def say(self, kind: SayKind, value: str, *, language: str = "en") -> None:
        # Checked before anything is sent: a value `say` cannot read is a ValueError (see say_args).
        argument = say_argument(kind, value, language)
        if self._say_by_tts:
            # No say sounds on this switch (cc_say_by=tts, freeswitch_conf/say.py): `say` would be silent.
            self.play(Audio(label=f"say:{kind}", text=spoken_text(kind, value)))
            return
        self._use_playback_terminators(NO_KEYS)
        self._execute("say", argument, _Media())

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
        return self._digits.collect_digits(
            audio,
            max_digits=max_digits,
            timeout=timeout,
            digit_timeout=digit_timeout,
            terminators=terminators,
            sensitive=sensitive,
        )

    def transfer(self, extension: str, context: str) -> None:
        target = f"{app_args.word(extension, 'extension')} XML {app_args.word(context, 'context')}"
        self._execute("transfer", target)
        self._commands.mark_transferred()

    def bridge(self, endpoint: str, *, timeout: float) -> BridgeResult:
        seconds = max(1, round(timeout))
        dial = app_args.with_originate_variable(endpoint, "call_timeout", str(seconds))
        if not self._bridge_ready:
            self._commands.set({"continue_on_fail": "true", "hangup_after_bridge": "false"})
            self._bridge_ready = True
        done = self._execute("bridge", dial)
        return bridge_outcome(done)

    def set_variable(self, name: str, value: str) -> None:
        self._commands.set({name: value})

    def get_variable(self, name: str) -> str | None:
        command = f"uuid_getvar {self._info.uuid} {app_args.variable_name(name)}"
        body = self._commands.api(command, f"uuid_getvar {name}")
        if body.startswith("-ERR"):
            self._commands.check_usable()
            raise ChannelError(f"uuid_getvar {name} failed: {body.strip()}")
        return None if body == UNDEFINED else body

    def record(self, path: str) -> None:
        self._recording.record(path)

    def hangup(self, cause: str = NORMAL_CLEARING) -> None:
        if self._events.gone:
            return
        try:
            reply = self._commands.command(sendmsg_hangup(cause, self._commands.target))
        except ConnectionClosed:
            return
        except EslError as exc:
            raise ChannelError(f"hangup failed: {exc}") from exc
        if not reply.ok:
            raise ChannelError(f"hangup refused by FreeSWITCH: {reply.reply_text}")
        self._events.wait_gone(self._commands.command_timeout)
        self._events.end(cause)

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        music = app_args.literal(music, "hold music")
        keys = app_args.playback_terminators(exit_keys)
        if seconds < 0:
            raise ValueError(f"hold seconds must not be negative: {seconds!r}")
        self._commands.check_usable()
        if seconds == 0:
            return ""
        self._use_playback_terminators(keys)
        media = _Media()
        timer = gevent.spawn_later(seconds, self._request_break, media)
        started = time.monotonic()
        try:
            done = self._execute("playback", music, media)
        finally:
            timer.kill(block=False)
        key = done.get("variable_playback_terminator_used") or ""
        failure = _hold_failure(done, key, media, time.monotonic() - started, seconds)
        if failure is None:
            self._hold_failures = 0
            return key
        self._hold_failures += 1
        log.debug("call %s: hold music %s failed: %s", self._info.uuid, music, failure)
        if failure != FILE_NOT_FOUND and self._hold_failures == 1:
            # Once is not a broken source: the switch ends a hold itself (uuid_bridge with PLAYBACK
            # ERROR, someone else's uuid_break). A second early end in a row is a failure.
            return key
        if not media.break_wanted:
            self._hold_back_off(seconds - (time.monotonic() - started))
        raise HoldFailed(music, failure)

    def _hold_back_off(self, remaining: float) -> None:
        """Keep the caller after a failed hold (`sleep`, which a key, uuid_break or a hang-up ends)
        for HOLD_FAILURE_PAUSE, doubling with each consecutive failure up to HOLD_BACK_OFF_MAX."""
        pause = HOLD_FAILURE_PAUSE * 2 ** min(self._hold_failures - 1, 8)
        pause = min(pause, HOLD_BACK_OFF_MAX, remaining)
        if pause >= HOLD_BACK_OFF_SHORTEST:
            self._execute("sleep", str(app_args.milliseconds(pause, "hold back-off")), _Media())

    def interrupt(self) -> None:
        media = self._media
        if media is not None:
            self._request_break(media)

    def voicemail(self, profile: str, domain: str, box: str) -> None:
        # The rendered conf has no phrases section, and mod_voicemail's leave ends without recording when its
        # greeting macro fails (TRY_CODE in voicemail_leave_main): these channel variables, read once
        # and cleared by the module, make it skip the greeting, the instructions and the urgent
        # check, so the caller hears the beep (tone-spec) and records.
        self._commands.set(dict.fromkeys(VOICEMAIL_SKIPS, "true"))
        words = (
            app_args.word(profile, "profile"),
            app_args.word(domain, "domain"),
            app_args.word(box, "box"),
        )
        self._execute("voicemail", " ".join(words))

    # -- internals ---------------------------------------------------------------------------

    def _request_break(self, media: _Media) -> None:
        if media is not self._media or media.break_wanted or self._events.gone:
            return
        media.break_wanted = True
        if media.started:
            self._break(media)

    def _break(self, media: _Media) -> None:
        if media.break_sent or media is not self._media:
            return
        media.break_sent = True
        try:
            # break_function answers nothing on success, which mod_event_socket's api_exec turns
            # into "-ERR no reply"; "-ERR No Such Channel!" means the call is already gone.
            body = self._commands.api_body(f"uuid_break {self._info.uuid}")
        except EslError as exc:
            log.debug("call %s: uuid_break not sent: %s", self._info.uuid, exc)
            return
        log.debug("call %s: uuid_break: %s", self._info.uuid, body.strip())

    def _use_playback_terminators(self, keys: str) -> None:
        """Set playback_terminators for the next playback, speak or say, unless it already holds `keys`."""
        if keys != self._playback_terminators:
            self._commands.set({"playback_terminators": keys})
            self._playback_terminators = keys

    def _execute(self, app: str, arg: str | None, media: _Media | None = None) -> EslEvent:
        """Run one application; a media one (`media` given) is the one `interrupt()` breaks."""
        if media is None:
            return self._commands.execute(app, arg)
        self._commands.check_usable()
        self._media = media
        try:
            return self._commands.execute(app, arg, media.event_uuid)
        finally:
            if self._media is media:
                self._media = None


def _escape_for_split(text: str) -> str:
    """speak splits its argument on '|' (at most three parts), stripping quotes and escapes."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


# A hold that plays less than half of min(asked, this) without a key or a break sent from here has failed.
HOLD_SHORTEST_PLAY: Final = 2.0
HOLD_BACK_OFF_MAX: Final = 8.0
HOLD_BACK_OFF_SHORTEST: Final = 0.02  # below this the back-off is not worth a `sleep`
FILE_NOT_FOUND: Final = "FILE NOT FOUND"  # the source does not exist: a failure from the first time


def _hold_failure(done: EslEvent, key: str, media: _Media, elapsed: float, asked: float) -> str | None:
    """Why a hold's playback failed, or None: the switch's error response, or ENDED_EARLY when it
    ended far sooner than asked with no key and no break sent from here (a source that ends at once)."""
    response = done.get("Application-Response")
    if response in _PLAYBACK_FAILURES:
        return response
    if not key and not media.break_wanted and elapsed < min(asked, HOLD_SHORTEST_PLAY) / 2:
        return ENDED_EARLY
    return None
