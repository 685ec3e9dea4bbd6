"""The live statistics in the assembled server, over real TCP (tests/support/acd_rig.py's rig, SQLite and
PostgreSQL): calls through the ACD show on GET /api/stats/queues and the agents on GET /api/stats/agents,
fed by the ACD's events (SQLite: handed over directly; PostgreSQL: through NOTIFY), never by polling.
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


def api_get(rig: Rig, path: str, token: str) -> Any:
    """GET over a real TCP connection, from a worker thread (the API answers on this process's hub)."""
    assert rig.app.api is not None
    port = rig.app.api.port

    def get() -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            assert response.status == 200, response.read()
            return json.loads(response.read())
        finally:
            connection.close()

    return gevent.get_hub().threadpool.apply(get)


def queue(rig: Rig, token: str, name: str) -> dict[str, Any]:
    (figures,) = [q for q in api_get(rig, "/api/stats/queues", token) if q["queue"] == name]
    assert isinstance(figures, dict)
    return figures


def agent_states(rig: Rig, token: str) -> dict[str, str]:
    return {agent["agent_id"]: agent["state"] for agent in api_get(rig, "/api/stats/agents", token)}


def test_an_answered_and_an_abandoned_call_show_in_the_live_figures(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001"], api=True)
    token = manager_token(rig)
    assert queue(rig, token, "sales")["offered"] == 0  # every queue of the dialplan is listed
    wait_until(lambda: agent_states(rig, token).get("1001") == "available", what="the board's agents")
    rig.phone("1001", talk_seconds=0.2)
    rig.finish(rig.place(keys=["1"]))
    wait_until(lambda: queue(rig, token, "sales")["answered"] == 1, what="the answered call")
    wait_until(lambda: agent_states(rig, token)["1001"] == "available", what="the agent free again")

    rig.finish(rig.place(keys=["4"], hangup_after=0.3))  # vip: its agent 1003 is not ready
    wait_until(lambda: queue(rig, token, "vip")["abandoned"] == 1, what="the abandon")
    sales, vip = queue(rig, token, "sales"), queue(rig, token, "vip")
    assert (sales["offered"], sales["service_level"], sales["waiting"]) == (1, 1.0, 0)
    # The caller hung up within the report's 5 s: a short abandon, no chance to be answered, as the report
    # counts it; the one offered call leaves no service level to show.
    assert (vip["offered"], vip["short_abandons"], vip["service_level"], vip["waiting"]) == (1, 1, None, 0)
