"""Click-to-dial from the agent desk, wired into the application server (esl_handlers.desk_calls).

Built when the server has the switch's inbound connection, the HTTP API, the campaigns' outbound route
(CALLCENTER_CAMPAIGN_ENDPOINT: the one route to customers) and a caller ID for these calls
(CALLCENTER_DESK_CALLER_ID); without them POST /api/agents/{agent_id}/dial answers 503.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from sqlalchemy import Engine

from callcenter.dialplan_holder import DialplanHolder
from callcenter.server_config import ServerConfig
from dialplans.clock import Clock
from esl_handlers.desk_calls import DeskCalls, DeskDialSettings
from esl_handlers.switch import EslSwitch

log = logging.getLogger(__name__)


def build_desk_calls(
    config: ServerConfig,
    dialplans: DialplanHolder,
    engine: Engine,
    switch: EslSwitch | None,
    *,
    clock: Clock,
    on_agent_change: Callable[[str], None],
) -> DeskCalls | None:
    if switch is None or config.api_port is None:
        return None
    if config.campaign_endpoint is None or config.desk_caller_id is None:
        log.info("click-to-dial is off: it needs CALLCENTER_CAMPAIGN_ENDPOINT and CALLCENTER_DESK_CALLER_ID")
        return None
    return DeskCalls(
        switch,
        engine,
        DeskDialSettings(config.campaign_endpoint, config.desk_caller_id),
        agents=lambda: dialplans.loaded.model.agents,
        region=lambda: dialplans.loaded.model.crm.default_region,
        agent_domain=config.agent_domain,
        clock=clock,
        on_agent_change=on_agent_change,
        server=config.server_name or socket.gethostname(),
    )
