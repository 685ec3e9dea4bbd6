"""A progressive campaign dialled by the real DialerRuntime through the stand-in switch, over real TCP, on
SQLite and PostgreSQL.

200 numbers are imported with the real list import; 10 were on the DNC list before the import, 10 more
are opted out after it but before their dial time. Four agents take seats (their phones answer and
park); the stand-in's customers answer as people, machines, busy or not at all at the configured rates
(tests/support/standin/customers.py, seeded, frames pinned to tests/transcripts/*/campaign_*). The
dialer's clock runs from 09:00 in Chicago at the real pace and is moved on 3 hours once every due lead
has been dialled, so busy (15 min) and no answer (2 h) come due again and the late opt-outs' time comes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import gevent
import pytest
from sqlalchemy import Engine, select, update

from customer_import.lead_import import LeadImportOptions, import_leads
from customer_import.lead_rows import lead_columns
from customer_import.sources import open_source
from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import AttemptOutcome, CampaignStatus
from dialplans.loader import load_dialplan
from esl_handlers.dialer import CampaignAudio
from esl_handlers.dialer_runtime import DialerRuntime, DialerWiring, EslAddress
from esl_handlers.switch import EslSwitch
from ivr_scripts.agent_service import AgentService
from schema.acd.agents import upsert_agents
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.campaigns.attempts import Attempt, attempts
from schema.campaigns.dnc import add_dnc
from schema.campaigns.leads import LEADS
from schema.campaigns.status import transition
from tests.support.campaign_leads import NOW
from tests.support.dialplans import EXAMPLE
from tests.support.standin import InboundSwitch
from tests.support.standin.agents import AgentPhone
from tests.support.standin.customers import Customers, Kind
from tests.support.waiting import wait_until

pytestmark = pytest.mark.wire

PASSWORD: Final = "standin"
DOMAIN: Final = "callcenter.local"
AGENTS: Final = ("1001", "1002", "1003", "1004")
RATES: Final[dict[Kind, float]] = {"person": 0.4, "machine": 0.3, "busy": 0.15, "no_answer": 0.15}
TOLERANCE: Final = 0.08  # each outcome's share of the first attempts within 8 points of its rate
NUMBERS: Final = tuple(f"+1312210{n:04d}" for n in range(200))
DNC_AT_IMPORT: Final = NUMBERS[:10]
LATE_OPT_OUTS: Final = NUMBERS[10:20]
DIALLED: Final = NUMBERS[20:]
DROPPED_AUDIO: Final = "/srv/sounds/spring-identification.wav"
MACHINE_AUDIO: Final = "/srv/sounds/spring-machine.wav"
OUTCOME_OF: Final[dict[Kind, AttemptOutcome]] = {
    "person": AttemptOutcome.HUMAN,
    "machine": AttemptOutcome.MACHINE,
    "busy": AttemptOutcome.BUSY,
    "no_answer": AttemptOutcome.NO_ANSWER,
}
SPRING: Final = {
    "type": "telemarketing",
    "agents": list(AGENTS),
    "lists": ["march"],
    "dial_mode": "progressive",
    "caller_id": {"number": "+13125550000", "name": "Acme"},
    "ring_seconds": 15,
    "abandon": {"message": "spring_identification"},
    "wrap_up": 1,  # each seat rests 1 s after a person: short, but the seats' wrap-up is on the wire too
}
MACHINE_ACTION: Final = {"action": "message", "message": "spring_machine"}
JUMP: Final = dt.timedelta(hours=3)


class MovableClock:
    """NOW at the start, then the real pace, plus whatever the test moves it on."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self.moved = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return NOW + dt.timedelta(seconds=time.monotonic() - self._started) + self.moved


@dataclass
class Rig:
    engine: Engine
    switch: InboundSwitch
    customers: Customers
    clock: MovableClock
    runtime: DialerRuntime

    def attempts(self) -> list[Attempt]:
        return attempts(self.engine, "spring", NOW)

    def commands(self, verb: str) -> list[str]:
        """The arguments of every `api <verb> ...` the switch received."""
        return [
            command.argument.partition(" ")[2]
            for session in self.switch.sessions
            for command in session.commands
            if command.verb in ("api", "bgapi") and command.argument.startswith(f"{verb} ")
        ]

    def dialled_numbers(self) -> Counter[str]:
        """How often each number was originated (the stand-in's record of the originates it got)."""
        return Counter(
            number
            for argument in self.switch.agents.originated
            for number in NUMBERS
            if f"/{number} " in argument
        )


