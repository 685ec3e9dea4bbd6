"""The dialling simulation's model: a scenario's rates and distributions, and one run's tallies.

docs/pacing.md ("The simulation") describes the same model in words.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from enum import StrEnum

from dialplans.campaign_vocabulary import Jurisdiction


class Method(StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    VICIDIAL = "vicidial-adapt"


class Reached(StrEnum):
    """What a dial reaches, before the AMD's opinion."""

    PERSON = "person"
    MACHINE = "machine"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Scenario:
    person_rate: float = 0.30
    machine_rate: float = 0.20
    busy_rate: float = 0.05
    unreachable_rate: float = 0.05
    """The rest of the dials ring out unanswered."""
    aht_seconds: float = 180.0
    """Average handle time with a person: talk plus wrap-up."""
    wrap_seconds: float = 15.0
    talk_sigma: float = 0.6
    """Shape of the lognormal talk time (its mean is aht - wrap)."""
    agents: int = 20
    hours: float = 8.0
    ring_seconds: float = 25.0
    """No answer after this."""
    answer_mean_seconds: float = 9.0
    """Mean ringing before a person or a machine answers (lognormal, shape 0.5, below ring_seconds)."""
    busy_seconds: float = 4.0
    unreachable_seconds: float = 3.0
    amd_person_seconds: float = 2.5
    amd_machine_seconds: float = 3.5
    amd_person_error: float = 0.02
    """People the AMD takes for machines (hung up on)."""
    amd_machine_error: float = 0.05
    """Machines the AMD takes for people (handed to an agent, who hangs up)."""
    machine_talk_seconds: float = 8.0
    """An agent's time on a machine before hanging up (then wrap-up, or the next record in preview)."""
    review_seconds: float = 10.0
    """Preview: the agent reads the record before dialling."""
    seed: int = 12
    jurisdiction: Jurisdiction = Jurisdiction.US
    """uk: the budget counts estimated AMD false positives, and so does the abandon %."""

    def __post_init__(self) -> None:
        answered = self.person_rate + self.machine_rate + self.busy_rate + self.unreachable_rate
        if not 0.0 <= answered <= 1.0:
            raise ValueError(f"scenario rates must add up to at most 1, got {answered!r}")
        if self.aht_seconds <= self.wrap_seconds:
            raise ValueError(
                f"aht_seconds ({self.aht_seconds}) must exceed wrap_seconds ({self.wrap_seconds})"
            )

    @property
    def duration(self) -> float:
        return self.hours * 3600.0

    @property
    def amd_false_positive_rate(self) -> float:
        """People among the AMD's machine verdicts: the estimate a campaign that measured its AMD sets."""
        people = self.person_rate * self.amd_person_error
        machines = self.machine_rate * (1.0 - self.amd_machine_error)
        return people / (people + machines) if people + machines else 0.0


@dataclass
class Draws:
    """The scenario's random draws, from one seeded generator."""

    scenario: Scenario
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.scenario.seed)

    def reached(self) -> Reached:
        s = self.scenario
        u = self.rng.random()
        for reached, rate in (
            (Reached.PERSON, s.person_rate),
            (Reached.MACHINE, s.machine_rate),
            (Reached.BUSY, s.busy_rate),
            (Reached.UNREACHABLE, s.unreachable_rate),
        ):
            if u < rate:
                return reached
            u -= rate
        return Reached.NO_ANSWER

    def ringing(self, reached: Reached) -> float:
        s = self.scenario
        if reached is Reached.BUSY:
            return s.busy_seconds
        if reached is Reached.UNREACHABLE:
            return s.unreachable_seconds
        if reached is Reached.NO_ANSWER:
            return s.ring_seconds
        sigma = 0.5
        ring = self.rng.lognormvariate(math.log(s.answer_mean_seconds) - sigma * sigma / 2, sigma)
        return min(ring, s.ring_seconds - 0.5)

    def amd_says_person(self, reached: Reached) -> bool:
        s = self.scenario
        if reached is Reached.PERSON:
            return self.rng.random() >= s.amd_person_error
        return self.rng.random() < s.amd_machine_error

    def talk(self) -> float:
        s = self.scenario
        mean = s.aht_seconds - s.wrap_seconds
        return self.rng.lognormvariate(math.log(mean) - s.talk_sigma**2 / 2, s.talk_sigma)


@dataclass
class Tally:
    """One run's counts and agent seconds (clipped at the end of the day)."""

    dials: int = 0
    connected: int = 0
    """People handed to an agent."""
    dropped: int = 0
    """People who answered and found no agent within 2 s."""
    amd_hung_up_on: int = 0
    """People the AMD took for machines."""
    machines_to_agents: int = 0
    talk_seconds: float = 0.0
    """Agents' time talking with people."""
    busy_seconds: float = 0.0
    """Agents' time on calls (people and machines) and in wrap-up."""

    @property
    def live(self) -> int:
        return self.connected + self.dropped

    def abandon_share(self) -> float:
        return self.dropped / self.live if self.live else 0.0


@dataclass(frozen=True)
class Result:
    method: Method
    scenario: Scenario
    tally: Tally

    @property
    def agent_hours(self) -> float:
        return self.scenario.agents * self.scenario.hours

    @property
    def talk_minutes_per_agent_hour(self) -> float:
        return self.tally.talk_seconds / 60.0 / self.agent_hours

    @property
    def abandon_percent(self) -> float:
        """Dropped / live answers; in the uk the people the AMD hung up on are abandons and live answers."""
        tally = self.tally
        if self.scenario.jurisdiction is Jurisdiction.UK:
            live = tally.live + tally.amd_hung_up_on
            return 100.0 * (tally.dropped + tally.amd_hung_up_on) / live if live else 0.0
        return 100.0 * tally.abandon_share()

    @property
    def utilisation(self) -> float:
        return self.tally.busy_seconds / (self.agent_hours * 3600.0)

    @property
    def dials_per_hour(self) -> float:
        return self.tally.dials / self.scenario.hours
