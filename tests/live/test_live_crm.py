"""The CRM on the real FreeSWITCH: screening (blacklist, VIP), self-service read-backs and the survey,
each walked by SIPp callers (and agent phones) through the rendered conf and the real `callcenter serve`.

One switch and one application server serve the module; the unanswered rejection needs a dialplan
without the blacklist's prompt and gets a switch of its own. Customers come in through
`callcenter import customers`, as an operator loads them.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from freeswitch_conf.directory import directory_users
from schema.acd.models import QueueLogEntry
from schema.calls.models import Call, IvrStep
from schema.crm.models import SurveyResponse
from schema.db import create_engine_from_url
from sipp_scenarios.agent_phone import AgentLogin, AgentOptions, AgentPhone, Registrar
from sipp_scenarios.dtmf_pcap import DtmfTiming, write_dtmf_pcap
from sipp_scenarios.generate import MenuPath
from sipp_scenarios.runner import path_call
from sipp_scenarios.sipp_run import ScenarioResult, SippCall, run_sipp
from sipp_scenarios.switch import esl_api
from tests.support.live import harness
from tests.support.live.harness import OPEN_DID, Build, Live

pytestmark = pytest.mark.live

BLOCKED = "+447700900666"  # on the example's YAML blacklist
VIP = "+447700900123"
CLAIMANT = "+447700900124"
DRIVER = "+447700900125"
SURVEYED = "+447700900126"
SURVEY_AGENT = "1001"  # level 1 in the repair queue, whose survey is after_call
VIP_AGENT = "1003"  # the VIP's own agent: level 1 in the vip queue, after 1001
OTHER_VIP_AGENT = "1001"  # first in the vip queue and the longest idle: chosen but for the VIP's owner
ACCOUNT = "123456"
CLAIM_STATUS = "Approved and paid"
PLATE_KEYS = "2212233"  # AB12 CDE on the keypad
APPOINTMENT = "2027-03-04"
CUSTOMERS = f"""name,phone,account,tier,owner,plate,claim_status,next_appointment
Vera Gold,{VIP},,gold,{VIP_AGENT},,,
Carl Claim,{CLAIMANT},{ACCOUNT},,,,{CLAIM_STATUS},
Pat Plate,{DRIVER},,,,AB12 CDE,,{APPOINTMENT}
"""
CALL_TIMEOUT_S = 90
MENU_TIMING = DtmfTiming()
LOOKUP_TIMING = DtmfTiming(gap_ms=800)  # a number keyed at a steady pace, as a caller reads it out
SURVEY_SCENARIO = "caller_late_keys.xml"
SURVEY_KEYS_AFTER_MS = 22_000  # after the menu keys start: the agent has answered and hung up by then
SURVEY_KEYS = ("4", "1")
# Question 2 is asked once 4 is taken; its prompt and 5 s timeout leave room for a key 6 s later.
SURVEY_TIMING = DtmfTiming(gap_ms=6000)


def reject_unanswered(data: dict[str, Any]) -> None:
    """The blacklist without its prompt: a blocked caller is refused before the answer."""
    data["crm"]["blacklist"].pop("prompt")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live_crm"), build) as running:
        yield running


@pytest.fixture(scope="module")
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    harness.callcenter(live, "db", "upgrade")
    customers = live.work / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    harness.callcenter(live, "import", "customers", str(customers))
    harness.callcenter(live, "agent", "sync")
    with harness.app_server(live) as process:
        yield process


@pytest.fixture(scope="module")
def engine(live: Live) -> Iterator[Engine]:
    engine = create_engine_from_url(harness.database_url(live))
    yield engine
    engine.dispose()


def call_uuid_of(engine: Engine, caller: str) -> str | None:
    with engine.connect() as db:
        return db.execute(select(Call.uuid).where(Call.caller_number == caller)).scalar_one_or_none()


def steps_of(engine: Engine, call_uuid: str) -> list[IvrStep]:
    with Session(engine) as db:
        return list(db.scalars(select(IvrStep).where(IvrStep.call_uuid == call_uuid).order_by(IvrStep.seq)))


def ended_call(engine: Engine, caller: str, timeout: float = 20.0) -> Call:
    """The caller's call row once it has ended (the writer stores the hang-up a moment after it)."""
    deadline = time.monotonic() + timeout
    while True:
        call_uuid = call_uuid_of(engine, caller)
        if call_uuid is not None:
            with Session(engine) as db:
                row = db.scalars(select(Call).where(Call.uuid == call_uuid)).one()
            if row.ended_at is not None:
                return row
        assert time.monotonic() < deadline, f"no ended call from {caller}"
        time.sleep(0.2)


def caller_run(name: str, caller: str, keys: tuple[str, ...]) -> SippCall:
    """caller.xml calling the main line from `caller`, keying `keys` (then waiting for the switch's BYE)."""
    return replace(path_call(0, MenuPath(OPEN_DID, "main", keys, "-", ()), caller=caller), name=name)


