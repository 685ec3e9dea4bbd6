"""What `offer_call` (ivr_scripts.acd.offer) is given and gives back: the candidates to ring, the agent
service that hears of each ring, and the outcome of the offer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from ivr_scripts.acd.agent_legs import AgentLegReport
from ivr_scripts.acd.model import DispatchError


class OfferFailed(DispatchError):
    """The switch failed an originate or a bridge; the agent has been released."""

    def __init__(self, message: str, agent_id: str) -> None:
        super().__init__(message)
        self.agent_id = agent_id


@dataclass(frozen=True, slots=True)
class AgentTarget:
    """An agent to ring and its SIP endpoint, e.g. user/1001@callcenter.local, and the channel variables
    of that agent's leg alone (the auto-answer of a headset agent)."""

    agent_id: str
    endpoint: str
    variables: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RingGroup:
    """Agents already reserved for the call, rung together (ring-all): the first to answer takes it."""

    targets: tuple[AgentTarget, ...]


Candidate = AgentTarget | RingGroup


class AgentEvents(Protocol):
    """What the agent service hears from the offer flow (each maps to an agent state trigger)."""

    def ring(self, agent_id: str, call_uuid: str) -> None: ...

    def answered(self, agent_id: str, call_uuid: str) -> None: ...

    def no_answer(self, agent_id: str, call_uuid: str) -> None: ...

    def caller_abandoned(self, agent_id: str, call_uuid: str) -> None: ...

    def offer_failed(self, agent_id: str, call_uuid: str) -> None:
        """The switch failed the offer: release the agent without counting a no-answer."""
        ...


OfferResult = Literal["connected", "no_agent", "caller_left", "callback_unanswered"]


@dataclass(frozen=True, slots=True)
class OfferOutcome:
    """`connected`: `agent_id` took the call. `no_agent`: every candidate failed; the call stays queued.
    `caller_left`: the caller left (or the ticket was not waiting). `callback_unanswered`: the agent
    answered but the customer did not (see the ticket's state for whether another attempt follows)."""

    result: OfferResult
    agent_id: str | None = None
    agent_leg: str | None = None
    customer_leg: str | None = None  # callback tickets: the leg dialled to the customer
    not_answered: tuple[str, ...] = ()  # agents rung without success, in order
    answered_leg: AgentLegReport | None = None  # `connected`: the agent leg, its end not yet known
