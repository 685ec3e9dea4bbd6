"""Click-to-dial from the agent desk: who may dial for an agent, which numbers, and the agent's reservation.

- Who: the agent themselves, a supervisor for their department's agents, a manager for anyone (another
  department's agent is not found for a supervisor; an agent asking for someone else is refused).
- The number is normalised like every number the CRM stores (`schema.crm.phones.normalise_number`, the
  dialplan's crm.default_region); one that is not a full phone number is refused (`NumberRefused`).
- The do-not-call lists every outbound call obeys (internal, then national: schema.campaigns.dnc) refuse
  it (`DialRefused`); campaign exclusions belong to their campaign and do not apply.
- The agent must be available: `reserve_agent` reserves them for the call (so the ACD offers them no
  queue call meanwhile) or the dial is refused with the state they are in (`DialRefused`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from ivr_scripts.supervision import AgentRow
from schema.acd.agents import reserve_agent
from schema.adapters.supervision_facts import SqlSupervisionFacts
from schema.campaigns.dnc import dnc_listed
from schema.crm.phones import normalise_number
from schema.errors import NotFound, PermissionDenied
from schema.viewer import Viewer


class DialRefused(Exception):
    """The agent's state or the number's listing does not allow the call now (409)."""


class NumberRefused(ValueError):
    """Not a full phone number in the dialplan's region (422)."""


@dataclass(frozen=True, slots=True)
class DeskDial:
    """A reserved agent and the E.164 number to ring once their phone answers."""

    agent_id: str
    extension: str
    number: str
    call_uuid: str


def may_dial_for(viewer: Viewer, agent: AgentRow) -> None:
    """NotFound for an agent the viewer may not see, PermissionDenied for one they may not dial for."""
    if viewer.sees_everything or viewer.agent_id == agent.agent_id:
        return
    if viewer.role == "supervisor":
        if agent.department is None or agent.department != viewer.department:
            raise NotFound(f"no agent {agent.agent_id}")
        return
    raise PermissionDenied(f"{viewer.user} ({viewer.role}) may dial only for themselves")


def reserve_desk_dial(
    engine: Engine,
    viewer: Viewer,
    agent_id: str,
    number: str,
    *,
    call_uuid: str,
    region: str,
    server: str,
    now: dt.datetime,
) -> DeskDial:
    """Check the dial and reserve the agent for `call_uuid`; see the module's rules."""
    agent = SqlSupervisionFacts(engine).agent(agent_id)
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    may_dial_for(viewer, agent)
    e164 = normalise_number(number, region)
    if e164 is None:
        raise NumberRefused(f"{number!r} is not a full phone number (region {region})")
    listed = dnc_listed(engine, e164)
    if listed is not None:
        raise DialRefused(f"{e164} is on the {listed} list: not dialled")
    if reserve_agent(engine, call_uuid, [agent_id], server, now) != agent_id:
        raise DialRefused(f"agent {agent_id} is {agent.state}: only an available agent may dial")
    return DeskDial(agent_id, agent.extension, e164, call_uuid)
