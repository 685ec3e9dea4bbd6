"""Predictive pacing: dial ahead of agents coming free, as long as a person who answers the last call
placed is unlikely to find no agent within 2 s (docs/pacing.md has the formulas).

At each lookahead s (seconds from now, `LOOKAHEAD`): X(s), the people handed over by s, comes from the
persons waiting, each call in progress (the chance that a dial still in progress after its elapsed time
is handed over as a person within s more, from the learnt resolve and connect times) and the other new
calls; Y(s), the agents free by s + 2 s (the grace), is the idle agents, the wrap-ups ending by then and
each agent on a call with the chance that its call ends in time for its wrap-up to end too (from the
learnt talk times, given how long it has lasted). A person handed over at s finds no agent when
X(s) >= Y(s) (normal approximation, continuity correction); averaged over when a new call's person is
handed over, that is the abandon chance of the n-th new call. The pacer places the largest n whose
chance is at most target_share * limit, whose expected abandons fit the budget's headroom, and whose
worst case fits it in whole abandons: were every call in flight answered by a person and no seat came
free, the persons beyond the idle seats (`abandons_at_worst`) would still be within the headroom. So
the realized rate stays within the limit, not only the expected one. Never fewer than progressive;
progressive during the warm-up and while the budget is spent.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from ivr_scripts.campaigns.pacing_model import (
    ANSWER_GRACE_SECONDS,
    PacingSettings,
    PacingSnapshot,
    progressive_calls,
)
from ivr_scripts.campaigns.pacing_stats import DialStatistics

DEFAULT_LIMIT: Final = 0.03
"""The abandon limit used when the snapshot carries no budget."""
LOOKAHEAD: Final = (1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 13.0, 17.0, 22.0, 30.0)
"""The instants (seconds from now) at which arrivals are weighed against agents."""


def person_within(stats: DialStatistics, elapsed: float, seconds: float) -> float:
    """P(a dial still in progress after `elapsed` seconds is handed over as a person within `seconds`
    more); `math.inf` seconds: at all."""
    pending = len(stats.resolve_times) - bisect_right(stats.resolve_times, elapsed)
    if pending == 0:
        return 0.0
    connects = bisect_right(stats.connect_times, elapsed + seconds) - bisect_right(
        stats.connect_times, elapsed
    )
    return connects / pending


@dataclass(frozen=True)
class Outlook:
    """Arrivals and agents at one lookahead `ahead`, before any new call."""

    ahead: float
    arrivals_mean: float
    arrivals_var: float
    new_call_chance: float
    """P(a new call is handed over as a person within `ahead`)."""
    free_mean: float
    free_var: float

    def no_agent_chance(self, other_new_calls: int) -> float:
        """P(a person arriving at `ahead` finds the arrivals before them (the waiting, the calls in
        progress, `other_new_calls` new ones) at least as many as the agents free within the grace)."""
        c = self.new_call_chance
        mean = self.arrivals_mean + other_new_calls * c - self.free_mean
        sigma = math.sqrt(self.arrivals_var + other_new_calls * c * (1.0 - c) + self.free_var)
        if sigma == 0.0:
            return 1.0 if mean >= 0.0 else 0.0
        return 0.5 * (1.0 + math.erf((mean + 0.5) / (sigma * math.sqrt(2.0))))


def outlooks(snapshot: PacingSnapshot) -> tuple[list[Outlook], float]:
    """The outlook at each lookahead instant, and the live answers expected from the persons waiting
    and the calls in progress (one pass over the calls in progress)."""
    stats = snapshot.statistics
    now = snapshot.now
    connects, resolves = stats.connect_times, stats.resolve_times
    arrivals = [[float(snapshot.persons_waiting), 0.0] for _ in LOOKAHEAD]
    live = float(snapshot.persons_waiting)
    for dialled, calls in Counter(snapshot.calls_dialled_at).items():  # calls dialled together: once
        elapsed = now - dialled
        pending = len(resolves) - bisect_right(resolves, elapsed)
        if pending == 0:
            continue
        already = bisect_right(connects, elapsed)
        live += calls * (len(connects) - already) / pending
        for slot, ahead in zip(arrivals, LOOKAHEAD, strict=True):
            chance = (bisect_right(connects, elapsed + ahead) - already) / pending
            slot[0] += calls * chance
            slot[1] += calls * chance * (1.0 - chance)
    free = agents_free(snapshot)
    views = [
        Outlook(ahead, mean, var, person_within(stats, 0.0, ahead), free_mean, free_var)
        for ahead, (mean, var), (free_mean, free_var) in zip(LOOKAHEAD, arrivals, free, strict=True)
    ]
    return views, live


def agents_free(snapshot: PacingSnapshot) -> list[tuple[float, float]]:
    """(mean, variance) of the agents free by each lookahead instant plus the grace."""
    stats = snapshot.statistics
    now, talks, wrap = snapshot.now, stats.talk_seconds, stats.wrap_seconds
    by = [ahead + ANSWER_GRACE_SECONDS for ahead in LOOKAHEAD]
    free = [
        [float(snapshot.idle_agents + sum(1 for end in snapshot.wrap_up_ends if end <= now + b)), 0.0]
        for b in by
    ]
    for started in snapshot.talk_started:
        elapsed = now - started
        already = bisect_right(talks, elapsed)
        longer = len(talks) - already
        if longer == 0:
            continue  # no learnt call lasted this long: assume the agent stays busy
        for slot, seconds in zip(free, by, strict=True):
            if seconds > wrap:
                chance = (bisect_right(talks, elapsed + seconds - wrap) - already) / longer
                slot[0] += chance
                slot[1] += chance * (1.0 - chance)
    return [(mean, var) for mean, var in free]


def abandon_chance(views: list[Outlook], new_calls: int) -> float:
    """P(the last of `new_calls` new calls, answered by a person, finds no agent within the grace):
    over the lookahead instants, weighted by when a new call's person is handed over."""
    if new_calls < 1:
        raise ValueError(f"new_calls must be at least 1, got {new_calls!r}")
    total = views[-1].new_call_chance
    if total <= 0.0:
        return 0.0
    chance, before = 0.0, 0.0
    for view in views:
        weight = view.new_call_chance - before
        before = view.new_call_chance
        if weight > 0.0:
            chance += weight * view.no_agent_chance(new_calls - 1)
    return chance / total


