"""The recordings data layer: who sees which recording, the keep flag, and the bookkeeping of pruning and
backup; on SQLite and PostgreSQL.

The world: departments sales (agents 1001, 1002) and service (agent 2001); calls c1 (answered by
1001), c2 (1002), c3 (2001), c4 (IVR only, no agent), one recording each, an hour apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine

from schema.acd.agents import upsert_agents
from schema.acd.records import AgentProfile, QueueEvent
from schema.calls.writes import Record, write_batch
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.recording.recordings import (
    backup_candidates,
    due_for_pruning,
    get_recording,
    list_recordings,
    mark_backed_up,
    mark_deleted,
    set_keep,
)
from schema.recording.records import RecordingEvent, RecordingFileFacts, RecordingPlanned
from schema.viewer import SYSTEM, Viewer
from tests.support.unchecked import unchecked

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
SHA = "ab" * 32

VIEWERS = {
    "agent 1001": Viewer("ann", "agent", agent_id="1001", department="sales"),
    "supervisor sales": Viewer("sue", "supervisor", department="sales"),
    "supervisor service": Viewer("sam", "supervisor", department="service"),
    "manager": Viewer("max", "manager"),
    "system": SYSTEM,
}
VISIBLE = {
    "agent 1001": ["c1"],
    "supervisor sales": ["c2", "c1"],
    "supervisor service": ["c3"],
    "manager": ["c4", "c3", "c2", "c1"],
    "system": ["c4", "c3", "c2", "c1"],
}
MANAGER = VIEWERS["manager"]


def path_of(call: str) -> str:
    return f"/rec/2024/03/01/{call}.wav"


def recording(
    call: str,
    *,
    started: dt.datetime | None,
    ended: dt.datetime | None,
    agent: str | None = None,
    retention_days: int | None = 30,
    sha256: str | None = SHA,
) -> list[Record]:
    path = path_of(call)
    records: list[Record] = []
    if retention_days is not None:
        records.append(
            RecordingPlanned(call, path, "all", "wav", 2, "support", retention_days, started or T0)
        )
    if started is not None:
        records.append(RecordingEvent(call, path, "start", started))
    if agent is not None:
        records.append(QueueEvent(started or T0, call, "support", "CONNECT", agent_id=agent))
    if ended is not None:
        records.append(RecordingEvent(call, path, "stop", ended))
        if sha256 is not None:
            records.append(RecordingFileFacts(path, 1000, sha256))
    return records


@dataclass
class World:
    engine: Engine
    ids: dict[str, int]


@pytest.fixture
def world(engine: Engine) -> World:
    departments = {"1001": "sales", "1002": "sales", "2001": "service"}
    upsert_agents(
        engine, [AgentProfile(agent, department=department) for agent, department in departments.items()]
    )
    batch: list[Record] = []
    for hour, (call, agent) in enumerate([("c1", "1001"), ("c2", "1002"), ("c3", "2001"), ("c4", None)]):
        started = T0 + dt.timedelta(hours=hour)
        batch += recording(call, started=started, ended=started + dt.timedelta(minutes=5), agent=agent)
    write_batch(engine, batch)
    return World(engine, {r.call_uuid: r.id for r in list_recordings(engine, SYSTEM)})


# --- who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", VIEWERS)
def test_each_role_lists_and_gets_exactly_its_recordings(world: World, who: str) -> None:
    viewer = VIEWERS[who]
    assert [r.call_uuid for r in list_recordings(world.engine, viewer)] == VISIBLE[who]
    for call, recording_id in world.ids.items():
        if call in VISIBLE[who]:
            view = get_recording(world.engine, viewer, recording_id)
            assert (view.id, view.call_uuid, view.path) == (recording_id, call, path_of(call))
        else:
            with pytest.raises(NotFound):
                get_recording(world.engine, viewer, recording_id)


def test_a_view_carries_the_row(world: World) -> None:
    view = get_recording(world.engine, VIEWERS["agent 1001"], world.ids["c1"])
    assert (view.agent_id, view.queue, view.policy, view.format, view.channels) == (
        "1001",
        "support",
        "all",
        "wav",
        2,
    )
    assert (view.started_at, view.ended_at, view.duration_s) == (T0, T0 + dt.timedelta(minutes=5), 300.0)
    assert (view.size_bytes, view.sha256, view.paused, view.keep, view.retention_days) == (
        1000,
        SHA,
        False,
        False,
        30,
    )
    with pytest.raises(NotFound):
        get_recording(world.engine, MANAGER, 10**6)


def test_filters_and_paging(world: World) -> None:
    engine = world.engine
    sales = VIEWERS["supervisor sales"]
    assert [r.call_uuid for r in list_recordings(engine, sales, agent_id="1002")] == ["c2"]
    assert [r.call_uuid for r in list_recordings(engine, sales, agent_id="2001")] == []  # not theirs to see
    assert [r.call_uuid for r in list_recordings(engine, MANAGER, call_uuid="c3")] == ["c3"]
    assert [r.call_uuid for r in list_recordings(engine, MANAGER, since=T0 + dt.timedelta(hours=2))] == [
        "c4",
        "c3",
    ]
    assert [r.call_uuid for r in list_recordings(engine, MANAGER, limit=2, offset=1)] == ["c3", "c2"]
    bad_pages: list[dict[str, Any]] = [{"limit": 0}, {"limit": 501}, {"offset": -1}]
    for bad in [*bad_pages, {"since": dt.datetime(2024, 3, 1)}]:
        with pytest.raises(RecordRejected):
            list_recordings(engine, MANAGER, **bad)


def test_deleted_recordings_are_listed_only_when_asked_for(world: World) -> None:
    assert mark_deleted(world.engine, world.ids["c2"], now=T0 + 40 * DAY)
    assert [r.call_uuid for r in list_recordings(world.engine, MANAGER)] == ["c4", "c3", "c1"]
    listed = list_recordings(world.engine, MANAGER, include_deleted=True)
    assert [(r.call_uuid, r.deleted_at) for r in listed if r.deleted_at] == [("c2", T0 + 40 * DAY)]
    assert get_recording(world.engine, MANAGER, world.ids["c2"]).deleted_at == T0 + 40 * DAY


# --- the keep flag -------------------------------------------------------------------------------


def test_supervisors_and_managers_flag_recordings_to_keep_agents_may_not(world: World) -> None:
    engine, c1 = world.engine, world.ids["c1"]
    with pytest.raises(PermissionDenied):
        set_keep(engine, VIEWERS["agent 1001"], c1, True, "my own call")
    with pytest.raises(NotFound):
        set_keep(engine, VIEWERS["supervisor service"], c1, True, "not my department")

    kept = set_keep(engine, VIEWERS["supervisor sales"], c1, True, "  dispute #42 ", now=T0 + DAY)
    assert (kept.keep, kept.keep_reason, kept.updated_at) == (True, "dispute #42", T0 + DAY)
    again = set_keep(engine, MANAGER, c1, True, "dispute #42", now=T0 + 2 * DAY)
    assert again.updated_at == T0 + DAY  # nothing changed
    released = set_keep(engine, MANAGER, c1, False, None, now=T0 + 3 * DAY)
    assert (released.keep, released.keep_reason, released.updated_at) == (False, None, T0 + 3 * DAY)
    assert set_keep(engine, SYSTEM, world.ids["c4"], True, "").keep_reason is None


def test_a_deleted_recording_cannot_be_kept_and_bad_values_are_refused(world: World) -> None:
    engine = world.engine
    mark_deleted(engine, world.ids["c1"])
    with pytest.raises(RecordRejected, match="deleted"):
        set_keep(engine, MANAGER, world.ids["c1"], True, "too late")
    assert set_keep(engine, MANAGER, world.ids["c1"], False, None).keep is False
    with pytest.raises(RecordRejected, match="500"):
        set_keep(engine, MANAGER, world.ids["c2"], True, "x" * 501)
    with pytest.raises(RecordRejected, match="keep"):
        set_keep(engine, MANAGER, world.ids["c2"], unchecked("yes"), None)


# --- pruning ---------------------------------------------------------------------------------------


@pytest.fixture
def retention(engine: Engine) -> dict[str, int]:
    end = dt.timedelta(minutes=5)
    batch = [
        *recording("month", started=T0, ended=T0 + end, retention_days=30),
        *recording("week", started=T0 + DAY, ended=T0 + DAY + end, retention_days=7),
        *recording("kept", started=T0, ended=T0 + end, retention_days=7),
        *recording("open", started=T0, ended=None, retention_days=7),
        *recording("unplanned", started=T0, ended=T0 + end, retention_days=None),
        *recording("nostart", started=None, ended=T0 + end, retention_days=7),
        *recording("gone", started=T0, ended=T0 + end, retention_days=7),
    ]
    write_batch(engine, batch)
    ids = {r.call_uuid: r.id for r in list_recordings(engine, SYSTEM)}
    set_keep(engine, SYSTEM, ids["kept"], True, "QA sample")
    mark_deleted(engine, ids["gone"], now=T0 + 2 * DAY)
    return ids


def pruned(engine: Engine, now: dt.datetime) -> list[str]:
    calls = {r.id: r.call_uuid for r in list_recordings(engine, SYSTEM, include_deleted=True)}
    return [calls[candidate.id] for candidate in due_for_pruning(engine, now=now)]


def test_due_for_pruning_picks_closed_unkept_undeleted_recordings_past_their_retention(
    engine: Engine, retention: dict[str, int]
) -> None:
    # "nostart": the end (T0 + 5 min) stands in for the start the switch never reported
    assert pruned(engine, T0 + 7 * DAY + dt.timedelta(minutes=5)) == []  # strictly more than 7 days
    assert pruned(engine, T0 + 7 * DAY + dt.timedelta(minutes=5, microseconds=1)) == ["nostart"]
    assert pruned(engine, T0 + 8 * DAY + dt.timedelta(seconds=1)) == ["nostart", "week"]
    assert pruned(engine, T0 + 31 * DAY) == ["month", "nostart", "week"]
    candidate = due_for_pruning(engine, now=T0 + 31 * DAY)[0]
    assert (candidate.id, candidate.path, candidate.sha256) == (retention["month"], path_of("month"), SHA)


def test_mark_deleted_is_idempotent_and_takes_the_recording_out_of_pruning(
    engine: Engine, retention: dict[str, int]
) -> None:
    assert mark_deleted(engine, retention["month"], now=T0 + 31 * DAY) is True
    assert mark_deleted(engine, retention["month"], now=T0 + 32 * DAY) is False
    assert get_recording(engine, SYSTEM, retention["month"]).deleted_at == T0 + 31 * DAY
    assert pruned(engine, T0 + 40 * DAY) == ["nostart", "week"]
    with pytest.raises(NotFound):
        mark_deleted(engine, 10**6)
    with pytest.raises(RecordRejected):
        due_for_pruning(engine, now=dt.datetime(2024, 5, 1))


def test_a_database_without_recordings_has_nothing_to_prune_or_back_up(engine: Engine) -> None:
    assert due_for_pruning(engine) == []
    assert backup_candidates(engine) == []


# --- backup ----------------------------------------------------------------------------------------


def test_backup_candidates_are_closed_hashed_undeleted_and_not_yet_backed_up(engine: Engine) -> None:
    end = T0 + dt.timedelta(minutes=5)
    write_batch(
        engine,
        [
            *recording("done", started=T0, ended=end),
            *recording("open", started=T0, ended=None),
            *recording("unhashed", started=T0, ended=end, sha256=None),
            *recording("gone", started=T0, ended=end),
            *recording("copied", started=T0, ended=end),
        ],
    )
    ids = {r.call_uuid: r.id for r in list_recordings(engine, SYSTEM)}
    mark_deleted(engine, ids["gone"])
    assert mark_backed_up(engine, ids["copied"], SHA.upper(), now=T0 + DAY) is True
    candidates = backup_candidates(engine)
    assert [(c.id, c.path, c.sha256) for c in candidates] == [(ids["done"], path_of("done"), SHA)]
    copied = get_recording(engine, SYSTEM, ids["copied"])
    assert (copied.backed_up_at, copied.backup_sha256) == (T0 + DAY, SHA)


def test_mark_backed_up_checks_the_copy_and_is_idempotent(world: World) -> None:
    engine, c1 = world.engine, world.ids["c1"]
    with pytest.raises(RecordRejected, match="sha256"):
        mark_backed_up(engine, c1, "cd" * 32)  # a copy that differs is no backup
    with pytest.raises(RecordRejected, match="sha256"):
        mark_backed_up(engine, c1, "not a digest")
    with pytest.raises(NotFound):
        mark_backed_up(engine, 10**6, SHA)
    assert get_recording(engine, SYSTEM, c1).backed_up_at is None

    assert mark_backed_up(engine, c1, SHA, now=T0 + DAY) is True
    assert mark_backed_up(engine, c1, SHA, now=T0 + 2 * DAY) is False
    assert get_recording(engine, SYSTEM, c1).backed_up_at == T0 + DAY
    assert c1 not in [c.id for c in backup_candidates(engine)]
