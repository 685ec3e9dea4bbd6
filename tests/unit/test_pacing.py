from __future__ import annotations

import dataclasses

import pytest

from dialplans.campaign_vocabulary import AttemptOutcome, DialMode, Jurisdiction
from ivr_scripts.campaigns.abandons import AbandonBudget
from ivr_scripts.campaigns.pacing import PacingSettings, PacingSnapshot, decide
from ivr_scripts.campaigns.pacing_predictive import (
    LOOKAHEAD,
    Outlook,
    abandon_chance,
    abandon_target,
    agents_free,
    largest_keeping,
    outlooks,
    person_within,
)
from ivr_scripts.campaigns.pacing_stats import DialStatistics

NOW = 10_000.0


def statistics(person_rate: float = 0.3, dials: int = 200, machine_rate: float = 0.2) -> DialStatistics:
    """People handed over 5-14 s after the dial; every other dial resolved at 25 s; talks of 60-300 s."""
    persons = round(dials * person_rate)
    connects = sorted(5.0 + (i % 10) for i in range(persons))
    return DialStatistics(
        dials=dials,
        person_rate=persons / dials,
        machine_rate=machine_rate,
        connect_times=tuple(connects),
        resolve_times=tuple(sorted(connects + [25.0] * (dials - persons))),
        talk_seconds=tuple(60.0 + 240.0 * i / 99 for i in range(100)),
        wrap_seconds=0.0,
    )


