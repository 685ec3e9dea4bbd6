"""A seeded synthetic call centre history for the report benchmark: N inbound calls over D days, as
the rows of calls, ivr_steps, queue_log, agent_legs, agents, agent_state_log and survey_responses, in
PostgreSQL COPY text format (tests/bench/report_bench.py loads them; docs/performance.md, "Report").

The distributions (all times UTC, the centre's own clock; milliseconds throughout):
- Days: weekday weights (Monday busiest, Sunday a quarter of it); within a day a two-hump arrival curve
  (a morning peak near 10:30, an afternoon one near 15:00, a little all day 07:00-21:00).
- IVR: a greeting, then the main menu: 1 sales, 2 support, 3 the billing menu (1 billing queue,
  2 balance read out: contained, nothing: dropped), 4 opening hours (contained), no key: dropped.
  Each step takes 2-12 s.
- Queue: agents in 8-hour shifts staggered over the day, one 30-minute break each, serving every
  queue first come first served; a caller waits for the first free agent, or abandons when their
  patience (lognormal, median 60 s) runs out first, or leaves after 10 minutes (EXITWITHTIMEOUT).
- Handling: ring 2-8 s, talk lognormal per queue (median 170-330 s), wrap-up 5 s + lognormal.
- Surveys: a quarter of answered calls rate the agent (csat, 1-5, skewed high), most also `resolved`.
- Callers: numbers from a pool a third of the calls' size, so some call again.

Not generated: outbound calls, callbacks, agents not answering (RINGNOANSWER), transfers.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

DAY_MS: Final = 86_400_000
WEEKDAY_WEIGHTS: Final = (1.15, 1.05, 1.0, 1.0, 0.95, 0.45, 0.3)  # Monday first
SHIFT_STARTS_H: Final = (6.5, 7.5, 8.5, 9.0, 10.0, 11.0, 12.5, 13.5)
SHIFT_WEIGHTS: Final = (1, 3, 4, 3, 2, 2, 3, 1)
QUEUE_TALK_MEDIAN_S: Final = {"sales": 250.0, "support": 330.0, "billing": 170.0}
OCCUPANCY_TARGET: Final = 0.78
MAX_WAIT_MS: Final = 600_000
COLUMNS: Final = {
    "calls": "uuid, direction, caller_number, did, started_at, answered_at, ended_at, duration_s, "
    "outcome, updated_at",
    "ivr_steps": "call_uuid, seq, menu, prompt, digits, result, at",
    "queue_log": "at, call_uuid, queue, agent_id, event, wait_s, talk_s, position, data",
    "agent_legs": "leg_uuid, call_uuid, queue, agent_id, outcome, offered_at, answered_at, ended_at, "
    "ring_ms, talk_ms, cause, callback, server",
    "agent_state_log": "agent_id, version, from_state, to_state, trigger, reason, call_uuid, at, server",
    "survey_responses": "call_uuid, survey, question, score, agent_id, queue, answered_at",
}
N: Final = "\\N"
CLOCK: Final = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]  # HH:MM:SS


@dataclass
class History:
    """`calls` calls over `days` days from `first_day` 00:00 UTC, drawn from `seed`."""

    calls: int
    days: int = 90
    first_day: dt.date = dt.date(2026, 9, 6)
    seed: int = 13
    _day_text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._day_text = [str(self.first_day + dt.timedelta(days=d)) for d in range(self.days + 2)]

    def ts(self, ms: int) -> str:
        second, milli = divmod(ms, 1000)
        day, second = divmod(second, 86_400)
        return f"{self._day_text[day]} {CLOCK[second]}.{milli:03d}+00"

    def calls_per_day(self) -> list[int]:
        weights = [
            WEEKDAY_WEIGHTS[(self.first_day + dt.timedelta(days=d)).weekday()] for d in range(self.days)
        ]
        total = sum(weights)
        counts = [int(self.calls * w / total) for w in weights]
        counts[0] += self.calls - sum(counts)
        return counts

    def agents(self) -> int:
        """Enough agents for the busiest day (AHT ~ 300 s of the ~75 % of calls that reach a queue)."""
        busiest = max(self.calls_per_day())
        return max(4, math.ceil(busiest * 0.75 * 300 / (7.5 * 3600) / OCCUPANCY_TARGET))

    def agent_rows(self) -> Iterator[str]:
        start = self.ts(0)
        for a in range(self.agents()):
            yield f"{agent_id(a)}\tAgent {a}\tlogged_out\t{start}\t0\t1\t{start}\n"

    def days_of_rows(self) -> Iterator[dict[str, list[str]]]:
        """Each day's rows per table (COPY text lines), in day order."""
        versions = [0] * self.agents()
        serial = 0
        for day, count in enumerate(self.calls_per_day()):
            rng = random.Random(self.seed * 100_003 + day)
            simulator = DaySimulator(self, rng, day, versions, serial)
            yield simulator.run(count)
            serial += count


AGENT_COLUMNS: Final = "agent_id, name, state, state_since, consecutive_no_answers, version, updated_at"


