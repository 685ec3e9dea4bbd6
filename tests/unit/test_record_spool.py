"""The disk spool: private files, one line per record, commit point, segments sealed and deleted."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from esl_handlers.record_codec import encode_record
from esl_handlers.record_spool import RecordSpool
from schema.calls.records import CallUpdate


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def segments(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".seg"))


def test_records_are_on_disk_in_private_files_as_soon_as_appended(tmp_path: Path) -> None:
    (tmp_path / "spool").mkdir(mode=0o755)
    spool = RecordSpool(tmp_path / "spool")
    assert [spool.append(CallUpdate(f"u{i}")) for i in range(3)] == [1, 2, 3]
    assert mode(tmp_path / "spool") == 0o700
    (segment,) = segments(tmp_path / "spool")
    assert mode(tmp_path / "spool" / segment) == 0o600
    # No sync, no close: what another process (the next start after a kill -9) reads.
    again = RecordSpool(tmp_path / "spool")
    assert (again.committed, again.last) == (0, 3)
    assert again.read(0, 3) == [(i + 1, CallUpdate(f"u{i}")) for i in range(3)]


def test_the_commit_point_survives_and_committed_segments_go(tmp_path: Path) -> None:
    spool = RecordSpool(tmp_path, segment_records=2)
    for i in range(5):
        spool.append(CallUpdate(f"u{i}"))
    assert segments(tmp_path) == [f"{first:020d}.seg" for first in (1, 3, 5)]
    spool.commit(3)
    assert (tmp_path / "commit").exists() is False  # noted, saved by the next sync
    spool.sync()
    assert segments(tmp_path) == [f"{first:020d}.seg" for first in (3, 5)]  # 3-4 not all committed
    assert (tmp_path / "commit").read_text() == "3\n"
    assert mode(tmp_path / "commit") == 0o600
    spool.close()
    again = RecordSpool(tmp_path, segment_records=2)
    assert (again.committed, again.last, again.pending) == (3, 5, 2)
    assert again.read(3, 5) == [(4, CallUpdate("u3")), (5, CallUpdate("u4"))]
    again.commit(5)
    again.sync()
    assert segments(tmp_path) == []
    assert RecordSpool(tmp_path).last == 5  # numbering goes on past the commit point


def test_a_segment_is_bounded_in_bytes_too(tmp_path: Path) -> None:
    line = len(f"1 {encode_record(CallUpdate('u0', caller_name='x' * 50))}\n".encode())
    spool = RecordSpool(tmp_path, segment_bytes=2 * line + 1)
    for i in range(10):
        spool.append(CallUpdate(f"u{i}", caller_name="x" * 50))
    spool.close()
    sizes = [(tmp_path / name).stat().st_size for name in segments(tmp_path)]
    assert len(sizes) == 5  # two records each: a third would pass the bound
    assert all(2 * line <= size <= 2 * line + 1 for size in sizes)  # record 10 has one digit more


def test_reading_goes_on_where_it_stopped_across_segments(tmp_path: Path) -> None:
    spool = RecordSpool(tmp_path, segment_records=3)
    for i in range(10):
        spool.append(CallUpdate(f"u{i}"))
    assert [s for s, _ in spool.read(0, 4)] == [1, 2, 3, 4]
    spool.append(CallUpdate("u10"))
    assert [s for s, _ in spool.read(4, 11)] == list(range(5, 12))


def test_a_line_that_does_not_decode_is_named_skipped_and_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = RecordSpool(tmp_path, segment_records=3)
    for i in range(4):
        spool.append(CallUpdate(f"u{i}"))
    spool.close()
    first = tmp_path / f"{1:020d}.seg"
    lines = first.read_bytes().splitlines(keepends=True)
    first.write_bytes(lines[0] + b'2 {"record": "CallUpdate", "uuid": ""}\n' + lines[2])
    with open(tmp_path / f"{4:020d}.seg", "ab") as handle:
        handle.write(b'5 {"record": "CallUp')  # torn by an OS crash

    again = RecordSpool(tmp_path, segment_records=3)
    with caplog.at_level(logging.ERROR):
        records = again.read(0, again.last)
    assert [s for s, _ in records] == [1, 3, 4]
    messages = [r.getMessage() for r in caplog.records]
    assert f"{first}:2: spooled record does not decode" in messages[0]
    assert f"{tmp_path / f'{4:020d}.seg'}:2:" in messages[1]
    assert "cut short" in messages[1]
    again.append(CallUpdate("u9"))
    again.commit(again.last)
    again.close()
    assert b'"uuid": ""' in (tmp_path / f"{1:020d}.seg.kept").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".kept")) == [
        f"{1:020d}.seg.kept",
        f"{4:020d}.seg.kept",
    ]


def test_a_bad_commit_point_is_named(tmp_path: Path) -> None:
    (tmp_path / "commit").write_text("soon\n")
    with pytest.raises(ValueError, match=rf"{tmp_path / 'commit'}: the commit point 'soon'"):
        RecordSpool(tmp_path)
