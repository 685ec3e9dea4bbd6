"""Call recording in the call logic: which policy applies, which calls a sample takes, where files go,
and what one call's recordings do as it moves from the IVR to a queue and through sensitive entries.

- The DID's policy (`Did.recording`, else `recording.default_policy`) governs the call from the
  answer; the queue's (`Queue.recording`) takes over when the caller joins it (`CallRecorder`).
- Sampling (`sampled`) hashes the call UUID, so a replay, a second server and a later queue agree on
  which calls of a percentage are recorded, and a smaller percentage picks a subset of a larger one.
- Files: <directory>/YYYY/MM/DD/<call uuid>.<format> (the UTC date of the start); the n-th file of
  the same call (n > 1) is <call uuid>-<n>.<format>.

The server keeps what happens in the recordings table through a `RecordingLog` (the switch's
RECORD_START / RECORD_STOP events fill in the rest); this package never touches SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Final, Literal, Protocol

from dialplans.clock import Clock
from dialplans.models import Dialplan
from dialplans.recording_models import RecordFormat, RecordingPolicy
from ivr_scripts.channel import ChannelError, RecordingControl
from ivr_scripts.journal import CallSteps

NamedPolicy = tuple[str, RecordingPolicy]
log = logging.getLogger(__name__)

# A call UUID becomes a file name: nothing that could climb out of the directory or need quoting.
_CALL_UUID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_SAMPLE_SPACE: Final = 2**64


@dataclass(frozen=True, slots=True)
class PlannedRecording:
    """A recording the call logic started, with what the switch's events cannot tell (the policy, the
    queue, the retention); the server stores it as schema.recording.records.RecordingPlanned."""

    call_uuid: str
    path: str
    policy: str | None
    format: RecordFormat
    channels: Literal[1, 2]
    queue: str | None
    retention_days: int
    at: dt.datetime


class RecordingLog(Protocol):
    """Where the call logic reports recordings (the server's queued database writer)."""

    def planned(self, recording: PlannedRecording) -> None:
        """A recording was started, or (same path, later) the queue the caller joined now governs it."""
        ...

    def paused(self, path: str, at: dt.datetime) -> None:
        """The recording at `path` was masked (PCI pause) from `at`."""
        ...


def policy_for_did(plan: Dialplan, did: str) -> NamedPolicy | None:
    """The policy of calls to the number `did` (a key of `plan.dids`): its own, else the default one."""
    name = plan.dids[did].recording or plan.recording.default_policy
    return None if name is None else (name, plan.recording.policies[name])


def policy_for_queue(plan: Dialplan, queue: str) -> NamedPolicy | None:
    """The policy the queue `queue` names, if any (a queue has no default: the DID's goes on)."""
    name = plan.queues[queue].recording
    return None if name is None else (name, plan.recording.policies[name])


def sampled(call_uuid: str, percent: float) -> bool:
    """Whether a `percent` sample takes this call: the UUID's SHA-256 read as a number in [0, 100)."""
    digest = hashlib.sha256(call_uuid.strip().lower().encode()).digest()
    position = int.from_bytes(digest[:8], "big") * 100 / _SAMPLE_SPACE
    return position < percent


def records(policy: RecordingPolicy, call_uuid: str) -> bool:
    """Whether `policy` records this call from the start (on_demand waits for someone to ask)."""
    if policy.mode == "all":
        return True
    if policy.mode == "percent":
        assert policy.percent is not None  # RecordingPolicy requires it with mode percent
        return sampled(call_uuid, policy.percent)
    return False


def recording_path(
    directory: str, call_uuid: str, fmt: RecordFormat, started: dt.datetime, n: int = 1
) -> str:
    """<directory>/YYYY/MM/DD/<call uuid>[-<n>].<fmt>, dated by the UTC day `started` falls on."""
    if _CALL_UUID.fullmatch(call_uuid) is None:
        raise ValueError(f"{call_uuid!r} cannot name a recording file")
    if started.tzinfo is None:
        raise ValueError("the start of a recording must carry its time zone")
    if n < 1:
        raise ValueError(f"recordings of a call are numbered from 1, got {n}")
    day = started.astimezone(dt.UTC)
    name = call_uuid if n == 1 else f"{call_uuid}-{n}"
    return f"{directory.rstrip('/')}/{day:%Y/%m/%d}/{name}.{fmt}"


class CallRecording(Protocol):
    """What the runner asks of a call's recordings: `CallRecorder`, or `NOT_RECORDING` when the runner
    has no recording log."""

    def start_for_line(self, named: NamedPolicy | None) -> None: ...

    def join_queue(self, queue: str, named: NamedPolicy | None) -> None: ...

    def masked(self) -> AbstractContextManager[None]: ...


class _NotRecording:
    """Records nothing: no policy applies, a sensitive entry has no file to mask."""

    def start_for_line(self, named: NamedPolicy | None) -> None:
        del named

    def join_queue(self, queue: str, named: NamedPolicy | None) -> None:
        del queue, named

    def masked(self) -> AbstractContextManager[None]:
        return nullcontext()


NOT_RECORDING: Final[CallRecording] = _NotRecording()


class CallRecorder:
    """The recordings of one call, started and stopped as its policies say.

    - `start_for_line`: after the answer, the DID's policy: when it records this call, its
      announcement plays, then the file starts (through any bridge, until the call ends).
    - `join_queue`: the queue's policy, if it names one, governs the conversation from here:
      * it records the call and a running file has its format and stereo: that file goes on (its
        policy, queue and retention become the queue's);
      * it records the call otherwise: the announcement plays unless the caller heard one already, a
        new file starts (<uuid>-<n>) and the DID's stops, so the conversation is in one file only;
      * it does not record this call (none, on_demand, or outside its sample): every running file
        stops, because the conversation with the agent must not be recorded.
      A queue that names no policy leaves the DID's recording running, now filed under the queue.
    - `masked`: a sensitive entry (card digits) writes silence into every running file.
    """

    def __init__(
        self,
        call: CallSteps,
        control: RecordingControl,
        recordings: RecordingLog,
        directory: str,
        clock: Clock,
    ) -> None:
        self._call = call
        self._control = control
        self._log = recordings
        self._directory = directory
        self._clock = clock
        self._running: list[PlannedRecording] = []
        self._files = 0
        self._announced = False

    @property
    def running(self) -> tuple[PlannedRecording, ...]:
        return tuple(self._running)

    def start_for_line(self, named: NamedPolicy | None) -> None:
        if named is not None and records(named[1], self._uuid):
            self._start(named, queue=None)

    def join_queue(self, queue: str, named: NamedPolicy | None) -> None:
        if named is None:
            self._refile(lambda planned: replace(planned, queue=queue))
            return
        name, policy = named
        if not records(policy, self._uuid):
            self._stop(self._running)
            self._running = []
            return
        channels = _channels(policy)
        same = next((p for p in self._running if p.format == policy.format and p.channels == channels), None)
        if same is not None:
            self._stop([p for p in self._running if p is not same])
            self._running = [same]
            self._refile(lambda p: replace(p, policy=name, queue=queue, retention_days=policy.retention_days))
            return
        replaced, self._running = self._running, []
        self._start(named, queue=queue)
        self._stop(replaced)

    @contextmanager
    def masked(self) -> Iterator[None]:
        """Silence in every running file while the body runs (no-op when none runs).

        The files are unmasked however the body ends; when it ends with an error (the caller hung up
        while keying) a failing unmask does not hide that error.
        """
        control = self._control
        masked: list[str] = []
        failed = False
        try:
            for planned in self._running:
                control.mask_recording(planned.path)
                masked.append(planned.path)
                self._log.paused(planned.path, self._clock())
            yield
        except BaseException:
            failed = True
            raise
        finally:
            for path in masked:
                try:
                    control.unmask_recording(path)
                except ChannelError:
                    if not failed:
                        raise
                    log.debug("recording %s not unmasked: the entry had already failed", path)

    def _start(self, named: NamedPolicy, *, queue: str | None) -> None:
        name, policy = named
        if policy.announce is not None and not self._announced:
            self._call.play(policy.announce)
            self._announced = True
        started = self._clock()
        self._files += 1
        path = recording_path(self._directory, self._uuid, policy.format, started, self._files)
        self._control.start_recording(path, stereo=policy.stereo)
        planned = PlannedRecording(
            call_uuid=self._uuid,
            path=path,
            policy=name,
            format=policy.format,
            channels=_channels(policy),
            queue=queue,
            retention_days=policy.retention_days,
            at=started,
        )
        self._running.append(planned)
        self._log.planned(planned)
        log.info("call %s recorded to %s (policy %s)", self._uuid, path, name)

    def _stop(self, recordings: list[PlannedRecording]) -> None:
        for planned in recordings:
            self._control.stop_recording(planned.path)

    def _refile(self, change: Callable[[PlannedRecording], PlannedRecording]) -> None:
        for index, planned in enumerate(self._running):
            changed = change(planned)
            if changed != planned:
                self._running[index] = changed
                self._log.planned(changed)

    @property
    def _uuid(self) -> str:
        return self._call.channel.info.uuid


def _channels(policy: RecordingPolicy) -> Literal[1, 2]:
    return 2 if policy.stereo else 1