def agent_id(index: int) -> str:
    return f"A{index:05d}"


def call_uuid(serial: int) -> str:
    return f"00000000-0000-4000-8000-{serial:012x}"


class DaySimulator:
    """One day: arrivals, the IVR, then the queue served by the day's agents in arrival order."""

    def __init__(self, history: History, rng: random.Random, day: int, versions: list[int], serial: int):
        self.h, self.rng, self.day, self.versions, self.serial = history, rng, day, versions, serial
        self.rows: dict[str, list[str]] = {table: [] for table in COLUMNS}
        self.day_ms = day * DAY_MS

    def run(self, count: int) -> dict[str, list[str]]:
        queued: list[tuple[int, int, str, int]] = []  # (entered, call serial, queue, started)
        for n in range(count):
            started = self.day_ms + self._arrival_ms()
            queue, entered = self._ivr(self.serial + n, started)
            if queue is not None:
                queued.append((entered, self.serial + n, queue, started))
        queued.sort()
        self._serve(queued)
        return self.rows

    def _arrival_ms(self) -> int:
        """06:30 to 21:00: a draw outside the opening hours is drawn again."""
        while True:
            r = self.rng.random()
            if r < 0.08:
                hour = self.rng.uniform(7.0, 21.0)
            elif r < 0.55:
                hour = self.rng.gauss(10.5, 1.3)
            else:
                hour = self.rng.gauss(15.0, 1.6)
            if 6.5 <= hour < 21.0:
                return int(hour * 3_600_000)

    def _ivr(self, serial: int, started: int) -> tuple[str | None, int]:
        """The call's IVR steps; the queue it reached and when, or None (the call row written here)."""
        uuid, at, steps = call_uuid(serial), started, self.rows["ivr_steps"]
        choice, queue, outcome = self.rng.random(), None, "queued"
        path = [("main", N, "played")]
        if choice < 0.28:
            path.append(("main", "1", "ok"))
            queue = "sales"
        elif choice < 0.60:
            path.append(("main", "2", "ok"))
            queue = "support"
        elif choice < 0.80:
            path.append(("main", "3", "ok"))
            sub = self.rng.random()
            if sub < 0.6:
                path.append(("billing", "1", "ok"))
                queue = "billing"
            elif sub < 0.9:
                path += [("billing", "2", "ok"), ("balance", N, "played"), ("balance", N, "hangup")]
                outcome = "hangup"
            else:
                path += [("billing", N, "timeout"), ("billing", N, "caller_hangup")]
                outcome = "caller_hangup"
        elif choice < 0.92:
            path += [("main", "4", "ok"), ("hours", N, "played"), ("hours", N, "hangup")]
            outcome = "hangup"
        else:
            path += [("main", N, "timeout"), ("main", N, "caller_hangup")]
            outcome = "caller_hangup"
        if queue is not None:
            path.append(("main" if queue != "billing" else "billing", N, "queue"))
        for seq, (menu, digits, result) in enumerate(path, start=1):
            at += self.rng.randint(2000, 12000)
            steps.append(f"{uuid}\t{seq}\t{menu}\t\\N\t{digits}\t{result}\t{self.h.ts(at)}\n")
        if queue is None:
            self._call(uuid, serial, started, None, at, outcome)
        return queue, at

    def _call(
        self, uuid: str, serial: int, started: int, answered: int | None, ended: int, outcome: str
    ) -> None:
        caller = f"+1555{self.rng.randrange(max(1, self.h.calls // 3)):07d}"
        did = ("4001", "4002", "4003")[serial % 3]
        ts = self.h.ts
        self.rows["calls"].append(
            f"{uuid}\tinbound\t{caller}\t{did}\t{ts(started)}\t{N if answered is None else ts(answered)}\t"
            f"{ts(ended)}\t{(ended - started) / 1000}\t{outcome}\t{ts(ended)}\n"
        )

    def _serve(self, queued: list[tuple[int, int, str, int]]) -> None:
        agents = AgentFloor(self)
        for entered, serial, queue, started in queued:
            uuid = call_uuid(serial)
            self._log(entered, uuid, queue, "", "ENTERQUEUE", N, N, "1")
            patience = int(self.rng.lognormvariate(math.log(60_000), 1.0))
            ring = self.rng.randint(2000, 8000)
            taken = agents.take(entered, patience, ring)
            if taken is None:
                gone = entered + min(patience, MAX_WAIT_MS)
                event = "ABANDON" if patience < MAX_WAIT_MS else "EXITWITHTIMEOUT"
                self._log(gone, uuid, queue, "", event, (gone - entered) / 1000, N, "1")
                self._call(
                    uuid,
                    serial,
                    started,
                    None,
                    gone + 500,
                    "abandoned" if event == "ABANDON" else "transferred",
                )
                continue
            agent, offered = taken
            self._handle(agents, agent, uuid, serial, queue, started, entered, offered, ring)
        agents.log_everyone_out()

    def _handle(
        self, agents: AgentFloor, agent: int, uuid: str, serial: int, queue: str, started: int,
        entered: int, offered: int, ring: int,
    ) -> None:  # fmt: skip
        answered = offered + ring
        talk = int(self.rng.lognormvariate(math.log(QUEUE_TALK_MEDIAN_S[queue] * 1000), 0.6))
        ended = answered + talk
        wrap = 5000 + int(self.rng.lognormvariate(math.log(15_000), 0.5))
        wait = (answered - entered) / 1000
        aid = agent_id(agent)
        self._log(answered, uuid, queue, aid, "CONNECT", wait, N, N)
        end_event = "COMPLETECALLER" if serial % 2 else "COMPLETEAGENT"
        self._log(ended, uuid, queue, aid, end_event, wait, talk / 1000, N)
        ts = self.h.ts
        self.rows["agent_legs"].append(
            f"{call_uuid(serial + (1 << 44))}\t{uuid}\t{queue}\t{aid}\tanswered\t"
            f"{ts(offered)}\t{ts(answered)}\t"
            f"{ts(ended)}\t{ring}\t{talk}\t\\N\tf\tapp-1\n"
        )
        for at, before, state, call in (
            (offered, "available", "ringing", uuid),
            (answered, "ringing", "on_call", uuid),
            (ended, "on_call", "wrap_up", uuid),
            (ended + wrap, "wrap_up", "available", N),
        ):
            self.state(agent, at, before, state, call)
        agents.free(agent, ended + wrap)
        self._call(uuid, serial, started, answered, ended, "answered")
        if self.rng.random() < 0.25:
            self._survey(uuid, aid, queue, ended)

    def _survey(self, uuid: str, aid: str, queue: str, ended: int) -> None:
        score = self.rng.choices((5, 4, 3, 2, 1), (45, 25, 12, 8, 10))[0]
        rows = self.rows["survey_responses"]
        rows.append(f"{uuid}\tafter_call\tcsat\t{score}\t{aid}\t{queue}\t{self.h.ts(ended + 15_000)}\n")
        if self.rng.random() < 0.7:
            resolved = 1 if self.rng.random() < 0.8 else 2
            rows.append(
                f"{uuid}\tafter_call\tresolved\t{resolved}\t{aid}\t{queue}\t{self.h.ts(ended + 25_000)}\n"
            )

    def _log(
        self, at: int, uuid: str, queue: str, agent: str, event: str, wait: object, talk: object, pos: str
    ) -> None:
        self.rows["queue_log"].append(
            f"{self.h.ts(at)}\t{uuid}\t{queue}\t{agent}\t{event}\t{wait}\t{talk}\t{pos}\t\\N\n"
        )

    def state(self, agent: int, at: int, before: str, state: str, call: str, reason: str = N) -> None:
        self.versions[agent] += 1
        self.rows["agent_state_log"].append(
            f"{agent_id(agent)}\t{self.versions[agent]}\t{before}\t{state}\tsim\t{reason}\t{call}\t{self.h.ts(at)}\tapp-1\n"
        )


