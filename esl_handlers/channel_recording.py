"""`EslRecordingControl`: one call's recordings, started, stopped and masked over its ESL connection.

Choices checked against the FreeSWITCH source (see docs/recording.md):
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
"""

from __future__ import annotations

import logging

from esl_handlers import app_args
from esl_handlers.call_events import CallEvents
from esl_handlers.channel_commands import ChannelCommands
from esl_handlers.codec import EslError, event
from esl_handlers.connection import ConnectionClosed
from esl_handlers.recording_events import RECORD_EVENTS
from ivr_scripts.channel import CallInfo, ChannelError

log = logging.getLogger(__name__)


class EslRecordingControl:
    def __init__(self, commands: ChannelCommands, events: CallEvents, info: CallInfo) -> None:
        self._commands = commands
        self._events = events
        self._info = info
        self._record_events = False

    def record(self, path: str) -> None:
        self._commands.execute("record_session", app_args.literal(path, "recording path"))

    def start_recording(self, path: str, *, stereo: bool) -> None:
        target = app_args.recording_path(path)
        self._commands.check_usable()
        self._subscribe_record_events()
        self._commands.set({"RECORD_STEREO": "true" if stereo else "false"})
        self._commands.execute("record_session", target)

    def stop_recording(self, path: str) -> None:
        self._commands.execute("stop_record_session", app_args.recording_path(path))

    def mask_recording(self, path: str) -> None:
        self._uuid_record("mask", path)

    def unmask_recording(self, path: str) -> None:
        self._uuid_record("unmask", path)

    def _uuid_record(self, action: str, path: str) -> None:
        target = app_args.recording_path(path)
        body = self._commands.api(f"uuid_record {self._info.uuid} {action} {target}", f"uuid_record {action}")
        if not body.startswith("+OK"):
            self._commands.check_usable()  # "-ERR Cannot locate session!": the caller is gone
            raise ChannelError(f"uuid_record {action} {target} refused: {body.strip()}")

    def _subscribe_record_events(self) -> None:
        if self._record_events:
            return
        try:
            reply = self._commands.command(event("plain", RECORD_EVENTS))
        except ConnectionClosed as exc:
            raise self._events.hung_up() from exc
        except EslError as exc:
            raise ChannelError(f"subscribing to recording events failed: {exc}") from exc
        if not reply.ok:
            # The event listener still reports them; only this socket's copy is missing.
            log.warning("call %s: recording events not subscribed: %s", self._info.uuid, reply.reply_text)
        self._record_events = True
