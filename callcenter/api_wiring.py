"""The HTTP API inside `callcenter serve`: its WSGI app over the dialplan's current settings, its own
database threads, the agents' event streams and the screen pops pushed to them (docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from callcenter.dialplan_holder import DialplanHolder
from callcenter.server_config import ServerConfig
from callcenter.stats_wiring import LiveStatistics
from esl_handlers.desk_calls import DeskCalls
from esl_handlers.screen_pop import ScreenPopPublisher
from esl_handlers.supervision import Supervisor
from http_api import ApiServer, PushHub, build_api
from schema.campaigns.desk import CampaignPlan
from schema.threadpool import WorkerPool


@dataclass(frozen=True)
class HttpApi:
    push: PushHub
    screen_pops: ScreenPopPublisher
    api: ApiServer
    pool: WorkerPool


def build_http_api(
    config: ServerConfig,
    engine: Engine,
    dialplans: DialplanHolder,
    calls: Supervisor | None,
    stats: LiveStatistics | None = None,
    *,
    on_agent_change: Callable[[str], None] | None = None,
    desk: DeskCalls | None = None,
) -> HttpApi | None:
    """The HTTP API with its agents' event streams and the screen pops pushed to them; None without
    `api_port`. Supervision and PCI-pause calls go to `calls`; the live statistics come from `stats`;
    `on_agent_change(agent_id)` wakes the ACD after an agent's state changed through the API;
    click-to-dial goes to `desk`."""
    if config.api_port is None:
        return None
    region = dialplans.loaded.model.crm.default_region
    push = PushHub()
    screen_pops = ScreenPopPublisher(engine, push, region)
    limits = config.api_limits
    pool = WorkerPool(limits.threads)
    api = ApiServer(
        build_api(
            engine,
            region=region,
            push=push,
            calls=calls,
            qa_forms=lambda: dialplans.loaded.model.qa_forms,
            campaigns=lambda: CampaignPlan.of(dialplans.loaded.model),
            dispositions=lambda: dialplans.loaded.model.desktop.dispositions,
            run=pool.run,
            stats=None if stats is None else stats.feed,
            secure_cookie=limits.secure_cookie,
            on_agent_change=on_agent_change,
            desk=desk,
        ),
        host=config.api_host,
        port=config.api_port,
        head_timeout=limits.head_timeout,
        body_timeout=limits.body_timeout,
        max_connections=limits.max_connections,
        tls=None if config.api_tls is None else (config.api_tls.certificate, config.api_tls.key),
    )
    return HttpApi(push, screen_pops, api, pool)
