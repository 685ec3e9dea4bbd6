"""Recording on live calls, end to end over real TCP (tests/support/acd_rig.py, SQLite and PostgreSQL):
the record command with the policy's path and channels, RECORD_START / RECORD_STOP filling the
recordings table with the closed file's size and SHA-256, a queue's policy taking over, percentage
sampling over many calls, and a card number masked in the recording and kept out of everything stored
or logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path

import gevent
import pytest

from ivr_scripts.recording import sampled
from tests.support.acd_rig import RigFactory, make_rig
from tests.support.recording_rig import (
    CARD,
    SAMPLE_PERCENT,
    day_path,
    every_stored_value,
    file_facts,
    recording_dialplan,
    recordings,
    settle,
)
from tests.support.standin import CallScript, ScriptedCall
from tests.support.standin.recording import decode_wav

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

SUBSCRIBE = "event plain RECORD_START RECORD_STOP"


def record_commands(call: ScriptedCall) -> list[tuple[str, str | None]]:
    """The recording applications, and the RECORD_STEREO the api set before each, in wire order."""
    found: list[tuple[str, str | None]] = []
    for command in call.commands:
        app = command.header("execute-app-name") or ""
        if "record" in app:
            found.append((app, command.header("execute-app-arg")))
        elif command.verb == "api" and "RECORD_STEREO=" in command.argument:
            found.append(("set", "RECORD_STEREO=" + command.argument.partition("RECORD_STEREO=")[2]))
    return found


def test_the_line_policy_records_the_call_and_the_switch_events_fill_its_row(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    directory = tmp_path / "recordings"
    rig = make_rig(dialplan_text=recording_dialplan(directory))
    before = dt.datetime.now(dt.UTC)
    call = settle(rig, rig.place(keys=["9"], recordings_dir=str(directory)))
    path = day_path(directory, call.uuid, before)
    # The announcement first, then the mono file at <directory>/YYYY/MM/DD/<uuid>.wav.
    assert record_commands(call) == [("set", "RECORD_STEREO=false"), ("record_session", path)]
    notice = call.executed.index(("speak", "flite|slt|Calls are recorded."))
    assert notice < call.executed.index(("record_session", path))
    assert SUBSCRIBE in [c.line for c in call.commands]
    [row] = recordings(rig, call.uuid)
    size, sha256 = file_facts(path)
    assert (row.path, row.policy, row.format, row.channels, row.retention_days) == (
        path,
        "line",
        "wav",
        1,
        30,
    )
    assert (row.size_bytes, row.sha256) == (size, sha256)
    assert row.started_at is not None
    assert row.ended_at is not None
    assert row.started_at <= row.ended_at
    assert row.duration_s == 0.04  # the switch's record_ms: the menu prompt and the key, 20 ms each
    assert (row.paused, row.agent_id) == (False, None)
    assert decode_wav(Path(path)) == ["prompt", "9"]


def test_the_queue_policy_takes_over_in_a_stereo_file_with_the_agent(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    directory = tmp_path / "recordings"
    rig = make_rig(ready=["1001"], dialplan_text=recording_dialplan(directory))
    rig.phone("1001", "answer", talk_seconds=0.2)
    before = dt.datetime.now(dt.UTC)
    call = settle(rig, rig.place(keys=["1"], recordings_dir=str(directory)))
    line, conversation = day_path(directory, call.uuid, before), day_path(directory, call.uuid, before, "-2")
    # The conversation's own stereo file starts before the line's stops: no gap, one file each.
    assert record_commands(call) == [
        ("set", "RECORD_STEREO=false"),
        ("record_session", line),
        ("set", "RECORD_STEREO=true"),
        ("record_session", conversation),
        ("stop_record_session", line),
    ]
    rows = recordings(rig, call.uuid)
    assert [(r.path, r.policy, r.queue, r.channels, r.retention_days) for r in rows] == [
        (conversation, "conversations", "sales", 2, 365),
        (line, "line", None, 1, 30),
    ]
    assert [(r.size_bytes, r.sha256) for r in rows] == [file_facts(conversation), file_facts(line)]
    assert rows[0].agent_id == "1001"  # the queue_log CONNECT of the call
    assert all(r.ended_at is not None for r in rows)


def test_the_queue_recording_names_the_agent_leg_the_call_was_bridged_to(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    # RECORD_STOP fires after the unbridge (the hang-up closes the bug): last_bridge_to still names the leg.
    directory = tmp_path / "recordings"
    rig = make_rig(ready=["1001"], dialplan_text=recording_dialplan(directory))
    rig.phone("1001", "answer", talk_seconds=0.2)
    before = dt.datetime.now(dt.UTC)
    call = settle(rig, rig.place(keys=["1"], recordings_dir=str(directory)))
    [agent_leg] = call.bridged_legs
    assert agent_leg != call.uuid
    rows = {r.path: r for r in recordings(rig, call.uuid)}
    conversation, line = day_path(directory, call.uuid, before, "-2"), day_path(directory, call.uuid, before)
    assert rows[conversation].agent_leg_uuid == agent_leg
    assert rows[line].agent_leg_uuid is None  # stopped before the bridge


def test_a_percentage_policy_records_exactly_the_sampled_calls(make_rig: RigFactory, tmp_path: Path) -> None:
    directory = tmp_path / "recordings"
    rig = make_rig(dialplan_text=recording_dialplan(directory))
    uuids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://example.test/sample/{n}")) for n in range(200)]
    expected = {u for u in uuids if sampled(u, SAMPLE_PERCENT)}
    assert 30 < len(expected) < 70  # a real sample of 200, not all or nothing
    calls: list[ScriptedCall] = []
    for batch in range(0, len(uuids), 25):
        placed = [
            rig.switch.place_call(
                CallScript(uuid=u, destination="4002", keys=["9"], recordings_dir=str(directory))
            )
            for u in uuids[batch : batch + 25]
        ]
        gevent.joinall([gevent.spawn(call.wait, 15) for call in placed])
        calls += placed
    for call in calls:
        settle(rig, call)
    recorded = {c.uuid for c in calls if any(app == "record_session" for app, _ in c.executed)}
    assert recorded == expected
    rows = recordings(rig)
    assert {r.call_uuid for r in rows} == expected
    assert all(r.policy == "quarter" and r.sha256 is not None for r in rows)


def test_card_digits_are_masked_in_the_recording_and_found_nowhere(
    make_rig: RigFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "recordings"
    rig = make_rig(dialplan_text=recording_dialplan(directory))
    before = dt.datetime.now(dt.UTC)
    with caplog.at_level(logging.DEBUG):
        call = settle(rig, rig.place(keys=["2", CARD + "#"], recordings_dir=str(directory)))
    path = day_path(directory, call.uuid, before)
    lines = [c.line for c in call.commands]
    collect = next(i for i, c in enumerate(call.commands) if "cc_pci_" in (c.header("execute-app-arg") or ""))
    mask = lines.index(f"api uuid_record {call.uuid} mask {path}")
    unmask = lines.index(f"api uuid_record {call.uuid} unmask {path}")
    assert mask < collect < unmask
    # Heard: the menu prompt and key 2; masked: the card prompt and every key of the card; then the
    # not-found prompt.
    heard = decode_wav(Path(path))
    assert heard == ["prompt", "2", *["silence"] * (1 + len(CARD) + 1), "prompt"]
    [row] = recordings(rig, call.uuid)
    assert row.paused is True
    assert CARD not in every_stored_value(rig.database_url)  # calls, ivr_steps, recordings, ...
    assert CARD not in caplog.text
    assert caplog.records  # the call was logged, just not the card
    assert CARD not in [value for value in call.vars.values() if value]  # no channel variable kept it
