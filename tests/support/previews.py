"""A preview campaign, its agents logged in, for the preview tests (schema and dialer)."""

from __future__ import annotations

from sqlalchemy import Engine

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import CampaignStatus
from dialplans.script_models import Script
from ivr_scripts.agent_service import AgentService
from schema.acd.agents import agent_snapshot, upsert_agents
from schema.acd.records import AgentProfile
from schema.adapters.agent_store import SqlAgentStore
from schema.campaigns.desk import CampaignPlan
from schema.campaigns.status import transition
from schema.viewer import Viewer
from tests.support.campaign_leads import NOW

AGENTS = ("1001", "1002", "1003", "1004")
CAMPAIGN = Campaign.model_validate(
    {
        "type": "telemarketing",
        "agents": list(AGENTS),
        "lists": ["march"],
        "dial_mode": "preview",
        "caller_id": "+13125550000",
        "script": "renewal",
        "preview_seconds": 60,
    }
)
SCRIPT = Script.model_validate(
    {"intro": "Hello, this is Acme.", "questions": [{"id": "renew", "text": "Renew?", "kind": "yes_no"}]}
)
PLAN = CampaignPlan({"spring": CAMPAIGN}, {"renewal": SCRIPT}, {"spring": frozenset(AGENTS)})
ALICE = Viewer("alice", "agent", agent_id="1001")


def ready(engine: Engine, status: CampaignStatus = CampaignStatus.RUNNING) -> AgentService:
    upsert_agents(engine, [AgentProfile(agent_id) for agent_id in AGENTS])
    service = AgentService(SqlAgentStore(engine, "s1"), None, lambda: NOW)
    for agent_id in AGENTS:
        service.login(agent_id)
    transition(engine, "spring", status, by="test", reason=None, now=NOW)
    return service


def state_of(engine: Engine, agent_id: str) -> tuple[str, str | None]:
    agent = next(a for a in agent_snapshot(engine) if a.agent_id == agent_id)
    return agent.state, agent.call_uuid
