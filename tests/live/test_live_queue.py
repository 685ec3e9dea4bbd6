"""The live tier for queues: a SIPp caller keys into a queue and a SIPp agent phone answers it,
through a real FreeSWITCH on the rendered conf and the real `callcenter serve`.

Skipped, saying why, without a FreeSWITCH binary (PATH or FREESWITCH_BIN) or sipp. Never faked:
the agent registers with the password the render gave it, and the database must show the
CONNECT of that very call.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from freeswitch_conf.directory import directory_users
from schema.acd.models import QueueLogEntry
from schema.calls.models import Call
from schema.db import create_engine_from_url
from sipp_scenarios.agent_phone import AgentLogin, AgentOptions, AgentPhone, Registrar
from sipp_scenarios.generate import DEFAULT_CALLER
from sipp_scenarios.runner import queue_call
from sipp_scenarios.switch import esl_api
from tests.support.live import harness
from tests.support.live.harness import Build, Live

pytestmark = pytest.mark.live

QUEUE = "insurance"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, build: Build | None) -> Iterator[Live]:
    with harness.live_switch(tmp_path_factory.mktemp("live_queue"), build) as running:
        yield running


@pytest.fixture
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with harness.app_server(live) as process:
        yield process


def agent_login(live: Live) -> tuple[str, AgentLogin]:
    """The queue's first-tier agent and the credentials its phone registers with."""
    agent_id = live.loaded.model.queues[QUEUE].tiers[0].agent
    users = directory_users(live.loaded.model, live.settings.agent_passwords)
    user = next(user for user in users if user.agent_id == agent_id)
    return agent_id, AgentLogin(user.extension, live.settings.domain, user.password)


def test_agent_phone_registers_with_its_rendered_password(live: Live) -> None:
    _, login = agent_login(live)
    phone = AgentPhone(live.sipp, login, Registrar.from_conf(live.conf_dir), live.work / "register-only")
    phone.start()
    try:
        phone.wait_registered(timeout=20)
        registrations = esl_api(live.endpoints, "sofia status profile agents reg")
    finally:
        phone.stop()
    assert f"{login.extension}@{live.settings.domain}" in registrations, registrations


def test_queued_caller_is_answered_by_the_sipp_agent(live: Live, app_server: subprocess.Popen[bytes]) -> None:
    agent_id, login = agent_login(live)
    harness.callcenter(live, "agent", "sync")
    harness.callcenter(live, "agent", "login", agent_id)
    harness.callcenter(live, "agent", "ready", agent_id)
    report = queue_call(
        live.conf_dir,
        dialplan=live.loaded.model,
        queue=QUEUE,
        login=login,
        run_dir=live.work / "queue_call",
        agent=AgentOptions(hangup_after_ms=3000, timeout_s=120),
    )
    assert live.switch.alive(), live.switch.log_tail()
    assert report.ok, f"{report}\n{live.switch.log_tail()}"
    engine = create_engine_from_url(harness.database_url(live))
    try:
        with engine.connect() as db:
            connects = db.execute(
                select(QueueLogEntry.call_uuid).where(
                    QueueLogEntry.queue == QUEUE,
                    QueueLogEntry.event == "CONNECT",
                    QueueLogEntry.agent_id == agent_id,
                )
            ).all()
            assert len(connects) == 1, connects
            call_uuid = connects[0].call_uuid
            call = db.execute(select(Call.caller_number).where(Call.uuid == call_uuid)).one()
            events = db.execute(select(QueueLogEntry.event).where(QueueLogEntry.call_uuid == call_uuid)).all()
    finally:
        engine.dispose()
    assert call.caller_number == DEFAULT_CALLER
    assert "ENTERQUEUE" in {row.event for row in events}