def run_caller(live: Live, call: SippCall, work: str, timing: DtmfTiming = MENU_TIMING) -> ScenarioResult:
    return run_sipp(
        live.sipp,
        call,
        endpoints=live.endpoints,
        work_dir=live.work / work,
        timing=timing,
        timeout_s=CALL_TIMEOUT_S,
    )


def agent_login(live: Live, agent_id: str) -> AgentLogin:
    users = directory_users(live.loaded.model, live.settings.agent_passwords)
    user = next(user for user in users if user.agent_id == agent_id)
    return AgentLogin(user.extension, live.settings.domain, user.password)


# 1. Blacklist ---------------------------------------------------------------------------------------------


def test_blacklisted_caller_hears_the_prompt_and_is_hung_up(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """The example's blacklist has a prompt: answered (200), the prompt played, then the switch's BYE."""
    result = run_caller(live, caller_run("blocked", BLOCKED, ()), "blocked")
    assert result.ok, result.errors
    row = ended_call(engine, BLOCKED)
    steps = steps_of(engine, row.uuid)
    assert row.screening == "blocked", (row.screening, row.screening_detail)
    assert row.hangup_cause == "CALL_REJECTED"
    assert [s.result for s in steps if s.result == "blocked"] == ["blocked"], steps
    assert [(s.prompt, s.result) for s in steps if s.result == "played"] == [("blocked_caller", "played")]
    assert not {s.menu for s in steps} - {None}, [(s.menu, s.result) for s in steps]


@pytest.fixture
def rejecting(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    """A switch and server of their own, for this test only: the blacklist without a prompt."""
    with harness.live_switch(tmp_path_factory.mktemp("live_crm_reject"), build, reject_unanswered) as running:
        harness.callcenter(running, "db", "upgrade")
        with harness.app_server(running):
            yield running


def test_blacklisted_caller_is_refused_unanswered_with_603(rejecting: Live) -> None:
    """`cause: CALL_REJECTED` without a prompt: mod_sofia's hangup_cause_to_sip makes it 603 Decline."""
    result = run_sipp(
        rejecting.sipp,
        SippCall("refused", "caller_declined.xml", csv_rows=((OPEN_DID, BLOCKED),)),
        endpoints=rejecting.endpoints,
        work_dir=rejecting.work / "reject",
        timing=DtmfTiming(),
        timeout_s=30,
    )
    assert result.ok, result.errors
    engine = create_engine_from_url(harness.database_url(rejecting))
    try:
        row = ended_call(engine, BLOCKED)
        steps = steps_of(engine, row.uuid)
    finally:
        engine.dispose()
    assert row.screening == "blocked", (row.screening, row.screening_detail)
    assert row.answered_at is None
    assert row.hangup_cause == "CALL_REJECTED"
    assert [(s.result, s.prompt) for s in steps] == [("blocked", None)], [(s.result, s.prompt) for s in steps]


def call_until(
    live: Live,
    engine: Engine,
    call: SippCall,
    caller: str,
    done: Callable[[list[IvrStep]], bool],
    *,
    timing: DtmfTiming = LOOKUP_TIMING,
) -> tuple[ScenarioResult, Call, list[IvrStep]]:
    """Run the SIPp caller until its steps are `done`, then hang it up from the switch."""
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(run_caller, live, call, caller.lstrip("+"), timing)
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while time.monotonic() < deadline and not running.done():
            call_uuid = call_uuid_of(engine, caller)
            if call_uuid is not None and done(steps_of(engine, call_uuid)):
                time.sleep(0.5)
                esl_api(live.endpoints, f"uuid_kill {call_uuid}")
                break
            time.sleep(0.3)
        result = running.result(timeout=CALL_TIMEOUT_S + 60)
    row = ended_call(engine, caller)
    return result, row, steps_of(engine, row.uuid)


# 2. VIP ----------------------------------------------------------------------------------------------------


def test_vip_skips_the_menus_to_their_own_agent(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Vera (gold, owned by 1003) calls: no menu, the VIP greeting, the vip queue and 1003's phone.
    1001 is first in that queue and idle longer: without the dedicated agent the ACD would offer it."""
    for agent in (OTHER_VIP_AGENT, VIP_AGENT):
        harness.callcenter(live, "agent", "login", agent)
        harness.callcenter(live, "agent", "ready", agent)
    phone = AgentPhone(
        live.sipp,
        agent_login(live, VIP_AGENT),
        Registrar.from_conf(live.conf_dir),
        live.work / "vip-agent",
        AgentOptions(hangup_after_ms=2000, timeout_s=CALL_TIMEOUT_S),
    )
    phone.start()
    try:
        phone.wait_registered(timeout=20)
        result = run_caller(live, caller_run("vip", VIP, ()), "vip")
        answered = phone.finish(timeout=30)
    finally:
        phone.stop()
        harness.callcenter(live, "agent", "logout", OTHER_VIP_AGENT)
        harness.callcenter(live, "agent", "logout", VIP_AGENT)
    assert result.ok, result.errors
    assert answered.ok, answered.errors
    row = ended_call(engine, VIP)
    steps = steps_of(engine, row.uuid)
    assert (row.screening, row.screening_detail) == ("vip", "gold")
    assert [(s.result, s.digits) for s in steps if s.result == "vip"] == [("vip", "vip")]
    assert not [s for s in steps if s.result in {"open", "ok"} or s.menu is not None], [
        (s.menu, s.result) for s in steps
    ]
    with engine.connect() as db:
        log = db.execute(
            select(QueueLogEntry.event, QueueLogEntry.agent_id, QueueLogEntry.queue)
            .where(QueueLogEntry.call_uuid == row.uuid)
            .order_by(QueueLogEntry.id)
        ).all()
    assert ("CONNECT", VIP_AGENT, "vip") in log, log
    assert {agent for _, agent, _ in log if agent} == {VIP_AGENT}, log


# 3. Self-service --------------------------------------------------------------------------------


def freeswitch_log(live: Live) -> str:
    return (live.switch.log_dir / "freeswitch.log").read_text(encoding="utf-8", errors="replace")


def field_read(field: str) -> Callable[[list[IvrStep]], bool]:
    return lambda steps: any(s.prompt == f"field:{field}" and s.result == "played" for s in steps)


def test_claim_status_is_read_back_by_tts(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Main menu 4, the account number and #: the claim's status, a text field, spoken by TTS."""
    keys = ("4", *ACCOUNT, "#")
    _, _, steps = call_until(
        live, engine, caller_run("claim", CLAIMANT, keys), CLAIMANT, field_read("claim_status")
    )
    results = [(s.result, s.prompt, s.digits) for s in steps]
    assert ("ok", "main_options", "4") in results, results
    assert ("lookup_found", "ask_account", ACCOUNT) in results, results
    assert ("played", "field:claim_status", None) in results, results
    assert CLAIM_STATUS in freeswitch_log(live)


def test_next_appointment_is_said_as_a_date(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Repair menu 3, the plate keyed on the keypad and #: the appointment's date, said."""
    keys = ("1", "3", *PLATE_KEYS, "#")
    _, _, steps = call_until(
        live, engine, caller_run("appointment", DRIVER, keys), DRIVER, field_read("next_appointment")
    )
    results = [(s.result, s.prompt, s.digits) for s in steps]
    assert ("lookup_found", "ask_plate", PLATE_KEYS) in results, results
    assert ("played", "field:next_appointment", None) in results, results
    # Not `say`: without the en-us-callie sounds it would be silent (freeswitch_conf/say.py).
    assert "Thursday, March 4th, 2027" in freeswitch_log(live)


# 4. Survey --------------------------------------------------------------------------------------


def test_survey_after_the_agent_hangs_up(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Menu 1 then 1 (the repair queue, survey after_call); the agent answers and hangs up after 3 s; the
    caller, still on the line, keys 4 (satisfaction) and 1 (resolved)."""
    harness.callcenter(live, "agent", "login", SURVEY_AGENT)
    harness.callcenter(live, "agent", "ready", SURVEY_AGENT)
    phone = AgentPhone(
        live.sipp,
        agent_login(live, SURVEY_AGENT),
        Registrar.from_conf(live.conf_dir),
        live.work / "survey-agent",
        AgentOptions(hangup_after_ms=3000, timeout_s=CALL_TIMEOUT_S),
    )
    phone.start()
    try:
        phone.wait_registered(timeout=20)
        work = live.work / "survey"
        work.mkdir()
        write_dtmf_pcap(work / "late.pcap", SURVEY_KEYS, SURVEY_TIMING, stream_ms=SURVEY_KEYS_AFTER_MS)
        call = caller_run("survey", SURVEYED, ("1", "1"))
        late = replace(call, scenario=SURVEY_SCENARIO, args=("-d", str(SURVEY_KEYS_AFTER_MS)))
        result = run_caller(live, late, "survey")
        answered = phone.finish(timeout=30)
    finally:
        phone.stop()
        harness.callcenter(live, "agent", "logout", SURVEY_AGENT)
    assert answered.ok, answered.errors
    assert result.ok, result.errors
    row = ended_call(engine, SURVEYED)
    with engine.connect() as db:
        answers = db.execute(
            select(
                SurveyResponse.question, SurveyResponse.score, SurveyResponse.agent_id, SurveyResponse.queue
            )
            .where(SurveyResponse.call_uuid == row.uuid)
            .order_by(SurveyResponse.id)
        ).all()
    assert [tuple(a) for a in answers] == [
        ("satisfaction", 4, SURVEY_AGENT, "repair"),
        ("resolved", 1, SURVEY_AGENT, "repair"),
    ], [(s.result, s.prompt, s.digits) for s in steps_of(engine, row.uuid)]