def snapshot(mode: DialMode = DialMode.PREDICTIVE, **changes: object) -> PacingSnapshot:
    """Ten agents on calls that have lasted 280 s (every learnt call ends within 20 s more), nobody idle."""
    base = PacingSnapshot(
        now=NOW,
        mode=mode,
        idle_agents=0,
        talk_started=(NOW - 280.0,) * 10,
        statistics=statistics(),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_preview_never_dials_the_agent_does() -> None:
    assert decide(snapshot(DialMode.PREVIEW, idle_agents=10)) == 0


@pytest.mark.parametrize(
    ("idle", "in_progress", "waiting", "calls"),
    [(5, 0, 0, 5), (5, 2, 1, 2), (5, 7, 0, 0), (0, 0, 0, 0)],
)
def test_progressive_covers_each_idle_agent_once(
    idle: int, in_progress: int, waiting: int, calls: int
) -> None:
    shot = snapshot(
        DialMode.PROGRESSIVE,
        idle_agents=idle,
        calls_dialled_at=(NOW - 3.0,) * in_progress,
        persons_waiting=waiting,
    )
    assert decide(shot) == calls


def test_predictive_dials_ahead_of_agents_about_to_be_free() -> None:
    shot = snapshot()
    assert decide(dataclasses.replace(shot, mode=DialMode.PROGRESSIVE)) == 0
    assert decide(shot) > 0


def test_predictive_waits_when_no_agent_can_be_free_in_time() -> None:
    assert decide(snapshot(talk_started=(NOW - 1.0,) * 10)) == 0  # no learnt talk is under 60 s
    assert decide(snapshot(talk_started=(NOW - 1.0,) * 10, idle_agents=3)) >= 3  # progressive's floor


def test_predictive_is_progressive_during_the_warm_up() -> None:
    few = statistics(dials=99)
    assert decide(snapshot(statistics=few, idle_agents=2)) == 2
    assert decide(snapshot(statistics=few, idle_agents=2), PacingSettings(warm_up_dials=99)) > 2
    few_talks = dataclasses.replace(statistics(), talk_seconds=tuple(range(280, 299)))
    assert decide(snapshot(statistics=few_talks, idle_agents=2)) == 2
    assert decide(snapshot(statistics=few_talks, idle_agents=2), PacingSettings(warm_up_talks=19)) > 2


def test_predictive_is_progressive_when_the_budget_is_spent() -> None:
    spent = AbandonBudget(Jurisdiction.US)
    for outcome in [AttemptOutcome.HUMAN] * 97 + [AttemptOutcome.DROPPED] * 3:
        spent.record(NOW - 60.0, outcome)
    assert decide(snapshot(budget=spent, idle_agents=1)) == 1
    spent.record(NOW - 60.0, AttemptOutcome.HUMAN)  # 3 of 101: headroom for 0.03 of an abandon
    assert decide(snapshot(budget=spent, idle_agents=1)) == 1, "one more abandon would break the limit"
    spent.record(NOW - 60.0, AttemptOutcome.HUMAN, count=33)  # 3 of 134: room for one whole abandon
    assert decide(snapshot(budget=spent, idle_agents=1)) == 2, "one call ahead: one abandon at worst"


def test_the_calls_ahead_never_exceed_the_whole_abandons_the_budget_affords() -> None:
    """Were every call in flight a person and no seat came free, the realized rate still keeps the limit."""
    roomy = AbandonBudget(Jurisdiction.US)
    roomy.record(NOW - 60.0, AttemptOutcome.HUMAN, count=200)  # room for 6 abandons
    unbounded = decide(snapshot(idle_agents=2))
    bounded = decide(snapshot(budget=roomy, idle_agents=2))
    assert unbounded > 2 + 6, "without a budget the chance alone would dial further ahead"
    assert bounded == 2 + 6
    in_flight = snapshot(budget=roomy, idle_agents=2, calls_dialled_at=(NOW - 3.0,) * 5)
    assert decide(in_flight) == 3, "5 in flight for 2 seats: 3 ahead already, 3 more at most"


def test_predictive_places_the_most_calls_whose_abandon_chance_keeps_the_target() -> None:
    settings = PacingSettings(target_share=0.5)
    shot = snapshot()
    calls = decide(shot, settings)
    assert calls > 0
    views, _ = outlooks(shot)
    assert abandon_chance(views, calls) <= 0.5 * 0.03
    assert abandon_chance(views, calls + 1) > 0.5 * 0.03
    assert decide(shot, PacingSettings(target_share=1.0)) > calls


def test_fewer_people_answering_means_more_dials_per_free_agent() -> None:
    assert decide(snapshot(statistics=statistics(0.15))) > decide(snapshot(statistics=statistics(0.5)))


def test_calls_already_ringing_count_against_the_agents() -> None:
    alone = decide(snapshot())
    assert alone > 2
    assert decide(snapshot(calls_dialled_at=(NOW - 2.0,) * 2)) < alone


def test_the_lines_per_agent_bound_holds_whatever_the_estimate() -> None:
    shot = snapshot(talk_started=(NOW - 299.0,) * 10, calls_dialled_at=(NOW - 2.0,) * 3)
    assert decide(shot, PacingSettings(max_lines_per_agent=6.0)) > 10
    assert decide(shot, PacingSettings(max_lines_per_agent=1.0)) == 10 - 3


def test_uk_machines_spend_the_budget_and_slow_the_pacer() -> None:
    def budget(jurisdiction: Jurisdiction) -> AbandonBudget:
        seeded = AbandonBudget(jurisdiction, amd_false_positive_rate=0.05)
        for outcome in (
            [AttemptOutcome.HUMAN] * 99 + [AttemptOutcome.DROPPED] * 2 + [AttemptOutcome.MACHINE] * 30
        ):
            seeded.record(NOW - 60.0, outcome)
        return seeded

    us, uk = (
        decide(snapshot(budget=budget(Jurisdiction.US))),
        decide(snapshot(budget=budget(Jurisdiction.UK))),
    )
    assert uk < us


def test_person_within_is_conditional_on_the_dial_still_being_in_progress() -> None:
    stats = statistics()  # 60 people at 5..14 s, 140 others at 25 s
    assert person_within(stats, 0.0, 9.0) == pytest.approx(30 / 200)
    assert person_within(stats, 10.0, float("inf")) == pytest.approx(24 / 164)
    assert person_within(stats, 20.0, 10.0) == 0.0
    assert person_within(stats, 30.0, 10.0) == 0.0  # nothing learnt rang this long


@pytest.mark.parametrize("threshold", range(-1, 12))
def test_largest_keeping_finds_the_end_of_the_kept_prefix(threshold: int) -> None:
    asked: list[int] = []

    def keeps(n: int) -> bool:
        asked.append(n)
        return n <= threshold

    assert largest_keeping(keeps, 10) == max(0, min(threshold, 10))
    assert len(asked) <= 6  # a binary search, not a scan


@pytest.mark.parametrize(("idle", "waiting", "field"), [(-1, 0, "idle_agents"), (0, -1, "persons_waiting")])
def test_a_negative_count_is_refused_by_name(idle: int, waiting: int, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        PacingSnapshot(now=NOW, mode=DialMode.PREDICTIVE, idle_agents=idle, persons_waiting=waiting)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"warm_up_dials": -1}, "warm_up_dials"),
        ({"warm_up_talks": 0}, "warm_up_talks"),
        ({"target_share": 0.0}, "target_share"),
        ({"target_share": 1.5}, "target_share"),
        ({"max_lines_per_agent": 0.5}, "max_lines_per_agent"),
    ],
)
def test_bad_settings_are_refused_by_name(changes: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        PacingSettings(**changes)  # type: ignore[arg-type]


def test_calls_ringing_long_are_less_likely_people_than_fresh_ones() -> None:
    # No learnt person was handed over after 14 s: a call ringing 20 s is most likely no answer.
    assert decide(snapshot(calls_dialled_at=(NOW - 20.0,) * 3)) > decide(
        snapshot(calls_dialled_at=(NOW,) * 3)
    )


def test_uk_machines_in_flight_can_hold_the_pacer_to_progressive() -> None:
    nearly_spent = AbandonBudget(Jurisdiction.UK, amd_false_positive_rate=0.5)
    for outcome in [AttemptOutcome.HUMAN] * 65 + [AttemptOutcome.DROPPED] * 2:
        nearly_spent.record(NOW - 60.0, outcome)
    assert 0.0 < nearly_spent.affordable(NOW) < 0.02
    shot = snapshot(idle_agents=5, calls_dialled_at=(NOW,) * 2)
    assert decide(shot) > 3
    assert decide(dataclasses.replace(shot, budget=nearly_spent)) == 3  # progressive's 5 - 2


def test_wrap_up_keeps_an_agent_busy_after_the_call() -> None:
    with_wrap = dataclasses.replace(statistics(), wrap_seconds=10.0)  # free 30 s on: people come by 16 s
    assert decide(snapshot()) > 0
    assert decide(snapshot(statistics=with_wrap)) == 0


def test_the_no_agent_chance_is_close_to_the_exact_count() -> None:
    view = Outlook(
        ahead=5.0, arrivals_mean=0.0, arrivals_var=0.0, new_call_chance=0.5, free_mean=1.0, free_var=0.0
    )
    assert view.no_agent_chance(0) == 0.0  # nobody before: the one agent is there
    assert view.no_agent_chance(2) == pytest.approx(0.75, abs=0.03)  # P(Binomial(2, 1/2) >= 1)
    assert view.no_agent_chance(6) == pytest.approx(63 / 64, abs=0.03)


def test_agents_free_counts_idle_wrap_ups_ending_and_calls_ending_with_their_wrap_up() -> None:
    stats = dataclasses.replace(statistics(), talk_seconds=(100.0, 200.0, 300.0, 400.0), wrap_seconds=10.0)
    shot = snapshot(
        statistics=stats,
        idle_agents=2,
        wrap_up_ends=(NOW + 3.5, NOW + 40.0),
        talk_started=(NOW - 190.0, NOW - 500.0),  # the second outlasted every learnt call
    )
    free = dict(zip(LOOKAHEAD, agents_free(shot), strict=True))
    assert free[1.0] == (2.0, 0.0)  # by 3 s: the idle two
    assert free[2.0] == (3.0, 0.0)  # by 4 s: and the wrap-up ending at 3.5 s
    # The call at 190 s may end at 200 s (1 in 3 of the learnt calls over 190 s), then wraps up 10 s.
    assert free[13.0] == free[17.0] == (3.0, 0.0)  # by 15 s, by 19 s: no
    assert free[22.0] == pytest.approx((3.0 + 1 / 3, 2 / 9))  # by 24 s: maybe
    assert free[30.0] == pytest.approx((3.0 + 1 / 3, 2 / 9))  # the wrap-up at 40 s is still on


def budget_at(abandons: int, live: int = 1000) -> AbandonBudget:
    budget = AbandonBudget(Jurisdiction.US)
    for outcome in [AttemptOutcome.DROPPED] * abandons + [AttemptOutcome.HUMAN] * (live - abandons):
        budget.record(NOW - 60.0, outcome)
    return budget


@pytest.mark.parametrize(
    ("abandons", "target"),
    [(0, 0.021), (21, 0.021), (24, 0.014), (27, 0.007), (30, 0.0), (40, 0.0)],
)
def test_the_target_tapers_to_nothing_as_the_window_nears_the_limit(abandons: int, target: float) -> None:
    shot = snapshot(budget=budget_at(abandons))
    assert abandon_target(shot, PacingSettings(target_share=0.7)) == pytest.approx(target)


def test_the_target_without_a_budget_or_taper() -> None:
    assert abandon_target(snapshot(), PacingSettings(target_share=0.7)) == pytest.approx(0.021)
    assert abandon_target(snapshot(budget=budget_at(29)), PacingSettings(target_share=1.0)) == 0.03
    assert abandon_target(snapshot(budget=budget_at(30)), PacingSettings(target_share=1.0)) == 0.0


def test_a_window_nearer_the_limit_means_fewer_calls() -> None:
    assert decide(snapshot(budget=budget_at(26))) < decide(snapshot(budget=budget_at(10)))
