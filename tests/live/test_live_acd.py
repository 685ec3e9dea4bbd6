"""The ACD on the real switch: SIPp agent phones that answer or never do, SIPp callers keying into the
example's queues, the real `callcenter serve`, and the queue log in the database checked line by line.

One FreeSWITCH and one application server per module and build; the queues' timers are shortened by
mutation (ring timeouts, wrap-up, max wait). Each test logs its own agents in and out again.
"""

from __future__ import annotations

import array
import dataclasses
import subprocess
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine

from freeswitch_conf.render import CALLERS_PROFILE
from freeswitch_conf.settings import PARK_LEASE_SECONDS, CallControl
from schema.db import create_engine_from_url
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.dtmf_pcap import DtmfTiming, Tone, write_dtmf_pcap
from sipp_scenarios.generate import MenuPath
from sipp_scenarios.runner import path_call
from sipp_scenarios.sipp_run import run_sipp
from tests.support.live import harness
from tests.support.live.acd import (
    agent_legs,
    agent_phone,
    agents_ready,
    call_uuid_of,
    customer_phone,
    path_to,
    queue_log,
    start_caller,
    steady_calls,
    wait_for_event,
)
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live

# Both ways of taking calls, each proven on the real switch (docs/inbound-control.md).
CALL_CONTROLS: tuple[CallControl, ...] = ("socket", "park")

RING_TIMEOUT_S = 5
TALK_MS = 2000
MAX_WAIT_S = 10  # the least a queue may have


def quick_queues(data: dict[str, Any]) -> None:
    """Agents ring 5 s, no wrap-up keeps them from the next test."""
    steady_calls(data)
    for name in ("insurance", "roadside"):
        data["queues"][name]["ring_timeout"] = RING_TIMEOUT_S
        data["queues"][name]["wrap_up"] = 0
    data["queues"]["complaints"]["max_wait"] = MAX_WAIT_S  # then the `care` voicemail box


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, build: Build | None, call_control: CallControl
) -> Iterator[Live]:
    work = tmp_path_factory.mktemp(f"live_acd_{call_control}")
    with harness.live_switch(work, build, quick_queues, call_control=call_control) as running:
        yield running


@pytest.fixture(scope="module")
def customer_port() -> int:
    """Where the callback customer's SIPp phone listens: the server dials callbacks there."""
    return harness.free_sip_port()


@pytest.fixture(scope="module")
def app_server(live: Live, customer_port: int) -> Iterator[subprocess.Popen[bytes]]:
    endpoint = f"sofia/{CALLERS_PROFILE}/{{number}}@{live.endpoints.sip_host}:{customer_port}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CALLCENTER_CALLBACK_ENDPOINT", endpoint)
        with harness.app_server(live) as process:
            harness.callcenter(live, "agent", "sync")
            yield process


@pytest.fixture(scope="module")
def engine(live: Live) -> Iterator[Engine]:
    engine = create_engine_from_url(harness.database_url(live))
    yield engine
    engine.dispose()


