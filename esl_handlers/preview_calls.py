"""Preview calls on the switch: the agent's phone first, then the customer, bridged (docs/dialer.md).

Each `tick` (the dialer runtime's, every second): previews left untouched past their `expires_at` are
released (schema.campaigns.preview_desk.release_expired), and the previews agents asked to dial are
taken (one dialer each), checked against the do-not-call lists once more, and placed. A placed call
follows `ivr_scripts.campaigns.preview.PreviewCall` on `esl_handlers.agent_first_legs`: the agent's
phone, its leg UUID the one the agent was reserved with, auto-answered as a seat is (sip_auto_answer,
the NOTIFY suppressed: esl_handlers.seat_legs), then (agent on call) the customer with the campaign's
caller ID and ring time, no call-progress listening (the agent hears the line), bridged.

When the call ends its attempt is logged with the agent and the lead rescheduled by the retry rules, or,
when the customer was never dialled (the agent's phone did not answer), the lead is due again at once and
nothing is counted; the agent is available again (the agent's screen asks for the next record).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine

from esl_handlers.agent_first_legs import AgentFirstLegs, Dialling
from esl_handlers.campaign_calls import CampaignSwitch
from esl_handlers.codec import Event
from esl_handlers.seat_legs import auto_answer_variables
from ivr_scripts.agent_service import AgentService
from ivr_scripts.agent_states import AgentStateError
from ivr_scripts.campaigns.dialing import DialingRules
from ivr_scripts.campaigns.preview import AgentFirstCall, PreviewCall
from ivr_scripts.campaigns.windows import NeverOpen
from schema.adapters.agent_store import SqlAgentStore
from schema.campaigns import previews
from schema.campaigns.attempts import Attempt
from schema.campaigns.dnc import is_blocked
from schema.campaigns.leads import Lead
from schema.campaigns.preview_desk import release_expired
from schema.campaigns.previews import Preview
from schema.errors import StorageError
from schema.threadpool import in_thread

log = logging.getLogger(__name__)

PREVIEW_AGENT_VARIABLE: Final = "cc_preview_agent"


@dataclass
class _Placed:
    preview: Preview
    lead: Lead
    rules: DialingRules
    call: PreviewCall


def agent_leg_variables(agent_id: str) -> dict[str, str]:
    """The originate variables of a preview's agent leg: auto-answered like a seat, but not a seat."""
    return {PREVIEW_AGENT_VARIABLE: agent_id, **auto_answer_variables()}


