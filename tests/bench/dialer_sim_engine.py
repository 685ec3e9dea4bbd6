"""The dialling simulation's event loop (heapq): one method, one scenario, one seeded day."""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dialplans.campaign_vocabulary import AttemptOutcome, DialMode, Jurisdiction
from ivr_scripts.campaigns.abandons import AbandonBudget
from ivr_scripts.campaigns.pacing import PacingSettings, PacingSnapshot, decide
from ivr_scripts.campaigns.pacing_model import DEFAULT_SETTINGS
from ivr_scripts.campaigns.pacing_stats import StatisticsLearner
from ivr_scripts.campaigns.pacing_vicidial import AdaptSettings, VicidialAdaptPacer
from tests.bench.dialer_sim_model import Draws, Method, Reached, Result, Scenario, Tally

GRACE = 2.0
TICK = 1.0
BASELINE = AdaptSettings(max_level=2.0)
"""The baseline at its best of a small grid (step down 0.05-0.4, maximum level 2.0 or VICIdial's 3.0):
a maximum of 3.0 overshoots at low answer rates and costs it a third of its talk time there."""


def baseline_settings(scenario: Scenario) -> AdaptSettings:
    """VICIdial knows no AMD false positives: in the uk its drop target is lowered by their share of the
    live answers (the people the AMD hangs up on), as an operator would set it."""
    target = BASELINE.target_drop_percent
    if scenario.jurisdiction is Jurisdiction.UK:
        target -= 100.0 * scenario.amd_person_error
    return dataclasses.replace(BASELINE, shift_seconds=scenario.duration, target_drop_percent=target)


@dataclass
class Call:
    dialled_at: float
    reached: Reached
    agent: int | None = None
    """Preview only: the agent who dialled it and waits on it."""
    done: bool = False


