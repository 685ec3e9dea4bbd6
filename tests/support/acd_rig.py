"""The rig of the ACD's wire tests: the application in-process as `callcenter serve` wires it with the ACD
on, against the stand-in switch on both sides (the caller on the outbound socket, the agents' phones
behind mod_event_socket), on SQLite and PostgreSQL; and the database rows the tests read back.

`make_rig` is a pytest fixture: a test module imports it (`from tests.support.acd_rig import make_rig`).
The dialplan is written here; the YAML's minimum times (10 s) are shortened through `acd_tuning`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.server import Application
from ivr_scripts.acd import QueueSettings
from ivr_scripts.agent_service import AgentService
from ivr_scripts.runner import utc_now
from schema.acd.agents import upsert_agents
from schema.acd.models import AgentLeg, AgentStateLog, QueueLogEntry
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.calls.models import Call
from schema.db import create_engine_from_url, session_scope
from tests.support.server_configs import wire_config
from tests.support.standin import CallScript, InboundSwitch, OutboundSwitch, ScriptedCall
from tests.support.standin.agents import AgentPhone, Behaviour

PASSWORD = "acd-wire-secret"
DOMAIN = "callcenter.local"
AGENTS = ("1001", "1002", "1003")
DIALPLAN = """
version: 1
prompts:
  options: {text: "Sales 1. Ordered 2. Sticky 3. VIP 4. Short 5. Callback 6. Late 7."}
  sorry: {text: "Sorry, everyone is busy. Goodbye."}
queues:
  sales:
    extension: "2001"
    strategy: longest-idle
    tiers: [{agent: "1001"}, {agent: "1002"}]
    wrap_up: 1
    ring_timeout: 5
  ordered:
    extension: "2002"
    strategy: top-down
    tiers: [{agent: "1001", position: 1}, {agent: "1002", position: 2}]
    wrap_up: 0
  sticky:
    extension: "2003"
    strategy: longest-idle
    tiers: [{agent: "1001"}, {agent: "1002"}]
    sticky_days: 14
    wrap_up: 1
  vip:
    extension: "2004"
    tiers: [{agent: "1003"}]
    priorities: {diamond: 20}
    wrap_up: 1
  short:
    extension: "2005"
    tiers: [{agent: "1003"}]
    announce: {every: 10, position: true, expected_wait: true}
    max_wait: 10
    on_max_wait: {play: sorry, then: hangup}
  callback:
    extension: "2006"
    tiers: [{agent: "1001"}]
    callback_key: "9"
    wrap_up: 1
    ring_timeout: 5
  late:
    extension: "2007"
    tiers: [{agent: "1002"}]
    max_wait: 10
    on_max_wait: {callback: {}}
    wrap_up: 0
agents:
  "1001": {name: Alice}
  "1002": {name: Ben}
  "1003": {name: Chloe}
menus:
  main:
    prompt: options
    options:
      "1": {transfer: {queue: sales}}
      "2": {transfer: {queue: ordered}}
      "3": {transfer: {queue: sticky}}
      "4": {transfer: {queue: vip}}
      "5": {transfer: {queue: short}}
      "6": {transfer: {queue: callback}}
      "7": {transfer: {queue: late}}
    fallback: {hangup: {}}
dids:
  "4001": {menu: main}
