"""`callcenter db replay`: dead letters sent again; accepted ones leave the file, the rest stay."""

from __future__ import annotations

import datetime as dt
import json
import stat
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from esl_handlers.dead_letters import append_dead_letters, dead_letter_line, replay_dead_letters
from esl_handlers.record_codec import Record
from schema.calls.models import Call
from schema.calls.records import CallUpdate
from schema.db import create_engine_from_url
from schema.errors import StorageUnavailable
from schema.recording.records import RecordingFileFacts
from tests.support.cli import callcenter_output

AT = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
UNKNOWN_FILE = RecordingFileFacts("/r/2026/03/01/nobody.wav", 10, "0" * 64)  # no such recording: refused


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("CALLCENTER_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path / "var"


def calls(database_url: str) -> list[tuple[str, str | None]]:
    engine = create_engine_from_url(database_url)
    try:
        with engine.connect() as connection:
            return [(r.uuid, r.caller_number) for r in connection.execute(select(Call).order_by(Call.uuid))]
    finally:
        engine.dispose()


def test_accepted_records_leave_the_file_the_others_stay_with_their_reason(
    var_dir: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = var_dir / "dead_letter.jsonl"
    append_dead_letters(
        dead, dead_letter_line(CallUpdate("u1", caller_number="+1555", started_at=AT), "locked")
    )
    append_dead_letters(dead, dead_letter_line(UNKNOWN_FILE, "refused"))
    append_dead_letters(dead, "{torn\n")
    # A dead letter from before the spool: the class in "kind".
    old = {"kind": "CallUpdate", "uuid": "u2", "caller_number": "+1666", "reason": "writer stopped"}
    append_dead_letters(dead, json.dumps(old) + "\n")

    code, out, err = callcenter_output(capsys, "db", "replay")
    assert code == 1
    assert f"{dead}: 2 replayed, 1 refused again (kept with the reason), 1 lines that do not decode" in out
    assert f"{dead}:3: not JSON" in err
    assert calls(database_url) == [("u1", "+1555"), ("u2", "+1666")]
    kept = dead.read_text().splitlines()
    assert json.loads(kept[0])["path"] == UNKNOWN_FILE.path
    assert UNKNOWN_FILE.path in json.loads(kept[0])["reason"]  # the database's own reason now
    assert kept[1] == "{torn"
    assert stat.S_IMODE(dead.stat().st_mode) == 0o600

    code, out, _ = callcenter_output(capsys, "db", "replay")  # again: nothing new, nothing doubled
    assert code == 1
    assert "0 replayed, 1 refused again" in out
    assert calls(database_url) == [("u1", "+1555"), ("u2", "+1666")]


def test_a_file_replayed_in_full_is_removed(
    var_dir: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dead = tmp_path / "elsewhere.jsonl"
    for uuid in ("u1", "u1", "u2"):  # twice the same: the writes are idempotent
        append_dead_letters(dead, dead_letter_line(CallUpdate(uuid, ended_at=AT), "locked"))
    code, out, _ = callcenter_output(capsys, "db", "replay", "--dead-letter", str(dead))
    assert (code, out.split(": ", 1)[1].split(",")[0]) == (0, "3 replayed")
    assert not dead.exists()
    assert [uuid for uuid, _ in calls(database_url)] == ["u1", "u2"]
    code, out, _ = callcenter_output(capsys, "db", "replay", "--dead-letter", str(dead))
    assert (code, out) == (0, f"{dead}: no dead letters to replay\n")


def test_an_unavailable_database_keeps_everything(tmp_path: Path) -> None:
    dead = tmp_path / "dead_letter.jsonl"
    for uuid in ("u1", "u2"):
        append_dead_letters(dead, dead_letter_line(CallUpdate(uuid), "locked"))

    def unavailable(records: Sequence[Record]) -> None:
        raise StorageUnavailable("database is locked")

    report = replay_dead_letters(dead, unavailable)
    assert (report.replayed, report.remaining, report.unavailable) == (0, 1, "database is locked")
    kept = [json.loads(line) for line in dead.read_text().splitlines()]
    assert [(line["uuid"], line["reason"]) for line in kept] == [
        ("u1", "not replayed: database is locked"),
        ("u2", "not replayed: database is locked"),
    ]


def test_a_record_dead_lettered_during_a_replay_lands_in_the_new_file(tmp_path: Path) -> None:
    dead = tmp_path / "dead_letter.jsonl"
    append_dead_letters(dead, dead_letter_line(CallUpdate("old"), "locked"))
    appender: list[threading.Thread] = []

    def write(records: Sequence[Record]) -> None:
        # The server refuses a record now: its append waits for the replay's lock.
        thread = threading.Thread(
            target=append_dead_letters, args=(dead, dead_letter_line(CallUpdate("new"), "refused"))
        )
        thread.start()
        appender.append(thread)
        thread.join(0.2)
        assert thread.is_alive()

    report = replay_dead_letters(dead, write)
    appender[0].join(5)
    assert report.replayed == 1
    assert [json.loads(line)["uuid"] for line in dead.read_text().splitlines()] == ["new"]
