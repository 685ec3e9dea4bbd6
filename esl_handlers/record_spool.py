"""The call records' disk spool: every record the writer has not committed, in order, on disk.

Layout of the directory (0700, created if missing):
- segment files `<first sequence, 20 digits>.seg` (0600), one line per record:
  `<sequence> <record as JSON (esl_handlers.record_codec)>\\n`. A record is appended with one
  write(2), so once `append` returns it is in the kernel's page cache and survives a kill -9 of the
  process. A segment is sealed (a new one started) at `segment_records` records or
  `segment_bytes` bytes; a new process never appends to an old segment.
- `commit`: the highest sequence the database has committed, replaced by temp file + fsync +
  rename + fsync of the directory. `commit` only notes the sequence; `sync` saves it (so one
  save covers every batch of an interval), then deletes the segments whose every record it covers.
  A crash before the save replays those batches again, which the idempotent writes absorb.

Durability against an OS crash or power loss: `sync` fsyncs the open segment, every segment sealed
since the last sync (then closes them) and the directory, then saves the commit point; the writer
runs it from a flush greenlet
every `SYNC_INTERVAL` seconds in gevent's thread pool (never on the hub), so a record appended
more than one interval plus one fsync before the crash is on the disk. `close` syncs once more.

A line that does not decode (a torn tail after an OS crash, a hand edit) is logged with its
file:line and skipped; its segment is then never deleted but renamed `<name>.kept` once the rest
is committed, for a human to read.

Threads: `append` and `commit` run on the hub; `read` (the writer greenlet) and `sync` (the flush
greenlet) run in the thread pool, each one at a time; the segment list they share is locked.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from esl_handlers.record_codec import Record, UndecodableRecord, decode_record, encode_record

SEGMENT_SUFFIX: Final = ".seg"
KEPT_SUFFIX: Final = ".kept"
COMMIT_FILE: Final = "commit"
SEGMENT_RECORDS: Final = 10_000
SEGMENT_BYTES: Final = 4 * 1024 * 1024
SYNC_INTERVAL: Final = 0.05  # seconds between grouped fsyncs

log = logging.getLogger(__name__)


@dataclass
class _Cursor:
    """Where reading goes on: the segment (by its first sequence), a byte offset and a line number."""

    segment: int = 0
    offset: int = 0
    line: int = 0


class RecordSpool:
    def __init__(
        self, directory: Path, *, segment_records: int = SEGMENT_RECORDS, segment_bytes: int = SEGMENT_BYTES
    ) -> None:
        self.directory = directory
        self._segment_records = segment_records
        self._segment_bytes = segment_bytes
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)  # callers' numbers: this user only, even if the directory existed
        self._lock = threading.Lock()  # guards the segment list, changed on the hub and in threads
        self._segments: list[int] = sorted(
            int(path.name.removesuffix(SEGMENT_SUFFIX)) for path in directory.glob(f"*{SEGMENT_SUFFIX}")
        )
        self._damaged: set[int] = set()  # segments holding a line that did not decode
        self.committed = self._saved = self._read_commit_point()
        self.last = max(self.committed, self._last_sequence_on_disk())
        self._cursor = _Cursor(self._segments[0] if self._segments else 0)
        self._fd: int | None = None  # the open segment this process appends to
        self._fd_segment = 0
        self._fd_records = 0
        self._fd_bytes = 0
        self._sealed_fds: list[int] = []
        self._dirty = False  # appended since the last sync
        self._new_entries = False  # a segment created since the last sync
        self._drop_committed_segments()  # a crash between a commit and its deletions

    @property
    def needs_sync(self) -> bool:
        """Something was appended, sealed or committed since the last `sync`."""
        return self._dirty or self._new_entries or bool(self._sealed_fds) or self.committed != self._saved

    @property
    def pending(self) -> int:
        """Records appended but not committed."""
        return self.last - self.committed

    # -- on the hub -------------------------------------------------------------------------------

    def append(self, record: Record) -> int:
        """Append a record with one write(2); its sequence number. OSError if the disk refuses it."""
        sequence = self.last + 1
        line = f"{sequence} {encode_record(record)}\n".encode()
        if self._fd is not None and (
            self._fd_records >= self._segment_records or self._fd_bytes + len(line) > self._segment_bytes
        ):
            self._seal()
        if self._fd is None:
            self._open_segment(sequence)
        assert self._fd is not None
        view = memoryview(line)
        try:
            while view:  # a regular file takes the whole line in one write unless the disk is full
                view = view[os.write(self._fd, view) :]
        except OSError:
            self._seal()  # a torn line ends its segment: the next record starts a clean one
            raise
        self.last = sequence
        self._fd_records += 1
        self._fd_bytes += len(line)
        self._dirty = True
        return sequence

    def _open_segment(self, first: int) -> None:
        path = self._segment_path(first)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self._fd_segment, self._fd_records, self._fd_bytes = first, 0, 0
        with self._lock:
            self._segments.append(first)
            self._new_entries = True

    def _seal(self) -> None:
        with self._lock:
            assert self._fd is not None
            self._sealed_fds.append(self._fd)  # fsynced and closed by the next `sync`
            self._fd = None

    # -- in the thread pool -----------------------------------------------------------------------

    def sync(self) -> None:
        """fsync what was appended since the last sync (segments, then the directory's entries),
        then save the commit point and delete the segments it covers."""
        with self._lock:
            sealed, self._sealed_fds = self._sealed_fds, []
            active, new_entries = self._fd, self._new_entries
            # Cleared before the fsyncs: what is appended meanwhile makes the next sync run.
            self._dirty = self._new_entries = False
        for fd in sealed:
            os.fsync(fd)
            os.close(fd)
        if active is not None:
            os.fsync(active)  # cheap when nothing was written since the last one
        if new_entries:
            _fsync_directory(self.directory)
        self._save_commit_point()
        self._drop_committed_segments()

    def close(self) -> None:
        """Sync, close the open segment (the next process starts a new one), delete what is done."""
        if self._fd is not None:
            self._seal()
        self.sync()

    def read(self, after: int, upto: int) -> list[tuple[int, Record]]:
        """The records with after < sequence <= upto, in order. Reads on from where it stopped last
        time, so successive calls must ask for successive ranges (the writer does)."""
        records: list[tuple[int, Record]] = []
        with self._lock:
            segments = [first for first in self._segments if first >= self._cursor.segment]
        for first in segments:
            if first != self._cursor.segment:
                self._cursor = _Cursor(first)
            if self._read_segment(after, upto, records):
                break
        return records

    def _read_segment(self, after: int, upto: int, records: list[tuple[int, Record]]) -> bool:
        """Read the cursor's segment on into `records`; True once past `upto` (the cursor stays there)."""
        cursor = self._cursor
        path = self._segment_path(cursor.segment)
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed below; the loop returns from inside)
        except FileNotFoundError:
            return False  # committed and deleted since
        with handle:
            handle.seek(cursor.offset)
            for line in handle:
                sequence = self._decode_line(line, path, cursor.line + 1, records, (after, upto))
                if sequence is not None and sequence > upto:
                    return True  # the cursor stays before this line
                cursor.offset += len(line)
                cursor.line += 1
                if sequence == upto:
                    return True
        return False

    def _decode_line(
        self, line: bytes, path: Path, number: int, records: list[tuple[int, Record]], wanted: tuple[int, int]
    ) -> int | None:
        """The line's sequence (its record added to `records` when in the `wanted` range, first
        excluded); None if it does not decode, which is logged with the file and line and kept."""
        head, _, body = line.partition(b" ")
        try:
            sequence = int(head)
            if not line.endswith(b"\n"):
                raise UndecodableRecord("the line is cut short (no newline)")
            if wanted[0] < sequence <= wanted[1]:
                records.append((sequence, decode_record(body)))
        except (ValueError, UnicodeDecodeError) as exc:  # UndecodableRecord is a ValueError
            log.error("%s:%d: spooled record does not decode, kept in the file: %s", path, number, exc)
            with self._lock:
                self._damaged.add(int(path.name.removesuffix(SEGMENT_SUFFIX)))
            return None
        return sequence

    def commit(self, sequence: int) -> None:
        """The database holds every record up to `sequence` (on the hub; the next `sync` saves it)."""
        self.committed = max(self.committed, sequence)

    def _save_commit_point(self) -> None:
        sequence = self.committed
        if sequence == self._saved:
            return
        temporary = self.directory / f"{COMMIT_FILE}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, f"{sequence}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, self.directory / COMMIT_FILE)
        _fsync_directory(self.directory)
        self._saved = sequence

    def _drop_committed_segments(self) -> None:
        with self._lock:
            segments = list(self._segments)
        # A segment holds sequences below the next one's first (the last one: up to `last`); it is
        # done when they are all committed, unless it is the open one, which may still grow.
        ends = [following - 1 for following in segments[1:]] + [self.last] * bool(segments)
        for first, last in zip(segments, ends, strict=True):
            if last > self._saved or (self._fd is not None and first == self._fd_segment):
                break
            path = self._segment_path(first)
            with self._lock:
                self._segments.remove(first)
                damaged = first in self._damaged
            if damaged:
                path.rename(path.with_name(path.name + KEPT_SUFFIX))
                log.error("%s: kept as %s (it holds lines that do not decode)", path, KEPT_SUFFIX)
            else:
                path.unlink(missing_ok=True)

    # -- opening ----------------------------------------------------------------------------------

    def _read_commit_point(self) -> int:
        path = self.directory / COMMIT_FILE
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return 0
        if not text.isdigit():
            raise ValueError(f"{path}: the commit point {text!r} is not a whole number")
        return int(text)

    def _last_sequence_on_disk(self) -> int:
        """The highest sequence in the newest segment that holds any (earlier ones hold lower)."""
        for first in reversed(self._segments):
            last = 0
            with open(self._segment_path(first), "rb") as handle:
                for line in handle:
                    head = line.partition(b" ")[0]
                    if head.isdigit():
                        last = max(last, int(head))
            if last:
                return last
        return 0

    def _segment_path(self, first: int) -> Path:
        return self.directory / f"{first:020d}{SEGMENT_SUFFIX}"


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
