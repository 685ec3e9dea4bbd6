"""Call handling never waits behind API work, and a locked CRM delays a caller by 1 s at most.

The HTTP API runs its database work on threads of its own (callcenter.server: `WorkerPool`), so a burst
of API writes stuck on a locked database cannot take the threads a new caller's screening needs. And
the screening itself answers within `ANSWER_WITHIN` (schema.adapters.crm_directory): a CRM that does not
answer in time leaves the caller unknown, and the caller reaches the menu.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import gevent
import gevent.threadpool
import pytest
from sqlalchemy import Connection, text

from esl_handlers.connection import open_inbound
from schema.adapters.crm_directory import ANSWER_WITHIN
from schema.crm.queries import create_customer
from schema.crm.users import create_user, issue_token
from schema.db import create_engine_from_url
from schema.threadpool import in_thread
from schema.viewer import SYSTEM
from tests.support.acd_rig import Rig, RigFactory, make_rig
from tests.support.standin import InboundSwitch, ScriptedCall

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

CALLER = "+15550003000"
OPTIONS = "Sales 1."
PLAN = f"""
version: 1
crm:
  default_region: US
prompts:
  options: {{text: "{OPTIONS}"}}
menus:
  main:
    prompt: options
    options:
      "1": {{hangup: {{}}}}
    fallback: {{hangup: {{}}}}
dids:
  "4001": {{menu: main}}
"""
API_WRITES = 12  # more than the hub's 10 threads: before the API had its own, they took them all
MENU_WITHIN = 1.0  # seconds from the call's start to the menu prompt
ESL_PASSWORD = "isolation-test-secret-0123"


def seconds_to_menu(rig: Rig) -> tuple[float, ScriptedCall]:
    began = time.monotonic()
    call = rig.place(keys=[""], caller_number=CALLER)
    while not any(OPTIONS in (arg or "") for _, arg in call.executed):
        assert time.monotonic() - began < 30, f"no menu; commands: {call.executed}"
        gevent.sleep(0.01)
    return time.monotonic() - began, call


def post_notes(port: int, token: str, customer_id: int, count: int) -> list[gevent.Greenlet]:
    """`count` note writes at once, each from a real thread of the test's own (not the hub's)."""
    clients = gevent.threadpool.ThreadPool(count)

    def write(n: int) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            body = json.dumps({"body": f"note {n}"})
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            connection.request("POST", f"/api/customers/{customer_id}/notes", body, headers)
            return connection.getresponse().status
        finally:
            connection.close()

    return [gevent.spawn(clients.apply, write, (n,)) for n in range(count)]


@contextmanager
def database_locked(database_url: str, lock: Callable[[Connection], None]) -> Iterator[None]:
    """Hold a lock on the database while the body runs; the writes it blocked then go through."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # every writer waits; WAL readers do not
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine_from_url(database_url)
    try:
        with engine.connect() as connection, connection.begin():
            lock(connection)
            yield
    finally:
        engine.dispose()


def seed(rig: Rig) -> tuple[str, int]:
    engine = create_engine_from_url(rig.database_url)
    try:
        create_user(engine, "maria", "manager")
        token = issue_token(engine, "maria")
        customer = create_customer(engine, SYSTEM, name="Jane Doe", phones=["+15550001000"], region="US")
        return token, customer.id
    finally:
        engine.dispose()


def lock_notes(connection: Connection) -> None:
    connection.execute(text("LOCK TABLE notes IN ACCESS EXCLUSIVE MODE"))


def test_api_writes_stuck_on_a_locked_database_do_not_hold_up_new_callers(make_rig: RigFactory) -> None:
    rig = make_rig(dialplan_text=PLAN, api=True)
    token, customer_id = seed(rig)
    assert rig.app.api is not None
    with database_locked(rig.database_url, lock_notes):
        writes = post_notes(rig.app.api.port, token, customer_id, API_WRITES)
        gevent.sleep(0.5)  # the writes reach the database and wait on the lock
        assert not any(write.ready() for write in writes)
        elapsed, call = seconds_to_menu(rig)
    rig.finish(call)
    assert elapsed < MENU_WITHIN, f"the menu came {elapsed:.2f} s after the call"
    assert rig.call_row(call.uuid).screening == "unknown"
    statuses = [write.get(timeout=60) for write in writes]
    assert statuses == [201] * API_WRITES  # nothing the API accepted is lost


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_crm_that_does_not_answer_in_time_leaves_the_caller_unknown(make_rig: RigFactory) -> None:
    rig = make_rig(dialplan_text=PLAN)

    def lock_phones(connection: Connection) -> None:
        connection.execute(text("LOCK TABLE phone_numbers IN ACCESS EXCLUSIVE MODE"))

    with database_locked(rig.database_url, lock_phones):
        elapsed, call = seconds_to_menu(rig)
        rig.finish(call)
    assert ANSWER_WITHIN <= elapsed < ANSWER_WITHIN + MENU_WITHIN, f"the menu came after {elapsed:.2f} s"
    row: Any = rig.call_row(call.uuid)
    assert row.screening == "unknown"


def test_an_esl_connect_does_not_wait_for_a_full_thread_pool() -> None:
    switch = InboundSwitch(password=ESL_PASSWORD)
    switch.start()
    release = threading.Event()
    hub_threads = gevent.get_hub().threadpool.maxsize
    holders = [gevent.spawn(in_thread, release.wait, 30) for _ in range(hub_threads + 2)]
    try:
        gevent.sleep(0.2)  # every hub thread now waits
        began = time.monotonic()
        host, port = switch.address
        connection = open_inbound(host, port, ESL_PASSWORD, on_frame=lambda frame: None)
        elapsed = time.monotonic() - began
        connection.close()
    finally:
        release.set()
        gevent.joinall(holders, timeout=10)
        switch.stop()
    assert elapsed < MENU_WITHIN, f"the connect took {elapsed:.2f} s"
