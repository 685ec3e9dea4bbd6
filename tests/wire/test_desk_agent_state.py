"""The desk's agent-state route in the assembled server, over real TCP (tests/support/acd_rig.py's rig,
SQLite and PostgreSQL): an agent logging in through the API is offered the caller already waiting at
once, because the API wakes the serving process's ACD (its tick is set far off here, so on SQLite
nothing else would; on PostgreSQL the change's NOTIFY would too), and the live board shows the break
reason the API set.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import gevent
import pytest

from schema.crm.users import create_user, issue_token
from schema.db import create_engine_from_url
from tests.support.acd_rig import Rig, RigFactory, make_rig
from tests.support.waiting import wait_until

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire


def manager_token(rig: Rig) -> str:
    engine = create_engine_from_url(rig.database_url)
    try:
        create_user(engine, "maria", "manager")
        return issue_token(engine, "maria")
    finally:
        engine.dispose()


def api(rig: Rig, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    """A request over a real TCP connection, from a worker thread (the API answers on this hub)."""
    assert rig.app.api is not None
    port = rig.app.api.port

    def send() -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()

    result: tuple[int, Any] = gevent.get_hub().threadpool.apply(send)
    return result


def test_logging_in_through_the_api_offers_the_waiting_caller_at_once(make_rig: RigFactory) -> None:
    rig = make_rig(tick=30.0, api=True)  # no agent ready; the ACD's own tick would come in 30 s
    token = manager_token(rig)
    rig.phone("1001", talk_seconds=0.2)
    call = rig.place(keys=["1"])
    wait_until(lambda: bool(rig.queue_log()), what="the caller waiting in the queue")

    status, agent = api(rig, "POST", "/api/agents/1001/state", token, {"action": "login"})

    assert status == 200
    assert agent["state"] == "available"
    rig.finish(call, timeout=10)
    assert ("CONNECT", "1001") in [(row.event, row.agent_id) for row in rig.queue_log()]


def test_a_break_through_the_api_shows_on_the_live_board(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001"], api=True)
    token = manager_token(rig)

    status, agent = api(rig, "POST", "/api/agents/1001/state", token, {"action": "break", "reason": "lunch"})

    assert (status, agent["state"], agent["reason"]) == (200, "on_break", "lunch")

    def board() -> dict[str, Any]:
        return {a["agent_id"]: a for a in api(rig, "GET", "/api/stats/agents", token)[1]}

    wait_until(lambda: board()["1001"]["state"] == "on_break", what="the break on the board")
    assert board()["1001"]["reason"] == "lunch"