"""


# Callbacks dial the customer through the callers' trunk, as a real deployment configures it.
CALLBACK_ENDPOINT = "sofia/gateway/pstn/{number}"


def shorten(queue: str, settings: QueueSettings) -> QueueSettings:
    if queue == "short":
        return dataclasses.replace(settings, announce_every=0.3, max_wait=1.0)
    if queue in ("callback", "late"):
        return dataclasses.replace(
            settings,
            max_wait=None if settings.max_wait is None else 0.5,
            callback_endpoint=CALLBACK_ENDPOINT,
            callback_ring_timeout=2.0,
            callback_attempts=1,
        )
    return settings


def customer_endpoint(number: str) -> str:
    return CALLBACK_ENDPOINT.replace("{number}", number)


def endpoint(agent_id: str) -> str:
    return f"user/{agent_id}@{DOMAIN}"


@dataclass
class Rig:
    app: Application
    switch: OutboundSwitch
    events: InboundSwitch
    database_url: str

    def phone(
        self,
        agent_id: str,
        behaviour: Behaviour = "answer",
        *,
        ring_seconds: float | None = None,
        talk_seconds: float | None = None,
    ) -> None:
        phone = AgentPhone(behaviour, ring_seconds=ring_seconds, talk_seconds=talk_seconds)
        self.events.agents.phone(endpoint(agent_id), phone)

    def customer(
        self,
        number: str,
        behaviour: Behaviour = "answer",
        *,
        ring_seconds: float | None = None,
        talk_seconds: float | None = None,
    ) -> None:
        """The phone a callback dials (through the callers' trunk)."""
        phone = AgentPhone(behaviour, ring_seconds=ring_seconds, talk_seconds=talk_seconds)
        self.events.agents.phone(customer_endpoint(number), phone)

    def place(self, **script: Any) -> ScriptedCall:
        """A caller dialling 4001; `script`: the CallScript fields besides the destination."""
        return self.switch.place_call(CallScript(destination="4001", **script))

    def finish(self, call: ScriptedCall, timeout: float = 15) -> ScriptedCall:
        assert call.wait(timeout), f"call still open; commands: {call.executed}"
        assert self.app.writer.flush(10)
        return call

    def queue_log(self, call_uuid: str | None = None) -> list[QueueLogEntry]:
        return self._rows(QueueLogEntry, None if call_uuid is None else QueueLogEntry.call_uuid == call_uuid)

    def agent_legs(self, call_uuid: str) -> list[AgentLeg]:
        """The call's agent legs, in the order they were offered (ring-all: by agent)."""
        rows = self._rows(AgentLeg, AgentLeg.call_uuid == call_uuid)
        return sorted(rows, key=lambda row: (row.offered_at, row.agent_id))

    def state_log(self, agent_id: str) -> list[str]:
        rows = self._rows(AgentStateLog, AgentStateLog.agent_id == agent_id)
        return [row.to_state for row in sorted(rows, key=lambda row: row.version)]

    def call_row(self, call_uuid: str) -> Call:
        rows = self._rows(Call, Call.uuid == call_uuid)
        assert len(rows) == 1
        row: Call = rows[0]
        return row

    def agent_state(self, agent_id: str) -> str:
        engine = create_engine_from_url(self.database_url)
        try:
            return AgentService(SqlAgentStore(engine, "test"), None, utc_now).status(agent_id).state.value
        finally:
            engine.dispose()

    def no_answers(self, agent_id: str) -> int:
        engine = create_engine_from_url(self.database_url)
        try:
            status = AgentService(SqlAgentStore(engine, "test"), None, utc_now).status(agent_id)
            return status.consecutive_no_answers
        finally:
            engine.dispose()

    def _rows(self, model: Any, where: Any) -> list[Any]:
        engine = create_engine_from_url(self.database_url)
        try:
            with session_scope(engine) as session:
                query = select(model) if where is None else select(model).where(where)
                order = (
                    (model.at, model.id) if model is QueueLogEntry else model.__table__.primary_key.columns
                )
                rows = list(session.scalars(query.order_by(*order)).all())
                session.expunge_all()
                return rows
        finally:
            engine.dispose()


def ready_agents(database_url: str, ready: Sequence[str]) -> None:
    """The YAML's agents in the database, `ready` logged in and available in that order (so the first
    has been idle longest)."""
    engine = create_engine_from_url(database_url)
    try:
        upsert_agents(engine, [AgentProfile(agent_id, f"Agent {agent_id}", agent_id) for agent_id in AGENTS])
        service = AgentService(SqlAgentStore(engine, "test"), None, utc_now)
        for agent_id in ready:
            service.login(agent_id)
            service.ready(agent_id)
    finally:
        engine.dispose()


RigFactory = Callable[..., Rig]


@pytest.fixture
def make_rig(database_url: str, tmp_path: Path) -> Iterator[RigFactory]:
    started: list[tuple[Application, InboundSwitch]] = []
    dialplan = tmp_path / "acd.yaml"
    dialplan.write_text(DIALPLAN)

    def start(
        ready: Sequence[str] = (),
        tick: float = 0.1,
        control_socket: Path | None = None,
        dialplan_text: str | None = None,
        api: bool = False,
    ) -> Rig:
        """`dialplan_text` replaces the dialplan file; `api` serves the HTTP API on a free loopback port."""
        if dialplan_text is not None:
            dialplan.write_text(dialplan_text)
        ready_agents(database_url, ready)
        events = InboundSwitch(password=PASSWORD)
        events.start()
        config = wire_config(
            events,
            PASSWORD,
            database_url,
            tmp_path,
            dialplan=dialplan,
            acd=True,
            agent_domain=DOMAIN,
            server_name="wire-test",
            control_socket=control_socket,
            api_port=0 if api else None,
        )
        app = Application(config, clock=utc_now, acd_tuning=shorten, acd_tick_seconds=tick)
        app.start()
        started.append((app, events))
        assert events.wait_for_subscribers(1, timeout=5)
        return Rig(app, OutboundSwitch(app.outbound.address, inbound=events), events, database_url)

    yield start
    for app, events in started:
        assert app.stop() == [], "parts failed to stop"
        events.stop()
    assert not (tmp_path / "dead_letter.jsonl").exists(), "records were dead-lettered"


def events_of(rows: Sequence[QueueLogEntry]) -> list[tuple[str, str]]:
    return [(row.event, row.agent_id) for row in rows]
