"""Retention and backup of recording files, over a catalog of recordings (the recordings table in the
server, dictionaries in tests) and the real file system.

- `prune`: recordings past their retention (the catalog leaves out those flagged to keep) are
  deleted, then marked deleted. A file already gone is marked all the same.
- `backup`: each recording not yet backed up is copied to <dest>/<its path relative to root> through
  a temporary file (fsync, then an atomic rename), the copy's SHA-256 compared with the catalog's,
  and only a verified copy marked backed up. A mismatch is reported and leaves any earlier copy as
  it was; a copy already there and identical is verified and marked without copying again.

Both are safe to rerun and to interrupt: a recording is marked only after its file is gone or its
copy verified, so an interrupted run leaves at worst a file deleted but not marked, or copied but not
marked, and the next run finishes it. Paths from the catalog that are relative, contain `..`, or
lie outside `root` are refused, never touched. One backup at a time per destination.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final, Literal, Protocol

log = logging.getLogger(__name__)

CHUNK: Final = 1024 * 1024
PARTIAL_SUFFIX: Final = ".partial"


class RecordingFile(Protocol):
    """A recording as retention sees one (the server's query rows have these attributes)."""

    @property
    def id(self) -> int: ...

    @property
    def path(self) -> str: ...

    @property
    def sha256(self) -> str | None:
        """Of the closed file; None while it has not been computed."""
        ...


class RecordingCatalog(Protocol):
    def due_for_pruning(self, now: dt.datetime) -> Sequence[RecordingFile]:
        """Recordings older than their retention at `now`, not flagged to keep, not yet deleted."""
        ...

    def mark_deleted(self, recording_id: int, now: dt.datetime) -> None: ...

    def backup_candidates(self) -> Sequence[RecordingFile]:
        """Recordings not deleted and not yet backed up."""
        ...

    def mark_backed_up(self, recording_id: int, backup_sha256: str, now: dt.datetime) -> None: ...


@dataclass
class PruneReport:
    deleted: list[str] = field(default_factory=list)  # files removed (or, in a dry run, to be removed)
    already_gone: list[str] = field(default_factory=list)  # no file; marked deleted all the same
    refused: list[str] = field(default_factory=list)  # unsafe paths, never touched
    failed: list[str] = field(default_factory=list)  # the file could not be removed (permissions...)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not (self.refused or self.failed)


@dataclass
class BackupReport:
    copied: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)  # an identical copy was there already
    mismatched: list[str] = field(default_factory=list)  # the copy's SHA-256 is not the catalog's
    missing: list[str] = field(default_factory=list)  # no source file
    unchecked: list[str] = field(default_factory=list)  # no SHA-256 in the catalog yet: left for later
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.mismatched or self.missing or self.refused or self.failed)


class UnsafePath(ValueError):
    """A catalog path retention refuses to touch."""


def safe_path(path: str, root: Path | None) -> Path:
    """`path` as a Path when it is absolute, free of `..` and (with `root`) inside `root`."""
    candidate = Path(path)
    if "\0" in path or not candidate.is_absolute() or ".." in candidate.parts:
        raise UnsafePath(f"{path!r} is not an absolute path without '..'")
    if root is not None and not candidate.is_relative_to(root):
        raise UnsafePath(f"{path!r} is outside {str(root)!r}")
    if root is not None and candidate == root:
        raise UnsafePath(f"{path!r} is the recording directory itself")
    return candidate


def prune(
    catalog: RecordingCatalog, *, now: dt.datetime, dry_run: bool = False, root: Path | None = None
) -> PruneReport:
    """Delete the files of recordings past their retention and mark them deleted (see the module)."""
    _check_root(root)
    report = PruneReport(dry_run=dry_run)
    for recording in catalog.due_for_pruning(now):
        try:
            path = safe_path(recording.path, root)
        except UnsafePath as exc:
            log.warning("prune: refused recording %d: %s", recording.id, exc)
            report.refused.append(recording.path)
            continue
        if dry_run:
            (report.deleted if path.exists() else report.already_gone).append(recording.path)
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            report.already_gone.append(recording.path)
        except OSError as exc:
            log.warning("prune: %s not deleted: %s", path, exc)
            report.failed.append(recording.path)
            continue
        else:
            report.deleted.append(recording.path)
        catalog.mark_deleted(recording.id, now)
    log.info(
        "prune%s: %d deleted, %d already gone, %d refused, %d failed",
        " (dry run)" if dry_run else "",
        len(report.deleted),
        len(report.already_gone),
        len(report.refused),
        len(report.failed),
    )
    return report


def backup(catalog: RecordingCatalog, dest: Path, *, now: dt.datetime, root: Path) -> BackupReport:
    """Copy and verify the recordings not yet backed up into `dest` (see the module)."""
    _check_root(root)
    if not dest.is_absolute():
        dest = dest.absolute()
    report = BackupReport()
    for recording in catalog.backup_candidates():
        try:
            source = safe_path(recording.path, root)
        except UnsafePath as exc:
            log.warning("backup: refused recording %d: %s", recording.id, exc)
            report.refused.append(recording.path)
            continue
        if recording.sha256 is None:
            report.unchecked.append(recording.path)
            continue
        expected = recording.sha256.lower()
        target = dest / source.relative_to(root)
        try:
            outcome = _back_up_one(source, target, expected)
        except FileNotFoundError:
            report.missing.append(recording.path)
            continue
        except OSError as exc:
            log.warning("backup: %s not copied: %s", source, exc)
            report.failed.append(recording.path)
            continue
        if outcome == "mismatch":
            log.warning("backup: the copy of %s does not match its SHA-256; not marked", source)
            report.mismatched.append(recording.path)
            continue
        catalog.mark_backed_up(recording.id, expected, now)
        (report.copied if outcome == "copied" else report.verified).append(recording.path)
    log.info(
        "backup to %s: %d copied, %d verified, %d mismatched, %d missing, %d failed",
        dest,
        len(report.copied),
        len(report.verified),
        len(report.mismatched),
        len(report.missing),
        len(report.failed),
    )
    return report


def _back_up_one(source: Path, target: Path, expected: str) -> Literal["verified", "copied", "mismatch"]:
    """ "verified" (an identical copy is there), "copied", or "mismatch" (the target left as it was)."""
    if target.is_file() and sha256_of(target) == expected:
        return "verified"
    if not source.is_file():
        raise FileNotFoundError(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}{PARTIAL_SUFFIX}")
    try:
        with source.open("rb") as reader, partial.open("wb") as writer:
            _copy(reader, writer)
            writer.flush()
            os.fsync(writer.fileno())
        shutil.copystat(source, partial)
        if sha256_of(partial) != expected:
            return "mismatch"
        os.replace(partial, target)
        _fsync_directory(target.parent)
        return "copied"
    finally:
        partial.unlink(missing_ok=True)


def _copy(reader: BinaryIO, writer: BinaryIO) -> None:
    while chunk := reader.read(CHUNK):
        writer.write(chunk)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX: the directory entry lives in the directory)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_root(root: Path | None) -> None:
    if root is not None and (not root.is_absolute() or ".." in root.parts):
        raise UnsafePath(f"the recording directory {str(root)!r} must be absolute, without '..'")
