from __future__ import annotations

import random

import pytest

from ivr_scripts.campaigns.pacing_stats import StatisticsLearner


def test_rates_and_times_come_from_the_dials_and_calls_learnt() -> None:
    learner = StatisticsLearner()
    learner.dial_resolved(12.0, person=True)
    learner.dial_resolved(8.0, person=True)
    learner.dial_resolved(15.5, machine=True)
    learner.dial_resolved(25.0)
    learner.call_ended(120.0, 15.0)
    learner.call_ended(60.0, 5.0)
    stats = learner.statistics()
    assert stats.dials == 4
    assert (stats.person_rate, stats.machine_rate) == (0.5, 0.25)
    assert stats.connect_times == (8.0, 12.0)
    assert stats.connect_seconds == 10.0
    assert stats.resolve_times == (8.0, 12.0, 15.5, 25.0)
    assert stats.talk_seconds == (60.0, 120.0)
    assert stats.wrap_seconds == 10.0
    assert stats.aht_seconds == 100.0


def test_nothing_learnt_is_all_zero() -> None:
    stats = StatisticsLearner().statistics()
    assert (stats.dials, stats.person_rate, stats.connect_seconds, stats.aht_seconds) == (0, 0.0, 0.0, 0.0)


def test_the_window_forgets_the_oldest_and_stays_sorted() -> None:
    rng = random.Random(5)
    learner = StatisticsLearner(window=50)
    dials: list[tuple[float, bool, bool]] = []
    talks: list[float] = []
    for _ in range(400):
        seconds, kind = round(rng.uniform(1, 30), 1), rng.choice(("person", "machine", "other"))
        learner.dial_resolved(seconds, person=kind == "person", machine=kind == "machine")
        dials.append((seconds, kind == "person", kind == "machine"))
        talk = round(rng.uniform(20, 400), 1)
        learner.call_ended(talk, 10.0)
        talks.append(talk)
        stats = learner.statistics()
        kept = dials[-50:]
        assert stats.dials == len(kept)
        assert stats.resolve_times == tuple(sorted(seconds for seconds, _, _ in kept))
        assert stats.connect_times == tuple(sorted(seconds for seconds, person, _ in kept if person))
        assert stats.person_rate == pytest.approx(sum(person for _, person, _ in kept) / len(kept))
        assert stats.machine_rate == pytest.approx(sum(machine for _, _, machine in kept) / len(kept))
        assert stats.talk_seconds == tuple(sorted(talks[-50:]))


def test_statistics_are_recomputed_only_after_something_new() -> None:
    learner = StatisticsLearner()
    learner.dial_resolved(5.0, person=True)
    first = learner.statistics()
    assert learner.statistics() is first
    learner.call_ended(30.0, 0.0)
    assert learner.statistics() is not first


def test_bad_observations_are_refused() -> None:
    learner = StatisticsLearner()
    with pytest.raises(ValueError, match="not both"):
        learner.dial_resolved(5.0, person=True, machine=True)
    with pytest.raises(ValueError, match="seconds"):
        learner.dial_resolved(-1.0)
    with pytest.raises(ValueError, match="window"):
        StatisticsLearner(window=0)
    assert learner.statistics().dials == 0
