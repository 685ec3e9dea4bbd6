"""record_session on a scripted call: the media bug, its RECORD_START / RECORD_STOP events, a real WAV.

Modelled on FreeSWITCH's source, src/switch_ivr_async.c, and checked against the captures in
tests/transcripts/<version>/record_session_outbound.jsonl and uuid_record_outbound.jsonl (the socket
subscribes with `event plain RECORD_START RECORD_STOP`; myevents does not include them):

- switch_ivr_record_session_event adds the media bug and returns at once; a second record_session
  of a path already recording only logs "Already recording" (no second RECORD_START). RECORD_STEREO
  is read then: stereo puts what the channel reads (the caller) left, what it is sent right.
- record_callback INIT fires RECORD_START: the channel data (every variable), then `Record-File-Path`
  (added at the bottom, after the variables, as the captures show).
- On close, send_record_stop_event sets record_samples, record_seconds, record_ms and
  record_completion_cause as channel variables, then fires RECORD_STOP with the channel data (every
  variable: switch_channel_event_set_data), `Record-File-Path`, `Record-Completion-Cause`. The cause:
  a stop while the channel is up is "success-maxtime"; a hang-up is "success-silence" once audio was
  read, else "no-input-timeout". The file is closed before the event.
- The hang-up closes every bug in switch_core_session_hangup_state, before CHANNEL_HANGUP_COMPLETE.
- mod_commands session_record_function (uuid_record <uuid> start|stop|mask|unmask <path>):
  "+OK Success", "-ERR Cannot mask recording session!" (no bug for that exact path),
  "-ERR Cannot locate session!", "-USAGE: ..." with fewer than three arguments.
- Masked (SMBF_MASK) frames are written as silence.
- RECORD_STEREO is set before a `uuid_record start` with `uuid_setvar` (tests/support/standin/setvar.py).

The audio is symbolic and deterministic: each prompt the caller hears is one 20 ms frame of
PROMPT_LEVEL on the sent side; each key the caller presses is one frame of `key_level(key)` on the
read side; a masked frame is zeros on both. `decode_wav` turns a file back into that sequence, so a
test can prove which keys reached a recording. Files are written only under the script's
`recordings_dir` (None: kept in memory, as for a switch on another host).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from tests.support.standin.call import ScriptedCall

SAMPLE_RATE: Final = 8000
FRAME: Final = 160  # 20 ms at 8 kHz
PROMPT_LEVEL: Final = 1000
KEYS: Final = "0123456789*#ABCD"
USAGE: Final = "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"


def key_level(key: str) -> int:
    return 2000 + 100 * KEYS.index(key)


def decode_wav(path: Path) -> list[str]:
    """A recording as the symbols its frames carry: a key, "prompt", or "silence"."""
    with wave.open(str(path), "rb") as handle:
        channels = handle.getnchannels()
        data = handle.readframes(handle.getnframes())
    samples = [int.from_bytes(data[i : i + 2], "little", signed=True) for i in range(0, len(data), 2)]
    levels = {key_level(key): key for key in KEYS}
    symbols: list[str] = []
    step = FRAME * channels
    for start in range(0, len(samples), step):
        frame = samples[start : start + step]
        value = max(frame, key=abs)
        symbols.append("silence" if value == 0 else levels.get(value, "prompt"))
    return symbols


@dataclass
class _Bug:
    path: str
    stereo: bool
    masked: bool = False
    read: list[int] = field(default_factory=list)  # the caller
    sent: list[int] = field(default_factory=list)  # prompts, the agent
    heard_audio: bool = False

    def frame(self, read: int, sent: int) -> None:
        if self.masked:
            read = sent = 0
        self.read += [read] * FRAME
        self.sent += [sent] * FRAME
        self.heard_audio = True

    @property
    def samples(self) -> int:
        return len(self.read)


class SessionRecorder:
    """The record_session media bugs of one call, keyed by path as the channel's private data is."""

    def __init__(self, call: ScriptedCall) -> None:
        self.call = call
        self._bugs: dict[str, _Bug] = {}
        self.started: list[str] = []
        self.stopped: list[tuple[str, str]] = []  # (path, completion cause)
        self.mask_commands: list[tuple[str, str]] = []  # (mask|unmask, path), as received

    @property
    def active(self) -> list[str]:
        return list(self._bugs)

    def start(self, path: str) -> None:
        if not path or path in self._bugs:
            return
        stereo = (self.call.get_var("RECORD_STEREO") or "").lower() in ("true", "yes", "on", "1")
        bug = self._bugs[path] = _Bug(path, stereo)
        self.started.append(path)
        self._write(bug)  # switch_core_file_open creates the file
        self.call.emitter.emit_record("RECORD_START", tail=[("Record-File-Path", path)])

    def stop(self, path: str, cause: str = "success-maxtime") -> bool:
        bug = self._bugs.pop(path, None)
        if bug is None:
            return False
        self._write(bug)
        call = self.call
        call.set_var("record_samples", str(bug.samples))
        call.set_var("record_seconds", str(bug.samples // SAMPLE_RATE))
        call.set_var("record_ms", str(bug.samples // (SAMPLE_RATE // 1000)))
        call.set_var("record_completion_cause", cause)
        self.stopped.append((path, cause))
        call.emitter.emit_record(
            "RECORD_STOP", tail=[("Record-File-Path", path), ("Record-Completion-Cause", cause)]
        )
        return True

    def hangup(self) -> None:
        for path in list(self._bugs):
            self.stop(path, "success-silence" if self._bugs[path].heard_audio else "no-input-timeout")

    def prompt(self) -> None:
        for bug in self._bugs.values():
            bug.frame(0, PROMPT_LEVEL)

    def key(self, key: str) -> None:
        for bug in self._bugs.values():
            bug.frame(key_level(key), 0)

    def api(self, argv: list[str]) -> str:
        """uuid_record with the call's uuid already checked."""
        if len(argv) < 3:
            return USAGE
        action, path = argv[1].lower(), argv[2]
        if action == "start":
            self.start(path)
            return "+OK Success\n"
        if action == "stop":
            return "+OK Success\n" if self.stop(path) else "-ERR Cannot stop record session!\n"
        if action in ("mask", "unmask"):
            self.mask_commands.append((action, path))
            bug = self._bugs.get(path)
            if bug is None:
                return f"-ERR Cannot {action} recording session!\n"
            bug.masked = action == "mask"
            return "+OK Success\n"
        return USAGE

    def _write(self, bug: _Bug) -> None:
        root = self.call.script.recordings_dir
        if root is None or not bug.path.startswith(str(root).rstrip("/") + "/"):
            return
        target = Path(bug.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if bug.stereo:
            samples = [value for pair in zip(bug.read, bug.sent, strict=True) for value in pair]
        else:
            samples = [read + sent for read, sent in zip(bug.read, bug.sent, strict=True)]
        with wave.open(str(target), "wb") as handle:
            handle.setnchannels(2 if bug.stereo else 1)
            handle.setsampwidth(2)
            handle.setframerate(SAMPLE_RATE)
            handle.writeframes(b"".join(value.to_bytes(2, "little", signed=True) for value in samples))
