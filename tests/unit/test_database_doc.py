"""docs/database.md stays true: every column of every table is documented, and every example query runs on
SQLite and PostgreSQL against a small seeded history and returns what an analyst should see."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import Engine, Table, insert, inspect, text

import schema.acd.models
import schema.campaigns.models
import schema.crm.models
import schema.recording.models
import schema.reporting.models
from schema.calls.models import Base

DOC: Final = Path(__file__).resolve().parents[2] / "docs" / "database.md"
MODEL_MODULES: Final = (
    schema.acd.models,
    schema.campaigns.models,
    schema.crm.models,
    schema.recording.models,
    schema.reporting.models,
)
SECTION: Final = re.compile(r"^### `(\w+)`$", re.MULTILINE)
COLUMN_ROW: Final = re.compile(r"^\| `(\w+)` \|", re.MULTILINE)
SQL_BLOCK: Final = re.compile(
    r"^```sql(?: (postgresql|sqlite))?\n-- (\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL
)


def documented_columns() -> dict[str, list[str]]:
    doc = DOC.read_text()
    tables_part = doc.split("\n## Tables\n", 1)[1].split("\n## Twenty example queries\n", 1)[0]
    pieces = SECTION.split(tables_part)
    return {name: COLUMN_ROW.findall(body) for name, body in zip(pieces[1::2], pieces[2::2], strict=True)}


def test_every_table_and_column_is_documented_and_nothing_else() -> None:
    assert all(module.__name__ for module in MODEL_MODULES)  # imported: their tables are on Base.metadata
    models = {table.name: [column.name for column in table.columns] for table in Base.metadata.sorted_tables}
    documented = documented_columns()
    assert sorted(documented) == sorted(models)
    for table, columns in models.items():
        assert documented[table] == columns, f"docs/database.md, table {table}: columns in the model's order"


def documented_view_columns() -> dict[str, list[str]]:
    views_part = DOC.read_text().split("\n## Views\n", 1)[1]
    pieces = SECTION.split(views_part)
    return {name: COLUMN_ROW.findall(body) for name, body in zip(pieces[1::2], pieces[2::2], strict=True)}


def test_every_view_and_its_columns_are_documented_in_order(engine: Engine) -> None:
    inspector = inspect(engine)
    views = {
        name: [column["name"] for column in inspector.get_columns(name)]
        for name in inspector.get_view_names()
    }
    documented = documented_view_columns()
    assert sorted(documented) == sorted(views)
    for view, columns in views.items():
        assert documented[view] == columns, f"docs/database.md, view {view}: columns in the view's order"


def sql_blocks() -> list[tuple[str, str | None, str]]:
    """(name, dialect or None for both, SQL) of every ```sql block of the doc."""
    return [(name, dialect or None, sql) for dialect, name, sql in SQL_BLOCK.findall(DOC.read_text())]


def test_there_are_twenty_named_queries_and_dialect_versions_come_in_pairs() -> None:
    blocks = sql_blocks()
    assert len(re.findall(r"^```sql", DOC.read_text(), re.MULTILINE)) == len(blocks)
    names = {name for name, _, _ in blocks}
    assert len(names) == 20
    assert names == set(EXPECTED)
    for name in names:
        dialects = sorted(str(dialect) for block_name, dialect, _ in blocks if block_name == name)
        assert dialects in (["None"], ["postgresql", "sqlite"]), name


T: Final = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


def at(seconds: float, *, day: int = 1) -> dt.datetime:
    return T + dt.timedelta(days=day - 1, seconds=seconds)


def call(uuid: str, caller: str, started: dt.datetime, outcome: str, customer: int | None) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "caller_number": caller,
        "started_at": started,
        "outcome": outcome,
        "customer_id": customer,
        "menu_path": "main",
        "updated_at": started,
    }


def queued(
    when: dt.datetime, uuid: str, queue: str, event: str, agent: str = "", **values: Any
) -> dict[str, Any]:
    row = {"at": when, "call_uuid": uuid, "queue": queue, "agent_id": agent, "event": event}
    return row | {"wait_s": None, "talk_s": None, "position": None, "data": None} | values


