"""Screen pops pushed to agents: PushHub's queues, and GET /api/events as server-sent events over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import gevent
import pytest
from sqlalchemy import Engine

from http_api.push import SCREENPOP_EVENT, PushHub, PushMessage
from schema.crm.screenpop import build_screen_pop
from schema.crm.views import ScreenPop
from schema.viewer import SYSTEM
from tests.support.http_api import CALL_OF_JANE, REGION, running_api, seed

DEADLINE_S = 10.0  # a generous bound for things that happen within milliseconds


def wait_until(condition: Callable[[], bool]) -> None:
    with gevent.Timeout(DEADLINE_S, AssertionError("condition not met in time")):
        while not condition():
            gevent.sleep(0.01)


# --- the hub ---------------------------------------------------------------------------------------


def test_publish_reaches_every_session_of_the_agent_only() -> None:
    hub = PushHub()
    desk, tablet, other = hub.subscribe("1001"), hub.subscribe("1001"), hub.subscribe("1002")

    assert hub.publish("1001", "screenpop", "{}") == 2
    assert hub.publish("1003", "screenpop", "{}") == 0

    assert desk.next_message(0) == PushMessage("screenpop", "{}")
    assert tablet.next_message(0) == PushMessage("screenpop", "{}")
    assert other.next_message(0) is None


def test_a_slow_session_loses_the_oldest_messages_and_they_are_counted() -> None:
    hub = PushHub(queue_size=2)
    slow = hub.subscribe("1001")

    for number in range(1, 5):
        hub.publish("1001", "screenpop", str(number))

    assert [slow.next_message(0) for _ in range(3)] == [
        PushMessage("screenpop", "3"),
        PushMessage("screenpop", "4"),
        None,
    ]
    assert (slow.dropped, hub.dropped) == (2, 2)


def test_closed_sessions_are_forgotten() -> None:
    hub = PushHub()
    session = hub.subscribe("1001")

    session.close()
    session.close()  # twice is harmless

    assert hub.sessions("1001") == 0
    assert hub.publish("1001", "screenpop", "{}") == 0


def test_messages_encode_as_sse_frames_one_data_line_per_line() -> None:
    assert PushMessage("screenpop", '{"a": 1}').encode() == b'event: screenpop\ndata: {"a": 1}\n\n'
    assert PushMessage("note", "one\r\ntwo\rthree\nfour").encode() == (
        b"event: note\ndata: one\ndata: two\ndata: three\ndata: four\n\n"
    )


@pytest.mark.parametrize("name", ["", "two words", "line\nbreak", "x" * 65])
def test_event_names_that_would_break_the_stream_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="event name"):
        PushHub().publish("1001", name, "{}")


# --- over HTTP -------------------------------------------------------------------------------------


def test_an_agent_receives_the_screen_pop_published_for_them(engine: Engine) -> None:
    data = seed(engine)
    hub = PushHub()
    pop = build_screen_pop(engine, SYSTEM, CALL_OF_JANE, region=REGION)
    with running_api(engine, push=hub) as api:
        stream = api.open_stream("/api/events", data.tokens["alice"])
        try:
            assert stream.response.status == 200
            assert stream.response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
            assert stream.next_event() == {"retry": "3000"}  # the opening frame: headers are out
            assert stream.comments == ["connected"]
            assert hub.sessions("1001") == 1

            assert hub.publish("1001", SCREENPOP_EVENT, pop.model_dump_json()) == 1
            event = stream.next_event()
        finally:
            stream.close()

    assert event["event"] == "screenpop"
    assert ScreenPop.model_validate_json(event["data"]) == pop
    assert pop.customer is not None
    assert pop.customer.id == data.jane.id


def test_an_idle_stream_gets_keepalives_and_ends_when_the_client_goes(engine: Engine) -> None:
    data = seed(engine)
    hub = PushHub(keepalive_seconds=0.05)
    with running_api(engine, push=hub) as api:
        stream = api.open_stream("/api/events", data.tokens["bob"])
        assert stream.next_comment() == "keepalive"
        assert hub.sessions("1002") == 1

        stream.close()

        wait_until(lambda: hub.sessions("1002") == 0)  # the next keepalive write failed


def test_closing_the_hub_ends_open_streams(engine: Engine) -> None:
    data = seed(engine)
    hub = PushHub()
    with running_api(engine, push=hub) as api:
        stream = api.open_stream("/api/events", data.tokens["alice"])
        try:
            stream.next_event()
            hub.close()
            with pytest.raises(EOFError):
                stream.next_event()
        finally:
            stream.close()
    assert hub.sessions("1001") == 0


@pytest.mark.parametrize("user", ["sam", "maria"])
def test_only_agents_may_open_the_event_stream(engine: Engine, user: str) -> None:
    data = seed(engine)
    with running_api(engine, push=PushHub()) as api:
        reply = api.get("/api/events", data.tokens[user])

    assert reply.status == 403
    assert "for agents" in reply.error


def test_without_a_hub_the_event_stream_is_unavailable(engine: Engine) -> None:
    data = seed(engine)
    with running_api(engine) as api:
        assert api.get("/api/events", None).status == 401
        reply = api.get("/api/events", data.tokens["alice"])

    assert reply.status == 503
    assert "pushes no events" in reply.error
