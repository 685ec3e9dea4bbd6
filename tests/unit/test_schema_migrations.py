"""The hand-written migration builds exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

# Imported for their side effect: their tables join Base.metadata.
import schema.acd.models
import schema.campaigns.models
import schema.crm.models
import schema.recording.models
import schema.reporting.models  # noqa: F401
from schema.calls.models import Base
from schema.crm.users import USERS
from schema.db import create_engine_from_url
from schema.migrate import current_revision, downgrade, upgrade
from schema.reporting.models import ReportSettings
from tests.support.report_history import seed as seed_report_history

HEAD = "0015"
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
    "report_settings",
    "rollup_state",
    "rollup_queue",
    "rollup_volume",
    "rollup_abandons",
    "rollup_agent",
    "rollup_agent_day",
    "rollup_ivr",
    "rollup_csat",
    "web_sessions",
    "call_dispositions",
}
DESK_TABLES = {"web_sessions", "call_dispositions"}
ROLLUP_TABLES = {table for table in ALL_TABLES if table.startswith("rollup_")}
TABLES_0014 = ALL_TABLES - DESK_TABLES
TABLES_0013 = TABLES_0014 - ROLLUP_TABLES
REPORT_VIEWS = {
    "v_agent_state_periods",
    "v_queue_interval",
    "v_agent_interval",
    "v_interval_volume",
    "v_hourly_volume",
    "v_ivr_menu_options",
    "v_first_call_resolution",
    "v_first_call_resolution_queue",
    "v_csat",
}


def _tables(url: str) -> set[str]:
    engine = create_engine_from_url(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _views(url: str) -> set[str]:
    engine = create_engine_from_url(url)
    try:
        return set(inspect(engine).get_view_names())
    finally:
        engine.dispose()


def test_upgrade_to_head_creates_the_tables(blank_database_url: str) -> None:
    assert current_revision(blank_database_url) is None
    assert _tables(blank_database_url) == set()

    upgrade(blank_database_url)

    assert current_revision(blank_database_url) == HEAD
    assert _tables(blank_database_url) == ALL_TABLES
    assert _views(blank_database_url) == REPORT_VIEWS


def test_upgrade_twice_is_harmless(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    upgrade(blank_database_url)
    assert current_revision(blank_database_url) == HEAD


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
    assert _views(database_url) == set()

    upgrade(database_url)
    assert _tables(database_url) == ALL_TABLES
    assert _views(database_url) == REPORT_VIEWS


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
        assert _tables(blank_database_url) == TABLES_0013 - CAMPAIGN_TABLES - {
            "agent_legs",
            "report_settings",
        }
        with engine.connect() as connection:
            assert list(connection.execute(select(USERS.c.username)).scalars()) == ["maria"]
    finally:
        engine.dispose()


def test_0007_down_removes_only_the_answers(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0006")
    assert current_revision(blank_database_url) == "0006"
    assert _tables(blank_database_url) == TABLES_0013 - {
        "campaign_answers",
        "campaign_previews",
        "agent_legs",
        "report_settings",
    }


def test_0010_down_removes_only_the_previews(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0009")
    assert current_revision(blank_database_url) == "0009"
    assert _tables(blank_database_url) == TABLES_0013 - {"campaign_previews", "agent_legs", "report_settings"}


def test_0011_down_removes_only_the_agent_legs(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0010")
    assert current_revision(blank_database_url) == "0010"
    assert _tables(blank_database_url) == TABLES_0013 - {"agent_legs", "report_settings"}


def test_0012_down_removes_only_the_views_and_settings_and_up_restores_the_defaults(
    blank_database_url: str,
) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0011")
    assert current_revision(blank_database_url) == "0011"
    assert _tables(blank_database_url) == TABLES_0013 - {"report_settings"}
    assert _views(blank_database_url) == set()

    upgrade(blank_database_url)
    engine = create_engine_from_url(blank_database_url)
    try:
        with engine.connect() as connection:
            settings = connection.execute(select(ReportSettings.__table__)).all()
    finally:
        engine.dispose()
    assert _views(blank_database_url) == REPORT_VIEWS
    assert [tuple(row) for row in settings] == [(1, 20.0, 5.0, 7, "csat", 4)]


def test_0013_changes_how_the_ivr_view_reads_outcomes_not_its_figures(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    engine = create_engine_from_url(blank_database_url)
    query = text("SELECT * FROM v_ivr_menu_options ORDER BY menu, option, interval_start")
    try:
        seed_report_history(engine)
        with engine.connect() as connection:
            at_head = [tuple(row) for row in connection.execute(query)]
        downgrade(blank_database_url, "0012")
        with engine.connect() as connection:
            at_0012 = [tuple(row) for row in connection.execute(query)]
            definition = _view_definition(connection, "v_ivr_menu_options")
    finally:
        engine.dispose()
    assert current_revision(blank_database_url) == "0012"
    assert "join calls" in " ".join(definition.lower().split())
    assert len(at_head) == 7
    assert at_head == at_0012
    upgrade(blank_database_url)
    assert current_revision(blank_database_url) == HEAD


def test_0014_down_removes_only_the_rollups_and_their_indexes(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0013")
    assert current_revision(blank_database_url) == "0013"
    assert _tables(blank_database_url) == TABLES_0013
    engine = create_engine_from_url(blank_database_url)
    try:
        indexes = {index["name"] for index in inspect(engine).get_indexes("ivr_steps")}
    finally:
        engine.dispose()
    assert "ix_ivr_steps_at" not in indexes
    upgrade(blank_database_url)
    assert _tables(blank_database_url) == ALL_TABLES


def test_0015_down_removes_only_the_desks_tables(blank_database_url: str) -> None:
    upgrade(blank_database_url)
    downgrade(blank_database_url, "0014")
    assert current_revision(blank_database_url) == "0014"
    assert _tables(blank_database_url) == TABLES_0014
    upgrade(blank_database_url)
    assert _tables(blank_database_url) == ALL_TABLES


def _view_definition(connection: Connection, name: str) -> str:
    if connection.dialect.name == "postgresql":
        found = connection.execute(text("SELECT pg_get_viewdef(CAST(:name AS regclass))"), {"name": name})
    else:
        found = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": name})
    return str(found.scalar_one())


def test_report_settings_keeps_one_row_of_non_negative_thresholds(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)check"), engine.begin() as connection:
        connection.execute(
            insert(ReportSettings).values(
                id=2,
                service_level_s=20,
                short_abandon_s=5,
                fcr_window_days=7,
                csat_question="csat",
                csat_satisfied_score=4,
            )
        )
    with pytest.raises(IntegrityError, match=r"(?i)check"), engine.begin() as connection:
        connection.execute(text("UPDATE report_settings SET short_abandon_s = -1"))
