"""Call dispositions from the desk: the code (of the dialplan's `desktop.dispositions`) and note an agent
closes a call with, one per call (setting it again replaces it).

Who: an agent on a call they were offered or answered (an agent leg, the agent row holding the call, or
a queue_log CONNECT names them); a supervisor on a call one of their department's agents was offered;
a manager on any call (one the database knows). Anything else is NotFound, as for a call that does not
exist (schema.viewer). The row's `agent_id` is the agent who handled the call: the agent viewer
themselves, else the handling agent the viewer may act for (an answered leg first), or none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, cast

from pydantic import Field
from sqlalchemy import Connection, Engine, Table, select, union_all

from dialplans.vocabulary import ANSWERED_EVENT
from schema.acd.models import Agent, AgentLeg, QueueLogEntry
from schema.calls.models import Call
from schema.crm.models import CallDisposition
from schema.crm.views import View
from schema.db import read_connection, write_transaction
from schema.errors import NotFound, RecordRejected
from schema.merge_sql import dialect_insert
from schema.viewer import Viewer

DISPOSITIONS: Final = cast(Table, CallDisposition.__table__)
AGENTS: Final = cast(Table, Agent.__table__)
LEGS: Final = cast(Table, AgentLeg.__table__)
QUEUE_LOG: Final = cast(Table, QueueLogEntry.__table__)
CALLS: Final = cast(Table, Call.__table__)
NOTE_MAX_LENGTH: Final = 2000


class DispositionChoice(View):
    code: str
    label: str


class DispositionView(View):
    call_uuid: str
    agent_id: str | None = Field(description="The agent who handled the call.")
    code: str
    label: str = Field(description="The code's label in the dialplan (the code, if no longer there).")
    note: str | None = None
    set_at: dt.datetime
    set_by: str = Field(description="The user who set it.")


def set_disposition(
    engine: Engine,
    viewer: Viewer,
    call_uuid: str,
    code: str,
    note: str | None,
    *,
    labels: Mapping[str, str],
    now: dt.datetime | None = None,
) -> DispositionView:
    """Set (or replace) the call's disposition. RecordRejected for a code `labels` does not have."""
    if code not in labels:
        raise RecordRejected(f"unknown disposition {code!r}: the dialplan's are {', '.join(labels)}")
    if note is not None and len(note) > NOTE_MAX_LENGTH:
        raise RecordRejected(f"the note is over {NOTE_MAX_LENGTH} characters")
    row = {
        "call_uuid": call_uuid,
        "code": code,
        "note": note,
        "set_at": now or dt.datetime.now(dt.UTC),
        "set_by": viewer.user,
    }
    with write_transaction(engine, f"setting the disposition of call {call_uuid}") as connection:
        row["agent_id"] = handling_agent(connection, viewer, call_uuid)
        upsert = dialect_insert(connection.dialect.name)(DISPOSITIONS).values(row)
        replaced = {name: value for name, value in row.items() if name != "call_uuid"}
        connection.execute(upsert.on_conflict_do_update(index_elements=["call_uuid"], set_=replaced))
    return _view(row, labels)


def get_disposition(
    engine: Engine, viewer: Viewer, call_uuid: str, *, labels: Mapping[str, str]
) -> DispositionView:
    """The call's disposition; NotFound when it has none or the viewer may not see the call."""
    with read_connection(engine, f"reading the disposition of call {call_uuid}") as connection:
        handling_agent(connection, viewer, call_uuid)
        row = connection.execute(select(DISPOSITIONS).where(DISPOSITIONS.c.call_uuid == call_uuid)).first()
    if row is None:
        raise NotFound(f"call {call_uuid} has no disposition")
    return _view(row._asdict(), labels)


def disposition_choices(labels: Mapping[str, str]) -> list[DispositionChoice]:
    return [DispositionChoice(code=code, label=label) for code, label in labels.items()]


def handling_agent(connection: Connection, viewer: Viewer, call_uuid: str) -> str | None:
    """The agent the viewer closes the call for (None: a manager, on a call no agent took); NotFound
    when the viewer may not."""
    handlers = _handlers(connection, call_uuid)
    if viewer.sees_everything:
        if handlers:
            return handlers[0]
        if connection.execute(select(CALLS.c.uuid).where(CALLS.c.uuid == call_uuid)).first() is None:
            raise NotFound(f"no call {call_uuid}")
        return None
    if viewer.role == "supervisor":
        in_department = select(AGENTS.c.agent_id).where(
            AGENTS.c.agent_id.in_(handlers), AGENTS.c.department == viewer.department
        )
        theirs = set(connection.execute(in_department).scalars())
        handlers = [agent for agent in handlers if agent in theirs]
    elif viewer.agent_id in handlers:
        handlers = [viewer.agent_id]
    else:
        handlers = []
    if not handlers:
        raise NotFound(f"no call {call_uuid} offered to {viewer.user}")
    return handlers[0]


def _handlers(connection: Connection, call_uuid: str) -> list[str]:
    """The agents the call was offered to or answered by: answered legs first, then other legs, the
    agent row holding it, a CONNECT naming an agent."""
    legs = connection.execute(
        select(LEGS.c.agent_id, LEGS.c.answered_at).where(LEGS.c.call_uuid == call_uuid)
    ).all()
    answered = [leg.agent_id for leg in legs if leg.answered_at is not None]
    others = union_all(
        select(AGENTS.c.agent_id).where(AGENTS.c.call_uuid == call_uuid),
        select(QUEUE_LOG.c.agent_id).where(
            QUEUE_LOG.c.call_uuid == call_uuid,
            QUEUE_LOG.c.event == ANSWERED_EVENT,
            QUEUE_LOG.c.agent_id != "",
        ),
    )
    found = [*answered, *(leg.agent_id for leg in legs), *connection.execute(others).scalars()]
    return list(dict.fromkeys(found))


def _view(row: Mapping[str, object], labels: Mapping[str, str]) -> DispositionView:
    code = str(row["code"])
    return DispositionView.model_validate({**row, "label": labels.get(code, code)})
