"""An agent's phone first, then a number, bridged: the switch side of `AgentFirstCall` (docs/dialer.md).

Preview calls (esl_handlers.preview_calls) and click-to-dial from the desk (esl_handlers.desk_calls)
both place their calls here:

1. `bgapi originate` of the agent's phone on the call's agent leg UUID, parked (auto-answered when the
   caller of `place` says so: esl_handlers.seat_legs.auto_answer_variables);
2. once answered, `bgapi originate` of the number with the caller ID and ring time given, parked;
3. answered: `uuid_bridge` to the agent's leg; not answered: the agent's leg is hung up. When either
   leg ends (CHANNEL_HANGUP_COMPLETE) the other is hung up.

Whoever placed the call hears `agent_answered(call)` once the agent's phone answers (before the number
is dialled), and `ended(call, agent_answered)` once, when the call is over.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import gevent

from esl_handlers.campaign_calls import CampaignSwitch
from esl_handlers.codec import Event
from ivr_scripts.campaigns.preview import AgentFirstCall, BridgeLegs, HangUpLeg, PreviewCommand, PreviewPhase
from ivr_scripts.switch import Originated, SwitchError

log = logging.getLogger(__name__)

AGENT_RING_SECONDS: Final = 20


@dataclass(frozen=True)
class Dialling:
    """How one agent-first call is placed: both endpoints, the caller ID the number sees, ring times."""

    agent_endpoint: str
    customer_endpoint: str
    caller_number: str
    caller_name: str
    customer_ring_seconds: int
    agent_variables: Mapping[str, str] = field(default_factory=dict)
    agent_ring_seconds: int = AGENT_RING_SECONDS


class AgentFirstLegs:
    def __init__(
        self,
        switch: CampaignSwitch,
        *,
        clock: Callable[[], dt.datetime],
        agent_answered: Callable[[AgentFirstCall], None],
        ended: Callable[[AgentFirstCall, bool], None],
    ) -> None:
        self._switch = switch
        self._now = clock
        self._agent_answered = agent_answered
        self._ended = ended
        self._by_leg: dict[str, tuple[AgentFirstCall, Dialling]] = {}
        self._answered: set[str] = set()  # agent legs whose phone answered

    def place(self, call: AgentFirstCall, dialling: Dialling) -> None:
        """Start the call in its own greenlet."""
        self._by_leg[call.agent_leg] = self._by_leg[call.call_uuid] = (call, dialling)
        gevent.spawn(self._run, call, dialling)

    def on_switch_event(self, event: Event) -> None:
        headers = event.headers
        if headers.get("Event-Name") != "CHANNEL_HANGUP_COMPLETE":
            return
        leg = headers.get("Unique-ID", "")
        placed = self._by_leg.get(leg)
        if placed is None:
            return
        call = placed[0]
        command = call.hung_up(leg, headers.get("Hangup-Cause", "NORMAL_CLEARING"), self._now())
        self._carry_out(command)
        if call.phase is PreviewPhase.ENDED:
            gevent.spawn(self._finish, call)

    def _run(self, call: AgentFirstCall, dialling: Dialling) -> None:
        agent = self._originate(
            dialling.agent_endpoint, call.agent_leg, dialling.agent_ring_seconds, dialling,
            dict(dialling.agent_variables),
        )  # fmt: skip
        if agent.result != "answered" or call.phase is not PreviewPhase.CALLING_AGENT:
            call.hung_up(call.agent_leg, agent.cause, self._now())
            self._finish(call)
            return
        self._answered.add(call.agent_leg)
        self._agent_answered(call)
        call.agent_answered(self._now())
        customer = self._originate(
            dialling.customer_endpoint, call.call_uuid, dialling.customer_ring_seconds, dialling, {}
        )
        if customer.result != "answered":
            self._carry_out(call.customer_not_answered(customer.cause, self._now()))
            self._finish(call)
        elif call.ringing_customer:
            self._carry_out(call.customer_answered(self._now()))
        else:
            self._carry_out(HangUpLeg(call.call_uuid))  # the agent left while it rang

    def _originate(
        self, endpoint: str, leg: str, seconds: int, dialling: Dialling, variables: dict[str, str]
    ) -> Originated:
        try:
            return self._switch.originate(
                endpoint,
                caller_id_number=dialling.caller_number,
                caller_id_name=dialling.caller_name,
                timeout=seconds,
                variables={"origination_uuid": leg, **variables},
            )
        except SwitchError as exc:
            log.warning("agent-first call leg %s to %s: %s", leg, endpoint, exc)
            return Originated("failed", None, "NORMAL_TEMPORARY_FAILURE")

    def _carry_out(self, command: PreviewCommand | None) -> None:
        try:
            if isinstance(command, BridgeLegs):
                self._switch.bridge(command.customer_uuid, command.agent_leg)
            elif isinstance(command, HangUpLeg):
                self._switch.hangup(command.uuid)
        except SwitchError as exc:
            log.warning("agent-first call: %s failed: %s", command, exc)
            if isinstance(command, BridgeLegs):
                self._carry_out(HangUpLeg(command.customer_uuid))
                self._carry_out(HangUpLeg(command.agent_leg))

    def _finish(self, call: AgentFirstCall) -> None:
        if self._by_leg.pop(call.agent_leg, None) is None:
            return  # finished already
        self._by_leg.pop(call.call_uuid, None)
        answered = call.agent_leg in self._answered
        self._answered.discard(call.agent_leg)
        self._ended(call, answered)
