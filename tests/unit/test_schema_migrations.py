"""The hand-written migration builds exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select

# Imported for their side effect: the ACD and CRM tables join Base.metadata.
import schema.acd.models
import schema.campaigns.models
import schema.crm.models
import schema.recording.models  # noqa: F401
from schema.calls.models import Base
from schema.crm.users import USERS
from schema.db import create_engine_from_url
from schema.migrate import current_revision, downgrade, upgrade

ALL_TABLES = {
    "alembic_version",
    "calls",
    "ivr_steps",
    "agents",
    "agent_state_log",
    "queue_log",
    "customers",
    "phone_numbers",
    "customer_keys",
    "tickets",
    "notes",
    "opportunities",
    "screening_rules",
    "survey_responses",
    "crm_users",
    "api_tokens",
    "recordings",
    "qa_scores",
    "campaigns",
    "campaign_transitions",
    "call_lists",
    "leads",
    "dnc_numbers",
    "campaign_exclusions",
    "campaign_attempts",
    "agent_legs",
    "campaign_answers",
    "campaign_previews",
}


def _tables(url: str) -> set[str]:
    engine = create_engine_from_url(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_to_head_creates_the_tables(blank_database_url: str) -> None:
    assert current_revision(blank_database_url) is None
    assert _tables(blank_database_url) == set()

    upgrade(blank_database_url)

    assert current_revision(blank_database_url) == "0011"
    assert _tables(blank_database_url) == ALL_TABLES


def test_upgrade_twice_is_harmless(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    upgrade(blank_database_url)
    assert current_revision(blank_database_url) == "0011"


def test_migration_matches_the_models(database_url: str) -> None:
    engine = create_engine_from_url(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_analyst_indexes_and_constraints_exist(database_url: str) -> None:
    engine = create_engine_from_url(database_url)
    try:
        inspector = inspect(engine)
        indexes = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("calls")}
        uniques = {uq["name"]: uq["column_names"] for uq in inspector.get_unique_constraints("ivr_steps")}
        (foreign_key,) = inspector.get_foreign_keys("ivr_steps")
        checks = [ck["name"] for ck in inspector.get_check_constraints("calls")]
    finally:
        engine.dispose()
    assert indexes["ix_calls_started_at"] == ["started_at"]
    assert indexes["ix_calls_did_started_at"] == ["did", "started_at"]
    assert indexes["ix_calls_caller_number_started_at"] == ["caller_number", "started_at"]
    assert uniques["uq_ivr_steps_call_uuid_seq"] == ["call_uuid", "seq"]
    assert foreign_key["referred_table"] == "calls"
    assert foreign_key["referred_columns"] == ["uuid"]
    assert foreign_key["options"].get("ondelete") == "CASCADE"
    assert checks == ["ck_calls_direction"]


def test_downgrade_removes_the_tables_and_upgrade_restores_them(database_url: str) -> None:
    downgrade(database_url)
    assert current_revision(database_url) is None
    assert _tables(database_url) <= {"alembic_version"}

    upgrade(database_url)
    assert _tables(database_url) == ALL_TABLES


def test_users_made_before_0005_keep_their_rows_and_have_no_extension(blank_database_url: str) -> None:
    upgrade(blank_database_url, "0004")
    engine = create_engine_from_url(blank_database_url)
    try:
        row = {"username": "maria", "role": "manager", "active": True, "created_at": dt.datetime.now(dt.UTC)}
        with engine.begin() as connection:  # the columns 0004 has
            connection.execute(insert(USERS).values(row))
        upgrade(blank_database_url)
        with engine.connect() as connection:
            found = connection.execute(select(USERS.c.username, USERS.c.extension)).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in found] == [("maria", None)]


CAMPAIGN_TABLES = {
    "campaign_answers",
    "campaign_previews",
    "campaigns",
    "campaign_transitions",
    "call_lists",
    "leads",
    "dnc_numbers",
    "campaign_exclusions",
    "campaign_attempts",
}


def test_0006_down_removes_only_the_campaign_tables_and_keeps_earlier_rows(blank_database_url: str) -> None:
    upgrade(blank_database_url, "0005")
    engine = create_engine_from_url(blank_database_url)
    try:
        row = {"username": "maria", "role": "manager", "active": True, "created_at": dt.datetime.now(dt.UTC)}
        with engine.begin() as connection:
            connection.execute(insert(USERS).values(row))
        upgrade(blank_database_url)
        assert _tables(blank_database_url) == ALL_TABLES

        downgrade(blank_database_url, "0005")

        assert current_revision(blank_database_url) == "0005"
        assert _tables(blank_database_url) == ALL_TABLES - CAMPAIGN_TABLES - {"agent_legs"}
        with engine.connect() as connection:
            assert list(connection.execute(select(USERS.c.username)).scalars()) == ["maria"]
    finally:
        engine.dispose()


def test_0007_down_removes_only_the_answers(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0006")
    assert current_revision(blank_database_url) == "0006"
    assert _tables(blank_database_url) == ALL_TABLES - {"campaign_answers", "campaign_previews", "agent_legs"}


def test_0010_down_removes_only_the_previews(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0009")
    assert current_revision(blank_database_url) == "0009"
    assert _tables(blank_database_url) == ALL_TABLES - {"campaign_previews", "agent_legs"}


def test_0011_down_removes_only_the_agent_legs(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0010")
    assert current_revision(blank_database_url) == "0010"
    assert _tables(blank_database_url) == ALL_TABLES - {"agent_legs"}
