"""Erlang C against published figures and exact arithmetic, and the staffing search's properties."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr_scripts.forecast.erlang import (
    Target,
    erlang_b,
    erlang_c,
    required_staffing,
    scheduled_agents,
    staffing,
    traffic_erlangs,
)


def test_the_call_centre_helper_worked_example() -> None:
    # 100 calls in 30 minutes, AHT 180 s, 80 % within 20 s, occupancy at most 85 %, shrinkage 30 %: the
    # worked example of callcentrehelper.com's "Erlang C Formula - Made Simple", whose figures the
    # pyworkforce README publishes (github.com/rodrigo-arenas/pyworkforce: ErlangC(transactions=100,
    # aht=3, interval=30, asa=20/60, shrinkage=0.3).required_positions(service_level=0.8,
    # max_occupancy=0.85) -> raw_positions 14, positions 20, service_level 0.8883500191794669,
    # occupancy 0.7142857142857143, waiting_probability 0.1741319335950498).
    traffic = traffic_erlangs(100, 30 * 60, 180)
    result = required_staffing(traffic, 180, Target(0.8, 20, max_occupancy=0.85))

    assert traffic == 10
    assert result.agents == 14
    assert scheduled_agents(result.agents, 0.30) == 20
    assert result.service_level == pytest.approx(0.8883500191794669, abs=1e-12)
    assert result.occupancy == pytest.approx(0.7142857142857143, abs=1e-12)
    assert result.probability_of_waiting == pytest.approx(0.1741319335950498, abs=1e-12)
    # One agent fewer misses 80 %.
    assert staffing(13, traffic, 180).service_level == pytest.approx(0.7956, abs=5e-5)


@pytest.mark.parametrize(
    ("service_level", "scheduled", "achieved", "occupancy"),
    [(0.80, 20, 0.8884, 0.7143), (0.85, 20, 0.8884, 0.7143), (0.90, 22, 0.9415, 0.6667)],
)
def test_higher_service_levels_of_the_same_example(
    service_level: float, scheduled: int, achieved: float, occupancy: float
) -> None:
    # The pyworkforce README's MultiErlangC table: the same queue at max_occupancy 0.8, shrinkage 0.3,
    # by target service level: positions, service_level_result and occupancy, to 4 decimals.
    result = required_staffing(10.0, 180, Target(service_level, 20, max_occupancy=0.8))
    assert scheduled_agents(result.agents, 0.3) == scheduled
    assert (round(result.service_level, 4), round(result.occupancy, 4)) == (achieved, occupancy)


# Carrier Grade Voice over IP (2nd ed.), Appendix A "Table of Erlang B" (globalspec.com reference
# 55139/203279): the traffic, in Erlangs to one decimal, that 1..9 channels carry at each blocking.
BLOCKINGS = (
    0.0001,
    0.0005,
    0.001,
    0.002,
    0.003,
    0.004,
    0.005,
    0.006,
    0.007,
    0.008,
    0.009,
    0.01,
    0.02,
    0.03,
    0.04,
    0.05,
)
ERLANG_B_TABLE = {
    1: "0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.0 0.1",
    2: "0.0 0.0 0.0 0.1 0.1 0.1 0.1 0.1 0.1 0.1 0.1 0.2 0.2 0.3 0.3 0.4",
    3: "0.1 0.2 0.2 0.2 0.3 0.3 0.3 0.4 0.4 0.4 0.4 0.5 0.6 0.7 0.8 0.9",
    4: "0.2 0.4 0.4 0.5 0.6 0.7 0.7 0.7 0.8 0.8 0.8 0.9 1.1 1.3 1.4 1.5",
    5: "0.5 0.6 0.8 0.9 1.0 1.1 1.1 1.2 1.2 1.3 1.3 1.4 1.7 1.9 2.1 2.2",
    6: "0.7 1.0 1.1 1.3 1.4 1.5 1.6 1.7 1.8 1.8 1.9 1.9 2.3 2.5 2.8 3.0",
    7: "1.1 1.4 1.6 1.8 1.9 2.1 2.2 2.2 2.3 2.4 2.4 2.5 2.9 3.2 3.5 3.7",
    8: "1.4 1.8 2.1 2.3 2.5 2.6 2.7 2.8 2.9 3.0 3.1 3.1 3.6 4.0 4.3 4.5",
    9: "1.8 2.3 2.6 2.9 3.1 3.2 3.3 3.4 3.5 3.6 3.7 3.8 4.3 4.7 5.1 5.4",
}


def capacity(channels: int, blocking: float) -> float:
    """The traffic at which `channels` block `blocking` of the calls (erlang_b grows with traffic)."""
    low, high = 0.0, 2.0 * channels + 5
    for _ in range(100):
        middle = (low + high) / 2
        low, high = (middle, high) if erlang_b(channels, middle) < blocking else (low, middle)
    return low


def test_erlang_b_matches_a_published_table() -> None:
    for channels, row in ERLANG_B_TABLE.items():
        published = [float(cell) for cell in row.split()]
        computed = [round(capacity(channels, blocking), 1) for blocking in BLOCKINGS]
        assert computed == published, f"{channels} channels"


def test_erlang_b_matches_erlang_coms_calculator_manual() -> None:
    # erlang.com's calculator manual, "How much traffic?": 15 lines at 1 % blocking carry 8.108 Erlangs.
    assert round(capacity(15, 0.01), 3) == 8.108


def exact_erlang_c(agents: int, traffic: Fraction) -> Fraction:
    """The textbook formula in exact rational arithmetic: an oracle free of rounding and overflow."""
    term, below = Fraction(1), Fraction(0)
    for k in range(agents):
        below += term
        term = term * traffic / (k + 1)
    waiting = term * agents / (agents - traffic)
    return waiting / (below + waiting)


def naive_erlang_c(agents: int, traffic: float) -> float:
    """The textbook formula in floats, as spreadsheets and most snippets write it."""
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    return top / (sum(traffic**k / math.factorial(k) for k in range(agents)) + top)


@pytest.mark.parametrize(
    ("agents", "traffic"), [(180, Fraction(170)), (1040, Fraction(1000)), (2100, Fraction(40005, 20))]
)
def test_large_traffic_where_factorials_overflow(agents: int, traffic: Fraction) -> None:
    with pytest.raises(OverflowError):  # the point of the recursion: the naive form cannot answer here
        naive_erlang_c(agents, float(traffic))

    assert erlang_c(agents, float(traffic)) == pytest.approx(float(exact_erlang_c(agents, traffic)), rel=1e-9)


def test_an_overloaded_queue_never_catches_up() -> None:
    result = staffing(10, 10.0, 180)
    assert (result.probability_of_waiting, result.service_level, result.asa_s) == (1.0, 0.0, math.inf)
    assert result.occupancy == 1.0
    assert erlang_c(9, 10.0) == 1.0


def test_no_calls_need_no_agents() -> None:
    result = required_staffing(0.0, 180, Target())
    assert (result.agents, result.service_level, result.asa_s, result.occupancy) == (0, 1.0, 0.0, 0.0)


def test_an_asa_target_alone() -> None:
    result = required_staffing(10.0, 180, Target(service_level=None, asa_s=30, max_occupancy=None))
    assert result.asa_s <= 30
    assert staffing(result.agents - 1, 10.0, 180).asa_s > 30
    assert result.agents == 13  # ASA 40.4 s with 12 agents, 17.1 s with 13


def test_the_occupancy_cap_alone_can_decide() -> None:
    # 100 Erlangs of long calls: 80/20 needs few spare agents, 85 % occupancy needs 118.
    result = required_staffing(100.0, 600, Target(0.8, 20, max_occupancy=0.85))
    assert result.agents == math.ceil(100 / 0.85) == 118
    assert required_staffing(100.0, 600, Target(0.8, 20, max_occupancy=None)).agents < 118


@pytest.mark.parametrize(
    "bad",
    [
        {"service_level": None, "asa_s": None},
        {"service_level": 1.0},
        {"service_level": 0.0},
        {"answer_s": -1.0},
        {"asa_s": 0.0},
        {"max_occupancy": 0.0},
        {"max_occupancy": 1.2},
    ],
)
def test_a_target_out_of_range_is_refused(bad: dict[str, float | None]) -> None:
    with pytest.raises(ValueError):
        Target(**bad)  # type: ignore[arg-type]


def test_shrinkage() -> None:
    assert scheduled_agents(14, 0.0) == 14
    assert scheduled_agents(14, 0.3) == 20  # 14 / 0.7 is 20.000000000000004 in floats
    assert scheduled_agents(15, 0.3) == 22
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError):
            scheduled_agents(10, bad)


traffics = st.floats(min_value=0.01, max_value=400.0, allow_nan=False)
handle_times = st.floats(min_value=5.0, max_value=1800.0)


@given(traffic=traffics, aht_s=handle_times, answer_s=st.floats(min_value=0.0, max_value=120.0))
def test_more_agents_answer_sooner(traffic: float, aht_s: float, answer_s: float) -> None:
    first = math.floor(traffic) + 1
    results = [staffing(n, traffic, aht_s, answer_s=answer_s) for n in range(first, first + 30)]
    for fewer, more in itertools.pairwise(results):
        assert more.service_level >= fewer.service_level
        assert more.asa_s <= fewer.asa_s
        assert more.probability_of_waiting <= fewer.probability_of_waiting
        assert more.occupancy < fewer.occupancy
    assert all(0 <= r.probability_of_waiting <= 1 and 0 <= r.service_level <= 1 for r in results)


@given(
    traffic=traffics,
    aht_s=handle_times,
    level=st.floats(min_value=0.05, max_value=0.99),
    occupancy=st.none() | st.floats(min_value=0.3, max_value=1.0),
)
def test_the_required_agents_are_the_fewest_meeting_the_target(
    traffic: float, aht_s: float, level: float, occupancy: float | None
) -> None:
    target = Target(level, 20.0, max_occupancy=occupancy)
    result = required_staffing(traffic, aht_s, target)
    assert result.service_level >= level
    assert occupancy is None or result.occupancy <= occupancy
    fewer = staffing(result.agents - 1, traffic, aht_s, answer_s=20.0)
    assert fewer.service_level < level or (occupancy is not None and fewer.occupancy > occupancy)
