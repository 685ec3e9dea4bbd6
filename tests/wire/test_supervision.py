"""Supervision on a live ACD call over real TCP (tests/support/acd_rig.py, SQLite and PostgreSQL): the
eavesdrop originate for each mode with the agent's leg as the target, the permission rule, and the
API's PCI pause (uuid_record mask/unmask) of the call's running recording, and the API's start and
stop of a recording when the queue's policy is on_demand (uuid_setvar RECORD_STEREO, uuid_record).
"""

from __future__ import annotations

import datetime as dt
import re
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from esl_handlers.recording_log import WriterRecordingLog
from esl_handlers.supervision import Supervisor
from ivr_scripts.supervision import AgentNotOnCall, EavesdropTarget, Mode, SupervisionError
from schema.acd.agents import upsert_agents
from schema.acd.records import AgentProfile
from schema.db import create_engine_from_url
from schema.errors import NotFound, PermissionDenied
from schema.viewer import Viewer
from tests.support.acd_rig import DOMAIN, Rig, RigFactory, make_rig
from tests.support.recording_rig import day_path, recording_dialplan, recordings
from tests.support.standin import ScriptedCall
from tests.support.standin.agents import Leg
from tests.support.waiting import wait_until

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

SUPERVISOR_PHONE = "2001"
LEAD = Viewer("lead", "supervisor", department="sales", extension=SUPERVISOR_PHONE)
OTHER_LEAD = Viewer("other", "supervisor", department="service", extension=SUPERVISOR_PHONE)
MANAGER = Viewer("boss", "manager", extension=SUPERVISOR_PHONE)
ALICE = Viewer("alice", "agent", agent_id="1001", department="sales")
BEN = Viewer("ben", "agent", agent_id="1002", department="service")
STARTED = dt.datetime(2026, 3, 2, 23, 59, 59, tzinfo=dt.UTC)  # the Supervisor's clock: the file's date


class LiveCall:
    def __init__(self, rig: Rig, call: ScriptedCall, supervisor: Supervisor) -> None:
        self.rig = rig
        self.call = call
        self.supervisor = supervisor

    def agent_leg(self) -> Leg:
        return next(
            leg for leg in self.rig.events.agents.legs.values() if leg.presence_id == f"1001@{DOMAIN}"
        )


def on_demand_dialplan(directory: Path) -> str:
    """The recording dialplan with the sales queue's policy on demand (the line's still records all)."""
    text = recording_dialplan(directory)
    changed = text.replace("    recording: conversations\n", "    recording: asked\n").replace(
        "  policies:\n", "  policies:\n    asked: {mode: on_demand, stereo: true, retention_days: 90}\n"
    )
    assert changed.count("asked") == 2, "recording_dialplan changed: adapt on_demand_dialplan"
    return changed


@pytest.fixture
def live(make_rig: RigFactory, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveCall]:
    """Agent 1001 (sales) talking to a caller whose conversation is being recorded (when
    parametrized indirectly with "on_demand": whose conversation the queue's policy records only on
    demand)."""
    directory = tmp_path / "recordings"
    asked = getattr(request, "param", None) == "on_demand"
    text = on_demand_dialplan(directory) if asked else recording_dialplan(directory)
    rig = make_rig(ready=["1001"], dialplan_text=text)
    engine = create_engine_from_url(rig.database_url)
    upsert_agents(
        engine,
        [
            AgentProfile("1001", "Alice", "1001", "sales"),
            AgentProfile("1002", "Ben", "1002", "service"),
            AgentProfile("1003", "Chloe", "1003", "sales"),
        ],
    )
    rig.phone("1001", "answer")
    rig.phone(SUPERVISOR_PHONE, "answer")
    call = rig.place(keys=["1"], recordings_dir=str(directory))
    wait_until(lambda: rig.agent_state("1001") == "on_call", 10, "agent 1001 on the call")
    # The supervisor reads the call's recording plan from the database: wait until the writer wrote it
    # (it lingers up to 0.25 s to batch records; this was the race behind a flaky run under load).
    wait_until(lambda: rig.app.writer.flush(1) and rig.app.writer.backlog == 0, 10, "the records written")
    assert rig.app.switch is not None
    supervisor = Supervisor(
        rig.app.switch,
        DOMAIN,
        engine,
        recordings=WriterRecordingLog(rig.app.writer),
        clock=lambda: STARTED,
        dialplan=lambda: rig.app.dialplans.loaded.model,
    )
    try:
        yield LiveCall(rig, call, supervisor)
    finally:
        call.caller_hangup()
        rig.finish(call)
        engine.dispose()


