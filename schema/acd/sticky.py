"""Sticky routing: which agent last took a returning caller in a queue.

The answer is the agent of the most recent CONNECT in queue_log, in that queue, at or after
`since`, for a call whose calls.caller_number is the caller's. One indexed query: the caller's
calls through ix_calls_caller_number_started_at, their queue events through queue_log's unique
key (call_uuid, queue, event, ...); or, for a number with many calls, the queue's CONNECTs in
the window through ix_queue_log_queue_event_at. Callback calls count too: their CONNECT carries
the original call's UUID, whose caller is the customer.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Final, cast

from sqlalchemy import Engine, Select, Table, bindparam, select

from dialplans.vocabulary import ANSWERED_EVENT
from schema.acd.models import QueueLogEntry
from schema.calls.models import Call
from schema.db import read_connection
from schema.errors import RecordRejected

QUEUE_LOG: Final = cast(Table, QueueLogEntry.__table__)
CALLS: Final = cast(Table, Call.__table__)


def last_agent_for(engine: Engine, caller_number: str, queue: str, *, since: dt.datetime) -> str | None:
    """The agent who last answered `caller_number` in `queue` at or after `since`; None if nobody did.

    An empty caller number (withheld) is nobody's: None. Callers pass `now - sticky_days`.
    """
    if since.tzinfo is None or since.utcoffset() is None:
        raise RecordRejected("the sticky window's start needs a timezone")
    if not caller_number:
        return None
    params = {"caller_number": caller_number, "queue": queue, "since": since.astimezone(dt.UTC)}
    with read_connection(engine, f"reading the last agent of a caller in queue {queue!r}") as connection:
        agent = connection.execute(last_agent_query(), params).scalar()
    return None if agent is None else str(agent)


@functools.cache  # one statement, compiled once per dialect by SQLAlchemy's cache
def last_agent_query() -> Select[Any]:
    """The statement, with bind parameters caller_number, queue and since (for analysts: print it)."""
    log, calls = QUEUE_LOG.c, CALLS.c
    return (
        select(log.agent_id)
        .select_from(QUEUE_LOG.join(CALLS, calls.uuid == log.call_uuid))
        .where(
            calls.caller_number == bindparam("caller_number", type_=calls.caller_number.type),
            log.queue == bindparam("queue", type_=log.queue.type),
            log.event == ANSWERED_EVENT,
            log.at >= bindparam("since", type_=log.at.type),
            log.agent_id != "",
        )
        .order_by(log.at.desc(), log.id.desc())
        .limit(1)
    )