class PreviewCalls:
    def __init__(
        self,
        switch: CampaignSwitch,
        engine: Engine,
        rules: Mapping[str, DialingRules],
        *,
        server: str,
        clock: Callable[[], dt.datetime],
        customer_endpoint: Callable[[str], str],
        agent_endpoint: Callable[[str], str],
        on_agent_change: Callable[[str], None],
    ) -> None:
        self._switch = switch
        self._engine = engine
        self._rules = dict(rules)
        self._server = server
        self._clock = clock
        self._customer_endpoint = customer_endpoint
        self._agent_endpoint = agent_endpoint
        self._on_agent_change = on_agent_change
        self._agents = AgentService(SqlAgentStore(engine, server), None, clock)
        self._placed: dict[str, _Placed] = {}  # by the customer leg (the call uuid)
        self._legs = AgentFirstLegs(
            switch, clock=clock, agent_answered=self._agent_answered, ended=self._ended
        )
        self._recovered = False

    def tick(self) -> int:
        """Release expired previews, then place the dials asked for; the calls placed. The first tick
        first lets go of the previews this server was dialling when it stopped (their calls, if any,
        are not logged: the lead is due again, nothing counted, the agent available)."""
        if not self._recovered:
            for stale in in_thread(previews.dialling_by, self._engine, self._server):
                log.warning("agent %s: preview of lead %d was being dialled when this server stopped; "
                            "released", stale.agent_id, stale.lead_id)  # fmt: skip
                self._finish_unplaced(stale)
            self._recovered = True
        for released in in_thread(release_expired, self._engine, server=self._server, now=self._clock()):
            log.info("agent %s: preview of lead %d released unused", released.agent_id, released.lead_id)
            self._on_agent_change(released.agent_id)
        placed = 0
        for preview, lead in in_thread(previews.take_dial_requests, self._engine, self._server):
            placed += self._place(preview, lead)
        return placed

    def _place(self, preview: Preview, lead: Lead) -> int:
        rules = self._rules.get(preview.campaign)
        if rules is None:
            log.error("preview of lead %d: campaign %s is not in the dialplan; not dialled",
                      lead.id, preview.campaign)  # fmt: skip
            self._finish_unplaced(preview)
            return 0
        reason = in_thread(is_blocked, self._engine, preview.campaign, lead.phone_e164)
        if reason is not None:  # listed since the agent was shown it
            log.info("preview of lead %d not dialled: %s", lead.id, reason)
            in_thread(previews.drop_blocked, self._engine, preview, lead.phone_e164, self._clock())
            self._agent_fact(lambda: self._agents.reservation_cancelled(preview.agent_id, preview.token),
                             preview.agent_id)  # fmt: skip
            return 0
        call = PreviewCall(lead.phone_e164, preview.agent_id, preview.token, preview.call_uuid,
                           campaign=preview.campaign, lead_id=lead.id)  # fmt: skip
        self._placed[call.call_uuid] = _Placed(preview, lead, rules, call)
        dialling = Dialling(
            self._agent_endpoint(call.agent_id), self._customer_endpoint(call.phone), rules.caller_number,
            rules.caller_name, rules.ring_seconds, agent_leg_variables(call.agent_id),
        )  # fmt: skip
        self._legs.place(call, dialling)
        return 1

    def on_switch_event(self, event: Event) -> None:
        self._legs.on_switch_event(event)

    def _agent_answered(self, call: AgentFirstCall) -> None:
        self._agent_fact(lambda: self._agents.answered(call.agent_id, call.agent_leg), call.agent_id)

    def _ended(self, call: AgentFirstCall, agent_answered: bool) -> None:
        placed = self._placed.pop(call.call_uuid, None)
        if placed is not None:
            self._finish(placed, agent_answered)

    # -- the end ----------------------------------------------------------------------------------

    def _finish(self, placed: _Placed, agent_answered: bool) -> None:
        call = placed.call
        now = self._clock()
        try:
            in_thread(previews.finish_preview, self._engine, placed.preview, self._attempt(placed),
                      self._next_at(placed), now)  # fmt: skip
        except StorageError as exc:
            log.error("preview call %s: attempt not logged (its lease brings the lead back): %s",
                      call.call_uuid, exc)  # fmt: skip
        if agent_answered:
            rules = self._rules.get(call.campaign)
            wrap_up = rules.wrap_up_seconds if rules is not None else 0
            self._agent_fact(
                lambda: self._agents.call_ended(call.agent_id, call.agent_leg, wrap_up), call.agent_id
            )
        else:
            self._agent_fact(lambda: self._agents.no_answer(call.agent_id, call.agent_leg), call.agent_id)
        log.info(
            "preview call %s of agent %s: %s", call.call_uuid, call.agent_id, call.outcome or "not dialled"
        )

    def _finish_unplaced(self, preview: Preview) -> None:
        in_thread(previews.finish_preview, self._engine, preview, None, None, self._clock())
        agent, token = preview.agent_id, preview.token
        # Reserved: cancelled; on the call still (a restart): ended. The other is a stale fact, ignored.
        self._agent_fact(lambda: self._agents.reservation_cancelled(agent, token), agent)
        self._agent_fact(lambda: self._agents.call_ended(agent, token, 0), agent)

    def _attempt(self, placed: _Placed) -> Attempt | None:
        call, lead = placed.call, placed.lead
        if call.outcome is None or call.started_at is None:
            return None
        return Attempt(
            campaign=call.campaign,
            phone_e164=call.phone,
            attempt_no=lead.attempts + 1,
            started_at=call.started_at,
            outcome=call.outcome,
            lead_id=lead.id,
            list_id=lead.list_id,
            call_uuid=call.call_uuid,
            answered_at=call.answered_at,
            ended_at=call.ended_at,
            hangup_cause=call.hangup_cause,
            agent_id=call.agent_id,
        )

    def _next_at(self, placed: _Placed) -> dt.datetime | None:
        call, lead = placed.call, placed.lead
        if call.outcome is None:
            return None
        try:
            decision = placed.rules.after(lead.time_zones, lead.attempts + 1, call.outcome,
                                          call.ended_at or self._clock())  # fmt: skip
        except NeverOpen:
            log.warning("campaign %s: lead %d's zones are never inside its window; finished",
                        call.campaign, lead.id)  # fmt: skip
            return None
        return decision.next_at

    def _agent_fact(self, apply: Callable[[], object], agent_id: str) -> None:
        try:
            in_thread(apply)
        except (AgentStateError, StorageError) as exc:
            log.error("agent %s: preview call fact not applied: %s", agent_id, exc)
        self._on_agent_change(agent_id)
