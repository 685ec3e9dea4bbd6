"""Post-call survey figures: the average score per agent or per queue, question by question.

What a viewer sees: an agent, the answers about their own calls; a supervisor, the answers about
calls of the agents of their department (agents.department); a manager, every answer
(`schema.crm.access.survey_response_visible`). Answers with no agent count for managers only.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

from sqlalchemy import Engine, Float, cast, func, select

from schema.crm.access import SURVEY_RESPONSES, survey_response_visible
from schema.crm.views import SurveyAverage
from schema.db import read_connection
from schema.errors import RecordRejected
from schema.viewer import Viewer

GROUPINGS: Final = ("agent", "queue")


def survey_averages(
    engine: Engine,
    viewer: Viewer,
    *,
    by: Literal["agent", "queue"],
    since: dt.datetime | None = None,
) -> list[SurveyAverage]:
    """Answers and average score per (agent or queue, question) the viewer may see, answered since `since`.

    Sorted by agent or queue (those without one last), then question.
    """
    if by not in GROUPINGS:
        raise RecordRejected(f"survey averages are by {' or '.join(GROUPINGS)}, not {by!r}")
    if since is not None and (since.tzinfo is None or since.utcoffset() is None):
        raise RecordRejected("survey averages: since needs a timezone")
    answers = SURVEY_RESPONSES.c
    key = answers.agent_id if by == "agent" else answers.queue
    query = (
        select(
            key.label("key"),
            answers.question,
            func.count().label("answers"),
            func.avg(cast(answers.score, Float)).label("average"),
        )
        .where(survey_response_visible(viewer))
        .group_by(key, answers.question)
    )
    if since is not None:
        query = query.where(answers.answered_at >= since)
    with read_connection(engine, "reading survey averages") as connection:
        rows = list(connection.execute(query))
    rows.sort(key=lambda row: (row.key is None, row.key or "", row.question))
    return [
        SurveyAverage(
            agent_id=row.key if by == "agent" else None,
            queue=row.key if by == "queue" else None,
            question=row.question,
            answers=int(row.answers),
            average=float(row.average),
        )
        for row in rows
    ]
