"""The inbound event listener against the stand-in's mod_event_socket, over real TCP."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from esl_handlers.codec import Event
from esl_handlers.event_listener import EventListener
from tests.support.standin import InboundCall, InboundSwitch
from tests.support.waiting import wait_until

pytestmark = pytest.mark.wire

PASSWORD = "s3cret-pw"


@pytest.fixture
def switch() -> Iterator[InboundSwitch]:
    switch = InboundSwitch(password=PASSWORD)
    switch.start()
    yield switch
    switch.stop()


def make_listener(switch: InboundSwitch, received: list[Event], **options: Any) -> EventListener:
    settings: dict[str, Any] = {"retry_initial": 0.02, "retry_max": 0.1, "retry_after_auth_failure": 0.05}
    settings.update(options)
    host, port = switch.address
    return EventListener(received.append, host, port, **settings)


@pytest.fixture
def running() -> Iterator[list[EventListener]]:
    listeners: list[EventListener] = []
    yield listeners
    for listener in listeners:
        listener.stop(timeout=1.0)


Listen = Callable[..., tuple[EventListener, list[Event]]]


@pytest.fixture
def listen(switch: InboundSwitch, running: list[EventListener]) -> Listen:
    """listen(**options) starts a listener on the switch, PASSWORD unless told; returns it, its events."""

    def start(**options: object) -> tuple[EventListener, list[Event]]:
        events: list[Event] = []
        listener = make_listener(switch, events, **{"password": PASSWORD, **options})
        running.append(listener)
        listener.start()
        return listener, events

    return start


def test_it_subscribes_and_receives_a_calls_events(switch: InboundSwitch, listen: Listen) -> None:
    listener, events = listen()
    assert switch.wait_for_subscribers(1)
    call = switch.emit_call(InboundCall(caller_number="+15557654321", dtmf="9"))
    wait_until(lambda: len(events) == 3, what="three events")
    assert [e.name for e in events] == ["CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"]
    assert {e.unique_id for e in events} == {call.uuid}
    assert events[0].get("Caller-Caller-ID-Number") == "+15557654321"
    assert events[2].get("Hangup-Cause") == "NORMAL_CLEARING"
    session = switch.sessions[0]
    assert [c.line for c in session.commands] == [
        f"auth {PASSWORD}",
        "event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE",
    ]
    assert listener.connected


def test_json_events_decode_the_same(switch: InboundSwitch, listen: Listen) -> None:
    _, events = listen(event_format="json", events=["ALL"])
    assert switch.wait_for_subscribers(1)
    call = switch.emit_call(InboundCall(dtmf="1"))
    wait_until(lambda: len(events) == 4, what="four events")
    assert [e.name for e in events] == ["CHANNEL_CREATE", "CHANNEL_ANSWER", "DTMF", "CHANNEL_HANGUP_COMPLETE"]
    assert events[2].get("DTMF-Digit") == "1"
    assert all(e.unique_id == call.uuid for e in events)


def test_it_reconnects_after_the_switch_drops_the_connection(switch: InboundSwitch, listen: Listen) -> None:
    listener, events = listen()
    assert switch.wait_for_subscribers(1)
    switch.drop_connections()
    wait_until(lambda: listener.sessions == 2 and len(switch.subscribers()) == 1, what="resubscription")
    call = switch.emit_call()
    wait_until(lambda: len(events) == 3, what="events after reconnecting")
    assert {e.unique_id for e in events} == {call.uuid}


def test_it_waits_for_a_restarting_switch_and_says_so(
    switch: InboundSwitch, listen: Listen, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="esl_handlers.event_listener")
    listener, events = listen()
    assert switch.wait_for_subscribers(1)
    switch.stop()
    host, port = switch.address
    wait_until(
        lambda: f"waiting for FreeSWITCH ESL at {host}:{port} (retry in" in caplog.text, what="log line"
    )
    assert not listener.connected
    switch.start()
    wait_until(lambda: listener.connected and len(switch.subscribers()) == 1, what="reconnection")
    switch.emit_call()
    wait_until(lambda: len(events) == 3, what="events after the restart")
    assert PASSWORD not in caplog.text


def test_a_wrong_password_is_reported_and_retried_without_crashing(
    switch: InboundSwitch, listen: Listen, caplog: pytest.LogCaptureFixture
) -> None:
    listener, _ = listen(password="wrong-password")
    wait_until(lambda: switch.auth_failures >= 2, what="two refused attempts")
    assert not listener.connected
    assert "rejected the password" in caplog.text
    assert "wrong-password" not in caplog.text
    switch.password = "wrong-password"  # the operator fixes the switch side
    wait_until(lambda: listener.connected, what="connection once the password matches")


def test_a_duplicate_event_is_delivered_twice(switch: InboundSwitch, listen: Listen) -> None:
    _, events = listen()
    assert switch.wait_for_subscribers(1)
    switch.emit_call(events=("CHANNEL_HANGUP_COMPLETE",))
    switch.replay_last()
    wait_until(lambda: len(events) == 2, what="both copies")
    assert events[0].get("Event-Sequence") == events[1].get("Event-Sequence")
    assert events[0].unique_id == events[1].unique_id


def test_a_failing_event_handler_does_not_stop_the_listener(
    switch: InboundSwitch, running: list[EventListener], caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def on_event(event: Event) -> None:
        seen.append(event.name)
        if event.name == "CHANNEL_CREATE":
            raise RuntimeError("database is down")

    host, port = switch.address
    listener = EventListener(on_event, host, port, password=PASSWORD)
    running.append(listener)
    listener.start()
    assert switch.wait_for_subscribers(1)
    switch.emit_call()
    wait_until(lambda: len(seen) == 3, what="all three events")
    assert listener.connected
    assert listener.sessions == 1
    assert "event handler failed on CHANNEL_CREATE" in caplog.text


def test_stop_says_goodbye(switch: InboundSwitch) -> None:
    listener = make_listener(switch, [], password=PASSWORD)
    listener.start()
    assert switch.wait_for_subscribers(1)
    listener.stop(timeout=1.0)
    assert not listener.connected
    assert switch.sessions[0].commands[-1].line == "exit"
