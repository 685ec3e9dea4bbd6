"""The CRM facts of a call ride write_batch: the matched customer and screening merge like the other
call fields, survey answers are stored once per (call, question); on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select

from schema.acd.models import QueueLogEntry
from schema.acd.records import QueueEvent
from schema.calls.models import Call
from schema.calls.records import CallUpdate, SurveyAnswerRecord
from schema.calls.writes import Record, write_batch
from schema.crm.access import CUSTOMERS
from schema.crm.models import SurveyResponse
from schema.errors import RecordRejected
from schema.migrate import upgrade

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def add_customer(engine: Engine, name: str) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(CUSTOMERS)
                .values(name=name, custom_fields={}, created_at=T0, updated_at=T0)
                .returning(CUSTOMERS.c.id)
            ).scalar_one()
        )


def call_row(engine: Engine, uuid: str) -> dict[str, Any]:
    with engine.connect() as connection:
        return dict(connection.execute(select(Call.__table__).where(Call.uuid == uuid)).mappings().one())


def answers(engine: Engine) -> list[dict[str, Any]]:
    table = SurveyResponse.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.call_uuid, table.c.question)).mappings()
        return [{k: v for k, v in row.items() if k != "id"} for row in rows]


ANSWER: dict[str, Any] = {
    "call_uuid": "c1",
    "survey": "after-call",
    "question": "overall",
    "score": 5,
    "agent_id": "alice",
    "queue": "support",
    "answered_at": at(120),
}


def answer(uuid: str, question: str, score: int, **changes: Any) -> SurveyAnswerRecord:
    return SurveyAnswerRecord(
        **(ANSWER | {"call_uuid": uuid, "question": question, "score": score} | changes)
    )


# --- call rows ---------------------------------------------------------------------------------


def test_screening_merges_like_the_other_fields_and_replays_change_nothing(engine: Engine) -> None:
    jane = add_customer(engine, "Jane Doe")
    batch = [
        CallUpdate("c1", direction="inbound", caller_number="+441632960001", started_at=at(0)),
        CallUpdate("c1", customer_id=jane, screening="known", screening_detail="gold"),
        CallUpdate("c1", outcome="queued"),  # knows nothing of screening: must not erase it
    ]
    write_batch(engine, batch)
    first = call_row(engine, "c1")
    assert (first["customer_id"], first["screening"], first["screening_detail"]) == (jane, "known", "gold")
    assert first["outcome"] == "queued"

    write_batch(engine, batch)
    assert call_row(engine, "c1") == first  # updated_at included: nothing was rewritten

    write_batch(engine, [CallUpdate("c1", screening="vip", screening_detail="listed")])
    later = call_row(engine, "c1")
    assert (later["customer_id"], later["screening"], later["screening_detail"]) == (jane, "vip", "listed")
    assert later["updated_at"] > first["updated_at"]


def test_a_customer_deleted_since_the_lookup_does_not_sink_the_batch(engine: Engine) -> None:
    jane, gone = add_customer(engine, "Jane Doe"), add_customer(engine, "Gone Soon")
    write_batch(engine, [CallUpdate("c1", customer_id=jane), CallUpdate("c2", customer_id=jane)])
    with engine.begin() as connection:
        connection.execute(delete(CUSTOMERS).where(CUSTOMERS.c.id == gone))

    write_batch(
        engine,
        [
            CallUpdate("c1", customer_id=gone, screening="known", outcome="queued"),
            CallUpdate("c3", customer_id=gone, caller_number="+15551230000"),
        ],
    )

    c1, c3 = call_row(engine, "c1"), call_row(engine, "c3")
    assert (c1["customer_id"], c1["screening"], c1["outcome"]) == (jane, "known", "queued")
    assert (c3["customer_id"], c3["caller_number"]) == (None, "+15551230000")


def test_deleting_a_customer_unlinks_their_calls(engine: Engine) -> None:
    jane = add_customer(engine, "Jane Doe")
    write_batch(engine, [CallUpdate("c1", customer_id=jane, screening="known")])
    with engine.begin() as connection:
        connection.execute(delete(CUSTOMERS).where(CUSTOMERS.c.id == jane))
    row = call_row(engine, "c1")
    assert (row["customer_id"], row["screening"]) == (None, "known")


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"screening": "maybe"}, "screening"),
        ({"customer_id": 0}, "customer_id"),
        ({"customer_id": True}, "customer_id"),
        ({"customer_id": "7"}, "customer_id"),
    ],
)
def test_bad_screening_facts_are_refused_where_they_are_made(changes: dict[str, Any], complaint: str) -> None:
    with pytest.raises(RecordRejected, match=complaint):
        CallUpdate("c1", **changes)


# --- survey answers ----------------------------------------------------------------------------


def test_survey_answers_are_stored_once_and_the_first_answer_stays(engine: Engine) -> None:
    batch = [answer("c2", "overall", 4), answer("c1", "overall", 5), answer("c1", "agent", 3, agent_id=None)]
    write_batch(engine, batch)
    stored = answers(engine)
    assert [(row["call_uuid"], row["question"], row["score"], row["agent_id"]) for row in stored] == [
        ("c1", "agent", 3, None),
        ("c1", "overall", 5, "alice"),
        ("c2", "overall", 4, "alice"),
    ]
    assert stored[1] == {
        "call_uuid": "c1",
        "survey": "after-call",
        "question": "overall",
        "score": 5,
        "agent_id": "alice",
        "queue": "support",
        "answered_at": at(120),
    }

    write_batch(engine, [*batch, answer("c1", "overall", 1, answered_at=at(300))])
    assert answers(engine) == stored


def test_answers_ride_with_call_records_and_queue_events_without_creating_calls(engine: Engine) -> None:
    batch: list[Record] = [
        CallUpdate("c1", outcome="queued"),
        QueueEvent(at(60), "c1", "support", "COMPLETEAGENT", agent_id="alice", talk_s=50.0),
        answer("c1", "overall", 5),
        answer("only-survey", "overall", 2),
    ]
    write_batch(engine, batch)
    with engine.connect() as connection:
        calls = connection.execute(select(Call.uuid)).scalars().all()
        events = connection.execute(select(QueueLogEntry.event)).scalars().all()
    assert calls == ["c1"]
    assert events == ["COMPLETEAGENT"]
    assert [(row["call_uuid"], row["score"]) for row in answers(engine)] == [("c1", 5), ("only-survey", 2)]


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"score": 0}, "score"),
        ({"score": 10}, "score"),
        ({"score": True}, "score"),
        ({"score": 2.5}, "score"),
        ({"question": ""}, "question"),
        ({"survey": "s" * 65}, "survey"),
        ({"queue": ""}, "queue"),
        ({"agent_id": "a" * 65}, "agent_id"),
        ({"call_uuid": ""}, "uuid"),
        ({"answered_at": dt.datetime(2024, 3, 1, 9, 0)}, "answered_at"),
        ({"answered_at": "2024-03-01"}, "answered_at"),
    ],
)
def test_bad_survey_answers_are_refused_where_they_are_made(changes: dict[str, Any], complaint: str) -> None:
    with pytest.raises(RecordRejected, match=complaint):
        SurveyAnswerRecord(**(ANSWER | changes))


def test_a_survey_answer_keeps_nul_characters_as_replacement_marks() -> None:
    record = answer("c1", "overall", 9, queue="sup\x00port")
    assert record.queue == "sup\ufffdport"
    assert dataclasses.asdict(record)["score"] == 9


# --- the foreign key to customers ---------------------------------------------------------------


def test_call_writes_work_in_a_process_that_never_imported_the_crm_models(tmp_path: Path) -> None:
    """calls.customer_id references customers: writing and reading calls must not depend on someone
    else having imported schema.crm.models first (SQLAlchemy resolves the key by table name)."""
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    upgrade(url)
    script = textwrap.dedent(
        f"""
        import datetime as dt
        from sqlalchemy import insert, select
        from sqlalchemy.orm import Session
        from schema.calls.writes import Record, write_batch
        from schema.db import create_engine_from_url
        from schema.calls.models import Base, Call
        from schema.calls.records import CallUpdate

        engine = create_engine_from_url({url!r})
        now = dt.datetime.now(dt.UTC)
        customers = Base.metadata.tables["customers"]
        with engine.begin() as connection:
            connection.execute(
                insert(customers).values(
                    id=7, name="Jane", custom_fields={{}}, created_at=now, updated_at=now
                )
            )
        write_batch(engine, [CallUpdate("c1", customer_id=7, screening="known")])
        with Session(engine) as session:
            call = session.scalars(select(Call)).one()
            print(call.uuid, call.customer_id, call.screening, len(call.steps))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["c1", "7", "known", "0"]
