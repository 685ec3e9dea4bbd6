"""`EslChannel`: the Channel protocol over an outbound ESL connection ("socket ... async full").

Every application runs as `sendmsg` execute with a fresh Event-UUID. FreeSWITCH first answers
the command (+OK once queued), then echoes that UUID as Application-UUID on CHANNEL_EXECUTE and
CHANNEL_EXECUTE_COMPLETE, and the completion is matched by it, never by application name. The
completion waiter is registered before the command is sent, because the completion may arrive
in the same read as the reply.

The first CHANNEL_HANGUP or CHANNEL_HANGUP_COMPLETE of our channel, or the connection closing,
fails every pending wait with its own `CallerHungUp(cause)`; later calls raise it at once.

Choices checked against the FreeSWITCH source (see docs/ for the longer notes):
- Audio text is spoken with `speak` (engine|voice|text); inside play_and_get_digits the prompt
  is `say:<text>`, which switch_ivr_play_file speaks with the tts_engine/tts_voice channel
  variables, set once per call; the prompt is single-quoted so its spaces survive the split.
- play_and_get_digits leaves the variable unset when nothing valid was entered (switch_ivr_read
  deletes it first and sets it only with digits), so a missing variable_<var> means "".
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
  carries. Our timer and `interrupt()` end it with `api uuid_break <uuid>` (mod_commands
  break_function sets CF_BREAK; switch_ivr_play_file then stops and playback reports
  "FILE PLAYED" for a break as for the end of the file). switch_core_session_exec clears
  CF_BREAK when an application starts, after firing CHANNEL_EXECUTE, so a break is only sent
  once that event was seen; a late one is cleared by the next application. Without "all",
  uuid_break leaves the queued applications alone.
- Recording (switch_ivr_async.c): record_session adds a media bug and returns at once; the file
  records through any bridge until stop_record_session or the hang-up. RECORD_STEREO is read when
  the bug is added (caller on the left, the other party on the right), so it is set first. The
  switch fires RECORD_START / RECORD_STOP, which the socket's first subscription leaves out
  (outbound_server.SOCKET_EVENTS, as `myevents` would), so the first recording subscribes
  this socket to them with `event plain`; its Unique-ID filter still limits them to this channel.
- Masking (PCI): `api uuid_record <uuid> mask|unmask <path>` (mod_commands session_record_function,
  1.10 and 1.11) sets SMBF_MASK on the bug, which then writes silence; it answers "+OK Success", or
  "-ERR Cannot mask recording session!" when no recording of that exact path runs. It acts at once,
  whatever application the channel runs.
- A sensitive collect (a card number) reads the keys into a variable named once for that collect,
  then `unset`s it (and `<var>_invalid`, where play_and_get_digits puts keys its regex refused):
  events carry every channel variable (RECORD_STOP, CHANNEL_HANGUP_COMPLETE to every listener),
  so nothing must keep them. The keys are never logged.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import gevent
from gevent.event import AsyncResult, Event

from dialplans.vocabulary import BUSY_CAUSES, NO_ANSWER_CAUSES, NORMAL_CLEARING, SUCCESS
from esl_handlers import app_args
from esl_handlers.codec import CommandReply, EslError, api, event, sendmsg_execute, sendmsg_hangup
from esl_handlers.codec import Event as EslEvent
from esl_handlers.connection import ConnectionClosed, EslConnection
from esl_handlers.recording_events import RECORD_EVENTS
from esl_handlers.say_args import say_argument, spoken_text
from ivr_scripts.channel import (
    ENDED_EARLY,
    HOLD_FAILURE_PAUSE,
    Audio,
    BridgeResult,
    CallerHungUp,
    CallInfo,
    ChannelError,
    HoldFailed,
    SayKind,
)

log = logging.getLogger(__name__)

CONNECTION_LOST: Final = "CONNECTION_LOST"
UNDEFINED: Final = "_undef_"
DIGITS_REGEX: Final = "^[0-9*#]+$"
INVALID_INPUT_FILE: Final = "silence_stream://250"
_PLAYBACK_FAILURES: Final = frozenset({"FILE NOT FOUND", "PLAYBACK ERROR"})
VOICEMAIL_SKIPS: Final = ("skip_greeting", "skip_instructions", "skip_record_urgent_check")
SENSITIVE_VARIABLE_PREFIX: Final = "cc_pci_"
# playback_terminators for prompts the caller may answer early (mod_dptools on_dtmf: "any" is
# 1234567890*#), and for those no key may cut short.
TYPE_AHEAD_KEYS: Final = "any"
NO_KEYS: Final = "none"
_digit_vars = itertools.count(1)
_application_ids = itertools.count(1)


def application_id() -> str:
    """The Event-UUID of one sendmsg, echoed as Application-UUID by its CHANNEL_EXECUTE[_COMPLETE].

    FreeSWITCH takes any text (switch_ivr_parse_event stores it as app_uuid), and it only has to
    be unique among one socket's applications, which see their own channel's events alone. Short,
    because mod_event_socket reads a command one byte per recv() (with a sched_yield() after each).
    """
    return f"cc{next(_application_ids):x}"


class ChannelTransferred(ChannelError):
    """The call was transferred away; this channel no longer controls it."""


@dataclass(eq=False)
class _Media:
    """One running playback or speak that `interrupt()` (or the hold timer) may break."""

    event_uuid: str = field(default_factory=application_id)
    started: bool = False  # CHANNEL_EXECUTE seen: CF_BREAK is no longer cleared by the start
    break_wanted: bool = False
    break_sent: bool = False


def call_info_from_connect(reply: CommandReply | EslEvent) -> CallInfo:
    """The CallInfo carried by the outbound `connect` reply (the channel data as headers), or by the
    CHANNEL_PARK of a parked call (the same headers)."""

    def first(*names: str) -> str | None:
        for name in names:
            value = reply.get(name)
            if value:
                return value
        return None

    call_uuid = first("Unique-ID", "Channel-Unique-ID", "Caller-Unique-ID")
    if call_uuid is None:
        raise EslError("connect reply carries no Unique-ID (is the dialplan using the socket app?)")
    number = first("Caller-Caller-ID-Number", "Channel-Caller-ID-Number") or ""
    return CallInfo(
        uuid=call_uuid,
        caller_number=number,
        caller_name=first("Caller-Caller-ID-Name", "Channel-Caller-ID-Name") or number,
        destination=first("Caller-Destination-Number", "Channel-Destination-Number") or "",
    )


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
        self._target = controlled_uuid
        self._conn = connection
        self._info = info
        self._command_timeout = command_timeout
        self._tts_engine = app_args.word(tts_engine, "tts engine")
        self._tts_voice = app_args.word(tts_voice, "tts voice")
        self._tts_ready = False
        self._say_by_tts = say_by_tts
        self._bridge_ready = False
        self._hold_failures = 0  # consecutive failed holds: the back-off doubles with each
        self._completions: dict[str, AsyncResult] = {}
        self._hangup_cause: str | None = None
        self._gone = Event()
        self._finished = Event()
        self._transferred = False
        self._listeners: list[Callable[[EslEvent], None]] = []
        self._media: _Media | None = None
        # What the dialplan left before `socket` (the connect reply's variable_playback_terminators).
        self._playback_terminators = playback_terminators
        self._type_ahead = ""  # keys that ended a type_ahead prompt, for the next collect_digits
        self._record_events = False

    # -- what the server and observers see -------------------------------------------------

    @property
    def info(self) -> CallInfo:
        return self._info

    @property
    def hangup_cause(self) -> str | None:
        """The cause once the call is gone (CONNECTION_LOST if the socket closed first)."""
        return self._hangup_cause

    @property
    def transferred(self) -> bool:
        return self._transferred

    def add_event_listener(self, listener: Callable[[EslEvent], None]) -> None:
        """Observe every event of this call (DTMF, CHANNEL_ANSWER, ...); must not block."""
        self._listeners.append(listener)

    def wait_finished(self, timeout: float | None) -> bool:
        """Wait for CHANNEL_HANGUP_COMPLETE or the connection closing."""
        return bool(self._finished.wait(timeout))

    def handle_event(self, event: EslEvent) -> None:
        name = event.name
        if name == "CHANNEL_EXECUTE":
            media = self._media
            if media is not None and event.application_uuid == media.event_uuid:
                media.started = True
                if media.break_wanted:
                    gevent.spawn(self._break, media)  # the reader greenlet must not wait for a reply
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            app_uuid = event.application_uuid
            waiter = self._completions.get(app_uuid) if app_uuid else None
            if waiter is not None and not waiter.ready():
                waiter.set(event)
        elif name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE") and self._is_ours(event):
            self._end(event.get("Hangup-Cause") or event.get("variable_hangup_cause") or NORMAL_CLEARING)
            if name == "CHANNEL_HANGUP_COMPLETE":
                self._finished.set()
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("call %s: event listener failed", self._info.uuid)

    def handle_close(self, reason: str) -> None:
        if not self._gone.is_set():
            log.info("call %s: connection closed before hangup (%s)", self._info.uuid, reason)
        self._end(CONNECTION_LOST)
        self._finished.set()

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
            self._type_ahead += done.get("variable_playback_terminator_used") or ""

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
        done = self._execute("play_and_get_digits", arg)
        digits = done.get(f"variable_{var}") or ""
        if sensitive:
            # The completion carries every variable, so it says which of the two hold keys.
            for name in (var, f"{var}_invalid"):
                if done.get(f"variable_{name}") is not None:
                    self._execute("unset", name)
        return digits

    def transfer(self, extension: str, context: str) -> None:
        target = f"{app_args.word(extension, 'extension')} XML {app_args.word(context, 'context')}"
        self._execute("transfer", target)
        self._transferred = True

    def bridge(self, endpoint: str, *, timeout: float) -> BridgeResult:
        seconds = max(1, round(timeout))
        dial = app_args.with_originate_variable(endpoint, "call_timeout", str(seconds))
        if not self._bridge_ready:
            self._set({"continue_on_fail": "true", "hangup_after_bridge": "false"})
            self._bridge_ready = True
        done = self._execute("bridge", dial)
        return bridge_outcome(done)

    def set_variable(self, name: str, value: str) -> None:
        self._set({name: value})

    def get_variable(self, name: str) -> str | None:
        command = f"uuid_getvar {self._info.uuid} {app_args.variable_name(name)}"
        body = self._api(command, f"uuid_getvar {name}")
        if body.startswith("-ERR"):
            self._check_usable()
            raise ChannelError(f"uuid_getvar {name} failed: {body.strip()}")
        return None if body == UNDEFINED else body

    def record(self, path: str) -> None:
        self._execute("record_session", app_args.literal(path, "recording path"))

    def start_recording(self, path: str, *, stereo: bool) -> None:
        target = app_args.recording_path(path)
        self._check_usable()
        self._subscribe_record_events()
        self._set({"RECORD_STEREO": "true" if stereo else "false"})
        self._execute("record_session", target)

    def stop_recording(self, path: str) -> None:
        self._execute("stop_record_session", app_args.recording_path(path))

    def mask_recording(self, path: str) -> None:
        self._uuid_record("mask", path)

    def unmask_recording(self, path: str) -> None:
        self._uuid_record("unmask", path)

    def hangup(self, cause: str = NORMAL_CLEARING) -> None:
        if self._gone.is_set():
            return
        try:
            reply = self._conn.command(sendmsg_hangup(cause, self._target), self._command_timeout)
        except ConnectionClosed:
            return
        except EslError as exc:
            raise ChannelError(f"hangup failed: {exc}") from exc
        if not reply.ok:
            raise ChannelError(f"hangup refused by FreeSWITCH: {reply.reply_text}")
        self._gone.wait(self._command_timeout)
        self._end(cause)

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        music = app_args.literal(music, "hold music")
        keys = app_args.playback_terminators(exit_keys)
        if seconds < 0:
            raise ValueError(f"hold seconds must not be negative: {seconds!r}")
        self._check_usable()
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
        # Our conf has no phrases section, and mod_voicemail's leave ends without recording when its
        # greeting macro fails (TRY_CODE in voicemail_leave_main): these channel variables, read once
        # and cleared by the module, make it skip the greeting, the instructions and the urgent
        # check, so the caller hears the beep (tone-spec) and records.
        self._set(dict.fromkeys(VOICEMAIL_SKIPS, "true"))
        words = (
            app_args.word(profile, "profile"),
            app_args.word(domain, "domain"),
            app_args.word(box, "box"),
        )
        self._execute("voicemail", " ".join(words))

    # -- internals ---------------------------------------------------------------------------

    def _api(self, command: str, what: str) -> str:
        self._check_usable()
        try:
            return self._conn.api(api(command), self._command_timeout).body
        except ConnectionClosed as exc:
            raise self._hung_up() from exc
        except EslError as exc:
            raise ChannelError(f"{what} failed: {exc}") from exc

    def _set(self, variables: Mapping[str, str]) -> None:
        """Set channel variables with `api uuid_setvar_multi`, not the `set` application: an API
        call fires no CHANNEL_EXECUTE / _COMPLETE (two ~5 KB events for every listener), takes
        effect at once even while an application runs, and expands nothing."""
        command = f"uuid_setvar_multi {self._info.uuid} {app_args.setvar_list(variables)}"
        body = self._api(command, "uuid_setvar_multi")
        if not body.startswith("+OK"):
            self._check_usable()  # "-ERR No such channel!": the caller is gone
            raise ChannelError(f"uuid_setvar_multi {', '.join(variables)} refused: {body.strip()}")

    def _uuid_record(self, action: str, path: str) -> None:
        target = app_args.recording_path(path)
        body = self._api(f"uuid_record {self._info.uuid} {action} {target}", f"uuid_record {action}")
        if not body.startswith("+OK"):
            self._check_usable()  # "-ERR Cannot locate session!": the caller is gone
            raise ChannelError(f"uuid_record {action} {target} refused: {body.strip()}")

    def _subscribe_record_events(self) -> None:
        if self._record_events:
            return
        try:
            reply = self._conn.command(event("plain", RECORD_EVENTS), self._command_timeout)
        except ConnectionClosed as exc:
            raise self._hung_up() from exc
        except EslError as exc:
            raise ChannelError(f"subscribing to recording events failed: {exc}") from exc
        if not reply.ok:
            # The event listener still reports them; only this socket's copy is missing.
            log.warning("call %s: recording events not subscribed: %s", self._info.uuid, reply.reply_text)
        self._record_events = True

    def _request_break(self, media: _Media) -> None:
        if media is not self._media or media.break_wanted or self._gone.is_set():
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
            body = self._conn.api(api(f"uuid_break {self._info.uuid}"), self._command_timeout).body
        except EslError as exc:
            log.debug("call %s: uuid_break not sent: %s", self._info.uuid, exc)
            return
        log.debug("call %s: uuid_break: %s", self._info.uuid, body.strip())

    def _prompt(self, audio: Audio) -> str:
        if audio.file is not None:
            return app_args.quoted(app_args.literal(audio.file, "audio file"))
        if audio.text is not None:
            self._ensure_tts()
            # Older switch_ivr_play_file split "say:" text at ':' (engine:voice:text).
            return app_args.quoted("say:" + app_args.speech(audio.text).replace(":", ","))
        return "silence"

    def _use_playback_terminators(self, keys: str) -> None:
        """Set playback_terminators for the next playback, speak or say, unless it already holds `keys`."""
        if keys != self._playback_terminators:
            self._set({"playback_terminators": keys})
            self._playback_terminators = keys

    def _ensure_tts(self) -> None:
        if not self._tts_ready:
            self._set({"tts_engine": self._tts_engine, "tts_voice": self._tts_voice})
            self._tts_ready = True

    def _execute(self, app: str, arg: str | None, media: _Media | None = None) -> EslEvent:
        self._check_usable()
        event_uuid = application_id() if media is None else media.event_uuid
        waiter = AsyncResult()
        self._completions[event_uuid] = waiter
        if media is not None:
            self._media = media
        try:
            try:
                reply = self._conn.command(
                    sendmsg_execute(app, arg, event_uuid, self._target), self._command_timeout
                )
            except ConnectionClosed as exc:
                raise self._hung_up() from exc
            except EslError as exc:
                raise ChannelError(f"{app} failed: {exc}") from exc
            if not reply.ok:
                raise ChannelError(f"{app} refused by FreeSWITCH: {reply.reply_text}")
            event: EslEvent = waiter.get()
            return event
        finally:
            del self._completions[event_uuid]
            if media is not None and self._media is media:
                self._media = None

    def _check_usable(self) -> None:
        if self._gone.is_set():
            raise self._hung_up()
        if self._transferred:
            raise ChannelTransferred(f"call {self._info.uuid} was transferred; it is no longer ours")

    def _hung_up(self) -> CallerHungUp:
        return CallerHungUp(self._hangup_cause or CONNECTION_LOST)

    def _end(self, cause: str) -> None:
        if self._gone.is_set():
            return
        self._hangup_cause = cause
        self._gone.set()
        for waiter in self._completions.values():
            if not waiter.ready():
                waiter.set_exception(CallerHungUp(cause))

    def _is_ours(self, event: EslEvent) -> bool:
        unique_id = event.unique_id
        return unique_id is None or unique_id == self._info.uuid


def _escape_for_split(text: str) -> str:
    """speak splits its argument on '|' (at most three parts), stripping quotes and escapes."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


