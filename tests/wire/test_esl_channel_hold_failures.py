"""A hold source that fails on the (stand-in) switch: HoldFailed after a back-off, never a spin."""

from __future__ import annotations

import datetime as dt
import time

import gevent
import pytest

from esl_handlers.codec import Event
from esl_handlers.esl_channel import EslChannel
from ivr_scripts.acd.hold_sources import FALLBACK_HOLD_TONE
from ivr_scripts.acd.queue_events import MemoryQueueEvents
from ivr_scripts.acd.settings import QueueSettings
from ivr_scripts.acd.waiting import QueueTicket, WaitOutcome, wait_in_queue
from ivr_scripts.channel import ENDED_EARLY, HoldFailed
from tests.support.outbound_servers import Serve
from tests.support.standin import CallScript

pytestmark = pytest.mark.wire

BROKEN = "local_stream://nosuchstream"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_an_unknown_local_stream_fails_at_once_and_the_hold_backs_off_before_raising(serve: Serve) -> None:
    got: list[tuple[str, float]] = []

    def handler(channel: EslChannel) -> None:
        started = time.monotonic()
        with pytest.raises(HoldFailed) as failed:
            channel.hold(BROKEN, seconds=0.4)
        got.append((failed.value.reason, time.monotonic() - started))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    [(reason, took)] = got
    assert reason == "FILE NOT FOUND"
    assert 0.3 <= took < 2.0  # the rest of the asked time, not a round trip
    media = [(app, arg) for app, arg in call.executed if app != "set"]  # playback_terminators aside
    assert [app for app, _ in media] == ["playback", "sleep"]
    assert 300 <= int(media[1][1] or "0") <= 400
    assert call.breaks_received == 0


def test_a_source_that_ends_at_once_twice_in_a_row_without_a_key_counts_as_failed(serve: Serve) -> None:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        # Once could be the switch ending the hold itself (a uuid_bridge): the hold just ends.
        got.append(channel.hold("/sounds/click.wav", seconds=0.3))
        with pytest.raises(HoldFailed) as failed:
            channel.hold("/sounds/click.wav", seconds=0.3)
        got.append(failed.value.reason)
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(media_seconds=0.0))
    assert got == ["", ENDED_EARLY]
    assert [app for app, _ in call.executed if app != "set"] == ["playback", "playback", "sleep"]


def test_consecutive_failures_back_off_longer_and_interrupt_ends_the_back_off(serve: Serve) -> None:
    sleeps: list[str] = []
    took: list[float] = []

    def handler(channel: EslChannel) -> None:
        def on_event(event: Event) -> None:
            if event.name == "CHANNEL_EXECUTE" and event.get("Application") == "sleep":
                sleeps.append(event.get("Application-Data") or "")
                if len(sleeps) == 2:
                    gevent.spawn_later(0.1, channel.interrupt)

        channel.add_event_listener(on_event)
        for _ in range(2):
            started = time.monotonic()
            with pytest.raises(HoldFailed):
                channel.hold(BROKEN, seconds=30)
            took.append(time.monotonic() - started)
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(), timeout=10)
    assert sleeps == ["1000", "2000"]
    assert took[0] == pytest.approx(1.0, abs=0.5)
    assert took[1] < 1.0  # interrupted 0.1 s into its 2 s back-off
    assert call.breaks_received == 1


def test_a_queue_with_broken_music_plays_the_fallback_tone_with_few_attempts(serve: Serve) -> None:
    outcomes: list[WaitOutcome] = []

    def handler(channel: EslChannel) -> None:
        ticket = QueueTicket.for_call(channel.info, "sales", now())
        settings = QueueSettings(music_on_hold=BROKEN, announce_every=None, max_wait=2.5)
        outcomes.append(
            wait_in_queue(
                channel,
                ticket,
                settings,
                position=lambda: 1,
                expected_wait=lambda: None,
                clock=now,
                events=MemoryQueueEvents(),
            )
        )
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(), timeout=10)
    assert [o.kind for o in outcomes] == ["timeout"]
    playbacks = [arg for app, arg in call.executed if app == "playback"]
    assert playbacks == [BROKEN, FALLBACK_HOLD_TONE]  # the tone plays out the rest of the wait
    assert [app for app, _ in call.executed].count("sleep") == 1
