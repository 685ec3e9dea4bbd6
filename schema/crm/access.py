"""Who may see what in the CRM, written once as SQL clauses that every data-layer query adds to its WHERE.

- customers: managers and the system see all; a supervisor their department's; an agent their own
  (`customers.owner_agent_id`).
- calls: managers/system all; an agent the calls of their customers and the calls they answered (a
  queue_log CONNECT with their agent id); a supervisor the calls of their department's customers and
  the calls answered by an agent of their department (`agents.department`).
- a call's screen pop: managers/system; the agent the call is offered to or connected with
  (`agents.call_uuid`, or a queue_log CONNECT) or who owns the customer; a supervisor of that agent's
  department or of the customer's.
- notes and tickets: whoever can see the customer may write them.
- screening rules: managers (and the system) write; supervisors and up read.
- survey answers: an agent their own; a supervisor those of their department's agents; managers all.
- recordings and their QA scores follow the agent (`recordings.agent_id`, `qa_scores.agent_id`): an
  agent their own; a supervisor those of their department's agents; managers/system all (alone
  seeing those with no agent). Supervisors and up review them (keep flag, QA scores); agents do not.

The clauses are plain SQLAlchemy expressions over the tables, so a query stays one statement and an
invisible record is simply not found (no existence leaks).
"""

from __future__ import annotations

from typing import Final, cast

from sqlalchemy import ColumnElement, Table, and_, exists, false, or_, select, true

from dialplans.vocabulary import ANSWERED_EVENT
from schema.acd.models import Agent, QueueLogEntry
from schema.calls.models import Call
from schema.crm.models import Customer, SurveyResponse
from schema.recording.models import QaScore, Recording
from schema.viewer import Viewer

CUSTOMERS: Final = cast(Table, Customer.__table__)
CALLS: Final = cast(Table, Call.__table__)
AGENTS: Final = cast(Table, Agent.__table__)
QUEUE_LOG: Final = cast(Table, QueueLogEntry.__table__)
SURVEY_RESPONSES: Final = cast(Table, SurveyResponse.__table__)
RECORDINGS: Final = cast(Table, Recording.__table__)
QA_SCORES: Final = cast(Table, QaScore.__table__)


def customer_visible(viewer: Viewer, customers: Table = CUSTOMERS) -> ColumnElement[bool]:
    """True for the rows of `customers` the viewer may see."""
    if viewer.sees_everything:
        return true()
    if viewer.role == "supervisor":
        return customers.c.department == viewer.department
    return customers.c.owner_agent_id == viewer.agent_id


def customer_id_visible(viewer: Viewer, customer_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """True when `customer_id` (a column or a value) names a customer the viewer may see."""
    if viewer.sees_everything:
        return true()
    return exists().where(CUSTOMERS.c.id == customer_id, customer_visible(viewer))


def call_visible(viewer: Viewer, calls: Table = CALLS) -> ColumnElement[bool]:
    """True for the rows of `calls` the viewer may see."""
    if viewer.sees_everything:
        return true()
    return or_(
        and_(calls.c.customer_id.is_not(None), customer_id_visible(viewer, calls.c.customer_id)),
        answered_by_viewer(viewer, calls.c.uuid),
    )


def answered_by_viewer(viewer: Viewer, call_uuid: ColumnElement[str] | str) -> ColumnElement[bool]:
    """True when the call was answered (queue_log CONNECT) by the agent viewer, or by an agent of the
    supervisor viewer's department."""
    answered = and_(QUEUE_LOG.c.call_uuid == call_uuid, QUEUE_LOG.c.event == ANSWERED_EVENT)
    if viewer.sees_everything:
        return true()
    if viewer.role == "supervisor":
        return exists().where(
            answered,
            AGENTS.c.agent_id == QUEUE_LOG.c.agent_id,
            AGENTS.c.department == viewer.department,
        )
    return exists().where(answered, QUEUE_LOG.c.agent_id == viewer.agent_id)


def offered_to_viewer(viewer: Viewer, call_uuid: str) -> ColumnElement[bool]:
    """True when the call is offered to or connected with the agent viewer (or, for a supervisor, an
    agent of their department): the agent row holds it, or a queue_log CONNECT names the agent."""
    if viewer.sees_everything:
        return true()
    if viewer.role == "supervisor":
        holding = exists().where(AGENTS.c.call_uuid == call_uuid, AGENTS.c.department == viewer.department)
    else:
        holding = exists().where(AGENTS.c.call_uuid == call_uuid, AGENTS.c.agent_id == viewer.agent_id)
    return or_(holding, answered_by_viewer(viewer, call_uuid))


def screen_pop_visible(viewer: Viewer, call_uuid: str, customer_id: int | None) -> ColumnElement[bool]:
    """True when the viewer may see the screen pop of `call_uuid` whose caller is `customer_id`."""
    if viewer.sees_everything:
        return true()
    owns = false() if customer_id is None else customer_id_visible(viewer, customer_id)
    return or_(offered_to_viewer(viewer, call_uuid), owns)


def survey_response_visible(viewer: Viewer, responses: Table = SURVEY_RESPONSES) -> ColumnElement[bool]:
    """True for the survey answers the viewer may see (their own, their department's agents', all)."""
    if viewer.sees_everything:
        return true()
    if viewer.role == "supervisor":
        return responses.c.agent_id.in_(
            select(AGENTS.c.agent_id).where(AGENTS.c.department == viewer.department)
        )
    return responses.c.agent_id == viewer.agent_id


def recording_visible(viewer: Viewer, recordings: Table = RECORDINGS) -> ColumnElement[bool]:
    """True for the recordings the viewer may see (their own, their department's agents', all)."""
    return agent_work_visible(viewer, recordings.c.agent_id)


def qa_score_visible(viewer: Viewer, scores: Table = QA_SCORES) -> ColumnElement[bool]:
    """True for the QA scores the viewer may see: those of the agents whose recordings they see."""
    return agent_work_visible(viewer, scores.c.agent_id)


def agent_work_visible(viewer: Viewer, agent_id: ColumnElement[str | None]) -> ColumnElement[bool]:
    """True when the work of `agent_id` (a column) is the viewer's own, of their department's agents
    (supervisor), or anyone's (manager/system; alone seeing rows with no agent)."""
    if viewer.sees_everything:
        return true()
    if viewer.role == "supervisor":
        return agent_id.in_(select(AGENTS.c.agent_id).where(AGENTS.c.department == viewer.department))
    return agent_id == viewer.agent_id


def may_review_recordings(viewer: Viewer) -> bool:
    """Supervisors (of the recordings they see), managers and the system flag and score recordings."""
    return viewer.role != "agent"


def may_create_customer(viewer: Viewer, *, owner_agent_id: str | None, department: str | None) -> bool:
    """Agents create only customers they own, supervisors only in their department."""
    if viewer.sees_everything:
        return True
    if viewer.role == "supervisor":
        return department == viewer.department
    return owner_agent_id == viewer.agent_id


def may_read_screening_rules(viewer: Viewer) -> bool:
    return viewer.role != "agent"


def may_write_screening_rules(viewer: Viewer) -> bool:
    return viewer.sees_everything