class AgentFloor:
    """The day's agents: who is free when, shifts, one break each; first free agent takes the call."""

    def __init__(self, day: DaySimulator) -> None:
        self.day = day
        working = max(
            2,
            round(
                day.h.agents()
                * WEEKDAY_WEIGHTS[(day.h.first_day + dt.timedelta(days=day.day)).weekday()]
                / 1.15
            ),
        )
        self.shift_end: dict[int, int] = {}
        self.break_after: dict[int, int] = {}
        self.free_at: list[tuple[int, int]] = []
        for agent in range(working):
            start_h = day.rng.choices(SHIFT_STARTS_H, SHIFT_WEIGHTS)[0]
            start = day.day_ms + int(start_h * 3_600_000)
            self.shift_end[agent] = start + 8 * 3_600_000
            self.break_after[agent] = start + int(day.rng.uniform(3.0, 5.0) * 3_600_000)
            day.state(agent, start, "logged_out", "available", N)
            heapq.heappush(self.free_at, (start, agent))

    def take(self, entered: int, patience: int, ring: int) -> tuple[int, int] | None:
        """(agent, offered at) of the first agent free in time for the caller, or None: they leave."""
        while self.free_at:
            free, agent = self.free_at[0]
            offered = max(entered, free)
            if offered >= self.shift_end[agent]:
                heapq.heappop(self.free_at)
                self.day.state(agent, max(free, self.shift_end[agent]), "available", "logged_out", N)
                del self.shift_end[agent]
                continue
            if offered + ring - entered > min(patience, MAX_WAIT_MS):
                return None
            heapq.heappop(self.free_at)
            return agent, offered
        return None

    def free(self, agent: int, at: int) -> None:
        if agent in self.break_after and at >= self.break_after[agent]:
            del self.break_after[agent]
            self.day.state(agent, at, "available", "on_break", N, "lunch")
            self.day.state(agent, at + 1_800_000, "on_break", "available", N)
            at += 1_800_000
        heapq.heappush(self.free_at, (at, agent))

    def log_everyone_out(self) -> None:
        for free, agent in self.free_at:
            self.day.state(agent, max(free, self.shift_end[agent]), "available", "logged_out", N)
