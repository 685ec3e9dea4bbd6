"""The dead-letter file: call records the database refused, kept until `callcenter db replay` sends them.

One JSON line per record (esl_handlers.record_codec) with the refusal's "reason"; the file is
this user's only (0600: records carry callers' numbers). The writer appends under an exclusive
flock; `replay_dead_letters` holds the same lock while it sends the records through the database
and rewrites the file with what is left (temp file + fsync + rename), so a record the server
dead-letters meanwhile waits for the lock and lands in the new file, never in the replaced one.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from esl_handlers.record_codec import Record, UndecodableRecord, decode_record, record_fields
from schema.errors import RecordRejected, StorageError

WriteBatch = Callable[[Sequence[Record]], None]
REPLAY_BATCH = 500


def dead_letter_line(record: Record, reason: str) -> str:
    return json.dumps({**record_fields(record), "reason": reason}, ensure_ascii=False) + "\n"


def append_dead_letters(path: Path, lines: str) -> None:
    """Append lines (and fsync) under the file's lock."""
    with _locked(path) as fd:
        os.write(fd, lines.encode())
        os.fsync(fd)


@dataclass
class ReplayReport:
    replayed: int = 0
    refused: int = 0  # refused again by the database, kept with the new reason
    undecodable: list[str] = field(default_factory=list)  # "file:line: why", kept as they were
    unavailable: str | None = None  # the database was unavailable: everything not replayed is kept

    @property
    def remaining(self) -> int:
        return self.refused + len(self.undecodable) + (0 if self.unavailable is None else 1)


def replay_dead_letters(path: Path, write: WriteBatch) -> ReplayReport:
    """Send every record of the file through `write`; keep those refused again and lines that do
    not decode. Writes are idempotent, so a record already in the database is simply accepted."""
    report = ReplayReport()
    with _locked(path) as fd:
        with open(fd, encoding="utf-8", closefd=False) as handle:
            lines = handle.read().splitlines(keepends=True)
        kept: dict[int, str] = {}
        decoded: list[tuple[int, Record]] = []
        for number, line in enumerate(lines, start=1):
            try:
                decoded.append((number, decode_record(line, ignore=("reason",))))
            except UndecodableRecord as exc:
                report.undecodable.append(f"{path}:{number}: {exc}")
                kept[number] = line
        for start in range(0, len(decoded), REPLAY_BATCH):
            batch = decoded[start : start + REPLAY_BATCH]
            if report.unavailable is not None:
                kept.update((number, lines[number - 1]) for number, _ in batch)
                continue
            _replay(batch, write, kept, report)
        _rewrite(path, [kept[number] for number in sorted(kept)])
    return report


def _replay(
    batch: list[tuple[int, Record]], write: WriteBatch, kept: dict[int, str], report: ReplayReport
) -> None:
    try:
        write([record for _, record in batch])
    except RecordRejected as exc:
        _refused(batch, write, kept, report, str(exc))
    except StorageError as exc:  # unavailable, locked: keep this batch and the rest for another try
        report.unavailable = str(exc)
        kept.update((number, dead_letter_line(record, f"not replayed: {exc}")) for number, record in batch)
    except Exception as exc:
        _refused(batch, write, kept, report, repr(exc))
    else:
        report.replayed += len(batch)


def _refused(
    batch: list[tuple[int, Record]],
    write: WriteBatch,
    kept: dict[int, str],
    report: ReplayReport,
    reason: str,
) -> None:
    """Split a refused batch until each refused record stands alone, kept with its reason."""
    if len(batch) > 1:
        middle = len(batch) // 2
        _replay(batch[:middle], write, kept, report)
        _replay(batch[middle:], write, kept, report)
        return
    number, record = batch[0]
    kept[number] = dead_letter_line(record, reason)
    report.refused += 1


def _rewrite(path: Path, lines: list[str]) -> None:
    """Replace the file by `lines` (temp + fsync + rename), or remove it when nothing is left."""
    if not lines:
        path.unlink()
        return
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, "".join(lines).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


@contextmanager
def _locked(path: Path) -> Iterator[int]:
    """The file (created 0600 if missing), opened for appending and locked; reopened if it was
    replaced while this waited for the lock."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.path.exists(path) and os.path.samestat(os.fstat(fd), os.stat(path)):
                yield fd
                return
        finally:
            os.close(fd)