# A hold that plays less than half of min(asked, this) without a key or a break of ours has failed.
HOLD_SHORTEST_PLAY: Final = 2.0
HOLD_BACK_OFF_MAX: Final = 8.0
HOLD_BACK_OFF_SHORTEST: Final = 0.02  # below this the back-off is not worth a `sleep`
FILE_NOT_FOUND: Final = "FILE NOT FOUND"  # the source does not exist: a failure from the first time


def _hold_failure(done: EslEvent, key: str, media: _Media, elapsed: float, asked: float) -> str | None:
    """Why a hold's playback failed, or None: the switch's error response, or ENDED_EARLY when it
    ended far sooner than asked with no key and no break of ours (a source that ends at once)."""
    response = done.get("Application-Response")
    if response in _PLAYBACK_FAILURES:
        return response
    if not key and not media.break_wanted and elapsed < min(asked, HOLD_SHORTEST_PLAY) / 2:
        return ENDED_EARLY
    return None


def bridge_outcome(done: EslEvent | Mapping[str, str]) -> BridgeResult:
    """Map a bridge completion to a BridgeResult from what switch_ivr_originate sets.

    originate_disposition is "SUCCESS" when the far end answered (the bridge then ran), else
    the cause name: USER_BUSY, NO_ANSWER (call_timeout hit), NO_USER_RESPONSE, ... .
    """
    get = done.get
    disposition = get("variable_originate_disposition") or ""
    if disposition == SUCCESS:
        return "answered"
    if disposition in BUSY_CAUSES:
        return "busy"
    if disposition in NO_ANSWER_CAUSES:
        return "no_answer"
    return "failed"
