"""Erlang C: the queue model behind call-centre staffing, and the fewest agents that meet a target.

The model (A. K. Erlang, 1917; M/M/N in Kendall's notation): calls arrive at random (a Poisson process)
at a steady rate through the interval, handle times are exponential with mean `aht_s`, N identical
agents answer first come first served, and every caller waits until answered. With traffic
A = calls x AHT / interval (in Erlangs, the mean number of agents busy):

    probability of waiting  P_w = C(N, A)
    service level           P(wait <= T) = 1 - P_w exp(-(N - A) T / AHT)
    average speed of answer ASA = P_w AHT / (N - A)
    occupancy               A / N

C(N, A) comes from the Erlang B recursion B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1)) and
C = N B / (N - A (1 - B)). Every step stays in [0, 1]; the textbook form with A^N / N! overflows a
float past N = 170 (171! > 1.8e308). With N <= A the queue grows without bound: P_w = 1, service
level 0, ASA infinite.

Abandonment is not in the model: every caller is assumed to wait. Real callers hang up, which
shortens the wait of those behind them, so at a given staffing Erlang C errs pessimistic (its service
level is lower and its ASA longer than a queue with abandons shows) and its staffing errs high, by
more the longer the waits it allows. Erlang A (M/M/N+M) adds patience; it is not built here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    """What the staffing must meet; a None goal is not checked (one of the first two must be set).

    `service_level` of the calls answered within `answer_s` seconds (80/20: 0.8 and 20.0);
    `asa_s` the longest average speed of answer; `max_occupancy` the largest share of time an
    agent may be busy with calls (beyond ~85 % agents burn out and the queue is fragile).
    """

    service_level: float | None = 0.8
    answer_s: float = 20.0
    asa_s: float | None = None
    max_occupancy: float | None = 0.85

    def __post_init__(self) -> None:
        if self.service_level is None and self.asa_s is None:
            raise ValueError("a target needs a service level, an average speed of answer, or both")
        if self.service_level is not None and not 0 < self.service_level < 1:
            raise ValueError(
                f"a service level target is a fraction above 0 and below 1, got {self.service_level}"
            )
        if not self.answer_s >= 0:
            raise ValueError(f"the answer time cannot be negative, got {self.answer_s}")
        if self.asa_s is not None and not self.asa_s > 0:
            raise ValueError(f"an ASA target must be above 0 seconds, got {self.asa_s}")
        if self.max_occupancy is not None and not 0 < self.max_occupancy <= 1:
            raise ValueError(
                f"a maximum occupancy is a fraction above 0, at most 1, got {self.max_occupancy}"
            )


@dataclass(frozen=True, slots=True)
class Staffing:
    """`agents` answering `traffic` Erlangs (calls of `aht_s` seconds) and what the model expects of them."""

    traffic: float
    aht_s: float
    agents: int
    probability_of_waiting: float
    service_level: float
    asa_s: float
    occupancy: float


def traffic_erlangs(calls: float, interval_s: float, aht_s: float) -> float:
    """The offered load: calls x AHT / interval."""
    if not interval_s > 0:
        raise ValueError(f"an interval must be longer than 0 seconds, got {interval_s}")
    if not calls >= 0 or not aht_s >= 0:
        raise ValueError(f"calls and handle time cannot be negative, got {calls} calls of {aht_s} s")
    return calls * aht_s / interval_s


def erlang_b(agents: int, traffic: float) -> float:
    """The blocking probability of `agents` servers offered `traffic` Erlangs with no queue."""
    _check(agents, traffic)
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = _next_b(blocking, n, traffic)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a call waits: 1.0 when the agents cannot keep up (agents <= traffic)."""
    return _c_from_b(agents, traffic, erlang_b(agents, traffic))


def staffing(agents: int, traffic: float, aht_s: float, *, answer_s: float = 20.0) -> Staffing:
    """What `agents` agents achieve on `traffic` Erlangs of `aht_s`-second calls."""
    return _staffing(agents, traffic, aht_s, answer_s, erlang_b(agents, traffic))


def required_staffing(traffic: float, aht_s: float, target: Target) -> Staffing:
    """The fewest agents meeting every goal of `target`; 0 agents for no traffic."""
    _check(0, traffic)
    if not aht_s > 0:
        raise ValueError(f"a handle time must be above 0 seconds, got {aht_s}")
    if traffic == 0:
        return Staffing(0.0, aht_s, 0, 0.0, 1.0, 0.0, 0.0)
    agents, blocking = 0, 1.0
    while True:  # B(n) from B(n-1): one pass over n however far the answer lies
        agents += 1
        blocking = _next_b(blocking, agents, traffic)
        candidate = _staffing(agents, traffic, aht_s, target.answer_s, blocking)
        if _meets(candidate, target):
            return candidate


def scheduled_agents(required: int, shrinkage: float) -> int:
    """Agents to put on the schedule so `required` are answering calls when `shrinkage` of paid time
    (breaks, training, meetings, absence) is lost: ceil(required / (1 - shrinkage))."""
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage is a fraction from 0 up to (not including) 1, got {shrinkage}")
    # Rounded first so 14 / 0.7 = 20.000000000000004 stays 20.
    return math.ceil(round(required / (1 - shrinkage), 9))


def _meets(candidate: Staffing, target: Target) -> bool:
    if target.max_occupancy is not None and candidate.occupancy > target.max_occupancy:
        return False
    if target.service_level is not None and candidate.service_level < target.service_level:
        return False
    return target.asa_s is None or candidate.asa_s <= target.asa_s


def _staffing(agents: int, traffic: float, aht_s: float, answer_s: float, blocking: float) -> Staffing:
    waiting = _c_from_b(agents, traffic, blocking)
    if agents <= traffic:
        level, asa = 0.0, math.inf
    else:
        level = 1 - waiting * math.exp(-(agents - traffic) * answer_s / aht_s)
        asa = waiting * aht_s / (agents - traffic)
    occupancy = traffic / agents if agents else 0.0
    return Staffing(traffic, aht_s, agents, waiting, level, asa, min(occupancy, 1.0))


def _next_b(previous: float, n: int, traffic: float) -> float:
    return traffic * previous / (n + traffic * previous)


def _c_from_b(agents: int, traffic: float, blocking: float) -> float:
    if agents <= traffic:
        return 1.0
    return agents * blocking / (agents - traffic * (1 - blocking))


def _check(agents: int, traffic: float) -> None:
    if agents < 0:
        raise ValueError(f"agents cannot be negative, got {agents}")
    if not (traffic >= 0 and math.isfinite(traffic)):
        raise ValueError(f"traffic must be a finite number of Erlangs, at least 0, got {traffic}")
