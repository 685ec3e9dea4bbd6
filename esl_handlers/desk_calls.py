"""Click-to-dial from the agent desk on the switch: `POST /api/agents/{agent_id}/dial` (docs/acd.md).

`dial` checks and reserves (schema.acd.desk_dial: who may dial, the number normalised, the DNC lists,
the agent available), then places an `AgentFirstCall` on `esl_handlers.agent_first_legs`, the way a
preview call is placed: the agent's phone first (auto-answered when the dialplan says `auto_answer`),
then the number through the campaigns' outbound route (CALLCENTER_CAMPAIGN_ENDPOINT), bridged.

The agent's state follows the call under its call uuid (the customer leg's, the one the API returns):
reserved, ringing while their phone rings, on_call once it answers, then wrap-up for `wrap_up_seconds`
when the call ends; their phone not answering releases them (available, no no-answer counted: they
asked for the call). A call whose number was dialled is recorded in the calls table when it ends
(direction outbound, the number as its destination, the caller ID sent as its caller number, outcome
click_to_dial); one that never got past the agent's phone is not a call.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine

from dialplans import models as plan
from esl_handlers.agent_first_legs import AgentFirstLegs, Dialling
from esl_handlers.campaign_calls import CampaignSwitch
from esl_handlers.codec import Event
from esl_handlers.seat_legs import auto_answer_variables
from ivr_scripts.agent_service import AgentService
from ivr_scripts.agent_states import AgentStateError
from ivr_scripts.campaigns.preview import AgentFirstCall
from schema.acd.desk_dial import reserve_desk_dial
from schema.adapters.agent_store import SqlAgentStore
from schema.calls.records import CallUpdate
from schema.calls.writes import write_batch
from schema.errors import StorageError
from schema.threadpool import in_thread
from schema.viewer import Viewer

log = logging.getLogger(__name__)

DESK_AGENT_VARIABLE: Final = "cc_desk_agent"
DESK_OUTCOME: Final = "click_to_dial"


@dataclass(frozen=True)
class DeskDialSettings:
    """The outbound route (`{number}` in it), the caller ID the number sees, ring time and wrap-up."""

    customer_endpoint: str
    caller_number: str
    caller_name: str = ""
    ring_seconds: int = 30
    wrap_up_seconds: int = 30

    def __post_init__(self) -> None:
        if "{number}" not in self.customer_endpoint:
            raise ValueError(f"the outbound endpoint must contain {{number}}: {self.customer_endpoint!r}")


@dataclass(frozen=True)
class DeskCallStarted:
    call_uuid: str
    number: str


class DeskCalls:
    def __init__(
        self,
        switch: CampaignSwitch,
        engine: Engine,
        settings: DeskDialSettings,
        *,
        agents: Callable[[], Mapping[str, plan.Agent]],
        region: Callable[[], str],
        agent_domain: str,
        clock: Callable[[], dt.datetime],
        on_agent_change: Callable[[str], None],
        server: str | None = None,
    ) -> None:
        """`agents` and `region`: the current dialplan's (callables, so a reload applies)."""
        self._engine = engine
        self._settings = settings
        self._agents_of = agents
        self._region = region
        self._domain = agent_domain
        self._clock = clock
        self._on_agent_change = on_agent_change
        self._server = server or f"desk@{socket.gethostname()}"
        self._agents = AgentService(SqlAgentStore(engine, self._server), None, clock)
        self._legs = AgentFirstLegs(switch, clock=clock, agent_answered=self._answered, ended=self._ended)

    def dial(self, viewer: Viewer, agent_id: str, number: str) -> DeskCallStarted:
        """Reserve the agent and place the call; NotFound, PermissionDenied, NumberRefused, DialRefused."""
        call_uuid = str(uuid.uuid4())
        desk = in_thread(
            reserve_desk_dial, self._engine, viewer, agent_id, number, call_uuid=call_uuid,
            region=self._region(), server=self._server, now=self._clock(),
        )  # fmt: skip
        self._agent_fact(lambda: self._agents.ring(agent_id, call_uuid), agent_id)
        agent = self._agents_of().get(agent_id)
        variables = {DESK_AGENT_VARIABLE: agent_id}
        if agent is not None and agent.auto_answer:
            variables |= auto_answer_variables()
        settings = self._settings
        dialling = Dialling(
            f"user/{desk.extension}@{self._domain}",
            settings.customer_endpoint.replace("{number}", desk.number),
            settings.caller_number,
            settings.caller_name or settings.caller_number,
            settings.ring_seconds,
            variables,
        )
        self._legs.place(AgentFirstCall(desk.number, agent_id, str(uuid.uuid4()), call_uuid), dialling)
        log.info("agent %s: click-to-dial %s as call %s (asked by %s)", agent_id, desk.number, call_uuid,
                 viewer.user)  # fmt: skip
        return DeskCallStarted(call_uuid, desk.number)

    def on_switch_event(self, event: Event) -> None:
        self._legs.on_switch_event(event)

    def _answered(self, call: AgentFirstCall) -> None:
        self._agent_fact(lambda: self._agents.answered(call.agent_id, call.call_uuid), call.agent_id)

    def _ended(self, call: AgentFirstCall, agent_answered: bool) -> None:
        agent_id, call_uuid = call.agent_id, call.call_uuid
        if agent_answered:
            wrap_up = self._settings.wrap_up_seconds
            self._agent_fact(lambda: self._agents.call_ended(agent_id, call_uuid, wrap_up), agent_id)
        else:
            self._agent_fact(lambda: self._agents.caller_abandoned(agent_id, call_uuid), agent_id)
        if call.dialled:
            self._record(call)
        log.info("click-to-dial call %s of agent %s ended: %s", call_uuid, agent_id, call.hangup_cause)

    def _record(self, call: AgentFirstCall) -> None:
        record = CallUpdate(
            uuid=call.call_uuid,
            direction="outbound",
            caller_number=self._settings.caller_number,
            destination=call.phone,
            started_at=call.started_at,
            answered_at=call.answered_at,
            ended_at=call.ended_at,
            hangup_cause=call.hangup_cause,
            outcome=DESK_OUTCOME,
        )
        try:
            in_thread(write_batch, self._engine, [record])
        except StorageError as exc:
            log.error("click-to-dial call %s: not recorded: %s", call.call_uuid, exc)

    def _agent_fact(self, apply: Callable[[], object], agent_id: str) -> None:
        try:
            in_thread(apply)
        except (AgentStateError, StorageError) as exc:
            log.error("agent %s: click-to-dial fact not applied: %s", agent_id, exc)
        self._on_agent_change(agent_id)