def import_list(engine: Engine, folder: Path, numbers: Sequence[str], blocked: int) -> None:
    path = folder / "march.csv"
    path.write_text("phone\n" + "".join(f"{number}\n" for number in numbers), encoding="utf-8")
    with open_source(path) as source:
        columns = lead_columns(source.columns, phone_column="phone")
        summary = import_leads(
            engine,
            source,
            columns,
            folder / "march.errors.csv",
            LeadImportOptions("spring", "march"),
            now=NOW,
        )
    assert summary.leads_added == len(numbers) - blocked


@contextlib.contextmanager
def running_campaign(
    engine: Engine, folder: Path, numbers: Sequence[str], machine: Mapping[str, str]
) -> Iterator[Rig]:
    """`numbers` imported (those already on the DNC list left out), the agents logged in, the campaign
    running, and the dialer started on the stand-in; stopped after the block."""
    blocked = sum(1 for number in numbers if number in DNC_AT_IMPORT)
    import_list(engine, folder, numbers, blocked)
    upsert_agents(engine, [AgentProfile(agent_id) for agent_id in AGENTS])
    service = AgentService(SqlAgentStore(engine, "s1"), None, lambda: NOW)
    for agent_id in AGENTS:
        service.login(agent_id)
    transition(engine, "spring", CampaignStatus.RUNNING, by="test", now=NOW)
    base = load_dialplan(EXAMPLE).model
    campaign = Campaign.model_validate({**SPRING, "machine": machine})
    model = base.model_copy(update={"campaigns": {"spring": campaign}})
    switch = InboundSwitch(password=PASSWORD)
    for agent_id in AGENTS:
        switch.agents.phone(f"user/{agent_id}@{DOMAIN}", AgentPhone("answer"))
    customers = switch.agents.customers = Customers(RATES, seed=12)
    switch.start()
    host, port = switch.address
    client = EslSwitch(host, port, PASSWORD)
    clock = MovableClock()
    runtime = DialerRuntime(
        model,
        engine,
        client,
        EslAddress(host, port, PASSWORD),
        DialerWiring(
            customer_endpoint="sofia/gateway/pstn/{number}",
            agent_endpoint=lambda agent_id: f"user/{agent_id}@{DOMAIN}",
            on_agent_change=lambda agent_id: None,
            server="s1",
        ),
        audio={"spring": CampaignAudio(dropped=DROPPED_AUDIO, machine=MACHINE_AUDIO)},
        clock=clock,
        tick_seconds=0.05,
    )
    runtime.start()
    try:
        yield Rig(engine, switch, customers, clock, runtime)
    finally:
        runtime.stop()
        client.close()
        switch.stop()


@pytest.fixture
def rig(engine: Engine, tmp_path: Path) -> Iterator[Rig]:
    for number in DNC_AT_IMPORT:
        add_dnc(engine, number, source="internal", now=NOW - dt.timedelta(days=1))
    with running_campaign(engine, tmp_path, NUMBERS, MACHINE_ACTION) as rig:
        with engine.begin() as connection:  # the late opt-outs are due an hour on
            connection.execute(
                update(LEADS)
                .where(LEADS.c.phone_e164.in_(LATE_OPT_OUTS))
                .values(next_attempt_at=NOW + dt.timedelta(hours=1))
            )
        yield rig


def first_attempts(rig: Rig) -> dict[str, Attempt]:
    return {a.phone_e164: a for a in rig.attempts() if a.attempt_no == 1}


def wait_for(rig: Rig, condition: Callable[[list[Attempt]], bool], what: str, timeout: float) -> None:
    wait_until(lambda: condition(rig.attempts()), timeout=timeout, what=what)


