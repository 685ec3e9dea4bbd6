"""call_control: park over real TCP: the stand-in parks calls as both releases did
(tests/transcripts/<version>/parked_control_inbound.jsonl); esl_handlers.parked_calls takes each at
its CHANNEL_PARK over one inbound connection, runs the IVR, keeps the fallback lease and releases
the call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gevent
import pytest

from callcenter.server import Application
from esl_handlers.esl_channel import EslChannel
from esl_handlers.outbound_server import Handler
from esl_handlers.parked_calls import ParkedCallServer
from ivr_scripts.channel import Audio
from schema.calls.queries import call_with_steps
from schema.db import create_engine_from_url, session_scope
from tests.support.server_configs import wire_config
from tests.support.standin import CallScript, InboundSwitch
from tests.support.standin.parked import PARK_VARIABLES, ParkedCall
from tests.support.waiting import unsampled_uuid, wait_until

pytestmark = pytest.mark.wire

MONDAY_10AM_LONDON = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
PASSWORD = "wire-test-secret"
# What the rendered DID sets (freeswitch_conf/templates/dialplan/public.xml, park mode).
RENDERED = {**PARK_VARIABLES, "cc_fallback": "main"}
FALLBACK = "main XML cc_fallback"


@pytest.fixture
def switch() -> Iterator[InboundSwitch]:
    switch = InboundSwitch(password=PASSWORD)
    switch.start()
    try:
        yield switch
    finally:
        switch.stop()


@pytest.fixture
def app(switch: InboundSwitch, database_url: str, tmp_path: Path) -> Iterator[Application]:
    config = wire_config(switch, PASSWORD, database_url, tmp_path, call_control="park")
    app = Application(config, clock=lambda: MONDAY_10AM_LONDON)
    app.start()
    try:
        assert switch.wait_for_subscribers(2, timeout=5)  # the CDR listener and the parked calls
        assert isinstance(app.server, ParkedCallServer)
        assert app.server.wait_connected(5)
        yield app
    finally:
        assert app.stop() == [], "parts failed to stop"
    assert not (tmp_path / "dead_letter.jsonl").exists(), "records were dead-lettered"


def park(switch: InboundSwitch, **script: Any) -> ParkedCall:
    script.setdefault("uuid", unsampled_uuid(10))
    return switch.park_call(CallScript(**script), variables=RENDERED)


def test_a_parked_call_runs_the_ivr_and_its_rows_are_written(
    switch: InboundSwitch, app: Application, database_url: str
) -> None:
    call = park(switch, keys=["2"], destination="4001", caller_number="+15551230042")
    # Taken, driven and released: the lease is cancelled once (the app transferred the call itself)
    # and never renewed on a call this short.
    wait_until(lambda: lease(call) == [f"sched_del {call.uuid}"], timeout=15, what="the lease cancelled")
    apps = [name for name, _ in call.executed]
    assert apps[0] == "answer"
    assert call.executed[-1] == ("transfer", "2002 XML default")
    assert not call.lease_fired
    assert app.writer.flush(10)
    engine = create_engine_from_url(database_url)
    try:
        with session_scope(engine) as session:
            row = call_with_steps(session, call.uuid)
            assert row is not None
            assert (row.caller_number, row.did, row.outcome) == ("+15551230042", "4001", "queued")
            assert row.destination == "queue:insurance"
            assert [s.result for s in row.steps][:3] == ["open", "played", "ok"]
    finally:
        engine.dispose()


def lease(call: ParkedCall) -> list[str]:
    """The api commands of the call's fallback lease, in order."""
    return [command for command in call.api_commands if command.startswith("sched_")]


def server(switch: InboundSwitch, handler: Handler, **tuning: Any) -> ParkedCallServer:
    host, port = switch.address
    parked = ParkedCallServer(handler, host=host, port=port, password=PASSWORD, **tuning)
    parked.start()
    assert parked.wait_connected(5)
    return parked


def test_the_lease_is_renewed_while_the_handler_runs_and_a_caller_left_goes_to_the_fallback(
    switch: InboundSwitch,
) -> None:
    def handler(channel: EslChannel) -> None:
        channel.answer()
        gevent.sleep(3.6)  # the menu takes a while: the lease must be renewed (checked every second)

    parked = server(switch, handler, renew_after=1.0)
    try:
        call = park(switch)
        wait_until(lambda: ("transfer", FALLBACK) in call.executed, timeout=10)
    finally:
        parked.stop()
    renewals = lease(call)[:-1]
    assert renewals[:2] == [f"sched_del {call.uuid}", f"sched_transfer +15 {call.uuid} {FALLBACK}"]
    assert len(renewals) >= 4, renewals  # every second after the first: twice at least
    assert lease(call)[-1] == f"sched_del {call.uuid}"  # released: the lease cancelled first
    assert call.executed[-1] == ("transfer", FALLBACK)
    assert parked.calls_served == 1


def test_a_handler_that_fails_leaves_the_caller_with_the_fallback(switch: InboundSwitch) -> None:
    def handler(channel: EslChannel) -> None:
        channel.answer()
        raise RuntimeError("a bug in a menu")

    parked = server(switch, handler)
    try:
        call = park(switch)
        wait_until(lambda: ("transfer", FALLBACK) in call.executed, timeout=10)
    finally:
        parked.stop()
    assert call.executed == [("answer", None), ("transfer", FALLBACK)]
    assert lease(call) == [f"sched_del {call.uuid}"]


def test_a_caller_who_hangs_up_costs_no_lease_command(switch: InboundSwitch) -> None:
    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel.play(Audio("welcome", file="/prompts/welcome.wav"))  # the caller hangs up during it

    parked = server(switch, handler)
    try:
        call = park(switch, hangup_at=1, media_seconds=0.2)
        assert call.wait(10)
        wait_until(lambda: parked.calls_served == 1, timeout=5)
    finally:
        parked.stop()
    assert call.api_commands == []
    assert parked.active_calls == 0


def test_calls_without_the_mark_are_not_taken_and_the_connection_comes_back(switch: InboundSwitch) -> None:
    taken: list[str] = []

    def handler(channel: EslChannel) -> None:
        taken.append(channel.info.uuid)
        channel.hangup()

    parked = server(switch, handler, retry_max=0.5)
    try:
        other = {name: value for name, value in RENDERED.items() if name != "cc_control"}
        stranger = switch.park_call(CallScript(variables={}), variables=other)
        switch.drop_connections()
        assert switch.wait_for_subscribers(1, timeout=5)
        wait_until(parked.wait_connected, timeout=5)
        call = park(switch)
        assert call.wait(10)
    finally:
        parked.stop()
    assert taken == [call.uuid]
    assert stranger.executed == []
    assert call.hung_up_by == "application"
