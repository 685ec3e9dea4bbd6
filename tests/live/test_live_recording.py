"""The live tier for recording: a SIPp caller keys into a recorded queue, a SIPp agent phone answers and
hangs up after a few seconds, and FreeSWITCH's own recording must be on disk with the length the call
had, its row in the database filled from RECORD_START / RECORD_STOP with the file's size and sha256.

The example dialplan with one change: its recording directory is this test's temporary directory
(the example's /var/lib/callcenter/recordings is not the test's to write). Skipped, saying why,
without a FreeSWITCH binary (PATH or FREESWITCH_BIN) or sipp; never faked: every number checked
comes from the file FreeSWITCH wrote or from the events it sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dialplans.loader import load_dialplan
from freeswitch_conf.directory import directory_users
from freeswitch_conf.render import SwitchSettings, render_conf
from schema.acd_models import QueueLogEntry
from schema.db import create_engine_from_url
from schema.models import Call
from schema.recording_models import Recording
from sipp_scenarios.agent_phone import AgentLogin, AgentOptions
from sipp_scenarios.runner import queue_call
from sipp_scenarios.switch import FreeSwitch, SwitchEndpoints
from sipp_scenarios.tools import ToolMissing, find_freeswitch, find_sipp
from tests.live import support
from tests.live.support import EXAMPLE, NO_FREESWITCH, PASSWORD, Live, free_port, free_sip_port

pytestmark = pytest.mark.live

QUEUE = "insurance"  # the example records its conversations (policy `conversations`: all, stereo, wav)
TALK_MS = 4000  # the agent hangs up this long after answering
# The file and the events are counted by the switch's clock, the queue log and hang-up by ours: allow
# a little for the time between the switch acting and our server writing it down.
TOLERANCE_S = 1.5


@dataclass(frozen=True)
class RecordedLive:
    live: Live
    dialplan: Path  # the example, recording into `directory`
    directory: Path


def recording_dialplan(work: Path) -> tuple[Path, Path]:
    """The example dialplan, recording into `work`/recordings; its path and the directory."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    directory = work / "recordings"
    data["recording"]["directory"] = str(directory)
    data["sounds_dir"] = str((EXAMPLE.parent / data.get("sounds_dir", "sounds")).resolve())
    path = work / "recording.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path, directory


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedLive]:
    """FreeSWITCH on that dialplan's rendered conf (support.live_switch, with our dialplan)."""
    if not os.environ.get("FREESWITCH_BIN") and not support.on_path("freeswitch"):
        pytest.skip(NO_FREESWITCH)
    try:
        freeswitch, sipp = find_freeswitch(), find_sipp()
    except ToolMissing as exc:
        pytest.skip(f"live tier needs both FreeSWITCH and SIPp: {exc}")
    work = tmp_path_factory.mktemp("live_recording")
    dialplan, directory = recording_dialplan(work)
    loaded = load_dialplan(dialplan)
    assert loaded.model.queues[QUEUE].recording is not None, "the example's queue should be recorded"
    settings = SwitchSettings(
        esl_password=PASSWORD,
        esl_port=free_port(socket.SOCK_STREAM),
        app_port=free_port(socket.SOCK_STREAM),
        caller_sip_port=free_sip_port(),
        agent_sip_port=free_sip_port(),
        recordings_dir=work / "switch-recordings",
        tts_engine="flite",
        agent_passwords={agent: secrets.token_urlsafe(18) for agent in loaded.model.agents},
    )
    conf_dir = work / "conf"
    render_conf(loaded, settings, conf_dir)
    endpoints = SwitchEndpoints.from_conf(conf_dir)
    with FreeSwitch(freeswitch, conf_dir, work / "freeswitch", endpoints) as switch:
        live = Live(freeswitch, sipp, conf_dir, settings, loaded, endpoints, switch, work)
        yield RecordedLive(live, dialplan, directory)


def environment(recorded: RecordedLive) -> dict[str, str]:
    return {**support.callcenter_env(recorded.live), "CALLCENTER_DIALPLAN": str(recorded.dialplan)}


def callcenter(recorded: RecordedLive, *args: str) -> None:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("callcenter")), *args],
        env=environment(recorded),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, (args, completed.stdout, completed.stderr)


@contextlib.contextmanager
def app_server(recorded: RecordedLive) -> Iterator[None]:
    """`callcenter serve` on our dialplan (support.app_server, with our environment)."""
    live = recorded.live
    log = live.work / "app_server.out"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("callcenter")), "serve"],
            env=environment(recorded),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            support.wait_listening(live.settings.app_host, live.settings.app_port, process, log)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
    with app_server(recorded):
        callcenter(recorded, "agent", "sync")
        callcenter(recorded, "agent", "login", agent_id)
        callcenter(recorded, "agent", "ready", agent_id)
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
        engine = create_engine_from_url(support.database_url(live))
        try:
            with engine.connect() as db:
                (call_uuid,) = db.execute(
                    select(QueueLogEntry.call_uuid).where(
                        QueueLogEntry.queue == QUEUE, QueueLogEntry.event == "CONNECT"
                    )
                ).one()
                queue_times = dict(
                    db.execute(
                        select(QueueLogEntry.event, QueueLogEntry.at).where(
                            QueueLogEntry.call_uuid == call_uuid,
                            QueueLogEntry.event.in_(("ENTERQUEUE", "CONNECT")),
                        )
                    ).tuples()
                )
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