def test_a_progressive_campaign_on_the_standin(rig: Rig) -> None:
    started = time.monotonic()
    wait_for(rig, lambda found: {a.phone_e164 for a in found} >= set(DIALLED), "the first pass", 120)
    first_pass = time.monotonic() - started
    gevent.sleep(0.5)  # calls the first pass left in flight end
    for number in LATE_OPT_OUTS:
        assert add_dnc(rig.engine, number, source="internal", now=rig.clock(), reason="opted out by phone")
    kinds = {number: rig.customers.kind_of(number) for number in DIALLED}
    redialled = {number for number, kind in kinds.items() if kind in ("busy", "no_answer")}
    rig.clock.moved = JUMP

    def second_pass_done(found: list[Attempt]) -> bool:
        second = {a.phone_e164 for a in found if a.attempt_no == 2}
        return second >= redialled and {a.phone_e164 for a in found} >= set(LATE_OPT_OUTS)

    wait_for(rig, second_pass_done, "the retries and the late opt-outs", 60)
    rig.runtime.stop()
    logged = rig.attempts()
    first = first_attempts(rig)

    # DNC: never dialled, whether listed before the import or opted out after it.
    dialled = rig.dialled_numbers()
    assert not set(DNC_AT_IMPORT) & set(dialled)
    assert not set(LATE_OPT_OUTS) & set(dialled)
    assert not any(a.phone_e164 in DNC_AT_IMPORT for a in logged), "not even imported"
    blocked = [a for a in logged if a.outcome is AttemptOutcome.BLOCKED]
    assert sorted(a.phone_e164 for a in blocked) == sorted(LATE_OPT_OUTS)

    # Outcomes: each number as it answered, and the shares within the tolerance of the rates.
    assert {number: first[number].outcome for number in DIALLED} == {
        number: OUTCOME_OF[kind] for number, kind in kinds.items()
    }
    shares = Counter(kinds.values())
    for kind, rate in RATES.items():
        assert abs(shares[kind] / len(DIALLED) - rate) <= TOLERANCE, (kind, shares[kind])
    outcomes = dict(Counter(a.outcome.value for a in first.values()))
    print(f"\nfirst pass: {len(DIALLED)} calls in {first_pass:.1f} s; by outcome: {outcomes}")

    # Only people reach seats; machines get the machine message; nobody is dropped or hung up on.
    customer_of = {call.call_uuid: call.phone_e164 for call in logged if call.call_uuid}
    bridged = [customer_of.get(argument.split()[0]) for argument in rig.commands("uuid_bridge")]
    people = {number for number, kind in kinds.items() if kind == "person"}
    assert sorted(n for n in bridged if n is not None) == sorted(people)
    assert all(first[number].agent_id in AGENTS for number in people)
    messaged = [customer_of.get(argument.split()[0]) for argument in rig.commands("uuid_transfer")]
    machines = {number for number, kind in kinds.items() if kind == "machine"}
    assert sorted(n for n in messaged if n is not None) == sorted(machines)
    assert all(MACHINE_AUDIO in argument for argument in rig.commands("uuid_transfer"))
    assert not any(a.outcome is AttemptOutcome.DROPPED for a in logged)

    # Busy and no answer rescheduled by the retry rules (15 min, 2 h), and dialled again when due.
    due = dict(rig_leads_due(rig.engine))
    for number in redialled:
        retry = dt.timedelta(minutes=15) if kinds[number] == "busy" else dt.timedelta(hours=2)
        ended = first[number].ended_at
        assert ended is not None
        second = next(a for a in logged if a.phone_e164 == number and a.attempt_no == 2)
        assert second.started_at >= ended + retry
        assert dialled[number] == 2
        third_due = due[number]
        assert third_due is not None
        assert abs((third_due - (second.ended_at or ended) - retry).total_seconds()) < 1
    for number in DIALLED:
        if number not in redialled:
            assert dialled[number] == 1
            assert due[number] is None, "people and machines (message left) are done"


def rig_leads_due(engine: Engine) -> list[tuple[str, dt.datetime | None]]:
    with engine.connect() as connection:
        rows = connection.execute(select(LEADS.c.phone_e164, LEADS.c.next_attempt_at, LEADS.c.status)).all()
    return [(row.phone_e164, _utc(row.next_attempt_at) if row.status == "pending" else None) for row in rows]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def test_machines_are_hung_up_on_and_called_again_later_when_the_campaign_says_retry(
    engine: Engine, tmp_path: Path
) -> None:
    numbers = DIALLED[:40]
    with running_campaign(engine, tmp_path, numbers, {"action": "retry"}) as rig:
        wait_for(rig, lambda found: {a.phone_e164 for a in found} >= set(numbers), "every number dialled", 60)
        gevent.sleep(0.5)
        rig.runtime.stop()
        first = first_attempts(rig)
        hung_up = [argument.split()[0] for argument in rig.commands("uuid_kill")]
        transferred = rig.commands("uuid_transfer")
    machines = {number for number in numbers if rig.customers.kind_of(number) == "machine"}
    assert machines, "the draw has machines among these numbers"
    assert transferred == [], "no message"
    assert sorted(first[n].call_uuid or "" for n in machines) == sorted(hung_up), "only machines, each once"
    due = dict(rig_leads_due(engine))
    for number in machines:
        assert first[number].outcome is AttemptOutcome.MACHINE
        ended = first[number].ended_at
        assert ended is not None
        assert due[number] == ended + dt.timedelta(hours=4), "retries.machine: 4 h by default"
