"""Queue figures by SQL over queue_log alone: service level, average speed of answer, abandon rate.

Definitions, per queue, over events whose `at` is in [start, end):
- offered: calls that left the queue waiting, one per exit event: CONNECT (answered), ABANDON,
  EXITWITHTIMEOUT, EXITWITHKEY, CALLBACK (chose a call back). A caller still waiting at `end`
  is not counted yet; a call that enters twice (e.g. after overflow) counts twice.
- A callback is offered once, at its CALLBACK: the CONNECT that later answers it (the offer flow
  marks a callback's events with `data` "callback...") counts as answered, not offered again.
  When the two fall in different ranges, each range counts its own half.
- answered: CONNECTs, callbacks' included.
- service level: CONNECTs with wait_s <= the threshold, divided by offered.
- average speed of answer: the mean wait_s of CONNECTs (a callback's runs from joining the queue to
  the customer's bridge to the agent).
- abandon rate: ABANDONs divided by offered.
Ratios are None when nothing was offered, ASA is None when nothing was answered.
`queue_stats_query` is the statement itself, for analysts: print it with a dialect to get SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import Engine, Float, Integer, Select, Table, and_, case, func, not_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql.elements import ColumnElement

from dialplans.vocabulary import ABANDON, CALLBACK, CONNECT, EXITWITHKEY, EXITWITHTIMEOUT
from ivr_scripts.acd.live_stats import CALLBACK_MARK  # the live board and this report judge alike
from schema.acd.models import QueueLogEntry
from schema.db import read_connection
from schema.errors import RecordRejected

QUEUE_LOG: Final = cast(Table, QueueLogEntry.__table__)
EXIT_EVENTS: Final = (CONNECT, ABANDON, EXITWITHTIMEOUT, EXITWITHKEY, CALLBACK)


@dataclass(frozen=True, slots=True)
class QueueStats:
    queue: str
    offered: int
    answered: int
    answered_within_threshold: int
    abandoned: int
    service_level: float | None
    average_speed_of_answer_s: float | None
    abandon_rate: float | None


def queue_stats_query(start: dt.datetime, end: dt.datetime, service_level_s: float) -> Select[Any]:
    """One row per queue with the columns of `QueueStats`, in queue order."""
    log = QUEUE_LOG.c
    connected = log.event == CONNECT
    answers_a_callback = and_(connected, log.data.is_not(None), log.data.startswith(CALLBACK_MARK))
    offered = _count(and_(log.event.in_(EXIT_EVENTS), not_(answers_a_callback)))
    within = _count(and_(connected, log.wait_s <= service_level_s))
    abandoned = _count(log.event == ABANDON)
    return (
        select(
            log.queue,
            offered.label("offered"),
            _count(connected).label("answered"),
            within.label("answered_within_threshold"),
            abandoned.label("abandoned"),
            _ratio(within, offered).label("service_level"),
            func.avg(case((connected, log.wait_s))).label("average_speed_of_answer_s"),
            _ratio(abandoned, offered).label("abandon_rate"),
        )
        .where(log.at >= start, log.at < end, log.event.in_(EXIT_EVENTS))
        .group_by(log.queue)
        .order_by(log.queue)
    )


def queue_stats(
    engine: Engine, start: dt.datetime, end: dt.datetime, *, service_level_s: float = 20.0
) -> list[QueueStats]:
    """The figures of every queue with an exit in [start, end); see the module docstring."""
    if start.tzinfo is None or end.tzinfo is None:
        raise RecordRejected("report times need a timezone")
    with read_connection(engine, "reading queue figures") as connection:
        rows = connection.execute(queue_stats_query(start, end, service_level_s)).all()
    return [
        QueueStats(
            queue=row.queue,
            offered=int(row.offered),
            answered=int(row.answered),
            answered_within_threshold=int(row.answered_within_threshold),
            abandoned=int(row.abandoned),
            service_level=_float(row.service_level),
            average_speed_of_answer_s=_float(row.average_speed_of_answer_s),
            abandon_rate=_float(row.abandon_rate),
        )
        for row in rows
    ]


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0), type_=Integer)


def _ratio(part: ColumnElement[int], whole: ColumnElement[int]) -> ColumnElement[Any]:
    return sql_cast(part, Float) / func.nullif(sql_cast(whole, Float), 0)


def _float(value: object) -> float | None:
    return None if value is None else float(cast(float, value))
