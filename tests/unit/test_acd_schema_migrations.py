"""Migration 0002 adds the ACD tables with their keys, checks and indexes, and comes off cleanly."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, bindparam, inspect, text
from sqlalchemy.exc import IntegrityError

from schema.db import create_engine_from_url
from schema.migrate import current_revision, downgrade, upgrade
from schema.types import UtcDateTime

ACD_TABLES = {"agents", "agent_state_log", "queue_log"}
T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


def _tables(url: str) -> set[str]:
    engine = create_engine_from_url(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_down_to_0001_removes_only_the_acd_tables_and_up_restores_them(database_url: str) -> None:
    downgrade(database_url, "0001")
    assert current_revision(database_url) == "0001"
    assert _tables(database_url) == {"alembic_version", "calls", "ivr_steps"}

    upgrade(database_url, "0002")
    assert current_revision(database_url) == "0002"
    assert _tables(database_url) >= ACD_TABLES | {"calls", "ivr_steps"}

    downgrade(database_url, "0001")
    upgrade(database_url, "0002")
    assert current_revision(database_url) == "0002"


def test_keys_and_indexes_exist(engine: Engine) -> None:
    inspector = inspect(engine)
    uniques = {
        table: {uq["name"]: uq["column_names"] for uq in inspector.get_unique_constraints(table)}
        for table in ("agent_state_log", "queue_log")
    }
    indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("queue_log")}
    (foreign_key,) = inspector.get_foreign_keys("agent_state_log")
    checks = {ck["name"] for ck in inspector.get_check_constraints("agents")}

    assert uniques["agent_state_log"] == {"uq_agent_state_log_agent_id_version": ["agent_id", "version"]}
    assert uniques["queue_log"] == {
        "uq_queue_log_call_uuid_queue_event_agent_id_at": ["call_uuid", "queue", "event", "agent_id", "at"]
    }
    assert indexes["ix_queue_log_queue_event_at"] == ["queue", "event", "at"]
    assert indexes["ix_queue_log_agent_id_at"] == ["agent_id", "at"]
    assert foreign_key["referred_table"] == "agents"
    assert checks == {"ck_agents_state", "ck_agents_call_held", "ck_agents_no_answers"}
    assert inspector.get_pk_constraint("agents")["constrained_columns"] == ["agent_id"]


def _insert_agent(engine: Engine, state: str, call_uuid: str | None) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO agents (agent_id, state, call_uuid, state_since, consecutive_no_answers,"
                " version, updated_at) VALUES ('1001', :state, :call, :at, 0, 0, :at)"
            ).bindparams(bindparam("at", type_=UtcDateTime())),
            {"state": state, "call": call_uuid, "at": T0},
        )


@pytest.mark.parametrize(
    ("state", "call_uuid"),
    [("sleeping", None), ("on_call", None), ("reserved", None)],
    ids=["unknown state", "on_call without a call", "reserved without a call"],
)
def test_the_database_refuses_impossible_agent_rows(
    engine: Engine, state: str, call_uuid: str | None
) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)check"):
        _insert_agent(engine, state, call_uuid)


def test_the_database_accepts_a_consistent_agent_row(engine: Engine) -> None:
    _insert_agent(engine, "on_call", "c-1")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT state, call_uuid FROM agents")).all() == [("on_call", "c-1")]


def test_the_database_refuses_an_unknown_queue_event(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)check"), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO queue_log (at, call_uuid, queue, agent_id, event)"
                " VALUES (:at, 'c-1', 'sales', '', 'HANGUP')"
            ).bindparams(bindparam("at", type_=UtcDateTime())),
            {"at": T0},
        )
