"""`callcenter recordings …` on real files in a temporary directory and a real SQLite database: prune
(dry run, keep flags, reruns, an interrupted run) and backup (copies verified by sha256, reruns, an
interrupted run, a corrupt file), keep/unkeep and list; and `callcenter supervise` with a CRM user's
rights over a scripted switch; with their output and exit codes."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine, update

from callcenter.settings import load_settings
from callcenter.supervise_cli import cmd_supervise
from esl_handlers.switch import EslSwitch
from ivr_scripts.switch import LiveChannel
from schema.acd.agents import upsert_agents
from schema.acd.models import Agent
from schema.acd.records import AgentProfile, QueueEvent
from schema.calls.writes import Record, write_batch
from schema.crm.models import CrmUser
from schema.crm.users import create_user
from schema.db import create_engine_from_url, session_scope
from schema.migrate import upgrade
from schema.recording.recordings import get_recording, list_recordings
from schema.recording.records import RecordingEvent, RecordingFileFacts, RecordingPlanned
from schema.recording.views import RecordingView
from schema.viewer import SYSTEM
from tests.fakes.supervision_switch import AGENT_LEG, LIVE_CALL, SupervisionSwitch
from tests.support.cli import callcenter, parse

NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=100)  # past a 30-day retention
RECENT = NOW - dt.timedelta(days=2)


@dataclass
class Store:
    engine: Engine
    root: Path  # the dialplan's recording.directory

    def add(self, call: str, *, started: dt.datetime, agent: str = "1001") -> Path:
        """A closed recording of `call` under the 30-day policy, and its file."""
        path = self.root / started.strftime("%Y/%m/%d") / f"{call}.wav"
        data = f"RIFF audio of {call}".encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        records: list[Record] = [
            RecordingPlanned(call, str(path), "all", "wav", 2, "support", 30, started),
            RecordingEvent(call, str(path), "start", started),
            QueueEvent(started, call, "support", "CONNECT", agent_id=agent),
            RecordingEvent(call, str(path), "stop", started + dt.timedelta(minutes=3), duration_s=180.0),
            RecordingFileFacts(str(path), len(data), hashlib.sha256(data).hexdigest()),
        ]
        write_batch(self.engine, records)
        return path

    def view(self, call: str) -> RecordingView:
        (found,) = list_recordings(self.engine, SYSTEM, call_uuid=call, include_deleted=True)
        return get_recording(self.engine, SYSTEM, found.id)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    root = tmp_path / "recordings"
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        textwrap.dedent(
            f"""\
            prompts:
              hi: {{text: Hello}}
            menus:
              main:
                prompt: hi
                options: {{"1": {{hangup: {{}}}}}}
                fallback: {{hangup: {{}}}}
            dids:
              "4001": {{menu: main, recording: everything}}
            recording:
              directory: {root}
              policies:
                everything: {{mode: all, retention_days: 30}}
            """
        ),
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'callcenter.db'}"
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(plan))
    upgrade(url)
    engine = create_engine_from_url(url)
    upsert_agents(engine, [AgentProfile("1001", department="sales"), AgentProfile("2001", department="care")])
    yield Store(engine, root)
    engine.dispose()


# --- prune -----------------------------------------------------------------------------------------


def test_prune_deletes_expired_files_and_marks_them(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    old = store.add("old", started=OLD)
    recent = store.add("recent", started=RECENT)

    assert callcenter("recordings", "prune") == 0

    assert not old.exists()
    assert recent.exists()
    assert store.view("old").deleted_at is not None
    assert store.view("recent").deleted_at is None
    assert capsys.readouterr().out.splitlines() == ["prune: 1 deleted, 0 already gone, 0 refused, 0 failed"]


def test_a_dry_run_lists_and_changes_nothing(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    old = store.add("old", started=OLD)

    assert callcenter("recordings", "prune", "--dry-run") == 0

    assert old.exists()
    assert store.view("old").deleted_at is None
    assert capsys.readouterr().out.splitlines() == [
        "prune (dry run): 1 would delete, 0 already gone, 0 refused, 0 failed",
        f"would delete {old}",
    ]


def test_kept_recordings_survive_until_unkept(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    old = store.add("disputed", started=OLD)
    recording_id = store.view("disputed").id

    assert callcenter("recordings", "keep", str(recording_id), "--reason", "dispute #4711") == 0
    assert callcenter("recordings", "prune") == 0
    assert old.exists()
    assert store.view("disputed").keep_reason == "dispute #4711"

    assert callcenter("recordings", "unkeep", str(recording_id)) == 0
    assert callcenter("recordings", "prune") == 0
    assert not old.exists()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"recording #{recording_id} kept (dispute #4711): pruning leaves it alone"
    assert out[1] == "prune: 0 deleted, 0 already gone, 0 refused, 0 failed"
    assert out[2] == f"recording #{recording_id} no longer kept: pruned when due"
    assert out[3] == "prune: 1 deleted, 0 already gone, 0 refused, 0 failed"


def test_a_rerun_after_an_interrupted_prune_finishes_the_job(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    first = store.add("first", started=OLD)
    second = store.add("second", started=OLD + dt.timedelta(hours=1))
    first.unlink()  # interrupted between deleting the file and marking the row

    assert callcenter("recordings", "prune") == 0
    assert callcenter("recordings", "prune") == 0

    assert not second.exists()
    assert store.view("first").deleted_at is not None
    assert store.view("second").deleted_at is not None
    assert capsys.readouterr().out.splitlines() == [
        "prune: 1 deleted, 1 already gone, 0 refused, 0 failed",
        "prune: 0 deleted, 0 already gone, 0 refused, 0 failed",
    ]


def test_prune_refuses_paths_outside_the_recording_directory(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = tmp_path / "elsewhere" / "stray.wav"
    stray.parent.mkdir()
    stray.write_bytes(b"not ours")
    write_batch(
        store.engine,
        [
            RecordingPlanned("stray", str(stray), "all", "wav", 1, None, 30, OLD),
            RecordingEvent("stray", str(stray), "start", OLD),
            RecordingEvent("stray", str(stray), "stop", OLD + dt.timedelta(minutes=1)),
        ],
    )

    assert callcenter("recordings", "prune") == 1

    assert stray.exists()
    assert store.view("stray").deleted_at is None
    err = capsys.readouterr().err
    assert (
        f"callcenter recordings prune: refused (not an absolute path under the recording directory): {stray}"
        in err
    )


# --- backup ----------------------------------------------------------------------------------------


def test_backup_copies_verifies_and_marks_and_a_rerun_copies_nothing(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = store.add("one", started=RECENT)
    two = store.add("two", started=OLD)
    dest = tmp_path / "backup"

    assert callcenter("recordings", "backup", str(dest)) == 0
    assert callcenter("recordings", "backup", str(dest)) == 0

    for source in (one, two):
        copy = dest / source.relative_to(store.root)
        assert copy.read_bytes() == source.read_bytes()
    for call in ("one", "two"):
        view = store.view(call)
        assert view.backed_up_at is not None
        assert view.backup_sha256 == view.sha256
    rest = "0 already there and verified, 0 mismatched, 0 missing, 0 refused, 0 failed"
    assert capsys.readouterr().out.splitlines() == [
        f"backup to {dest}: 2 copied, {rest}",
        f"backup to {dest}: 0 copied, {rest}",
    ]


def test_a_rerun_after_an_interrupted_backup_verifies_the_copy_without_copying(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = store.add("one", started=RECENT)
    dest = tmp_path / "backup"
    copy = dest / source.relative_to(store.root)
    copy.parent.mkdir(parents=True)
    copy.write_bytes(source.read_bytes())  # copied, then interrupted before the mark
    os.utime(copy, (1_000_000, 1_000_000))

    assert callcenter("recordings", "backup", str(dest)) == 0

    assert copy.stat().st_mtime == 1_000_000  # not copied again
    assert store.view("one").backed_up_at is not None
    assert "0 copied, 1 already there and verified" in capsys.readouterr().out


def test_a_file_that_no_longer_matches_its_sha256_is_not_marked(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = store.add("tampered", started=RECENT)
    store.add("fine", started=RECENT)
    source.write_bytes(b"changed after it was closed")
    dest = tmp_path / "backup"

    assert callcenter("recordings", "backup", str(dest)) == 1

    assert store.view("tampered").backed_up_at is None
    assert store.view("fine").backed_up_at is not None
    assert not (dest / source.relative_to(store.root)).exists()
    captured = capsys.readouterr()
    assert "1 copied, 0 already there and verified, 1 mismatched" in captured.out
    assert (
        f"callcenter recordings backup: copy does not match its sha256, not marked: {source}" in captured.err
    )


def test_a_missing_file_is_reported_and_left_for_later(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.add("lost", started=RECENT).unlink()

    assert callcenter("recordings", "backup", str(tmp_path / "backup")) == 1

    assert store.view("lost").backed_up_at is None
    assert "callcenter recordings backup: file missing: " in capsys.readouterr().err


def test_backup_refuses_a_destination_inside_the_recording_directory(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    store.add("one", started=RECENT)

    assert callcenter("recordings", "backup", str(store.root / "backup")) == 2

    assert store.view("one").backed_up_at is None
    assert "overlaps the recording directory" in capsys.readouterr().err


# --- keep, list ------------------------------------------------------------------------------------


def test_keeping_an_unknown_recording_fails_clearly(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert callcenter("recordings", "keep", "424242") == 1
    assert capsys.readouterr().err == "callcenter recordings keep: no recording 424242\n"


def test_list_shows_an_agents_recordings_newest_first(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    older = store.add("older", started=OLD)
    newer = store.add("newer", started=RECENT)
    store.add("theirs", started=RECENT, agent="2001")

    assert callcenter("recordings", "list", "--agent", "1001") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "STARTED", "(UTC)", "AGENT", "SECONDS", "FMT", "STATE", "PATH"]
    assert [line.split()[-1] for line in lines[1:]] == [str(newer), str(older)]
    assert lines[1].split()[3:7] == ["1001", "180.0", "wav/2", "-"]


# --- supervise -------------------------------------------------------------------------------------


@pytest.fixture
def switch(store: Store) -> SupervisionSwitch:
    """Agent 1001 (sales) on LIVE_CALL, 2001 (care) logged out; CRM users of each role, with their own
    phones (lee has none)."""
    create_user(store.engine, "alice", "agent", agent_id="1001")
    create_user(store.engine, "sam", "supervisor", department="sales", extension="1201")
    create_user(store.engine, "lee", "supervisor", department="sales")
    create_user(store.engine, "cara", "supervisor", department="care", extension="1301")
    create_user(store.engine, "maria", "manager", extension="1299")
    create_user(store.engine, "gone", "manager")
    with session_scope(store.engine) as session:
        session.execute(update(CrmUser).where(CrmUser.username == "gone").values(active=False))
        session.execute(
            update(Agent).where(Agent.agent_id == "1001").values(state="on_call", call_uuid=LIVE_CALL)
        )
    return SupervisionSwitch([LiveChannel(AGENT_LEG, "1001", LIVE_CALL, True)])


def supervise(switch: SupervisionSwitch, *argv: str) -> int:
    return cmd_supervise(
        load_settings(), parse("supervise", *argv), connect=lambda _: cast(EslSwitch, switch)
    )


@pytest.mark.parametrize(
    ("mode", "doing"), [("listen", "listening to"), ("barge", "in a three-way call with")]
)
def test_a_supervisor_joins_their_agents_call_from_their_phone(
    switch: SupervisionSwitch, capsys: pytest.CaptureFixture[str], mode: str, doing: str
) -> None:
    assert supervise(switch, mode, "1001", "--from", "1201", "--as", "sam") == 0

    ((_, endpoint, application, argument, variables), closed) = switch.sent
    assert (endpoint, application, argument, closed) == (
        "user/1201@callcenter.local",
        "eavesdrop",
        AGENT_LEG,
        ("close",),
    )
    assert variables["eavesdrop_whisper_aleg"] == ("true" if mode == "barge" else "false")
    captured = capsys.readouterr()
    assert captured.err == f"ringing 1201 to {mode} on agent 1001...\n"
    assert captured.out == f"1201 is {doing} agent 1001 (agent leg {AGENT_LEG}); hang up to leave\n"


@pytest.mark.parametrize(
    ("user", "agent", "problem"),
    [
        ("alice", "1001", "alice (agent) may not supervise calls"),
        ("cara", "1001", "no agent 1001"),
        ("maria", "2001", "agent 2001 is logged_out, not on a call"),
        ("maria", "7777", "no agent 7777"),
        ("nobody", "1001", "no active user 'nobody' (`callcenter user add` adds one)"),
        ("gone", "1001", "no active user 'gone' (`callcenter user add` adds one)"),
        (
            "lee",
            "1001",
            "lee has no phone extension to ring: `callcenter user set-extension lee EXTENSION` sets one",
        ),
    ],
)
def test_supervision_is_refused_outside_the_users_rights(
    switch: SupervisionSwitch, capsys: pytest.CaptureFixture[str], user: str, agent: str, problem: str
) -> None:
    assert supervise(switch, "whisper", agent, "--as", user) == 1

    assert switch.sent == [("close",)]  # nothing was originated
    assert capsys.readouterr().err.splitlines()[-1] == f"callcenter supervise: {problem}"


def test_a_phone_that_does_not_answer_joins_nothing(
    switch: SupervisionSwitch, capsys: pytest.CaptureFixture[str]
) -> None:
    switch.answers = False

    assert supervise(switch, "listen", "1001", "--as", "maria") == 1

    assert (
        capsys.readouterr().err.splitlines()[-1]
        == "callcenter supervise: 1299 did not answer (NO_ANSWER): nothing joined"
    )


def test_without_from_the_users_own_phone_rings(
    switch: SupervisionSwitch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert supervise(switch, "listen", "1001", "--as", "maria") == 0

    ((_, endpoint, *_), _closed) = switch.sent
    assert endpoint == "user/1299@callcenter.local"
    assert capsys.readouterr().err == "ringing 1299 to listen on agent 1001...\n"


@pytest.mark.parametrize(("user", "own", "phone"), [("sam", "1201", "1299"), ("maria", "1299", "1201")])
def test_only_the_users_own_phone_can_be_rung(
    switch: SupervisionSwitch, capsys: pytest.CaptureFixture[str], user: str, own: str, phone: str
) -> None:
    assert supervise(switch, "barge", "1001", "--from", phone, "--as", user) == 1

    assert switch.sent == [("close",)]  # nothing was originated
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"callcenter supervise: {phone} is not {user}'s phone (theirs is {own}): "
        "only the supervisor's own phone is rung"
    )


def test_an_unreachable_switch_exits_2(switch: SupervisionSwitch, capsys: pytest.CaptureFixture[str]) -> None:
    switch.fails = True

    assert supervise(switch, "listen", "1001", "--from", "1201", "--as", "sam") == 2

    assert capsys.readouterr().err.splitlines()[-1] == (
        "callcenter supervise: the switch refused or did not answer: no FreeSWITCH answers on 127.0.0.1:8021"
    )


def test_the_real_event_socket_is_used_by_default(
    store: Store,
    switch: SupervisionSwitch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CALLCENTER_ESL_PORT", str(closed_port()))
    monkeypatch.setenv("CALLCENTER_ESL_PASSWORD", "not-used-by-this-test")

    assert callcenter("supervise", "listen", "1001", "--from", "1201", "--as", "sam") == 2

    assert "callcenter supervise: the switch refused or did not answer" in capsys.readouterr().err


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
