"""Drills of the call records' disk spool with a real database (SQLite and PostgreSQL).

- A writer process killed with SIGKILL mid-batch: a fresh writer on the same spool replays it, and
  replaying it once more changes nothing; the rows are those of every record submitted.
- The server stopped while the database is unwritable: no record is lost, all are written after
  the restart (issue 11's first finding: 0 of 5 calls were stored).
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gevent
import psycopg
import pytest
from sqlalchemy import make_url

from callcenter.server import Application
from esl_handlers.db_writer import CallRecordWriter
from esl_handlers.record_spool import RecordSpool
from schema.calls.records import CallUpdate
from schema.calls.writes import write_batch
from schema.db import create_engine_from_url
from tests.support.server_configs import wire_config
from tests.support.spool_records import records, rows
from tests.support.standin import InboundSwitch
from tests.support.waiting import wait_until

pytestmark = pytest.mark.wire

CALLS = 60  # 720 records, 15 batches of 50
PASSWORD = "wire-test-secret-0123456789"


def replay(database_url: str, spool: Path) -> int:
    """Start a writer on the spool, let it replay, stop it; how many records it found."""
    engine = create_engine_from_url(database_url)
    try:
        writer = CallRecordWriter(
            lambda batch: write_batch(engine, batch),
            dead_letter=spool.parent / "dead_letter.jsonl",
            spool=RecordSpool(spool),
        )
        writer.start()
        assert writer.flush(60)
        writer.stop()
        assert writer.dead_lettered == 0
        return writer.replaying
    finally:
        engine.dispose()


def summary(found: dict[str, list[tuple[object, ...]]]) -> dict[str, list[tuple[object, ...]]]:
    """The rows' values that the records decide, alike on SQLite and PostgreSQL."""
    return {
        "calls": [(r[0], r[1], r[2] is not None, r[4] is not None, r[5]) for r in found["calls"]],
        "ivr_steps": found["ivr_steps"],
        "queue_log": sorted((r[0], r[1], r[2], r[3]) for r in found["queue_log"]),
        "survey_responses": found["survey_responses"],
        "recordings": [(r[0], r[1], r[2], r[3], bool(r[4]), float(str(r[5]))) for r in found["recordings"]],
    }


def submitted_summary() -> dict[str, list[tuple[object, ...]]]:
    uuids = [f"call-{n:05d}" for n in range(CALLS)]
    return {
        "calls": [(u, f"+1555{n:07d}", True, True, "NORMAL_CLEARING") for n, u in enumerate(uuids)],
        "ivr_steps": [(u, 0, "ok") for u in uuids],
        "queue_log": sorted(
            [(u, "sales", "CONNECT", "1001") for u in uuids] + [(u, "sales", "ENTERQUEUE", "") for u in uuids]
        ),
        "survey_responses": [(u, "q1", 1 + n % 9) for n, u in enumerate(uuids)],
        "recordings": [
            (f"/recordings/2026/03/01/{u}.wav", u, 1000 + n, f"{n:064x}", True, 17.0)
            for n, u in enumerate(uuids)
        ],
    }


def test_a_writer_killed_mid_batch_loses_and_doubles_nothing_replayed_twice(
    database_url: str, tmp_path: Path
) -> None:
    spool, progress = tmp_path / "var" / "spool", tmp_path / "progress"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.spool_records",
            database_url,
            str(spool),
            str(CALLS),
            str(progress),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "submitted\n"
        wait_until(
            lambda: progress.exists() and len(progress.read_text().split()) >= 4, 30, "4 batches written"
        )
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    written = sum(int(n) for n in progress.read_text().split())
    assert 0 < written < len(records(CALLS)), "killed mid-way"
    shutil.copytree(spool, tmp_path / "spool-copy")

    assert replay(database_url, spool) >= len(records(CALLS)) - written  # at least what was not written
    engine = create_engine_from_url(database_url)
    try:
        after_first = rows(engine)
        assert replay(database_url, tmp_path / "spool-copy") > 0  # the same spool, replayed once more
        assert rows(engine) == after_first  # not even updated_at moved
    finally:
        engine.dispose()
    assert RecordSpool(spool).pending == 0
    assert summary(after_first) == submitted_summary()


def short_lock_timeout(database_url: str) -> None:
    """PostgreSQL: connections opened from now on give up on a lock after 200 ms, so a write the
    lock holds back fails fast instead of waiting in its thread past the server's stop. (SQLite's
    writers give up after their busy timeout.)"""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        with psycopg.connect(_conninfo(database_url), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{url.database}" SET lock_timeout = 200')


@contextmanager
def database_locked(database_url: str) -> Iterator[None]:
    """No writer gets through while this holds (SQLite: an exclusive transaction; PostgreSQL: the
    calls table locked)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        locker = sqlite3.connect(str(url.database), isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        return
    with psycopg.connect(_conninfo(database_url)) as holder:
        holder.execute("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
        yield
        holder.rollback()


def _conninfo(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def stored_calls(database_url: str) -> list[str]:
    engine = create_engine_from_url(database_url)
    try:
        return [str(row[0]) for row in rows(engine)["calls"]]
    finally:
        engine.dispose()


def test_calls_submitted_while_the_database_is_unwritable_survive_a_stop(
    database_url: str, tmp_path: Path
) -> None:
    uuids = [f"outage-{n}" for n in range(5)]
    events = InboundSwitch(password=PASSWORD)
    events.start()
    try:
        config = wire_config(events, PASSWORD, database_url, tmp_path)
        short_lock_timeout(database_url)
        app = Application(config)
        app.start()
        with database_locked(database_url):
            for uuid in uuids:
                app.writer.submit(CallUpdate(uuid, direction="inbound", outcome="hangup"))
            gevent.sleep(0.2)
            assert app.stop() == []
        assert not config.dead_letter.exists()  # kept in the spool, not dead-lettered

        again = Application(config)
        assert again.writer.replaying == len(uuids)
        again.start()
        assert again.writer.flush(30)
        assert again.stop() == []
    finally:
        events.stop()
    assert stored_calls(database_url) == uuids
