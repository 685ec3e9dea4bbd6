"""QA scores of recordings: validation against the form, who may score, re-scoring, and per-agent
averages per role; on SQLite and PostgreSQL.

The world: departments sales (agents 1001, 1002) and service (agent 2001); recordings r1 and r5
(answered by 1001), r2 (1002), r3 (2001), r4 (no agent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy import exc as sa_exc

from dialplans.recording_models import QaCriterion, QaForm
from schema.acd.agents import upsert_agents
from schema.acd.records import AgentProfile, QueueEvent
from schema.calls.writes import Record, write_batch
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.recording.models import QaScore
from schema.recording.qa import qa_averages, save_scores
from schema.recording.recordings import list_recordings
from schema.recording.records import RecordingEvent, RecordingPlanned
from schema.viewer import SYSTEM, Viewer

T0 = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
FORM = QaForm(
    name="Standard call review",
    criteria=[
        QaCriterion(id="greeting", weight=1, max_score=5),
        QaCriterion(id="resolution", weight=3, max_score=10),
        QaCriterion(id="compliance", weight=2, max_score=1),
    ],
)
TOP = {"greeting": 5, "resolution": 10, "compliance": 1}
ZERO = {"greeting": 0, "resolution": 0, "compliance": 0}

AGENT = Viewer("ann", "agent", agent_id="1001", department="sales")
SUE = Viewer("sue", "supervisor", department="sales")
SAM = Viewer("sam", "supervisor", department="service")
MAX = Viewer("max", "manager")


@dataclass
class World:
    engine: Engine
    ids: dict[str, int]


@pytest.fixture
def world(engine: Engine) -> World:
    departments = {"1001": "sales", "1002": "sales", "2001": "service"}
    upsert_agents(
        engine, [AgentProfile(agent, department=department) for agent, department in departments.items()]
    )
    batch: list[Record] = []
    for call, agent in [("r1", "1001"), ("r2", "1002"), ("r3", "2001"), ("r4", None), ("r5", "1001")]:
        path = f"/rec/2024/03/01/{call}.wav"
        batch += [
            RecordingPlanned(call, path, "all", "wav", 2, "support", 30, T0),
            RecordingEvent(call, path, "start", T0),
            RecordingEvent(call, path, "stop", T0 + dt.timedelta(minutes=5)),
        ]
        if agent is not None:
            batch.append(
                QueueEvent(T0 + dt.timedelta(seconds=20), call, "support", "CONNECT", agent_id=agent)
            )
    write_batch(engine, batch)
    return World(engine, {r.call_uuid: r.id for r in list_recordings(engine, SYSTEM)})


def score_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(QaScore.__table__)).scalar_one())


# --- saving scores ---------------------------------------------------------------------------------


def test_a_review_is_stored_per_criterion_with_the_recordings_agent(world: World) -> None:
    scores = {"greeting": 5, "resolution": 5, "compliance": 1}
    result = save_scores(world.engine, SUE, world.ids["r1"], "standard", FORM, scores, now=T0 + DAY)
    assert (result.recording_id, result.form, result.reviewer, result.agent_id) == (
        world.ids["r1"],
        "standard",
        "sue",
        "1001",
    )
    assert result.scored_at == T0 + DAY
    assert [(s.criterion, s.score, s.max_score, s.weight) for s in result.scores] == [
        ("greeting", 5, 5, 1.0),
        ("resolution", 5, 10, 3.0),
        ("compliance", 1, 1, 2.0),
    ]
    assert result.percent == pytest.approx((1 * 5 / 5 + 3 * 5 / 10 + 2 * 1 / 1) / 6 * 100)  # 75.0
    with world.engine.connect() as connection:
        stored = connection.execute(
            select(QaScore.criterion, QaScore.score, QaScore.agent_id, QaScore.reviewer).order_by(
                QaScore.criterion
            )
        ).all()
    assert [tuple(row) for row in stored] == [
        ("compliance", 1, "1001", "sue"),
        ("greeting", 5, "1001", "sue"),
        ("resolution", 5, "1001", "sue"),
    ]


def test_re_scoring_replaces_the_reviewers_own_scores_only(world: World) -> None:
    r1 = world.ids["r1"]
    save_scores(world.engine, SUE, r1, "standard", FORM, ZERO, now=T0 + DAY)
    save_scores(world.engine, MAX, r1, "standard", FORM, ZERO, now=T0 + DAY)
    short = QaForm(criteria=[QaCriterion(id="empathy", max_score=3)])
    again = save_scores(world.engine, SUE, r1, "short", short, {"empathy": 3}, now=T0 + 2 * DAY)
    assert again.percent == 100.0
    assert score_rows(world.engine) == 3 + 1  # max's three, sue's one
    assert qa_averages(world.engine, MAX)[0].average_percent == pytest.approx(50.0)  # mean of 100 and 0


@pytest.mark.parametrize(
    ("scores", "complaint"),
    [
        ({"greeting": 5, "resolution": 10}, "'compliance' is not scored"),
        (TOP | {"tone": 3}, "'tone' is not on the form"),
        (TOP | {"greeting": 6}, "'greeting'.*0 to 5"),
        (TOP | {"resolution": -1}, "'resolution'"),
        (TOP | {"compliance": True}, "'compliance'"),
        (TOP | {"resolution": 7.5}, "'resolution'"),
        (TOP | {"resolution": "7"}, "'resolution'"),
    ],
)
def test_every_criterion_must_be_scored_within_its_range(
    world: World, scores: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(RecordRejected, match=complaint):
        save_scores(world.engine, SUE, world.ids["r1"], "standard", FORM, scores)
    assert score_rows(world.engine) == 0


def test_bad_form_names_and_times_are_refused(world: World) -> None:
    for name in ("", "f" * 65):
        with pytest.raises(RecordRejected, match="form name"):
            save_scores(world.engine, SUE, world.ids["r1"], name, FORM, TOP)
    with pytest.raises(RecordRejected, match="timezone"):
        save_scores(world.engine, SUE, world.ids["r1"], "standard", FORM, TOP, now=dt.datetime(2024, 3, 2))


def test_supervisors_score_their_departments_recordings_managers_all_agents_none(world: World) -> None:
    engine, ids = world.engine, world.ids
    with pytest.raises(PermissionDenied):
        save_scores(engine, AGENT, ids["r1"], "standard", FORM, TOP)  # even their own
    with pytest.raises(NotFound):
        save_scores(engine, SAM, ids["r1"], "standard", FORM, TOP)
    with pytest.raises(NotFound):
        save_scores(engine, SUE, ids["r4"], "standard", FORM, TOP)  # no agent: managers only
    with pytest.raises(NotFound):
        save_scores(engine, MAX, 10**6, "standard", FORM, TOP)
    assert score_rows(engine) == 0
    assert save_scores(engine, SAM, ids["r3"], "standard", FORM, TOP).agent_id == "2001"
    assert save_scores(engine, MAX, ids["r4"], "standard", FORM, TOP).agent_id is None


# --- averages --------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(world: World) -> World:
    ids, engine = world.ids, world.engine
    save_scores(
        engine,
        SUE,
        ids["r1"],
        "standard",
        FORM,
        {"greeting": 5, "resolution": 5, "compliance": 1},
        now=T0 + DAY,
    )
    save_scores(engine, SUE, ids["r5"], "standard", FORM, ZERO, now=T0 + DAY)
    save_scores(
        engine,
        SUE,
        ids["r2"],
        "standard",
        FORM,
        {"greeting": 4, "resolution": 10, "compliance": 1},
        now=T0 + DAY,
    )
    save_scores(
        engine,
        MAX,
        ids["r1"],
        "standard",
        FORM,
        {"greeting": 0, "resolution": 10, "compliance": 0},
        now=T0 + 2 * DAY,
    )
    save_scores(engine, MAX, ids["r3"], "standard", FORM, TOP, now=T0 + 2 * DAY)
    save_scores(
        engine,
        MAX,
        ids["r4"],
        "standard",
        FORM,
        {"greeting": 5, "resolution": 0, "compliance": 0},
        now=T0 + 2 * DAY,
    )
    return world


# r1: sue 75, max 50 -> 62.5; r5: 0 -> agent 1001 = mean(62.5, 0) = 31.25 (not the mean of the reviews, 41.67)
# r2: (0.8 + 3 + 2) / 6 = 96.67; r3: 100; r4 (no agent): 1 / 6 = 16.67
ALL = [("1001", 2, 31.25), ("1002", 1, 580 / 6), ("2001", 1, 100.0), (None, 1, 100 / 6)]


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (AGENT, ALL[:1]),
        (SUE, ALL[:2]),
        (SAM, ALL[2:3]),
        (MAX, ALL),
        (SYSTEM, ALL),
    ],
)
def test_each_role_sees_the_averages_of_its_agents(
    reviewed: World, viewer: Viewer, expected: list[tuple[str | None, int, float]]
) -> None:
    averages = qa_averages(reviewed.engine, viewer)
    assert [(a.agent_id, a.recordings) for a in averages] == [(agent, n) for agent, n, _ in expected]
    assert [a.average_percent for a in averages] == pytest.approx([percent for _, _, percent in expected])


def test_since_counts_only_scores_given_from_then(reviewed: World) -> None:
    averages = qa_averages(reviewed.engine, MAX, since=T0 + 2 * DAY)
    assert [(a.agent_id, a.recordings) for a in averages] == [("1001", 1), ("2001", 1), (None, 1)]
    assert [a.average_percent for a in averages] == pytest.approx([50.0, 100.0, 100 / 6])
    assert qa_averages(reviewed.engine, MAX, since=T0 + 3 * DAY) == []
    with pytest.raises(RecordRejected):
        qa_averages(reviewed.engine, MAX, since=dt.datetime(2024, 3, 1))


def test_the_database_refuses_a_score_above_its_maximum(world: World) -> None:
    row = {
        "recording_id": world.ids["r1"],
        "form": "standard",
        "reviewer": "sue",
        "agent_id": "1001",
        "criterion": "greeting",
        "max_score": 5,
        "weight": 1.0,
        "scored_at": T0,
    }
    with world.engine.begin() as connection:
        connection.execute(insert(QaScore).values(**row, score=5))
    with pytest.raises(sa_exc.IntegrityError, match=r"(?i)check"), world.engine.begin() as connection:
        connection.execute(insert(QaScore).values(**row | {"criterion": "tone"}, score=6))