@pytest.mark.parametrize(
    ("mode", "aleg", "bleg"),
    [("listen", "false", "false"), ("whisper", "false", "true"), ("barge", "true", "true")],
)
def test_each_mode_rings_the_supervisor_into_an_eavesdrop_on_the_agent_leg(
    live: LiveCall, mode: Mode, aleg: str, bleg: str
) -> None:
    leg = live.agent_leg()
    assert live.supervisor.agent_leg_for("1001") == EavesdropTarget(leg.uuid, "agent")
    supervision = live.supervisor.eavesdrop(LEAD, "1001", SUPERVISOR_PHONE, mode)
    assert supervision.outcome.result == "answered"
    assert supervision.outcome.leg_uuid == supervision.supervisor_leg
    [eavesdrop] = live.rig.events.agents.eavesdrops
    assert (eavesdrop.leg_uuid, eavesdrop.target, eavesdrop.endpoint) == (
        supervision.supervisor_leg,
        leg.uuid,
        f"user/{SUPERVISOR_PHONE}@{DOMAIN}",
    )
    assert {
        name: eavesdrop.variables[name] for name in ("eavesdrop_whisper_aleg", "eavesdrop_whisper_bleg")
    } == {
        "eavesdrop_whisper_aleg": aleg,
        "eavesdrop_whisper_bleg": bleg,
    }
    assert eavesdrop.variables["eavesdrop_enable_dtmf"] == "false"
    command = live.rig.events.agents.originated[-1]
    expected = rf"\{{[^}}]*\}}user/{SUPERVISOR_PHONE}@{re.escape(DOMAIN)} &eavesdrop\({leg.uuid}\)"
    assert re.fullmatch(expected, command), command
    assert live.supervisor.listen(MANAGER, "1001", SUPERVISOR_PHONE).outcome.result == "answered"


def test_only_supervisors_of_the_agents_department_and_managers_may_listen(live: LiveCall) -> None:
    with pytest.raises(PermissionDenied):
        live.supervisor.listen(ALICE, "1001", SUPERVISOR_PHONE)
    with pytest.raises(NotFound):
        live.supervisor.barge(OTHER_LEAD, "1001", SUPERVISOR_PHONE)
    with pytest.raises(NotFound):
        live.supervisor.listen(MANAGER, "9999", SUPERVISOR_PHONE)
    with pytest.raises(AgentNotOnCall):
        live.supervisor.whisper(LEAD, "1003", SUPERVISOR_PHONE)  # in sales, but logged out
    assert live.rig.events.agents.eavesdrops == []


def test_the_api_pauses_and_resumes_the_running_recording(live: LiveCall) -> None:
    call = live.call
    assert live.rig.app.writer.flush(10)
    running = [r.path for r in recordings(live.rig, call.uuid) if r.ended_at is None]
    assert len(running) == 1  # the conversation's file; the line's stopped when the caller queued
    assert live.supervisor.pause_recording(ALICE, call.uuid) == running  # the agent on the call
    assert live.supervisor.resume_recording(LEAD, call.uuid, running[0]) == running
    assert call.recorder.mask_commands == [("mask", running[0]), ("unmask", running[0])]
    with pytest.raises(NotFound):
        live.supervisor.pause_recording(BEN, call.uuid)
    with pytest.raises(NotFound):
        live.supervisor.pause_recording(OTHER_LEAD, call.uuid)
    with pytest.raises(SupervisionError):
        live.supervisor.pause_recording(MANAGER, call.uuid, "relative/path.wav")
    assert live.rig.app.writer.flush(10)
    [row] = [r for r in recordings(live.rig, call.uuid) if r.path == running[0]]
    assert row.paused is True


@pytest.mark.parametrize("live", ["on_demand"], indirect=True)
def test_the_api_starts_and_stops_a_recording_the_queues_policy_leaves_to_demand(
    live: LiveCall, tmp_path: Path
) -> None:
    rig, call = live.rig, live.call
    assert rig.app.writer.flush(10)
    [line] = recordings(rig, call.uuid)  # the DID's file, stopped when the caller joined sales
    wait_until(
        lambda: all(r.ended_at is not None for r in recordings(rig, call.uuid)), 10, "the line's file stopped"
    )
    call.set_var("RECORD_STEREO", "false")  # the line's mono policy left it so

    path = live.supervisor.start_recording(ALICE, call.uuid)

    expected = day_path(tmp_path / "recordings", call.uuid, STARTED, "-2")
    assert path == expected != line.path
    assert call.recorder.started[-1] == expected
    assert call.recorder.active == [expected]
    assert rig.app.writer.flush(10)  # the plan and RECORD_START written: the call is now being recorded
    with pytest.raises(SupervisionError, match="already being recorded"):
        live.supervisor.start_recording(LEAD, call.uuid)
    with pytest.raises(NotFound):
        live.supervisor.start_recording(OTHER_LEAD, call.uuid)
    assert live.supervisor.stop_recording(LEAD, call.uuid) == [expected]
    assert call.recorder.stopped[-1] == (expected, "success-maxtime")
    with wave.open(expected, "rb") as handle:
        assert handle.getnchannels() == 2  # RECORD_STEREO was set before the start
    wait_until(
        lambda: rig.app.writer.flush(1) and _closed(rig, call.uuid, expected), 10, "the file's row closed"
    )
    [row] = [r for r in recordings(rig, call.uuid) if r.path == expected]
    assert (row.policy, row.queue, row.channels, row.retention_days, row.agent_id) == (
        "asked",
        "sales",
        2,
        90,
        "1001",
    )


def _closed(rig: Rig, call_uuid: str, path: str) -> bool:
    return any(r.path == path and r.ended_at is not None for r in recordings(rig, call_uuid))


def test_a_recording_is_not_started_on_a_call_whose_policy_records_all(live: LiveCall) -> None:
    with pytest.raises(SupervisionError, match="'conversations' records all calls, not on demand"):
        live.supervisor.start_recording(MANAGER, live.call.uuid)
    with pytest.raises(SupervisionError, match="not on demand"):
        live.supervisor.stop_recording(ALICE, live.call.uuid)
    assert len(live.call.recorder.started) == 2  # the line's and the conversation's, nothing more
