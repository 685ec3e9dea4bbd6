"""esl_handlers.switch_watch: what the server does when FreeSWITCH goes away and comes back."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from esl_handlers.codec import Event
from esl_handlers.db_writer import Record
from esl_handlers.switch_watch import LOST_CAUSE, CallsInProgress, SwitchWatch
from ivr_scripts.switch import SwitchError
from schema.calls.records import CallUpdate

LOST = dt.datetime(2026, 12, 7, 7, 0, tzinfo=dt.UTC)
A, B, C, D = (f"00000000-0000-0000-0000-00000000000{n}" for n in range(1, 5))


def event(name: str, uuid: str, direction: str = "inbound") -> Event:
    return Event({"Event-Name": name, "Unique-ID": uuid, "Call-Direction": direction}, None)


class Queue:
    def __init__(self) -> None:
        self.records: list[Record] = []

    def submit(self, record: Record) -> None:
        self.records.append(record)


def test_calls_in_progress_are_the_inbound_calls_started_and_not_ended() -> None:
    calls = CallsInProgress()
    for name, uuid, direction in [
        ("CHANNEL_CREATE", A, "inbound"),
        ("CHANNEL_CREATE", B, "inbound"),
        ("CHANNEL_CREATE", C, "outbound"),
        ("CHANNEL_HANGUP_COMPLETE", B, "inbound"),
        ("CHANNEL_CREATE", D, "inbound"),
    ]:
        calls.on_event(event(name, uuid, direction))
    calls.ended(D)
    assert calls.snapshot() == {A}


def watch(
    calls: CallsInProgress, queue: Queue, live: set[str], cdr_dir: Path, corrected: int = 2
) -> SwitchWatch:
    return SwitchWatch(
        calls,
        queue,
        live_calls=lambda: live,
        reconcile_agents=lambda: 2,
        cdr_dir=cdr_dir,
        clock=lambda: LOST,
    )


def test_calls_lost_with_the_switch_are_closed_and_those_with_a_cdr_left_to_the_backstop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls, queue = CallsInProgress(), Queue()
    for uuid in (A, B, C):
        calls.on_event(event("CHANNEL_CREATE", uuid))
    (tmp_path / f"{B}.cdr.json").write_text("{}", encoding="utf-8")
    watching = watch(calls, queue, {C}, tmp_path)
    watching.lost("connection reset")
    with caplog.at_level(logging.WARNING):
        watching.reconcile()
    assert queue.records == [CallUpdate(uuid=A, ended_at=LOST, hangup_cause=LOST_CAUSE)]
    assert calls.snapshot() == {C}
    assert "1 calls still up, 2 ended meanwhile (1 from its CDR files, 1 closed as CRASH" in caplog.text
    assert "2 agent states corrected" in caplog.text
    watching.reconcile()  # nothing lost since: nothing more to do
    assert len(queue.records) == 1


def test_without_a_loss_a_new_session_changes_nothing(tmp_path: Path) -> None:
    calls, queue = CallsInProgress(), Queue()
    calls.on_event(event("CHANNEL_CREATE", A))
    watching = watch(calls, queue, set(), tmp_path)
    watching.reconcile()
    assert queue.records == []
    assert calls.snapshot() == {A}


def test_a_switch_that_cannot_list_its_channels_is_asked_again_next_session(tmp_path: Path) -> None:
    calls, queue = CallsInProgress(), Queue()
    calls.on_event(event("CHANNEL_CREATE", A))
    answers: list[set[str] | Exception] = [SwitchError("not yet"), set()]

    def live() -> set[str]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    watching = SwitchWatch(
        calls, queue, live_calls=live, reconcile_agents=lambda: 0, cdr_dir=None, clock=lambda: LOST
    )
    watching.lost("eof")
    watching.reconcile()
    assert queue.records == []
    watching.reconcile()
    assert queue.records == [CallUpdate(uuid=A, ended_at=LOST, hangup_cause=LOST_CAUSE)]


def test_a_session_ended_by_our_own_stop_is_not_a_loss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls, queue = CallsInProgress(), Queue()
    calls.on_event(event("CHANNEL_CREATE", A))
    watching = watch(calls, queue, set(), tmp_path)
    watching.closing()
    with caplog.at_level(logging.WARNING):
        watching.lost("closed by FreeSWITCH")
        watching.reconcile()
    assert "lost FreeSWITCH" not in caplog.text
    assert queue.records == []
