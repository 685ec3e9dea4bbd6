from __future__ import annotations

import pytest

from dialplans.campaign_vocabulary import AttemptOutcome, DialMode
from ivr_scripts.campaigns.pacing import PacingSnapshot
from ivr_scripts.campaigns.pacing_vicidial import AdaptSettings, VicidialAdaptPacer

HOUR = 3600.0


def snapshot(now: float, idle: int = 0, talking: int = 10, ringing: int = 0) -> PacingSnapshot:
    return PacingSnapshot(
        now=now,
        mode=DialMode.PREDICTIVE,
        idle_agents=idle,
        talk_started=(now - 60.0,) * talking,
        wrap_up_ends=(now + 5.0,) * 3,  # agents in wrap-up are not counted
        calls_dialled_at=(now - 1.0,) * ringing,
    )


def test_lines_are_the_level_times_the_agents_less_the_calls_up() -> None:
    pacer = VicidialAdaptPacer(0.0)
    assert pacer.level == 1.0
    assert pacer.decide(snapshot(1.0, idle=4, talking=6, ringing=1)) == 10 - 6 - 1
    pacer.level = 2.55
    assert pacer.decide(snapshot(2.0, idle=4, talking=6, ringing=1)) == 25 - 6 - 1  # 25.5 lines: 25
    assert pacer.decide(snapshot(3.0, idle=0, talking=6, ringing=20)) == 0


def test_the_level_moves_only_every_fifteen_seconds_rising_with_the_idle_share() -> None:
    pacer = VicidialAdaptPacer(0.0)
    pacer.decide(snapshot(14.9, idle=5, talking=5))
    assert pacer.level == 1.0
    pacer.decide(snapshot(15.0, idle=5, talking=5))
    assert pacer.level == 1.5
    pacer.decide(snapshot(29.0, idle=5, talking=5))
    assert pacer.level == 1.5
    pacer.decide(snapshot(30.0, idle=0, talking=10))
    assert pacer.level == 1.5  # nobody idle: no reason to rise


def test_the_level_stops_at_the_maximum() -> None:
    pacer = VicidialAdaptPacer(0.0, AdaptSettings(max_level=2.0))
    pacer.decide(snapshot(600.0, idle=10, talking=0))
    assert pacer.level == 2.0


def test_drops_over_the_allowed_rate_step_the_level_down_to_one_at_least() -> None:
    pacer = VicidialAdaptPacer(0.0, AdaptSettings(shift_seconds=8 * HOUR))
    pacer.level = 1.3
    for outcome in [AttemptOutcome.HUMAN] * 90 + [AttemptOutcome.DROPPED] * 10:
        pacer.record(outcome)
    assert pacer.drop_rate() == pytest.approx(0.10)
    pacer.decide(snapshot(15.0, idle=5, talking=5))
    assert pacer.level == pytest.approx(1.1)
    pacer.decide(snapshot(30.0, idle=5, talking=5))
    assert pacer.level == 1.0


def test_few_answers_are_not_trusted_with_the_level() -> None:
    pacer = VicidialAdaptPacer(0.0)
    for outcome in [AttemptOutcome.HUMAN] * 10 + [AttemptOutcome.DROPPED] * 5:
        pacer.record(outcome)
    pacer.decide(snapshot(15.0, idle=5, talking=5))
    assert pacer.level == 1.5


def test_tapered_allows_twice_the_target_at_the_start_and_the_target_from_half_shift() -> None:
    pacer = VicidialAdaptPacer(1000.0, AdaptSettings(target_drop_percent=3.0, shift_seconds=8 * HOUR))
    assert pacer.allowed_rate(1000.0) == pytest.approx(0.06)
    assert pacer.allowed_rate(1000.0 + 2 * HOUR) == pytest.approx(0.045)
    assert pacer.allowed_rate(1000.0 + 4 * HOUR) == pytest.approx(0.03)
    assert pacer.allowed_rate(1000.0 + 7 * HOUR) == pytest.approx(0.03)


def test_only_people_count_in_the_drop_rate() -> None:
    pacer = VicidialAdaptPacer(0.0)
    for outcome in (
        AttemptOutcome.MACHINE,
        AttemptOutcome.BUSY,
        AttemptOutcome.HUMAN,
        AttemptOutcome.DROPPED,
    ):
        pacer.record(outcome)
    assert pacer.drop_rate() == 0.5