def test_an_agent_not_answering_passes_the_call_to_the_next(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Insurance is skills-based: 1003 (insurance 9) is rung first and never picks up; after the ring
    timeout the switch cancels that INVITE and 1004 (insurance 6) is rung and answers."""
    caller = "+15550300001"
    with (
        agents_ready(live, "1003", "1004"),
        agent_phone(live, "1003", AgentOptions(answers=False, timeout_s=60), "no-answer-1003") as silent,
        agent_phone(
            live, "1004", AgentOptions(hangup_after_ms=TALK_MS, timeout_s=60), "no-answer-1004"
        ) as taker,
        ThreadPoolExecutor(1) as pool,
    ):
        running = start_caller(pool, live, path_to(live, "insurance"), caller)
        call_uuid = call_uuid_of(engine, caller)
        logged = wait_for_event(engine, call_uuid, "CONNECT", timeout=40)
        result = running.result(timeout=60)
        silent_result, taker_result = silent.finish(timeout=30), taker.finish(timeout=30)
    assert result.ok, result.errors
    assert silent_result.ok, f"1003's phone got no CANCEL: {silent_result.errors}"
    assert taker_result.ok, taker_result.errors
    offers = [(line.event, line.agent_id) for line in logged if line.event in ("RINGNOANSWER", "CONNECT")]
    assert offers == [("RINGNOANSWER", "1003"), ("CONNECT", "1004")], logged
    silent_leg, taker_leg = agent_legs(engine, call_uuid)
    assert (silent_leg.agent_id, silent_leg.outcome, silent_leg.talk_ms) == ("1003", "no_answer", None)
    assert silent_leg.ring_ms is not None
    assert silent_leg.ring_ms >= (RING_TIMEOUT_S - 1) * 1000, silent_leg
    assert (taker_leg.agent_id, taker_leg.outcome) == ("1004", "answered")
    assert taker_leg.talk_ms is not None
    assert TALK_MS / 2 <= taker_leg.talk_ms <= TALK_MS + 5000, taker_leg
    assert live.switch.alive(), live.switch.log_tail()


def test_a_conversation_longer_than_the_fallback_lease_is_not_cut(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Parked, the caller's fallback lease (PARK_LEASE_SECONDS) is cancelled while they are bridged:
    a conversation longer than it ends when the agent hangs up, and the caller never reaches the
    fallback. With call control socket the same call is the control."""
    caller = "+15550300005"
    talk_ms = (PARK_LEASE_SECONDS + 6) * 1000
    log = live.switch.log_dir / "freeswitch.log"
    start = log.stat().st_size
    with (
        agents_ready(live, "1004"),
        agent_phone(
            live, "1004", AgentOptions(hangup_after_ms=talk_ms, timeout_s=90), "long-talk-1004"
        ) as taker,
        ThreadPoolExecutor(1) as pool,
    ):
        running = start_caller(pool, live, path_to(live, "insurance"), caller)
        call_uuid = call_uuid_of(engine, caller)
        wait_for_event(engine, call_uuid, "CONNECT", timeout=40)
        result = running.result(timeout=120)
        taker_result = taker.finish(timeout=60)
    assert result.ok, result.errors
    assert taker_result.ok, f"the agent's phone did not hang up itself: {taker_result.errors}"
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read().decode(errors="replace")
    assert "@cc_fallback]" not in text, text[-4000:]


def test_ring_all_rings_every_agent_and_cancels_the_others(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Roadside rings 1005 and 1006 at once: 1005 answers, 1006's INVITE is cancelled (its phone only
    succeeds on that CANCEL), the call connects to 1005 and nobody is logged as not answering."""
    caller = "+15550300002"
    with (
        agents_ready(live, "1005", "1006"),
        agent_phone(
            live, "1005", AgentOptions(hangup_after_ms=TALK_MS, timeout_s=60), "ring-all-1005"
        ) as taker,
        agent_phone(live, "1006", AgentOptions(answers=False, timeout_s=60), "ring-all-1006") as loser,
        ThreadPoolExecutor(1) as pool,
    ):
        running = start_caller(pool, live, path_to(live, "roadside"), caller)
        call_uuid = call_uuid_of(engine, caller)
        wait_for_event(engine, call_uuid, "CONNECT", timeout=40)
        result = running.result(timeout=60)
        taker_result, loser_result = taker.finish(timeout=30), loser.finish(timeout=30)
    logged = queue_log(engine, call_uuid)
    assert result.ok, result.errors
    assert taker_result.ok, taker_result.errors
    assert loser_result.ok, f"1006's phone was not rung and cancelled: {loser_result.errors}"
    offers = [(line.event, line.agent_id) for line in logged if line.event in ("RINGNOANSWER", "CONNECT")]
    assert offers == [("CONNECT", "1005")], logged
    legs = agent_legs(engine, call_uuid)  # one row per agent rung
    assert [(leg.agent_id, leg.outcome) for leg in legs] == [("1005", "answered"), ("1006", "lost_race")], (
        legs
    )
    assert live.switch.alive(), live.switch.log_tail()


def test_a_caller_pressing_the_callback_key_is_called_back_when_an_agent_is_free(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine, customer_port: int
) -> None:
    """Nobody is ready for insurance: the caller keys 2 into it, then 1 (its callback_key) while waiting,
    hears the confirmation and is hung up. Once 1004 is ready the server rings 1004 first, then dials the
    customer through CALLCENTER_CALLBACK_ENDPOINT (a SIPp phone here), and bridges them: CONNECT."""
    caller = "+15550300003"
    queue = path_to(live, "insurance")
    keys = MenuPath(queue.did, queue.start_menu, (*queue.digits, "1"), queue.outcome, queue.pressed)
    with ThreadPoolExecutor(1) as pool:
        # The second key comes 8 s after the first: well after the caller has joined the queue.
        running = start_caller(pool, live, keys, caller, timing=DtmfTiming(gap_ms=8000))
        call_uuid = call_uuid_of(engine, caller)
        wait_for_event(engine, call_uuid, "CALLBACK", timeout=40)
        result = running.result(timeout=60)
    assert result.ok, f"the caller was not hung up after the confirmation: {result.errors}"
    with (
        customer_phone(live, customer_port, "callback-customer") as customer,
        agent_phone(
            live, "1004", AgentOptions(hangup_after_ms=TALK_MS, timeout_s=60), "callback-1004"
        ) as agent,
        agents_ready(live, "1004"),
    ):
        logged = wait_for_event(engine, call_uuid, "CONNECT", timeout=40)
        agent_result = agent.finish(timeout=30)
        customer_code = customer.wait(timeout=30)
    assert agent_result.ok, agent_result.errors
    assert customer_code == 0, f"the customer's phone was not called back and hung up ({customer_code})"
    events = [(line.event, line.agent_id) for line in logged]
    assert ("CALLBACK", "") in events, logged
    assert events.index(("CALLBACK", "")) < events.index(("CONNECT", "1004")), logged
    callback = next(line for line in logged if line.event == "CALLBACK")
    assert callback.data == caller
    assert live.switch.alive(), live.switch.log_tail()


def test_a_caller_waiting_too_long_leaves_a_voicemail(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Nobody serves complaints: after max_wait the caller goes to voicemail box `care`, hears the beep
    and speaks (a tone in the caller's capture) until it stops; mod_voicemail ends the message on the
    silence after it and keeps it under the live settings' voicemail_dir."""
    caller = "+15550300004"
    path = path_to(live, "complaints")
    work = live.work / f"caller-{caller.lstrip('+')}"
    work.mkdir(parents=True)
    # Capture time 0 is the first key (1.5 s after the answer); the voicemail starts some 15 s later.
    write_dtmf_pcap(work / "dtmf.pcap", path.digits, DtmfTiming(), Tone(start_ms=2000, duration_ms=28000))
    call = dataclasses.replace(path_call(1, path, caller=caller), keys=None)
    result = run_sipp(
        live.sipp, call, endpoints=live.endpoints, work_dir=work, timing=DtmfTiming(), timeout_s=90
    )
    assert result.ok, result.errors
    call_uuid = call_uuid_of(engine, caller)
    events = [line.event for line in wait_for_event(engine, call_uuid, "EXITWITHTIMEOUT", timeout=10)]
    assert events == ["ENTERQUEUE", "EXITWITHTIMEOUT"], events
    box = live.settings.voicemail_dir / live.settings.domain / "care"
    messages = sorted(box.glob("*.wav"))
    assert len(messages) == 1, sorted(box.parent.rglob("*"))
    with wave.open(str(messages[0]), "rb") as audio:
        seconds = audio.getnframes() / audio.getframerate()
        samples = array.array("h", audio.readframes(audio.getnframes()))
    assert seconds >= 5, seconds
    loud = sum(1 for sample in samples if abs(sample) > 1000)
    assert loud > len(samples) // 4, (loud, len(samples))  # the caller's tone, not silence
    assert live.switch.alive(), live.switch.log_tail()
