"""QA scoring of recordings: reviewers' scores against a dialplan scoring form, and per-agent averages.

Scores are stored per recording, reviewer and criterion (qa_scores), with the form's max_score and
weight at the time, and the recording's agent (so an average keeps counting for the agent who took
the call). Reviewers are supervisors (recordings of their department's agents) and managers;
agents get `PermissionDenied`. Who sees the averages follows `schema.crm.access.qa_score_visible`.

Percentages:
- a review (one reviewer's scores of one recording) scores
  sum(weight * score / max_score) / sum(weight) * 100 over its criteria;
- a recording scores the mean of its reviews;
- an agent's average is the mean over their scored recordings (each recording counts once, however
  many reviewers scored it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import Engine, Float, cast, delete, func, select

from dialplans.recording_models import QaForm
from schema.calls.records import NAME_MAX_LENGTH
from schema.crm.access import (
    QA_SCORES,
    RECORDINGS,
    may_review_recordings,
    qa_score_visible,
    recording_visible,
)
from schema.db import read_connection, write_transaction
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.recording.views import QaAverage, QaCriterionScore, QaResult
from schema.viewer import Viewer

PERCENT: Final = 100.0


def save_scores(  # noqa: PLR0917 - the positional signature is the lead's contract
    engine: Engine,
    viewer: Viewer,
    recording_id: int,
    form_name: str,
    form: QaForm,
    scores: Mapping[str, int],
    *,
    now: dt.datetime | None = None,
) -> QaResult:
    """Store the viewer's scores of the recording against `form` (named `form_name` in the dialplan),
    replacing any scores this reviewer gave it before (under any form).

    Every criterion of the form must be scored, 0 to its max_score, and nothing else: otherwise
    `RecordRejected` naming the criterion. `NotFound` when the recording is missing or not visible.
    """
    if not may_review_recordings(viewer):
        raise PermissionDenied(f"{viewer.user} may not score recordings")
    _check_name(form_name, "QA form name")
    _check_name(viewer.user, "reviewer")
    criteria = _checked_scores(form, scores)
    at = _utc(now)
    with write_transaction(engine, f"scoring recording {recording_id}") as connection:
        row = connection.execute(
            select(RECORDINGS.c.agent_id).where(RECORDINGS.c.id == recording_id, recording_visible(viewer))
        ).first()
        if row is None:
            raise NotFound(f"no recording {recording_id}")
        connection.execute(
            delete(QA_SCORES).where(
                QA_SCORES.c.recording_id == recording_id, QA_SCORES.c.reviewer == viewer.user
            )
        )
        connection.execute(
            QA_SCORES.insert(),
            _score_rows(recording_id, form_name, viewer.user, row.agent_id, criteria, at=at),
        )
    total_weight = sum(score.weight for score in criteria)
    percent = sum(score.weight * score.score / score.max_score for score in criteria) / total_weight * PERCENT
    return QaResult(
        recording_id=recording_id,
        form=form_name,
        reviewer=viewer.user,
        agent_id=row.agent_id,
        scored_at=at,
        scores=criteria,
        percent=percent,
    )


def qa_averages(engine: Engine, viewer: Viewer, *, since: dt.datetime | None = None) -> list[QaAverage]:
    """Per agent the viewer may see: how many of their recordings were scored and the mean percent of
    those recordings (see the module docstring), counting only scores given at or after `since`.

    By agent id; scores of recordings with no agent (seen by managers only) come last, as agent None.
    """
    scores = QA_SCORES.c
    weighted = cast(scores.score, Float) * scores.weight / cast(scores.max_score, Float)
    reviews = (
        select(
            scores.recording_id,
            scores.agent_id,
            (func.sum(weighted) / func.sum(scores.weight) * PERCENT).label("percent"),
        )
        .where(qa_score_visible(viewer))
        .group_by(scores.recording_id, scores.reviewer, scores.agent_id)
    )
    if since is not None:
        reviews = reviews.where(scores.scored_at >= _utc(since))
    review = reviews.subquery("reviews")
    recordings = (
        select(review.c.agent_id, func.avg(review.c.percent).label("percent"))
        .group_by(review.c.recording_id, review.c.agent_id)
        .subquery("recordings")
    )
    per_agent = select(
        recordings.c.agent_id,
        func.count().label("recordings"),
        func.avg(recordings.c.percent).label("average_percent"),
    ).group_by(recordings.c.agent_id)
    with read_connection(engine, "reading QA averages") as connection:
        rows = list(connection.execute(per_agent))
    rows.sort(key=lambda row: (row.agent_id is None, row.agent_id or ""))
    return [
        QaAverage(
            agent_id=row.agent_id,
            recordings=int(row.recordings),
            average_percent=float(row.average_percent),
        )
        for row in rows
    ]


def _score_rows(
    recording_id: int,
    form_name: str,
    reviewer: str,
    agent_id: str | None,
    criteria: list[QaCriterionScore],
    *,
    at: dt.datetime,
) -> list[dict[str, Any]]:
    """The qa_scores rows of one review: one per criterion."""
    return [
        {
            "recording_id": recording_id,
            "form": form_name,
            "reviewer": reviewer,
            "agent_id": agent_id,
            "criterion": score.criterion,
            "score": score.score,
            "max_score": score.max_score,
            "weight": score.weight,
            "scored_at": at,
        }
        for score in criteria
    ]


def _checked_scores(form: QaForm, scores: Mapping[str, Any]) -> list[QaCriterionScore]:
    known = {criterion.id for criterion in form.criteria}
    if unknown := sorted(set(scores) - known, key=str):
        raise RecordRejected(f"criterion {', '.join(map(repr, unknown))} is not on the form")
    checked: list[QaCriterionScore] = []
    for criterion in form.criteria:
        if criterion.id not in scores:
            raise RecordRejected(f"criterion {criterion.id!r} is not scored")
        score = scores[criterion.id]
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= criterion.max_score:
            raise RecordRejected(
                f"criterion {criterion.id!r}: score {score!r} is not a whole number"
                f" from 0 to {criterion.max_score}"
            )
        checked.append(
            QaCriterionScore(
                criterion=criterion.id, score=score, max_score=criterion.max_score, weight=criterion.weight
            )
        )
    return checked


def _check_name(value: str, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > NAME_MAX_LENGTH:
        raise RecordRejected(f"{what} {value!r} is not 1 to {NAME_MAX_LENGTH} characters of text")


def _utc(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise RecordRejected(f"{value!r} is not a datetime with a timezone")
    return value.astimezone(dt.UTC)
