"""The live tier for recording: a SIPp caller keys into a recorded queue, a SIPp agent phone answers and
hangs up after a few seconds, and FreeSWITCH's own recording must be on disk with the length the call
had, its row in the database filled from RECORD_START / RECORD_STOP with the file's size and sha256.

The example dialplan with one change: its recording directory is this test's temporary directory
(the example's /var/lib/callcenter/recordings is not the test's to write). Skipped, saying why,
without a FreeSWITCH binary (PATH or FREESWITCH_BIN) or sipp; never faked: every number checked
comes from the file FreeSWITCH wrote or from the events it sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from freeswitch_conf.directory import directory_users
from schema.acd.models import QueueLogEntry
from schema.calls.models import Call
from schema.db import create_engine_from_url
from schema.recording.models import Recording
from sipp_scenarios.agent_phone import AgentLogin, AgentOptions
from sipp_scenarios.runner import queue_call
from tests.support.live import harness
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live

QUEUE = "insurance"  # the example records its conversations (policy `conversations`: all, stereo, wav)
TALK_MS = 4000  # the agent hangs up this long after answering
# The file and the events are counted by the switch's clock, the queue log and hang-up by ours: allow
# a little for the time between the switch acting and our server writing it down.
TOLERANCE_S = 1.5


@dataclass(frozen=True)
class RecordedLive:
    live: Live
    directory: Path  # where the dialplan's recording policies write


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[RecordedLive]:
    with harness.live_switch(tmp_path_factory.mktemp("live_recording"), build) as live:
        assert live.loaded.model.queues[QUEUE].recording is not None, "the example's queue should be recorded"
        yield RecordedLive(live, Path(live.loaded.model.recording.directory))


def agent_login(live: Live) -> tuple[str, AgentLogin]:
    agent_id = live.loaded.model.queues[QUEUE].tiers[0].agent
    user = next(
        u for u in directory_users(live.loaded.model, live.settings.agent_passwords) if u.agent_id == agent_id
    )
    return agent_id, AgentLogin(user.extension, live.settings.domain, user.password)


def closed_recording(engine: Engine, call_uuid: str, timeout: float = 20.0) -> Recording:
    """The call's conversation recording once its file is closed and hashed (the writer is queued)."""
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            row = session.scalars(
                select(Recording).where(Recording.call_uuid == call_uuid, Recording.queue == QUEUE)
            ).first()
        if row is not None and row.sha256 is not None:
            return row
        if time.monotonic() > deadline:
            pytest.fail(f"no closed, hashed recording of call {call_uuid} in the database: {row}")
        time.sleep(0.2)


def test_a_queued_call_is_recorded_with_its_real_length(recorded: RecordedLive) -> None:
    live = recorded.live
    agent_id, login = agent_login(live)
    with harness.app_server(live):
        harness.callcenter(live, "agent", "sync")
        harness.callcenter(live, "agent", "login", agent_id)
        harness.callcenter(live, "agent", "ready", agent_id)
        report = queue_call(
            live.conf_dir,
            dialplan=live.loaded.model,
            queue=QUEUE,
            login=login,
            run_dir=live.work / "queue_call",
            agent=AgentOptions(hangup_after_ms=TALK_MS, timeout_s=120),
        )
        assert live.switch.alive(), live.switch.log_tail()
        assert report.ok, f"{report}\n{live.switch.log_tail()}"
        engine = create_engine_from_url(harness.database_url(live))
        try:
            with engine.connect() as db:
                (call_uuid,) = db.execute(
                    select(QueueLogEntry.call_uuid).where(
                        QueueLogEntry.queue == QUEUE, QueueLogEntry.event == "CONNECT"
                    )
                ).one()
                queue_times = {
                    row.event: row.at
                    for row in db.execute(
                        select(QueueLogEntry.event, QueueLogEntry.at).where(
                            QueueLogEntry.call_uuid == call_uuid,
                            QueueLogEntry.event.in_(("ENTERQUEUE", "CONNECT")),
                        )
                    )
                }
            row = closed_recording(engine, call_uuid)
            with engine.connect() as db:
                ended = db.execute(select(Call.ended_at).where(Call.uuid == call_uuid)).scalar_one()
        finally:
            engine.dispose()

    path = Path(row.path)
    assert row.started_at is not None
    assert row.ended_at is not None
    assert ended is not None
    day = row.started_at.astimezone(dt.UTC).strftime("%Y/%m/%d")
    assert path.parent == recorded.directory / day
    assert path.name in (f"{call_uuid}.wav", f"{call_uuid}-2.wav")
    assert (row.policy, row.format, row.channels, row.agent_id) == ("conversations", "wav", 2, agent_id)
    data = path.read_bytes()
    assert (row.size_bytes, row.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    with wave.open(str(path), "rb") as audio:
        assert audio.getnchannels() == 2
        file_seconds = audio.getnframes() / audio.getframerate()
    # The queue's policy starts its file once the caller has joined (after its announcement), and the
    # file runs to the hang-up: all the waiting, then the whole conversation.
    entered, connected = queue_times["ENTERQUEUE"], queue_times["CONNECT"]
    assert row.started_at >= entered - dt.timedelta(seconds=TOLERANCE_S)
    assert abs(file_seconds - (ended - row.started_at).total_seconds()) <= TOLERANCE_S
    talked = (ended - connected).total_seconds()
    assert talked >= TALK_MS / 1000 - TOLERANCE_S
    assert file_seconds >= talked - TOLERANCE_S
    assert row.duration_s is not None
    assert abs(row.duration_s - file_seconds) <= TOLERANCE_S
    assert abs((row.ended_at - row.started_at).total_seconds() - file_seconds) <= TOLERANCE_S