def leg(
    leg_uuid: str,
    uuid: str,
    queue: str,
    agent: str,
    outcome: str,
    offered: dt.datetime,
    ring_ms: int,
    *,
    talk_ms: int | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    answered = offered + dt.timedelta(milliseconds=ring_ms) if outcome == "answered" else None
    ended = (answered or offered) + dt.timedelta(milliseconds=talk_ms or (0 if answered else ring_ms))
    return {
        "leg_uuid": leg_uuid,
        "call_uuid": uuid,
        "queue": queue,
        "agent_id": agent,
        "outcome": outcome,
        "offered_at": offered,
        "answered_at": answered,
        "ended_at": ended,
        "ring_ms": ring_ms,
        "talk_ms": talk_ms,
        "cause": cause,
        "callback": False,
        "server": "app-1",
    }


def history() -> list[tuple[str, list[dict[str, Any]]]]:
    """Seven calls on 1 March 2024 (and two later), two queues, three agents, one ring-all call."""
    customer = {"custom_fields": {}, "created_at": T, "updated_at": T}
    agent = {
        "state": "available",
        "state_since": T,
        "consecutive_no_answers": 0,
        "version": 9,
        "updated_at": T,
    }
    break_row = {
        "from_state": "available",
        "to_state": "on_break",
        "trigger": "go_break",
        "at": T,
        "server": "a",
    }
    answered = "answered"
    return [
        (
            "customers",
            [
                {"id": 1, "name": "Ann", "tier": "gold"} | customer,
                {"id": 2, "name": "Bob", "tier": "silver"} | customer,
            ],
        ),
        (
            "calls",
            [
                call("call-1", "+15550000001", at(0), answered, 1),
                call("call-2", "+15550000002", at(600), answered, 2),
                call("call-3", "+15550000003", at(1200), "abandoned", None),
                call("call-4", "+15550000001", at(3600, day=3), "abandoned", 1),
                call("call-5", "+15550000004", at(3900), answered, None),
                call("call-6", "+15550000002", at(0, day=20), "caller_hangup", 2),
                call("call-7", "+15550000005", at(1800), "transferred", None),
            ],
        ),
        (
            "ivr_steps",
            [
                {
                    "call_uuid": f"call-{n}",
                    "seq": seq,
                    "menu": "main",
                    "prompt": None,
                    "digits": digits,
                    "result": result,
                    "at": T,
                }
                for n, keys in ((1, "1"), (2, "1"), (3, "1"), (4, "2"), (5, "2"), (6, None), (7, "3"))
                for seq, digits, result in ((1, None, "played"), (2, keys, "ok" if keys else "timeout"))
            ],
        ),
        (
            "queue_log",
            [
                queued(at(2), "call-1", "sales", "ENTERQUEUE", position=1),
                queued(at(10), "call-1", "sales", "RINGNOANSWER", "1002", wait_s=8.0, data="NO_ANSWER"),
                queued(at(12), "call-1", "sales", "CONNECT", "1001", wait_s=10.0),
                queued(at(132), "call-1", "sales", "COMPLETECALLER", "1001", wait_s=10.0, talk_s=120.0),
                queued(at(602), "call-2", "sales", "ENTERQUEUE", position=1),
                queued(at(632), "call-2", "sales", "CONNECT", "1002", wait_s=30.0),
                queued(at(932), "call-2", "sales", "COMPLETEAGENT", "1002", wait_s=30.0, talk_s=300.0),
                queued(at(1202), "call-3", "sales", "ENTERQUEUE", position=2),
                queued(at(1205), "call-3", "sales", "ABANDON", wait_s=3.0),
                queued(at(3602, day=3), "call-4", "support", "ENTERQUEUE", position=1),
                queued(at(3642, day=3), "call-4", "support", "ABANDON", wait_s=40.0),
                queued(at(3902), "call-5", "support", "ENTERQUEUE", position=1),
                queued(at(3906), "call-5", "support", "CONNECT", "1003", wait_s=4.0),
                queued(at(3966), "call-5", "support", "COMPLETEAGENT", "1003", wait_s=4.0, talk_s=60.0),
            ],
        ),
        (
            "agent_legs",
            [
                leg("leg-1", "call-1", "sales", "1002", "no_answer", at(2), 8000, cause="NO_ANSWER"),
                leg("leg-2", "call-1", "sales", "1001", answered, at(10), 2000, talk_ms=120000),
                leg("leg-3", "call-2", "sales", "1001", "rejected", at(620), 1000, cause="USER_BUSY"),
                leg("leg-4", "call-2", "sales", "1002", answered, at(627), 5000, talk_ms=300000),
                leg(
                    "leg-5",
                    "call-4",
                    "support",
                    "1003",
                    "caller_abandoned",
                    at(3622, day=3),
                    20000,
                    cause="ORIGINATOR_CANCEL",
                ),
                leg("leg-6", "call-5", "support", "1001", "lost_race", at(3902), 4000, cause="LOSE_RACE"),
                leg("leg-7", "call-5", "support", "1003", answered, at(3902), 4000, talk_ms=60000),
            ],
        ),
        ("agents", [{"agent_id": agent_id} | agent for agent_id in ("1001", "1002", "1003")]),
        (
            "agent_state_log",
            [
                {"agent_id": "1001", "version": 1, "reason": "lunch"} | break_row,
                {"agent_id": "1001", "version": 2, "reason": "training"} | break_row,
                {"agent_id": "1001", "version": 3, "reason": "lunch"} | break_row,
                {"agent_id": "1002", "version": 1, "reason": "lunch"} | break_row,
                {"agent_id": "1002", "version": 2, "reason": None}
                | break_row
                | {"to_state": "available", "trigger": "ready"},
            ],
        ),
        (
            "survey_responses",
            [
                {
                    "call_uuid": "call-1",
                    "survey": "after_call",
                    "question": "csat",
                    "score": 5,
                    "agent_id": "1001",
                    "queue": "sales",
                    "answered_at": T,
                },
                {
                    "call_uuid": "call-1",
                    "survey": "after_call",
                    "question": "resolved",
                    "score": 1,
                    "agent_id": "1001",
                    "queue": "sales",
                    "answered_at": T,
                },
                {
                    "call_uuid": "call-2",
                    "survey": "after_call",
                    "question": "csat",
                    "score": 3,
                    "agent_id": "1002",
                    "queue": "sales",
                    "answered_at": T,
                },
                {
                    "call_uuid": "call-5",
                    "survey": "after_call",
                    "question": "csat",
                    "score": 4,
                    "agent_id": "1003",
                    "queue": "support",
                    "answered_at": T,
                },
            ],
        ),
        (
            "recordings",
            [
                {
                    "id": n,
                    "call_uuid": uuid,
                    "agent_leg_uuid": leg_uuid,
                    "agent_id": agent_id,
                    "path": f"/r/{n}.wav",
                    "format": "wav",
                    "channels": 2,
                    "duration_s": seconds,
                    "paused": False,
                    "keep": False,
                    "deleted_at": deleted,
                    "updated_at": T,
                }
                for n, uuid, leg_uuid, agent_id, seconds, deleted in (
                    (1, "call-1", "leg-2", "1001", 120.0, None),
                    (2, "call-2", "leg-4", "1002", 300.0, None),
                    (3, "call-5", "leg-7", "1003", 60.0, None),
                    (4, "call-1", "leg-2", "1001", 10.0, T),
                )
            ],
        ),
        (
            "qa_scores",
            [
                {
                    "recording_id": recording,
                    "form": "basic",
                    "reviewer": "qa",
                    "agent_id": agent_id,
                    "criterion": criterion,
                    "score": score,
                    "max_score": most,
                    "weight": weight,
                    "scored_at": T,
                }
                for recording, agent_id, criterion, score, most, weight in (
                    (1, "1001", "greeting", 4, 5, 1.0),
                    (1, "1001", "resolution", 8, 10, 2.0),
                    (2, "1002", "greeting", 2, 5, 1.0),
                    (2, "1002", "resolution", 6, 10, 2.0),
                )
            ],
        ),
        (
            "campaign_attempts",
            [
                {
                    "campaign": campaign,
                    "phone_e164": f"+1555100{n:04d}",
                    "attempt_no": 1,
                    "started_at": T,
                    "outcome": outcome,
                }
                for n, (campaign, outcome) in enumerate(
                    [("renewals", "human")] * 2
                    + [("renewals", "no_answer")] * 3
                    + [("renewals", "machine"), ("renewals", "busy"), ("winback", "human")]
                )
            ],
        ),
    ]


EXPECTED: Final[dict[str, list[tuple[Any, ...]]]] = {
    "offered_answered_abandoned_per_queue": [("sales", 3, 2, 1), ("support", 2, 1, 1)],
    "service_level_per_queue_hour": [
        ("sales", "2024-03-01 09", 3, 1, 33.3),
        ("support", "2024-03-01 10", 1, 1, 100.0),
        ("support", "2024-03-03 10", 1, 0, 0.0),
    ],
    "asa_per_queue": [("sales", 2, 20.0), ("support", 1, 4.0)],
    "abandon_rate_excluding_short_abandons": [("sales", 3, 1, 0, 0.0), ("support", 2, 0, 1, 50.0)],
    "calls_per_outcome": [("answered", 3), ("abandoned", 2), ("caller_hangup", 1), ("transferred", 1)],
    "who_answered_each_call": [
        ("call-1", "+15550000001", "sales", "1001", 2000, 120000),
        ("call-2", "+15550000002", "sales", "1002", 5000, 300000),
        ("call-5", "+15550000004", "support", "1003", 4000, 60000),
    ],
    "agent_ring_and_talk_time": [
        ("1001", 3, 1, 7.0, 120.0),
        ("1002", 2, 1, 13.0, 300.0),
        ("1003", 2, 1, 24.0, 60.0),
    ],
    "agent_legs_by_outcome": [
        ("1001", "answered", 1),
        ("1001", "lost_race", 1),
        ("1001", "rejected", 1),
        ("1002", "answered", 1),
        ("1002", "no_answer", 1),
        ("1003", "answered", 1),
        ("1003", "caller_abandoned", 1),
    ],
    "answer_rate_per_agent": [("1001", 1, 2, 50.0), ("1002", 1, 2, 50.0), ("1003", 1, 1, 100.0)],
    "aht_per_agent": [("1001", 1, 120.0), ("1002", 1, 300.0), ("1003", 1, 60.0)],
    "agents_tried_before_the_answer": [("call-1", "1001", 1), ("call-2", "1002", 1), ("call-5", "1003", 0)],
    "breaks_per_agent": [("1001", "lunch", 2), ("1001", "training", 1), ("1002", "lunch", 1)],
    "ivr_dropoff_per_menu_option": [("main", "1", 3, 1), ("main", "2", 2, 1), ("main", "3", 1, 0)],
    "repeat_callers_within_7_days": [("+15550000001", "call-1", "call-4")],
    "calls_by_customer_tier": [("gold", 2, 1), ("none", 3, 1), ("silver", 2, 1)],
    "csat_per_agent": [("1001", 1, 5.0), ("1002", 1, 3.0), ("1003", 1, 4.0)],
    "csat_by_answer_speed": [("later", 1, 3.0), ("within 20 s", 2, 4.5)],
    "recordings_per_agent": [("1001", 1, 0.033), ("1002", 1, 0.083), ("1003", 1, 0.017)],
    "qa_score_per_agent": [("1001", 1, 80.0), ("1002", 1, 56.0)],
    "campaign_attempts_per_outcome": [
        ("renewals", "no_answer", 3),
        ("renewals", "human", 2),
        ("renewals", "busy", 1),
        ("renewals", "machine", 1),
        ("winback", "human", 1),
    ],
}


def seed(engine: Engine) -> None:
    tables: dict[str, Table] = {table.name: table for table in Base.metadata.sorted_tables}
    with engine.begin() as connection:
        for name, rows in history():
            connection.execute(insert(tables[name]), rows)


def plain(rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows as tuples, numbers compared to three decimals (PostgreSQL answers NUMERIC, SQLite REAL)."""

    def value(cell: Any) -> Any:
        if isinstance(cell, Decimal | float):
            return round(float(cell), 3)
        return cell

    return [tuple(value(cell) for cell in row) for row in rows]


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    return engine


def test_every_example_query_returns_what_the_seeded_history_says(seeded: Engine) -> None:
    dialect = seeded.dialect.name
    ran: dict[str, list[tuple[Any, ...]]] = {}
    with seeded.connect() as connection:
        for name, only_on, sql in sql_blocks():
            if only_on in (None, dialect):
                ran[name] = plain(connection.execute(text(sql)).all())
    assert ran == EXPECTED
