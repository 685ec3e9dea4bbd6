"""The dialer, wired into the application server: its messages found, its endpoints, its agents.

Built only when the dialplan has campaigns, the ACD's inbound connection exists and
`campaign_endpoint` is set (CALLCENTER_CAMPAIGN_ENDPOINT): without a dial string for customers there
is nothing sensible to dial through (docs/dialer.md, "How customers are reached").
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from sqlalchemy import Engine

from callcenter.server_config import ServerConfig
from dialplans.campaign_models import Campaign
from dialplans.clock import Clock
from dialplans.loader import LoadedDialplan
from esl_handlers.dialer import CampaignAudio
from esl_handlers.dialer_runtime import DialerRuntime, DialerWiring, EslAddress
from esl_handlers.switch import EslSwitch
from ivr_scripts.prompts import PromptBook

log = logging.getLogger(__name__)


def campaign_audio(loaded: LoadedDialplan, book: PromptBook) -> dict[str, CampaignAudio]:
    """Each campaign's messages as the files the switch plays (from the IVR's own `book`); a message
    without a file is logged (a dropped call is then hung up on without it, a machine left without it)."""

    def file_of(campaign_name: str, prompt: str | None) -> str | None:
        if prompt is None:
            return None
        file = book[prompt].file
        if file is None:
            log.error(
                "campaign %s: prompt %s has no audio file (run `callcenter render`); not played",
                campaign_name,
                prompt,
            )
        return file

    def audio_of(name: str, campaign: Campaign) -> CampaignAudio:
        return CampaignAudio(
            dropped=file_of(name, campaign.abandon.message), machine=file_of(name, campaign.machine.message)
        )

    return {name: audio_of(name, campaign) for name, campaign in loaded.model.campaigns.items()}


def build_dialer(
    config: ServerConfig,
    loaded: LoadedDialplan,
    engine: Engine,
    switch: EslSwitch | None,
    *,
    prompts: PromptBook,
    clock: Clock,
    on_agent_change: Callable[[str], None],
) -> DialerRuntime | None:
    """The dialer, or None (no campaigns, no inbound connection, or no campaign endpoint: logged)."""
    if not loaded.model.campaigns or switch is None:
        return None
    if config.campaign_endpoint is None:
        log.warning(
            "the dialplan has %d campaign(s) but CALLCENTER_CAMPAIGN_ENDPOINT is not set: none is dialled",
            len(loaded.model.campaigns),
        )
        return None
    agents = loaded.model.agents

    def agent_endpoint(agent_id: str) -> str:
        agent = agents.get(agent_id)
        extension = agent.extension if agent is not None and agent.extension else agent_id
        return f"user/{extension}@{config.agent_domain}"

    return DialerRuntime(
        loaded.model,
        engine,
        switch,
        EslAddress(config.esl_host, config.esl_port, config.esl_password),
        DialerWiring(
            customer_endpoint=config.campaign_endpoint,
            agent_endpoint=agent_endpoint,
            on_agent_change=on_agent_change,
            server=config.server_name or socket.gethostname(),
        ),
        audio=campaign_audio(loaded, prompts),
        clock=clock,
    )
