"""Predictive dialling, simulated: a seeded day of outbound calls for each dial method, side by side.

Preview, progressive, predictive (ivr_scripts.campaigns.pacing) and the baseline after VICIdial's
ADAPT_TAPERED (ivr_scripts.campaigns.pacing_vicidial) dial the same scenario (same seed) at several
person-answer rates and handle times, under US rules; then the methods with an AMD under UK rules
(the people the AMD hangs up on count as abandons). The model (rates, distributions, seeds) is in
docs/pacing.md; the figures are recorded in docs/performance.md ("Predictive dialling: the simulated day").

Run: .venv/bin/python -m tests.bench.dialer_sim [HOURS]   (or: .venv/bin/python -m tests.bench dialer)
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterable

from dialplans.campaign_vocabulary import Jurisdiction
from tests.bench.dialer_sim_engine import simulate
from tests.bench.dialer_sim_model import Method, Result, Scenario

PERSON_RATES = (0.15, 0.30, 0.50)
AHTS = (90.0, 180.0, 300.0)
MACHINE_RATE = 0.20
BUSY_RATE = 0.05
UNREACHABLE_RATE = 0.05
TARGET_TALK_MINUTES = 50.0
TARGET_ABANDON_PERCENT = 3.0
UK_METHODS = (Method.PROGRESSIVE, Method.PREDICTIVE, Method.VICIDIAL)
"""Preview has no AMD (the agent listens): nothing to count in the uk that the us does not."""


def scenarios(hours: float) -> list[Scenario]:
    return [
        Scenario(
            person_rate=person,
            machine_rate=MACHINE_RATE,
            busy_rate=BUSY_RATE,
            unreachable_rate=UNREACHABLE_RATE,
            aht_seconds=aht,
            hours=hours,
        )
        for person in PERSON_RATES
        for aht in AHTS
    ]


def rows(results: Iterable[Result]) -> list[str]:
    """One line per method of one scenario, with the ratios to the baseline's."""
    by_method = {result.method: result for result in results}
    baseline = by_method[Method.VICIDIAL]
    lines = []
    for method, result in by_method.items():
        talk_ratio = result.talk_minutes_per_agent_hour / baseline.talk_minutes_per_agent_hour
        utilisation_ratio = result.utilisation / baseline.utilisation
        lines.append(
            f"| {method:<14} | {result.talk_minutes_per_agent_hour:5.1f} | {result.abandon_percent:5.2f} "
            f"| {100 * result.utilisation:5.1f} | {result.dials_per_hour:6.0f} "
            f"| {talk_ratio:4.2f} | {utilisation_ratio:4.2f} |"
        )
    return lines


def meets_target(result: Result) -> bool:
    return (
        result.talk_minutes_per_agent_hour >= TARGET_TALK_MINUTES
        and result.abandon_percent <= TARGET_ABANDON_PERCENT
    )


HEADER = "| method | talk min/agent-h | abandon % | utilisation % | dials/h | talk x base | util x base |"


def print_day(scenario: Scenario, day: list[Result], seconds: float) -> None:
    uk = scenario.jurisdiction is Jurisdiction.UK
    rules = f"uk (AMD false positives counted, f = {scenario.amd_false_positive_rate:.4f})" if uk else "us"
    print(
        f"\nperson {scenario.person_rate:.0%}, machine {scenario.machine_rate:.0%}, "
        f"AHT {scenario.aht_seconds:.0f} s, {scenario.agents} agents, {scenario.hours:g} h, "
        f"seed {scenario.seed}, {rules} ({seconds:.1f} s)"
    )
    print(HEADER)
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows(day)), flush=True)


def run(hours: float = 8.0) -> list[Result]:
    """Every scenario with every method under us rules, then with the AMD's methods under uk rules;
    prints the tables; returns the results."""
    results: list[Result] = []
    for us in scenarios(hours):
        uk = dataclasses.replace(us, jurisdiction=Jurisdiction.UK)
        for scenario, methods in ((us, tuple(Method)), (uk, UK_METHODS)):
            started = time.perf_counter()
            day = [simulate(method, scenario) for method in methods]
            results += day
            print_day(scenario, day, time.perf_counter() - started)
    for jurisdiction in Jurisdiction:
        paced = [
            r for r in results if r.method is Method.PREDICTIVE and r.scenario.jurisdiction is jurisdiction
        ]
        met = [result for result in paced if meets_target(result)]
        print(
            f"\npredictive ({jurisdiction}) at >= {TARGET_TALK_MINUTES:g} talk min/agent-h and "
            f"<= {TARGET_ABANDON_PERCENT:g}% abandons: {len(met)} of {len(paced)} scenarios"
        )
    return results


if __name__ == "__main__":
    run(float(sys.argv[1]) if len(sys.argv) > 1 else 8.0)
