"""The database and the call logic name the same things the same way.

schema/ may not import ivr_scripts/ (the rooms' rule), so the names its CHECK constraints allow
are written there again; these tests keep the two lists identical.
"""

from __future__ import annotations

from ivr_scripts.acd.queue_events import QUEUE_EVENT_NAMES
from ivr_scripts.agent_states import CALL_STATES as MACHINE_CALL_STATES
from ivr_scripts.agent_states import AgentState
from schema.acd_models import AGENT_STATES, CALL_STATES, QUEUE_EVENTS


def test_queue_event_names_agree() -> None:
    assert tuple(QUEUE_EVENTS) == tuple(QUEUE_EVENT_NAMES)


def test_agent_state_names_agree() -> None:
    assert set(AGENT_STATES) == {state.value for state in AgentState}
    assert set(CALL_STATES) == {state.value for state in MACHINE_CALL_STATES}
