"""Pruning and backing up recordings on real files in a temporary directory, over an in-memory catalog,
including runs interrupted half-way and finished by a rerun."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest

from ivr_scripts import retention
from ivr_scripts.retention import UnsafePath, backup, prune

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Row:
    id: int
    path: str
    sha256: str | None
    due: bool = True  # past its retention and not flagged to keep


class MemoryCatalog:
    """The recordings table in dictionaries; `interrupt` (kind, n) raises KeyboardInterrupt at the n-th
    mark of that kind."""

    def __init__(self, rows: Sequence[Row], *, interrupt: tuple[str, int] | None = None) -> None:
        self.rows = {row.id: row for row in rows}
        self.deleted: dict[int, dt.datetime] = {}
        self.backed_up: dict[int, str] = {}
        self.marks: Counter[tuple[str, int]] = Counter()
        self.interrupt = interrupt

    def due_for_pruning(self, now: dt.datetime) -> list[Row]:
        return [row for row in self.rows.values() if row.due and row.id not in self.deleted]

    def mark_deleted(self, recording_id: int, now: dt.datetime) -> None:
        self._maybe_interrupt("deleted")
        self.marks["deleted", recording_id] += 1
        self.deleted[recording_id] = now

    def backup_candidates(self) -> list[Row]:
        return [r for r in self.rows.values() if r.id not in self.deleted and r.id not in self.backed_up]

    def mark_backed_up(self, recording_id: int, backup_sha256: str, now: dt.datetime) -> None:
        self._maybe_interrupt("backed_up")
        self.marks["backed_up", recording_id] += 1
        self.backed_up[recording_id] = backup_sha256

    def _maybe_interrupt(self, kind: str) -> None:
        if self.interrupt is not None and self.interrupt[0] == kind:
            made = sum(count for (done, _), count in self.marks.items() if done == kind)
            if made + 1 == self.interrupt[1]:
                self.interrupt = None
                raise KeyboardInterrupt


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "recordings"


def recording(root: Path, recording_id: int, content: bytes, **row: bool) -> Row:
    path = root / "2026" / "08" / f"{10 + recording_id:02d}" / f"call-{recording_id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return Row(recording_id, str(path), hashlib.sha256(content).hexdigest(), **row)


def three(root: Path) -> list[Row]:
    return [recording(root, n, f"audio {n} ".encode() * (1000 * n)) for n in (1, 2, 3)]


# --- prune ----------------------------------------------------------------------------------------


def test_prune_deletes_due_files_marks_them_and_leaves_the_rest(root: Path) -> None:
    kept = recording(root, 4, b"kept", due=False)
    gone = recording(root, 5, b"gone")
    Path(gone.path).unlink()
    rows = [*three(root), kept, gone]
    catalog = MemoryCatalog(rows)
    report = prune(catalog, now=NOW, root=root)
    assert report.deleted == [row.path for row in rows[:3]]
    assert report.already_gone == [gone.path]
    assert report.ok
    assert not any(Path(row.path).exists() for row in rows if row.due)
    assert Path(kept.path).read_bytes() == b"kept"
    assert catalog.deleted == {1: NOW, 2: NOW, 3: NOW, 5: NOW}


def test_a_dry_run_touches_nothing(root: Path) -> None:
    rows = three(root)
    Path(rows[0].path).unlink()
    catalog = MemoryCatalog(rows)
    report = prune(catalog, now=NOW, dry_run=True)
    assert report.dry_run
    assert report.deleted == [rows[1].path, rows[2].path]
    assert report.already_gone == [rows[0].path]
    assert Path(rows[1].path).exists()
    assert Path(rows[2].path).exists()
    assert catalog.deleted == {}


def test_prune_refuses_paths_it_must_not_touch(root: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("do not delete")
    unsafe = [
        Row(1, "relative/call.wav", None),
        Row(2, str(root / ".." / "precious.txt"), None),
        Row(3, str(precious), None),  # absolute, but outside the recording directory
        Row(4, str(root), None),
    ]
    catalog = MemoryCatalog(unsafe)
    report = prune(catalog, now=NOW, root=root)
    assert report.refused == [row.path for row in unsafe]
    assert not report.ok
    assert precious.read_text() == "do not delete"
    assert catalog.deleted == {}
    # Without a root only relative and `..` paths are refused.
    assert prune(MemoryCatalog(unsafe[:2]), now=NOW).refused == [unsafe[0].path, unsafe[1].path]
    assert precious.exists()


def test_a_file_that_cannot_be_deleted_is_reported_and_not_marked(root: Path) -> None:
    directory = root / "2026" / "not-a-file.wav"
    directory.mkdir(parents=True)
    catalog = MemoryCatalog([Row(1, str(directory), None)])
    report = prune(catalog, now=NOW, root=root)
    assert report.failed == [str(directory)]
    assert directory.is_dir()
    assert catalog.deleted == {}


def test_an_interrupted_prune_is_finished_by_a_rerun(root: Path) -> None:
    rows = three(root)
    kept = recording(root, 4, b"kept", due=False)
    catalog = MemoryCatalog([*rows, kept], interrupt=("deleted", 2))
    with pytest.raises(KeyboardInterrupt):
        prune(catalog, now=NOW, root=root)
    # Interrupted between deleting the second file and marking it.
    assert catalog.deleted == {1: NOW}
    assert not Path(rows[1].path).exists()
    assert Path(rows[2].path).exists()
    report = prune(catalog, now=NOW, root=root)
    assert report.already_gone == [rows[1].path]
    assert report.deleted == [rows[2].path]
    assert catalog.marks == Counter({("deleted", 1): 1, ("deleted", 2): 1, ("deleted", 3): 1})
    assert Path(kept.path).exists()
    assert prune(catalog, now=NOW, root=root) == retention.PruneReport()  # nothing left to do


# --- backup ---------------------------------------------------------------------------------------


def backed_up_files(dest: Path) -> dict[str, bytes]:
    return {str(path.relative_to(dest)): path.read_bytes() for path in dest.rglob("*") if path.is_file()}


def test_backup_copies_verifies_and_marks(root: Path, tmp_path: Path) -> None:
    rows = three(root)
    catalog = MemoryCatalog(rows)
    dest = tmp_path / "backup"
    report = backup(catalog, dest, now=NOW, root=root)
    assert report.copied == [row.path for row in rows]
    assert report.ok
    assert backed_up_files(dest) == {
        str(Path(row.path).relative_to(root)): Path(row.path).read_bytes() for row in rows
    }
    assert catalog.backed_up == {row.id: row.sha256 for row in rows}
    assert backup(catalog, dest, now=NOW, root=root) == retention.BackupReport()  # a rerun: nothing new


def test_an_identical_copy_is_verified_in_place(root: Path, tmp_path: Path) -> None:
    rows = three(root)
    dest = tmp_path / "backup"
    backup(MemoryCatalog(rows), dest, now=NOW, root=root)
    target = dest / Path(rows[0].path).relative_to(root)
    inode = target.stat().st_ino
    catalog = MemoryCatalog(rows)  # the marks lost, e.g. a database restored from last week
    report = backup(catalog, dest, now=NOW, root=root)
    assert report.verified == [row.path for row in rows]
    assert report.copied == []
    assert target.stat().st_ino == inode  # not rewritten
    assert set(catalog.backed_up) == {1, 2, 3}


def test_a_mismatch_is_reported_not_marked_and_an_earlier_copy_is_left_alone(
    root: Path, tmp_path: Path
) -> None:
    rotten = recording(root, 1, b"the audio as it was closed")
    Path(rotten.path).write_bytes(b"bit rot")  # the source no longer matches its checksum
    other = recording(root, 2, b"other audio")
    Path(other.path).write_bytes(b"more bit rot")
    dest = tmp_path / "backup"
    earlier = dest / "2026/08/12/call-2.wav"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"an earlier copy")
    catalog = MemoryCatalog([rotten, other])
    report = backup(catalog, dest, now=NOW, root=root)
    assert report.mismatched == [rotten.path, other.path]
    assert not report.ok
    assert catalog.backed_up == {}
    assert backed_up_files(dest) == {"2026/08/12/call-2.wav": b"an earlier copy"}


def test_a_copy_verified_earlier_stays_good_when_the_source_rots_later(root: Path, tmp_path: Path) -> None:
    good = recording(root, 1, b"the audio as it was closed")
    dest = tmp_path / "backup"
    backup(MemoryCatalog([good]), dest, now=NOW, root=root)
    Path(good.path).write_bytes(b"bit rot")
    report = backup(MemoryCatalog([good]), dest, now=NOW, root=root)
    assert report.verified == [good.path]  # the backup is the file the checksum names
    assert backed_up_files(dest) == {"2026/08/11/call-1.wav": b"the audio as it was closed"}


def test_missing_unchecked_and_unsafe_recordings_are_reported(root: Path, tmp_path: Path) -> None:
    missing = recording(root, 1, b"x")
    Path(missing.path).unlink()
    unchecked = Row(2, recording(root, 2, b"y").path, None)
    outside = Row(3, str(tmp_path / "elsewhere.wav"), "0" * 64)
    catalog = MemoryCatalog([missing, unchecked, outside])
    report = backup(catalog, tmp_path / "backup", now=NOW, root=root)
    assert (report.missing, report.unchecked, report.refused) == (
        [missing.path],
        [unchecked.path],
        [outside.path],
    )
    assert catalog.backed_up == {}
    assert backed_up_files(tmp_path / "backup") == {}


def test_a_relative_recording_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafePath):
        backup(MemoryCatalog([]), tmp_path, now=NOW, root=Path("recordings"))
    with pytest.raises(UnsafePath):
        prune(MemoryCatalog([]), now=NOW, root=Path("/var/../etc"))


def test_a_backup_interrupted_mid_copy_leaves_no_partial_file_and_a_rerun_completes(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = three(root)
    catalog = MemoryCatalog(rows)
    dest = tmp_path / "backup"
    real_copy = retention._copy
    copies = 0

    def copy_then_interrupt(reader: BinaryIO, writer: BinaryIO) -> None:
        nonlocal copies
        copies += 1
        if copies == 2:
            writer.write(reader.read(100))  # half-way through the second file
            raise KeyboardInterrupt
        real_copy(reader, writer)

    monkeypatch.setattr(retention, "_copy", copy_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        backup(catalog, dest, now=NOW, root=root)
    assert list(backed_up_files(dest)) == ["2026/08/11/call-1.wav"]  # no partial file left behind
    assert set(catalog.backed_up) == {1}
    report = backup(catalog, dest, now=NOW, root=root)
    assert report.copied == [rows[1].path, rows[2].path]
    assert len(backed_up_files(dest)) == 3
    assert catalog.marks == Counter({("backed_up", 1): 1, ("backed_up", 2): 1, ("backed_up", 3): 1})


def test_a_backup_interrupted_before_marking_is_verified_by_the_rerun(root: Path, tmp_path: Path) -> None:
    rows = three(root)
    catalog = MemoryCatalog(rows, interrupt=("backed_up", 2))
    dest = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        backup(catalog, dest, now=NOW, root=root)
    assert len(backed_up_files(dest)) == 2  # the second file was copied, not marked
    report = backup(catalog, dest, now=NOW, root=root)
    assert (report.verified, report.copied) == ([rows[1].path], [rows[2].path])
    assert catalog.backed_up == {row.id: row.sha256 for row in rows}
    assert catalog.marks == Counter({("backed_up", 1): 1, ("backed_up", 2): 1, ("backed_up", 3): 1})
    assert len(backed_up_files(dest)) == 3


def test_a_stale_partial_file_from_a_killed_run_is_replaced(root: Path, tmp_path: Path) -> None:
    row = recording(root, 1, b"the real audio")
    dest = tmp_path / "backup"
    stale = dest / "2026/08/11/.call-1.wav.partial"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half of something else, much longer than the real audio")
    report = backup(MemoryCatalog([row]), dest, now=NOW, root=root)
    assert report.copied == [row.path]
    assert backed_up_files(dest) == {"2026/08/11/call-1.wav": b"the real audio"}
