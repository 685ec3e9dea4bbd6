"""The dialling simulation (tests/bench/dialer_sim*): properties of short seeded runs, not timings."""

from __future__ import annotations

import dataclasses
import statistics

import pytest

from dialplans.campaign_vocabulary import Jurisdiction
from tests.bench.dialer_sim import meets_target, rows
from tests.bench.dialer_sim_engine import Call, Day, baseline_settings, simulate
from tests.bench.dialer_sim_model import Draws, Method, Reached, Result, Scenario

HOUR = Scenario(hours=1.0)


def test_the_same_seed_gives_the_same_day_and_another_seed_another() -> None:
    first = simulate(Method.PREDICTIVE, HOUR)
    assert simulate(Method.PREDICTIVE, HOUR).tally == first.tally
    assert simulate(Method.PREDICTIVE, dataclasses.replace(HOUR, seed=13)).tally != first.tally


@pytest.mark.parametrize("person_rate", [0.15, 0.5])
def test_predictive_keeps_abandons_within_three_percent_and_beats_progressive(person_rate: float) -> None:
    scenario = dataclasses.replace(HOUR, person_rate=person_rate)
    predictive = simulate(Method.PREDICTIVE, scenario)
    progressive = simulate(Method.PROGRESSIVE, scenario)
    assert predictive.tally.dials > progressive.tally.dials  # it does dial ahead
    assert predictive.abandon_percent <= 3.0
    assert predictive.talk_minutes_per_agent_hour > progressive.talk_minutes_per_agent_hour


@pytest.mark.parametrize("method", [Method.PREVIEW, Method.PROGRESSIVE])
@pytest.mark.parametrize("person_rate", [0.15, 0.5])
def test_preview_and_progressive_never_drop_a_person(method: Method, person_rate: float) -> None:
    result = simulate(method, dataclasses.replace(HOUR, person_rate=person_rate))
    assert result.tally.connected > 100
    assert result.tally.dropped == 0


@pytest.mark.parametrize("method", list(Method))
def test_the_tallies_add_up(method: Method) -> None:
    result = simulate(method, HOUR)
    tally = result.tally
    assert tally.connected + tally.dropped + tally.amd_hung_up_on + tally.machines_to_agents <= tally.dials
    assert 0.0 < tally.talk_seconds < tally.busy_seconds
    assert 0.0 < result.utilisation <= 1.0
    assert result.dials_per_hour == tally.dials


def test_the_draws_follow_the_configured_rates_and_distributions() -> None:
    draws = Draws(Scenario(person_rate=0.3, machine_rate=0.2, busy_rate=0.05, unreachable_rate=0.05))
    reached = [draws.reached() for _ in range(20_000)]
    for kind, rate in [
        (Reached.PERSON, 0.3),
        (Reached.MACHINE, 0.2),
        (Reached.BUSY, 0.05),
        (Reached.UNREACHABLE, 0.05),
        (Reached.NO_ANSWER, 0.4),
    ]:
        assert reached.count(kind) / len(reached) == pytest.approx(rate, abs=0.01)
    assert draws.ringing(Reached.NO_ANSWER) == 25.0
    rings = [draws.ringing(Reached.PERSON) for _ in range(5_000)]
    assert max(rings) < 25.0
    assert statistics.fmean(rings) == pytest.approx(9.0, rel=0.05)
    talks = [draws.talk() for _ in range(20_000)]
    assert statistics.fmean(talks) == pytest.approx(180.0 - 15.0, rel=0.03)
    says_person = [draws.amd_says_person(Reached.MACHINE) for _ in range(20_000)]
    assert sum(says_person) / len(says_person) == pytest.approx(0.05, abs=0.01)


def test_bad_scenarios_are_refused() -> None:
    with pytest.raises(ValueError, match="rates"):
        Scenario(person_rate=0.6, machine_rate=0.5)
    with pytest.raises(ValueError, match="aht_seconds"):
        Scenario(aht_seconds=10.0, wrap_seconds=15.0)


def test_the_table_compares_each_method_with_the_baseline() -> None:
    results = [simulate(method, dataclasses.replace(HOUR, hours=0.25)) for method in Method]
    lines = rows(results)
    assert [line.split("|")[1].strip() for line in lines] == [method.value for method in Method]
    baseline = lines[-1].split("|")
    assert baseline[6].strip() == baseline[7].strip() == "1.00"


def test_the_target_is_fifty_talk_minutes_at_three_percent_abandons() -> None:
    base = simulate(Method.PREVIEW, dataclasses.replace(HOUR, hours=0.1))

    def with_figures(talk_seconds: float, dropped: int) -> Result:
        tally = dataclasses.replace(base.tally, talk_seconds=talk_seconds, connected=97, dropped=dropped)
        return dataclasses.replace(base, tally=tally)

    agent_seconds = base.agent_hours * 3600.0
    assert meets_target(with_figures(agent_seconds * 50 / 60, 3))
    assert not meets_target(with_figures(agent_seconds * 49 / 60, 3))
    assert not meets_target(with_figures(agent_seconds * 55 / 60, 4))


class Unpaced(Day):
    """A day whose pacer never dials: the test places the calls."""

    def pace(self) -> None:
        pass


@pytest.mark.parametrize(("agent_free_at", "dropped"), [(1.9, 0), (2.1, 1)])
def test_a_person_waits_two_seconds_for_an_agent_then_is_dropped(agent_free_at: float, dropped: int) -> None:
    day = Unpaced(Method.PROGRESSIVE, Scenario(agents=1, hours=0.1, amd_person_error=0.0))
    day.idle.clear()
    day.wrap_ends[0] = agent_free_at
    day.at(agent_free_at, day.wrap_ended, 0)
    call = Call(dialled_at=-10.0, reached=Reached.PERSON)
    day.in_progress[id(call)] = call.dialled_at
    day.amd_decided(call)  # at 0 s: a person, waiting
    result = day.run()
    assert (result.tally.dropped, result.tally.connected) == (dropped, 1 - dropped)


UK_HOUR = dataclasses.replace(HOUR, jurisdiction=Jurisdiction.UK)


def test_uk_rules_count_the_people_the_amd_hung_up_on_as_abandons() -> None:
    assert UK_HOUR.amd_false_positive_rate == pytest.approx(0.3 * 0.02 / (0.3 * 0.02 + 0.2 * 0.95))
    us, uk = simulate(Method.PROGRESSIVE, HOUR), simulate(Method.PROGRESSIVE, UK_HOUR)
    assert us.tally == uk.tally, "the same day: only what is counted differs"
    hung_up_on = uk.tally.amd_hung_up_on
    assert hung_up_on > 0
    assert uk.tally.dropped == 0
    assert us.abandon_percent == 0.0
    assert uk.abandon_percent == pytest.approx(100.0 * hung_up_on / (uk.tally.live + hung_up_on))


def test_under_uk_rules_predictive_and_the_baseline_leave_room_for_the_amds_false_positives() -> None:
    us, uk = simulate(Method.PREDICTIVE, HOUR), simulate(Method.PREDICTIVE, UK_HOUR)
    assert uk.talk_minutes_per_agent_hour < us.talk_minutes_per_agent_hour
    assert uk.tally.dropped < us.tally.dropped
    assert baseline_settings(HOUR).target_drop_percent == 3.0
    assert baseline_settings(UK_HOUR).target_drop_percent == pytest.approx(1.0), "3% less the 2% hung up on"
    assert baseline_settings(UK_HOUR).shift_seconds == 3600.0
