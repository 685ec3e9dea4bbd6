"""Sticky routing's lookup: the agent of a returning caller's latest CONNECT, per queue, in a window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from schema.acd.agents import write_queue_events
from schema.acd.records import QueueEvent
from schema.acd.sticky import last_agent_for, last_agent_query
from schema.calls.records import CallUpdate
from schema.calls.writes import write_batch
from schema.db import create_engine_from_url
from schema.errors import RecordRejected
from schema.migrate import upgrade

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
ANN = "+15551230000"
BOB = "+15559870000"


def call(engine: Engine, uuid: str, caller: str, started: dt.datetime) -> None:
    write_batch(engine, [CallUpdate(uuid, caller_number=caller, started_at=started)])


def connect(uuid: str, queue: str, agent: str, at: dt.datetime, event: str = "CONNECT") -> QueueEvent:
    return QueueEvent(at, uuid, queue, event, agent, wait_s=5.0)


@pytest.fixture
def history(engine: Engine) -> Engine:
    """Ann called repair three times and sales once; Bob called repair once."""
    call(engine, "ann-1", ANN, T0)
    call(engine, "ann-2", ANN, T0 + 3 * DAY)
    call(engine, "ann-3", ANN, T0 + 5 * DAY)
    call(engine, "ann-sales", ANN, T0 + 6 * DAY)
    call(engine, "bob-1", BOB, T0 + 7 * DAY)
    write_queue_events(
        engine,
        [
            connect("ann-1", "repair", "1001", T0 + dt.timedelta(seconds=30)),
            connect("ann-2", "repair", "1005", T0 + 3 * DAY + dt.timedelta(seconds=10), "RINGNOANSWER"),
            connect("ann-2", "repair", "1002", T0 + 3 * DAY + dt.timedelta(seconds=40)),
            # ann-3: a callback; its agent rang but the customer never answered: no CONNECT.
            connect("ann-3", "repair", "1006", T0 + 5 * DAY + dt.timedelta(seconds=60), "RINGNOANSWER"),
            connect("ann-sales", "sales", "1007", T0 + 6 * DAY),
            connect("bob-1", "repair", "1008", T0 + 7 * DAY),
        ],
    )
    return engine


def test_the_latest_connect_of_the_caller_in_the_queue_wins(history: Engine) -> None:
    assert last_agent_for(history, ANN, "repair", since=T0 - DAY) == "1002"
    assert last_agent_for(history, ANN, "sales", since=T0 - DAY) == "1007"
    assert last_agent_for(history, BOB, "repair", since=T0 - DAY) == "1008"


def test_the_window_starts_at_since_inclusive(history: Engine) -> None:
    connected = T0 + 3 * DAY + dt.timedelta(seconds=40)
    assert last_agent_for(history, ANN, "repair", since=connected) == "1002"
    assert last_agent_for(history, ANN, "repair", since=connected + dt.timedelta(microseconds=1)) is None
    # The same moment written in another zone is the same window.
    paris = dt.timezone(dt.timedelta(hours=1))
    assert last_agent_for(history, ANN, "repair", since=connected.astimezone(paris)) == "1002"


def test_an_earlier_agent_is_returned_when_the_later_call_falls_outside_the_queue(history: Engine) -> None:
    call(history, "ann-4", ANN, T0 + 8 * DAY)
    write_queue_events(history, [connect("ann-4", "complaints", "1003", T0 + 8 * DAY)])
    assert last_agent_for(history, ANN, "repair", since=T0 - DAY) == "1002"
    assert last_agent_for(history, ANN, "complaints", since=T0 - DAY) == "1003"


def test_unknown_and_withheld_callers_have_no_agent(history: Engine) -> None:
    assert last_agent_for(history, "+15550000000", "repair", since=T0 - DAY) is None
    assert last_agent_for(history, ANN, "roadside", since=T0 - DAY) is None
    assert last_agent_for(history, "", "repair", since=T0 - DAY) is None


def test_a_call_with_no_caller_number_is_nobodys(engine: Engine) -> None:
    write_batch(engine, [CallUpdate("anon-1", started_at=T0)])
    write_queue_events(engine, [connect("anon-1", "repair", "1001", T0)])
    assert last_agent_for(engine, "", "repair", since=T0 - DAY) is None
    assert last_agent_for(engine, ANN, "repair", since=T0 - DAY) is None


def test_a_window_without_a_timezone_is_refused(engine: Engine) -> None:
    with pytest.raises(RecordRejected, match="timezone"):
        last_agent_for(engine, ANN, "repair", since=dt.datetime(2024, 3, 1))


def test_the_lookup_is_backed_by_indexes(engine: Engine) -> None:
    inspector = inspect(engine)
    call_indexes = [tuple(ix["column_names"]) for ix in inspector.get_indexes("calls")]
    log_keys = [tuple(ix["column_names"]) for ix in inspector.get_indexes("queue_log")] + [
        tuple(uq["column_names"]) for uq in inspector.get_unique_constraints("queue_log")
    ]
    assert ("caller_number", "started_at") in call_indexes
    assert ("queue", "event", "at") in log_keys
    assert ("call_uuid", "queue", "event", "agent_id", "at") in log_keys


def test_sqlite_plans_no_full_scan(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = create_engine_from_url(url)
    try:
        compiled = last_agent_query().compile(dialect=engine.dialect)
        given = {"caller_number": ANN, "queue": "repair", "since": T0}
        params = compiled.construct_params(given)
        positional = tuple(params[name] for name in compiled.positiontup or ())
        with engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional).all()
    finally:
        engine.dispose()
    steps = [str(row[-1]) for row in plan]
    assert steps
    # Every table is reached through an index (SEARCH), never read whole (SCAN).
    assert not [step for step in steps if step.startswith("SCAN")], steps
