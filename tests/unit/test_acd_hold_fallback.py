"""A waiting caller whose hold music fails: the fallback tone, one log line per source, no spinning."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from ivr_scripts.acd.hold_sources import FALLBACK_HOLD_TONE, HoldSources
from ivr_scripts.acd.queue_events import MemoryQueueEvents
from ivr_scripts.acd.settings import QueueSettings
from ivr_scripts.acd.waiting import QueueTicket, WaitOutcome, wait_in_queue
from ivr_scripts.channel import HOLD_FAILURE_PAUSE, Audio, CallInfo, HoldFailed
from tests.fakes.unused_channel import UnusedChannel

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CALL = "0c6a1f3e-2b44-4c1e-9a0d-7f5e3c2b1a09"
BROKEN = "local_stream://nosuchstream"
MUSIC = "local_stream://moh"


@dataclass
class FailingChannel(UnusedChannel):
    """Holds on `broken` sources fail after the back-off the Channel protocol promises; others play.

    `on_hold(n)` runs at the start of the n-th hold (from 1), standing in for another greenlet.
    """

    broken: frozenset[str]
    now: dt.datetime = START
    holds: list[tuple[float, str, bool]] = field(default_factory=list)  # (second, source, failed)
    plays: list[str] = field(default_factory=list)
    on_hold: Callable[[int], None] = lambda n: None
    interrupted: bool = False

    def clock(self) -> dt.datetime:
        return self.now

    def elapsed(self) -> float:
        return (self.now - START).total_seconds()

    @property
    def info(self) -> CallInfo:
        return CallInfo(CALL, "+15551234567", "Jane Doe", "4001")

    def hold(self, music: str, *, seconds: float, exit_keys: str = "") -> str:
        failed = music in self.broken
        self.holds.append((self.elapsed(), music, failed))
        self.interrupted = False
        self.on_hold(len(self.holds))
        if failed:
            if not self.interrupted:
                self.now += dt.timedelta(seconds=min(seconds, HOLD_FAILURE_PAUSE))
            raise HoldFailed(music, "FILE NOT FOUND")
        if not self.interrupted:
            self.now += dt.timedelta(seconds=seconds)
        return ""

    def interrupt(self) -> None:
        self.interrupted = True

    def play(self, audio: Audio, *, type_ahead: bool = False) -> None:
        self.plays.append(audio.label)
        self.now += dt.timedelta(seconds=2)


def wait(channel: FailingChannel, settings: QueueSettings) -> tuple[WaitOutcome, QueueTicket]:
    ticket = QueueTicket.for_call(channel.info, "sales", START)
    outcome = wait_in_queue(
        channel,
        ticket,
        settings,
        position=lambda: 1,
        expected_wait=lambda: None,
        clock=channel.clock,
        events=MemoryQueueEvents(),
    )
    return outcome, ticket


def test_broken_music_falls_back_to_the_tone_for_the_rest_of_the_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = FailingChannel(broken=frozenset({BROKEN}))
    settings = QueueSettings(music_on_hold=BROKEN, announce_every=20, max_wait=70)

    with caplog.at_level(logging.WARNING):
        outcome, _ = wait(channel, settings)

    assert outcome.kind == "timeout"
    assert outcome.wait_s == pytest.approx(70)
    # One failed attempt, then the tone between announcements; the music is never tried again.
    assert [(at, source) for at, source, _ in channel.holds] == [
        (0, BROKEN),
        (1, FALLBACK_HOLD_TONE),
        (22, FALLBACK_HOLD_TONE),
        (44, FALLBACK_HOLD_TONE),
        (66, FALLBACK_HOLD_TONE),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        f"call {CALL}: hold music {BROKEN} failed (FILE NOT FOUND); "
        f"playing {FALLBACK_HOLD_TONE} for the rest of the wait"
    ]


def test_working_music_is_never_replaced() -> None:
    channel = FailingChannel(broken=frozenset({BROKEN}))
    outcome, _ = wait(channel, QueueSettings(music_on_hold=MUSIC, announce_every=None, max_wait=30))
    assert outcome.kind == "timeout"
    assert [(at, source) for at, source, _ in channel.holds] == [(0, MUSIC)]


def test_when_the_tone_fails_too_attempts_stay_bounded_and_each_source_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = FailingChannel(broken=frozenset({BROKEN, FALLBACK_HOLD_TONE}))
    settings = QueueSettings(music_on_hold=BROKEN, announce_every=None, max_wait=60)

    with caplog.at_level(logging.WARNING):
        outcome, _ = wait(channel, settings)

    assert outcome.kind == "timeout"
    starts = [at for at, _, _ in channel.holds]
    assert len(starts) == 60  # one attempt per back-off, not one per event-loop turn
    for second in range(60):
        assert sum(1 for at in starts if second <= at < second + 1) <= 1 / HOLD_FAILURE_PAUSE
    assert [source for _, source, _ in channel.holds[:2]] == [BROKEN, FALLBACK_HOLD_TONE]
    assert {source for _, source, _ in channel.holds[1:]} == {FALLBACK_HOLD_TONE}
    assert [r.levelname for r in caplog.records] == ["WARNING", "ERROR"]
    assert "the fallback hold tone" in caplog.records[1].getMessage()


def test_an_agent_taking_the_call_during_a_failed_hold_wins_over_the_fallback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    holder: list[QueueTicket] = []

    def agent_answers(n: int) -> None:
        if n == 1:
            assert holder[0].claim("1001")
            holder[0].wake()

    channel = FailingChannel(broken=frozenset({BROKEN}), on_hold=agent_answers)
    ticket = QueueTicket.for_call(channel.info, "sales", START)
    holder.append(ticket)
    with caplog.at_level(logging.WARNING):
        outcome = wait_in_queue(
            channel,
            ticket,
            QueueSettings(music_on_hold=BROKEN, announce_every=None),
            position=lambda: 1,
            expected_wait=lambda: None,
            clock=channel.clock,
            events=MemoryQueueEvents(),
        )
    assert outcome.kind == "connected"
    assert [source for _, source, _ in channel.holds] == [BROKEN]
    # A playback cut short by the bridge (PLAYBACK ERROR on the real switch) is no broken music.
    assert caplog.records == []


def test_hold_sources_count_failures_per_source() -> None:
    sources = HoldSources(CALL, BROKEN)
    assert sources.current == BROKEN
    sources.failed(HoldFailed(BROKEN, "FILE NOT FOUND"))
    assert sources.current == FALLBACK_HOLD_TONE
    sources.failed(HoldFailed(FALLBACK_HOLD_TONE, "PLAYBACK ERROR"))
    sources.failed(HoldFailed(FALLBACK_HOLD_TONE, "PLAYBACK ERROR"))
    assert sources.current == FALLBACK_HOLD_TONE
    assert sources.failures == {BROKEN: 1, FALLBACK_HOLD_TONE: 2}
    assert sources.attempts_failed == 3
