"""The CHECK constraints the migrations created are the ones the models generate from the vocabularies.

schema/acd/models.py generates its constraints from dialplans.vocabulary (agent states, queue events);
the migrations are frozen history and write the names out. A migrated database holds the two together.
The named words of dialplans.vocabulary are words of its own lists.
"""

from __future__ import annotations

from typing import cast

import pytest
from sqlalchemy import CheckConstraint, Engine, Table, text

from dialplans import vocabulary
from dialplans.vocabulary import QUEUE_EVENT_NAMES, AgentState
from schema.acd.models import Agent, AgentStateLog, QueueLogEntry


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_migrated_check_constraints_are_the_generated_ones(engine: Engine) -> None:
    with engine.connect() as connection:
        created: dict[str, str] = dict(
            connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
        )
    checked = 0
    for model in (Agent, AgentStateLog, QueueLogEntry):
        table = model.__table__
        assert isinstance(table, Table)
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                assert f"CHECK ({constraint.sqltext})" in created[table.name], (table.name, constraint.name)
                checked += 1
    assert checked == 5


def test_the_generated_constraints_name_every_word_of_the_vocabularies() -> None:
    agent_checks = {
        str(c.sqltext) for c in cast(Table, Agent.__table__).constraints if isinstance(c, CheckConstraint)
    }
    queue_checks = {
        str(c.sqltext)
        for c in cast(Table, QueueLogEntry.__table__).constraints
        if isinstance(c, CheckConstraint)
    }
    assert any(all(f"'{state}'" in check for state in AgentState) for check in agent_checks)
    assert any(all(f"'{event}'" in check for event in QUEUE_EVENT_NAMES) for check in queue_checks)


def test_every_queue_event_and_named_hangup_cause_is_a_word_of_its_vocabulary() -> None:
    named_events = {getattr(vocabulary, event) for event in QUEUE_EVENT_NAMES}
    assert named_events == set(QUEUE_EVENT_NAMES)
    causes = {vocabulary.NORMAL_CLEARING, vocabulary.ORIGINATOR_CANCEL, vocabulary.UNALLOCATED_NUMBER}
    causes |= {vocabulary.NORMAL_TEMPORARY_FAILURE, vocabulary.CALL_REJECTED, vocabulary.SUCCESS}
    causes |= vocabulary.NO_ANSWER_CAUSES | vocabulary.BUSY_CAUSES
    assert causes <= vocabulary.FREESWITCH_HANGUP_CAUSES
