"""A queue's history for the staffing forecast (ivr_scripts.forecast): arrivals and handle times.

- An arrival is an ENTERQUEUE, at the moment the caller joined. A caller who leaves one queue for
  another (overflow) arrives in each; a callback is one arrival (its later CONNECT is no new one).
- A handled call is a COMPLETECALLER, COMPLETEAGENT or TRANSFER: the conversation ended, with its
  talk seconds (from the agent answering to the end, holds included). It is dated when it was
  answered (the end minus the talk) and kept when that moment is in the range.
- Its wrap-up is read from agent_state_log: the agent's row entering wrap_up for that call, until the
  agent's next row (the timer expiring, or the agent going ready, on a break or logged out earlier).
  No wrap_up row (a queue with wrap-up 0) or a wrap-up still running counts 0 seconds.
Handle time = talk + wrap-up, as the ACD's expected-wait estimate counts it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Engine, and_, select

from dialplans.vocabulary import COMPLETEAGENT, COMPLETECALLER, ENTERQUEUE, TRANSFER, AgentState
from ivr_scripts.forecast.history import HandledCall, QueueHistory
from schema.acd.agents import STATE_LOG
from schema.acd.reports import QUEUE_LOG
from schema.db import read_connection
from schema.errors import RecordRejected

COMPLETIONS: Final = (COMPLETECALLER, COMPLETEAGENT, TRANSFER)
# How long after the range a completion may come and still belong to a call answered in it.
LONGEST_CALL: Final = dt.timedelta(hours=12)


def queue_history(
    engine: Engine, queues: Sequence[str], start: dt.datetime, end: dt.datetime
) -> dict[str, QueueHistory]:
    """Each queue's arrivals and handled calls in [start, end); a queue with none has empty ones."""
    if start.tzinfo is None or end.tzinfo is None:
        raise RecordRejected("history times need a timezone")
    if not queues:
        raise RecordRejected("name at least one queue")
    with read_connection(engine, "reading queue history") as connection:
        arrivals = connection.execute(_arrivals_query(queues, start, end)).all()
        completions = connection.execute(_completions_query(queues, start, end + LONGEST_CALL)).all()
    joined: dict[str, list[dt.datetime]] = {queue: [] for queue in queues}
    handled: dict[str, list[HandledCall]] = {queue: [] for queue in queues}
    for row in arrivals:
        joined[row.queue].append(row.at)
    for row in completions:
        call = _handled(row)
        if start <= call.answered_at < end:
            handled[row.queue].append(call)
    return {queue: QueueHistory(joined[queue], handled[queue]) for queue in queues}


def _arrivals_query(queues: Sequence[str], start: dt.datetime, end: dt.datetime) -> Any:
    log = QUEUE_LOG.c
    return (
        select(log.queue, log.at)
        .where(log.event == ENTERQUEUE, log.queue.in_(queues), log.at >= start, log.at < end)
        .order_by(log.at)
    )


def _completions_query(queues: Sequence[str], start: dt.datetime, end: dt.datetime) -> Any:
    log = QUEUE_LOG
    wrap = STATE_LOG.alias("wrap")
    after = STATE_LOG.alias("after_wrap")
    enters_wrap_up = and_(
        wrap.c.agent_id == log.c.agent_id,
        wrap.c.call_uuid == log.c.call_uuid,
        wrap.c.to_state == AgentState.WRAP_UP.value,
    )
    next_row = and_(after.c.agent_id == wrap.c.agent_id, after.c.version == wrap.c.version + 1)
    return (
        select(
            log.c.queue,
            log.c.at,
            log.c.talk_s,
            wrap.c.at.label("wrap_start"),
            after.c.at.label("wrap_end"),
        )
        .select_from(log.outerjoin(wrap, enters_wrap_up).outerjoin(after, next_row))
        .where(log.c.event.in_(COMPLETIONS), log.c.queue.in_(queues), log.c.at >= start, log.c.at < end)
        .order_by(log.c.at)
    )


def _handled(row: Any) -> HandledCall:
    talk_s = float(row.talk_s or 0.0)
    wrap_s = 0.0
    if row.wrap_start is not None and row.wrap_end is not None:
        wrap_s = max(0.0, (row.wrap_end - row.wrap_start).total_seconds())
    return HandledCall(answered_at=row.at - dt.timedelta(seconds=talk_s), handle_s=talk_s + wrap_s)
