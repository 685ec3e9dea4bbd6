"""Survey averages per agent and per queue, each viewer seeing exactly their share; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from schema.acd.agents import upsert_agents
from schema.acd.records import AgentProfile
from schema.calls.records import SurveyAnswerRecord
from schema.calls.surveys import survey_averages
from schema.calls.writes import write_batch
from schema.crm.views import SurveyAverage
from schema.errors import RecordRejected
from schema.viewer import SYSTEM, Viewer
from tests.support.unchecked import unchecked

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
LATER = T0 + dt.timedelta(days=7)
MANAGER = Viewer("maria", "manager")
SALES_SUPERVISOR = Viewer("sam", "supervisor", department="sales")
ALICE = Viewer("alice", "agent", agent_id="alice")

# (call, question, score, agent, queue, answered at)
ANSWERS = [
    ("c1", "overall", 5, "alice", "sales", T0),
    ("c1", "agent", 4, "alice", "sales", T0),
    ("c2", "overall", 2, "alice", "support", LATER),
    ("c3", "overall", 3, "bob", "sales", T0),
    ("c4", "overall", 1, "carol", "support", LATER),
    ("c5", "overall", 4, None, "support", LATER),  # no agent: the caller rated the queue alone
]


@pytest.fixture
def surveyed(engine: Engine) -> Engine:
    upsert_agents(
        engine,
        [
            AgentProfile("alice", department="sales"),
            AgentProfile("bob", department="sales"),
            AgentProfile("carol", department="support"),
        ],
    )
    write_batch(
        engine,
        [
            SurveyAnswerRecord(call, "after-call", q, score, agent, queue, at)
            for call, q, score, agent, queue, at in ANSWERS
        ],
    )
    return engine


def by_agent(agent_id: str | None, question: str, answers: int, average: float) -> SurveyAverage:
    return SurveyAverage(agent_id=agent_id, question=question, answers=answers, average=average)


def by_queue(queue: str, question: str, answers: int, average: float) -> SurveyAverage:
    return SurveyAverage(queue=queue, question=question, answers=answers, average=average)


def test_managers_and_the_system_see_every_answer(surveyed: Engine) -> None:
    every_agent = [
        by_agent("alice", "agent", 1, 4.0),
        by_agent("alice", "overall", 2, 3.5),
        by_agent("bob", "overall", 1, 3.0),
        by_agent("carol", "overall", 1, 1.0),
        by_agent(None, "overall", 1, 4.0),
    ]
    every_queue = [
        by_queue("sales", "agent", 1, 4.0),
        by_queue("sales", "overall", 2, 4.0),
        by_queue("support", "overall", 3, 7 / 3),
    ]
    for viewer in (MANAGER, SYSTEM):
        assert survey_averages(surveyed, viewer, by="agent") == every_agent
        queues = survey_averages(surveyed, viewer, by="queue")
        assert [(q.queue, q.question, q.answers) for q in queues] == [
            (q.queue, q.question, q.answers) for q in every_queue
        ]
        assert [q.average for q in queues] == pytest.approx([q.average for q in every_queue])


def test_an_agent_sees_only_their_own_answers(surveyed: Engine) -> None:
    assert survey_averages(surveyed, ALICE, by="agent") == [
        by_agent("alice", "agent", 1, 4.0),
        by_agent("alice", "overall", 2, 3.5),
    ]
    assert survey_averages(surveyed, ALICE, by="queue") == [
        by_queue("sales", "agent", 1, 4.0),
        by_queue("sales", "overall", 1, 5.0),
        by_queue("support", "overall", 1, 2.0),
    ]


def test_a_supervisor_sees_the_answers_of_their_departments_agents(surveyed: Engine) -> None:
    assert survey_averages(surveyed, SALES_SUPERVISOR, by="agent") == [
        by_agent("alice", "agent", 1, 4.0),
        by_agent("alice", "overall", 2, 3.5),
        by_agent("bob", "overall", 1, 3.0),
    ]
    assert survey_averages(surveyed, SALES_SUPERVISOR, by="queue") == [
        by_queue("sales", "agent", 1, 4.0),
        by_queue("sales", "overall", 2, 4.0),
        by_queue("support", "overall", 1, 2.0),  # alice's support call, not carol's
    ]
    support = Viewer("sue", "supervisor", department="support")
    assert survey_averages(surveyed, support, by="agent") == [by_agent("carol", "overall", 1, 1.0)]
    nobody = Viewer("ned", "supervisor", department="empty")
    assert survey_averages(surveyed, nobody, by="agent") == []


def test_since_keeps_the_answers_from_then_on(surveyed: Engine) -> None:
    assert survey_averages(surveyed, MANAGER, by="agent", since=LATER) == [
        by_agent("alice", "overall", 1, 2.0),
        by_agent("carol", "overall", 1, 1.0),
        by_agent(None, "overall", 1, 4.0),
    ]
    assert survey_averages(surveyed, ALICE, by="agent", since=LATER + dt.timedelta(seconds=1)) == []


def test_bad_arguments_are_refused(surveyed: Engine) -> None:
    with pytest.raises(RecordRejected, match="timezone"):
        survey_averages(surveyed, MANAGER, by="agent", since=dt.datetime(2024, 3, 1))
    with pytest.raises(RecordRejected, match="agent or queue"):
        survey_averages(surveyed, MANAGER, by=unchecked("department"))
