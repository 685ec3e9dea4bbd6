"""The switch's RECORD_START / RECORD_STOP events as recording records, and each closed file's facts.

What FreeSWITCH sends (src/switch_ivr_async.c, switch_channel.c):
- record_callback fires RECORD_START when the media bug starts, with `Record-File-Path` (the path as
  record_session resolved it; the server's are absolute, so it is the path given).
- On close (stop_record_session, uuid_record stop, or the hang-up: switch_core_session_hangup_state
  removes every media bug before CHANNEL_HANGUP_COMPLETE) send_record_stop_event sets the channel
  variables record_samples, record_seconds and record_ms (samples written / the rate) and
  record_completion_cause, then fires RECORD_STOP with the channel's data, `Record-File-Path` and
  `Record-Completion-Cause`. switch_channel_event_set_data adds every channel variable to RECORD_*
  events, so record_ms arrives as `variable_record_ms`. The file is closed before the event fires.
- The agent's leg: every bridge (switch_ivr_bridge.c) sets bridge_to, bridge_uuid and last_bridge_to
  on the caller to the other leg's uuid; the unbridge clears bridge_to and bridge_uuid but keeps
  last_bridge_to. A recording closed by the hang-up (after the unbridge) so still names the agent's
  leg in `variable_last_bridge_to`; `variable_bridge_uuid` is read first, for a stop during the bridge.
- mod_voicemail's messages (switch_ivr_record_file) fire the same events: only paths under the
  dialplan's recording directory are this server's.

Both the call's own socket (EslChannel subscribes it when it starts a recording) and the event
listener deliver them; the records merge by path, so the second copy changes nothing. After a stop,
the file's size and SHA-256 are computed once in gevent's thread pool (the file must be local to this
server; a missing or unreadable file is logged and gives no facts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Literal

from gevent.pool import Group

from esl_handlers.cdr import from_micros
from esl_handlers.codec import Event
from esl_handlers.db_writer import RecordQueue
from schema.calls.records import UUID_MAX_LENGTH
from schema.errors import RecordRejected
from schema.recording.records import RecordingEvent, RecordingFileFacts, recording_format
from schema.threadpool import in_thread

log = logging.getLogger(__name__)

RECORD_EVENTS: Final = ("RECORD_START", "RECORD_STOP")
_KINDS: Final[dict[str, Literal["start", "stop"]]] = {"RECORD_START": "start", "RECORD_STOP": "stop"}
_BRIDGE_VARIABLES: Final = ("variable_bridge_uuid", "variable_last_bridge_to")
_LEG_UUID: Final = re.compile(rf"[0-9A-Za-z_.:@-]{{1,{UUID_MAX_LENGTH}}}")
_CHUNK: Final = 1 << 20
# Stopped files hashed recently (both sources report each stop): enough for a burst of hang-ups.
_REMEMBERED: Final = 4096

FileFacts = Callable[[str], RecordingFileFacts | None]


def recording_event(event: Event) -> RecordingEvent | None:
    """The record of a RECORD_START / RECORD_STOP event; None for any other event, or one without a
    channel or a recording's path (.wav, .mp3). RecordRejected for values the record refuses."""
    kind = _KINDS.get(event.name)
    if kind is None:  # most events: no header search (a missing header scans the whole event)
        return None
    path = event.get("Record-File-Path")
    call_uuid = event.unique_id
    if not path or not call_uuid or recording_format(path) is None:
        return None
    at = from_micros(event.get("Event-Date-Timestamp")) or dt.datetime.now(dt.UTC)
    if kind == "start":
        return RecordingEvent(call_uuid, path, kind, at)
    return RecordingEvent(
        call_uuid, path, kind, at, duration_s=_duration(event), other_leg_uuid=_other_leg(event, call_uuid)
    )


def _other_leg(event: Event, call_uuid: str) -> str | None:
    """The leg the channel is or was last bridged to; None when there is none or it is not a uuid."""
    for header in _BRIDGE_VARIABLES:
        value = event.get(header)
        if value:
            return value if _LEG_UUID.fullmatch(value) and value != call_uuid else None
    return None


def _duration(event: Event) -> float | None:
    milliseconds = _number(event.get("variable_record_ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    return _number(event.get("variable_record_seconds"))


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and number >= 0 else None


def file_facts(path: str) -> RecordingFileFacts | None:
    """Size and SHA-256 of a closed recording (blocking: run it in the thread pool)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        log.warning("recording %s not hashed (is it on this server?): %s", path, exc)
        return None
    try:
        return RecordingFileFacts(path=path, size_bytes=size, sha256=digest.hexdigest())
    except RecordRejected as exc:
        log.warning("recording %s: facts refused: %s", path, exc)
        return None


class RecordingEvents:
    """Feeds the writer from both event sources; `on_event` must not block (it runs in a reader)."""

    def __init__(
        self, queue: RecordQueue, directory: Callable[[], str], *, facts: FileFacts = file_facts
    ) -> None:
        """`directory`: the current dialplan's recording directory (a reload may change it)."""
        self._queue = queue
        self._directory = directory
        self._facts = facts
        self._planned: OrderedDict[str, None] = OrderedDict()
        self._hashed: OrderedDict[str, None] = OrderedDict()
        self._jobs = Group()

    def planned(self, path: str) -> None:
        """A path this server started: this server's even if a reload has moved the directory since."""
        _remember(self._planned, path)

    def on_event(self, event: Event) -> None:
        try:
            record = recording_event(event)
        except RecordRejected as exc:
            log.warning("ignored %s event: %s", event.name, exc)
            return
        if record is None or not self._ours(record.path):
            return
        self._queue.submit(record)
        if record.kind == "stop" and record.path not in self._hashed:
            _remember(self._hashed, record.path)
            self._jobs.spawn(self._hash, record.path)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every file stopped so far is hashed and its facts submitted."""
        return bool(self._jobs.join(timeout))

    def stop(self, timeout: float = 5.0) -> None:
        self._jobs.join(timeout)
        self._jobs.kill(block=False)

    def _ours(self, path: str) -> bool:
        directory = self._directory().rstrip("/")
        return path.startswith(directory + "/") or path in self._planned

    def _hash(self, path: str) -> None:
        facts = in_thread(self._facts, path)
        if facts is not None:
            self._queue.submit(facts)


def _remember(paths: OrderedDict[str, None], path: str) -> None:
    paths[path] = None
    paths.move_to_end(path)
    while len(paths) > _REMEMBERED:
        paths.popitem(last=False)