class Day:
    """One simulated day. `run()` returns the result; every event re-runs the pacer (paced methods)."""

    def __init__(
        self, method: Method, scenario: Scenario, settings: PacingSettings = DEFAULT_SETTINGS
    ) -> None:
        self.method = method
        self.scenario = scenario
        self.settings = settings
        self.end = scenario.duration
        self.draws = Draws(scenario)
        self.tally = Tally()
        self.now = 0.0
        self._events: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._sequence = itertools.count()
        self.idle: list[int] = list(range(scenario.agents))
        self.talk_started: dict[int, float] = {}
        self.wrap_ends: dict[int, float] = {}
        self.in_progress: dict[int, float] = {}  # id(call) -> dialled at
        self.waiting: deque[Call] = deque()
        self.learner = StatisticsLearner()
        self.budget = AbandonBudget(
            scenario.jurisdiction, amd_false_positive_rate=scenario.amd_false_positive_rate
        )
        self.baseline = VicidialAdaptPacer(0.0, baseline_settings(scenario))

    def at(self, when: float, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._events, (when, next(self._sequence), action, args))

    def run(self) -> Result:
        if self.method is Method.PREVIEW:
            for agent in list(self.idle):
                self.idle.remove(agent)
                self.at(self.scenario.review_seconds, self.preview_dial, agent)
        else:
            self.at(0.0, self.tick)
        while self._events and self._events[0][0] < self.end:
            self.now, _, action, args = heapq.heappop(self._events)
            action(*args)
            if self.method is not Method.PREVIEW:
                self.pace()
        return Result(self.method, self.scenario, self.tally)

    # The pacer.

    def tick(self) -> None:
        self.at(self.now + TICK, self.tick)

    def snapshot(self, mode: DialMode) -> PacingSnapshot:
        return PacingSnapshot(
            now=self.now,
            mode=mode,
            idle_agents=len(self.idle),
            talk_started=tuple(self.talk_started.values()),
            wrap_up_ends=tuple(self.wrap_ends.values()),
            calls_dialled_at=tuple(self.in_progress.values()),
            persons_waiting=len(self.waiting),
            statistics=self.learner.statistics(),
            budget=self.budget,
        )

    def pace(self) -> None:
        if self.method is Method.VICIDIAL:
            calls = self.baseline.decide(self.snapshot(DialMode.PREDICTIVE))
        else:
            calls = decide(self.snapshot(DialMode(self.method.value)), self.settings)
        for _ in range(calls):
            self.dial(None)

    def record(self, outcome: AttemptOutcome) -> None:
        self.budget.record(self.now, outcome)
        self.baseline.record(outcome)

    # Dials.

    def dial(self, agent: int | None) -> None:
        reached = self.draws.reached()
        call = Call(self.now, reached, agent)
        self.tally.dials += 1
        self.in_progress[id(call)] = self.now
        self.at(self.now + self.draws.ringing(reached), self.answered, call)

    def answered(self, call: Call) -> None:
        if call.agent is not None:
            self.preview_answered(call)
        elif call.reached in (Reached.PERSON, Reached.MACHINE):
            seconds = self.scenario.amd_person_seconds
            if call.reached is Reached.MACHINE:
                seconds = self.scenario.amd_machine_seconds
            self.at(self.now + seconds, self.amd_decided, call)
        else:
            del self.in_progress[id(call)]
            self.learner.dial_resolved(self.now - call.dialled_at)

    def amd_decided(self, call: Call) -> None:
        del self.in_progress[id(call)]
        if not self.draws.amd_says_person(call.reached):
            if call.reached is Reached.PERSON:
                self.tally.amd_hung_up_on += 1
            self.learner.dial_resolved(self.now - call.dialled_at, machine=True)
            self.record(AttemptOutcome.MACHINE)
            return
        self.learner.dial_resolved(self.now - call.dialled_at, person=True)
        self.waiting.append(call)
        self.at(self.now + GRACE, self.grace_over, call)
        self.hand_over()

    def hand_over(self) -> None:
        while self.waiting and self.idle:
            call = self.waiting.popleft()
            call.done = True
            self.connect(self.idle.pop(), call.reached)

    def grace_over(self, call: Call) -> None:
        if call.done:
            return
        call.done = True
        self.waiting.remove(call)
        if call.reached is Reached.PERSON:
            self.tally.dropped += 1
            self.record(AttemptOutcome.DROPPED)

    # Agents.

    def connect(self, agent: int, reached: Reached) -> None:
        if reached is Reached.PERSON:
            talk = self.draws.talk()
            self.tally.connected += 1
            self.tally.talk_seconds += min(talk, self.end - self.now)
            self.record(AttemptOutcome.HUMAN)
        else:
            talk = self.scenario.machine_talk_seconds
            self.tally.machines_to_agents += 1
        self.tally.busy_seconds += min(talk + self.scenario.wrap_seconds, self.end - self.now)
        self.talk_started[agent] = self.now
        self.at(self.now + talk, self.talk_ended, agent, reached)

    def talk_ended(self, agent: int, reached: Reached) -> None:
        started = self.talk_started.pop(agent)
        wrap = self.scenario.wrap_seconds
        if reached is Reached.PERSON:
            self.learner.call_ended(self.now - started, wrap)
        self.wrap_ends[agent] = self.now + wrap
        self.at(self.now + wrap, self.wrap_ended, agent)

    def wrap_ended(self, agent: int) -> None:
        del self.wrap_ends[agent]
        if self.method is Method.PREVIEW:
            self.at(self.now + self.scenario.review_seconds, self.preview_dial, agent)
            return
        self.idle.append(agent)
        self.hand_over()

    # Preview: the agent reviews the record, dials it and listens.

    def preview_dial(self, agent: int) -> None:
        self.dial(agent)

    def preview_answered(self, call: Call) -> None:
        del self.in_progress[id(call)]
        agent = call.agent
        assert agent is not None
        if call.reached is Reached.PERSON:
            self.connect(agent, call.reached)
            return
        listened = self.scenario.machine_talk_seconds if call.reached is Reached.MACHINE else 0.0
        self.at(self.now + listened + self.scenario.review_seconds, self.preview_dial, agent)


def simulate(method: Method, scenario: Scenario, settings: PacingSettings = DEFAULT_SETTINGS) -> Result:
    return Day(method, scenario, settings).run()