def abandon_target(snapshot: PacingSnapshot, settings: PacingSettings) -> float:
    """The abandon chance allowed to a new call: target_share of the limit while the window's rate is
    at most that, tapering linearly to 0 as the rate reaches the limit (the model errs on the hopeful
    side; the window's rate corrects it)."""
    budget = snapshot.budget
    if budget is None:
        return settings.target_share * DEFAULT_LIMIT
    full = settings.target_share * budget.limit
    if settings.target_share >= 1.0:
        return full if budget.rate(snapshot.now) < budget.limit else 0.0
    taper = (budget.limit - budget.rate(snapshot.now)) / (budget.limit - full)
    return full * min(1.0, max(0.0, taper))


def predictive_calls(snapshot: PacingSnapshot, settings: PacingSettings) -> int:
    """Calls to place now; never fewer than progressive would place."""
    floor = progressive_calls(snapshot)
    stats = snapshot.statistics
    budget = snapshot.budget
    warming_up = stats.dials < settings.warm_up_dials or len(stats.talk_seconds) < settings.warm_up_talks
    if warming_up or not stats.connect_times:
        return floor
    room = math.inf if budget is None else budget.affordable(snapshot.now)
    if room <= 0.0:
        return floor  # the window is at its limit already: no call may risk an abandon
    target = abandon_target(snapshot, settings)
    views, live_now = outlooks(snapshot)

    def keeps_the_budget(n: int) -> bool:
        if n == 0:
            return True
        chance = abandon_chance(views, n)
        if chance > target:
            return False
        if budget is None:
            return True
        live = live_now + n * stats.person_rate
        machines = budget.machine_weight * stats.machine_rate * (snapshot.calls_in_progress + n)
        if abandons_at_worst(snapshot, n) + machines > room:
            return False
        return live * chance + machines <= budget.affordable(snapshot.now, live + machines)

    in_flight = snapshot.calls_in_progress + snapshot.persons_waiting
    ceiling = max(0, math.floor(settings.max_lines_per_agent * snapshot.agents_not_in_wrap_up) - in_flight)
    return max(floor, largest_keeping(keeps_the_budget, ceiling))


def abandons_at_worst(snapshot: PacingSnapshot, new_calls: int) -> int:
    """The abandons if every call in flight and `new_calls` new ones were answered by a person and no
    seat came free: the persons beyond the idle seats. Progressive dialling keeps this at 0."""
    in_flight = snapshot.calls_in_progress + snapshot.persons_waiting + new_calls
    return max(0, in_flight - snapshot.idle_agents)


def largest_keeping(keeps: Callable[[int], bool], ceiling: int) -> int:
    """The largest n in [0, ceiling] with keeps(n), by binary search: the kept n must be a prefix (the
    abandon chance grows with n wherever it is under 1/2). 0 when 0 is not kept."""
    if not keeps(0):
        return 0
    low, high = 0, ceiling  # keeps(low) holds
    while low < high:
        middle = (low + high + 1) // 2
        if keeps(middle):
            low = middle
        else:
            high = middle - 1
    return low
