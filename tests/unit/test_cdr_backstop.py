"""FreeSWITCH's CDR files (mod_json_cdr) read into call records: esl_handlers.json_cdr and
esl_handlers.cdr_backstop, on a file the real switch wrote (tests/transcripts/json_cdr)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from esl_handlers.cdr_backstop import UNREADABLE_DIR, CdrBackstop
from esl_handlers.json_cdr import FALLBACK_OUTCOME, CdrUnreadable, call_update_from_json_cdr
from schema.calls.records import CallUpdate

CAPTURE = Path(__file__).parents[1] / "transcripts" / "json_cdr" / "fallback-after-kill-1.11.2.cdr.json"
UUID = "7cf72e61-c38c-47d5-bf74-e9fb4a08497b"


def captured() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(CAPTURE.read_bytes())
    return document


def test_a_call_the_switch_sent_to_its_fallback() -> None:
    update = call_update_from_json_cdr(captured())
    assert update == CallUpdate(
        uuid=UUID,
        direction="inbound",
        caller_number="+15550000001",
        caller_name="+15550000001",
        did="4001",
        started_at=dt.datetime(2026, 12, 7, 6, 11, 25, 15509, tzinfo=dt.UTC),
        answered_at=dt.datetime(2026, 12, 7, 6, 11, 25, 55518, tzinfo=dt.UTC),
        ended_at=dt.datetime(2026, 12, 7, 6, 11, 40, 75509, tzinfo=dt.UTC),
        hangup_cause="NORMAL_CLEARING",
        outcome=FALLBACK_OUTCOME,
        destination="main",
    )


def test_a_call_that_never_reached_the_fallback_has_no_outcome_from_the_switch() -> None:
    document = captured()
    document["callflow"] = [
        p for p in document["callflow"] if p["caller_profile"]["context"] != "cc_fallback"
    ]
    update = call_update_from_json_cdr(document)
    assert update is not None
    assert (update.outcome, update.destination, update.did) == (None, None, "4001")


def test_an_unanswered_call_has_no_answer_time_and_one_profile_may_be_an_object() -> None:
    document = captured()
    document["variables"]["answer_uepoch"] = "0"
    document["callflow"] = document["callflow"][-1]
    update = call_update_from_json_cdr(document)
    assert update is not None
    assert update.answered_at is None
    assert update.caller_number == "+15550000001"


def test_outbound_legs_are_not_calls() -> None:
    document = captured()
    document["channel_data"]["direction"] = "outbound"
    assert call_update_from_json_cdr(document) is None


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.pop("variables"),
        lambda d: d.pop("channel_data"),
        lambda d: d["variables"].pop("uuid"),
        lambda d: d["variables"].__setitem__("uuid", 7),
    ],
)
def test_a_document_that_is_not_a_call_record_is_refused(breakage: Any) -> None:
    document = captured()
    breakage(document)
    with pytest.raises(CdrUnreadable):
        call_update_from_json_cdr(document)
    with pytest.raises(CdrUnreadable):
        call_update_from_json_cdr([document])


class Writer:
    def __init__(self, *, holds: bool = True) -> None:
        self.records: list[CallUpdate] = []
        self.holds = holds

    def submit(self, record: CallUpdate) -> None:
        self.records.append(record)

    def flush(self, timeout: float | None = None) -> bool:
        return self.holds


def write_cdr(directory: Path, uuid: str, *, direction: str = "inbound", age: float = 10.0) -> Path:
    document = copy.deepcopy(captured())
    document["variables"]["uuid"] = uuid
    document["channel_data"]["direction"] = direction
    path = directory / f"{uuid}.cdr.json"
    path.write_text(json.dumps(document) + "\n", encoding="utf-8")
    settled = time.time() - age
    os.utime(path, (settled, settled))
    return path


def test_settled_files_are_submitted_then_deleted_once_the_writer_holds_them(tmp_path: Path) -> None:
    writer = Writer()
    first = write_cdr(tmp_path, "00000000-0000-0000-0000-000000000001")
    agent_leg = write_cdr(tmp_path, "00000000-0000-0000-0000-000000000002", direction="outbound")
    backstop = CdrBackstop(tmp_path, writer, settle=1.0)
    assert backstop.sweep() == 1
    assert [r.uuid for r in writer.records] == ["00000000-0000-0000-0000-000000000001"]
    assert not first.exists()
    assert not agent_leg.exists()


def test_a_file_still_being_written_waits_for_the_next_sweep(tmp_path: Path) -> None:
    writer = Writer()
    fresh = write_cdr(tmp_path, "00000000-0000-0000-0000-000000000003", age=0.0)
    backstop = CdrBackstop(tmp_path, writer, settle=5.0)
    assert backstop.sweep() == 0
    assert fresh.exists()
    assert writer.records == []


def test_while_the_writer_cannot_hold_them_files_stay_and_are_submitted_once(tmp_path: Path) -> None:
    writer = Writer(holds=False)
    path = write_cdr(tmp_path, "00000000-0000-0000-0000-000000000004")
    backstop = CdrBackstop(tmp_path, writer, flush_timeout=0)
    backstop.sweep()
    backstop.sweep()
    assert len(writer.records) == 1
    assert path.exists()
    writer.holds = True
    backstop.sweep()
    assert len(writer.records) == 1
    assert not path.exists()


def test_an_unreadable_file_is_kept_aside_and_the_others_go_on(tmp_path: Path) -> None:
    writer = Writer()
    broken = tmp_path / "00000000-0000-0000-0000-000000000005.cdr.json"
    broken.write_text('{"channel_data": ', encoding="utf-8")
    os.utime(broken, (time.time() - 10, time.time() - 10))
    write_cdr(tmp_path, "00000000-0000-0000-0000-000000000006")
    backstop = CdrBackstop(tmp_path, writer)
    assert backstop.sweep() == 1
    assert (tmp_path / UNREADABLE_DIR / broken.name).read_text(encoding="utf-8") == '{"channel_data": '
    assert backstop.kept_unreadable == 1


def test_no_directory_yet_is_no_error(tmp_path: Path) -> None:
    assert CdrBackstop(tmp_path / "not-yet", Writer()).sweep() == 0
