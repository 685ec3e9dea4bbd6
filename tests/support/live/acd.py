"""What the live ACD tests share: agent phones logged in by their rendered passwords, a SIPp caller
keying into a queue in a thread, the call's row and its queue log read back from the database."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from freeswitch_conf.directory import directory_users
from schema.acd.models import AgentLeg, QueueLogEntry
from schema.calls.models import Call
from sipp_scenarios.agent_phone import AgentLogin, AgentOptions, AgentPhone, Registrar
from sipp_scenarios.dtmf_pcap import DtmfTiming
from sipp_scenarios.generate import MenuPath
from sipp_scenarios.ports import free_media_port
from sipp_scenarios.runner import path_call, queue_path
from sipp_scenarios.sipp_run import ScenarioResult, run_sipp
from tests.support.live import harness
from tests.support.live.harness import Live

CALL_TIMEOUT_S = 90
HOLD_MUSIC = "silence_stream://-1"


def steady_calls(data: dict[str, Any]) -> None:
    """Callers hold on silence: these tests are about routing, and the hold music has its own
    (tests/live/test_live_hold_music.py). (harness.live_dialplan already drops the lines' sampled
    recording, whose legal notice would swallow a first key.)"""
    for queue in data["queues"].values():
        queue["music_on_hold"] = HOLD_MUSIC


@dataclass(frozen=True)
class Logged:
    """One queue log line of a call, as the tests compare them."""

    event: str
    agent_id: str
    data: str | None


def login_of(live: Live, agent_id: str) -> AgentLogin:
    users = directory_users(live.loaded.model, live.settings.agent_passwords)
    user = next(u for u in users if u.agent_id == agent_id)
    return AgentLogin(user.extension, live.settings.domain, user.password)


@contextlib.contextmanager
def agents_ready(live: Live, *agent_ids: str) -> Iterator[None]:
    """The agents logged in (available) for the block, logged out after it.

    No `agent ready` after the login: a call already waiting (a callback) is offered the moment the
    agent is available, and `ready` then fails on an agent already ringing or on the call.
    """
    for agent_id in agent_ids:
        harness.callcenter(live, "agent", "login", agent_id)
    try:
        yield
    finally:
        for agent_id in agent_ids:
            harness.callcenter(live, "agent", "logout", agent_id)


@contextlib.contextmanager
def agent_phone(live: Live, agent_id: str, options: AgentOptions, name: str) -> Iterator[AgentPhone]:
    """The agent's SIPp phone, registered; stopped if the block fails."""
    phone = AgentPhone(
        live.sipp, login_of(live, agent_id), Registrar.from_conf(live.conf_dir), live.work / name, options
    )
    with phone:
        phone.wait_registered(20)
        yield phone


def start_caller(
    pool: ThreadPoolExecutor,
    live: Live,
    path: MenuPath,
    caller: str,
    *,
    timing: DtmfTiming | None = None,
) -> Future[ScenarioResult]:
    """caller.xml down `path` from `caller` (it waits for the switch's BYE), run in `pool`."""
    return pool.submit(
        run_sipp,
        live.sipp,
        path_call(1, path, caller=caller),
        endpoints=live.endpoints,
        work_dir=live.work / f"caller-{caller.lstrip('+')}",
        timing=timing or DtmfTiming(),
        timeout_s=CALL_TIMEOUT_S,
    )


def path_to(live: Live, queue: str) -> MenuPath:
    return queue_path(live.loaded.model, queue)


def call_uuid_of(engine: Engine, caller: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as db:
            found = db.execute(select(Call.uuid).where(Call.caller_number == caller)).scalar_one_or_none()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no call row for {caller}")
        time.sleep(0.2)


def queue_log(engine: Engine, call_uuid: str) -> list[Logged]:
    with engine.connect() as db:
        rows = db.execute(
            select(QueueLogEntry.event, QueueLogEntry.agent_id, QueueLogEntry.data)
            .where(QueueLogEntry.call_uuid == call_uuid)
            .order_by(QueueLogEntry.at, QueueLogEntry.id)
        ).all()
    return [Logged(row.event, row.agent_id, row.data) for row in rows]


@dataclass(frozen=True)
class Leg:
    agent_id: str
    outcome: str
    ring_ms: int | None
    talk_ms: int | None
    ended: bool


def agent_legs(engine: Engine, call_uuid: str, timeout: float = 15.0) -> list[Leg]:
    """The call's agent legs by agent, once every one of them has ended (its answered leg's end is
    written when the conversation ends; fails the test after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as db:
            rows = db.execute(
                select(
                    AgentLeg.agent_id, AgentLeg.outcome, AgentLeg.ring_ms, AgentLeg.talk_ms, AgentLeg.ended_at
                ).where(AgentLeg.call_uuid == call_uuid)
            ).all()
        legs = sorted(
            (
                Leg(row.agent_id, row.outcome, row.ring_ms, row.talk_ms, row.ended_at is not None)
                for row in rows
            ),
            key=lambda leg: leg.agent_id,
        )
        if legs and all(leg.ended for leg in legs):
            return legs
        if time.monotonic() > deadline:
            raise AssertionError(f"agent legs of call {call_uuid} not all ended after {timeout:.0f}s: {legs}")
        time.sleep(0.3)


def wait_for_event(engine: Engine, call_uuid: str, event: str, timeout: float = 30.0) -> list[Logged]:
    """The call's queue log once it holds `event` (fails the test after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        logged = queue_log(engine, call_uuid)
        if any(line.event == event for line in logged):
            return logged
        if time.monotonic() > deadline:
            raise AssertionError(f"no {event} for call {call_uuid} after {timeout:.0f}s: {logged}")
        time.sleep(0.3)


# Answers one call and stays in it until the far end's BYE.
CUSTOMER_PHONE = harness.scenario(
    "callback customer: answer, wait for the BYE",
    harness.answer_invite(tag="Customer", origin="customer", media_port="[media_port]"),
    """\
  <recv request="ACK">
    <action>
      <log message="answered [$caller] as [$callee] at [$target]"/>
    </action>
  </recv>
""",
    harness.await_bye(),
)


@contextlib.contextmanager
def customer_phone(live: Live, port: int, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """A SIPp UAS on 127.0.0.1:`port` answering one call (the callback) until the switch hangs up."""
    work = live.work / name
    work.mkdir(parents=True, exist_ok=True)
    scenario = work / "customer.xml"
    scenario.write_text(CUSTOMER_PHONE, encoding="ISO-8859-1")
    host = live.endpoints.sip_host
    command = [
        str(live.sipp),
        *("-sf", str(scenario), "-i", host, "-p", str(port), "-mi", host),
        *("-mp", str(free_media_port(host)), "-rtp_echo", "-m", "1", "-nostdin"),
        *("-timeout", "120s", "-timeout_error", "-trace_err", "-error_file", str(work / "errors.log")),
    ]
    with (work / "sipp.stderr").open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
