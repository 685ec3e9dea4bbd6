"""The live statistics' routes: queue figures, agents' states, and their server-sent event stream.

They read the process's board (http_api.live_feed), never the database: the board is fed by events
(docs/reports.md, "Real-time statistics"). Without a board (the API runs without the call server) they
answer 503.
"""

from __future__ import annotations

from typing import Final

from http_api.live_feed import AgentLive, LiveFeed, QueueLive, StatsStream
from http_api.routing import ApiError, Context, Result, Route


def _feed(ctx: Context) -> LiveFeed:
    if ctx.who.role == "system":
        raise ApiError(403, "the system viewer has no API identity")
    if ctx.stats is None:
        raise ApiError(503, "this server keeps no live statistics (it runs without the call server)")
    return ctx.stats


def queue_stats(ctx: Context) -> Result:
    return _feed(ctx).queues()


def agent_stats(ctx: Context) -> Result:
    return _feed(ctx).agents(ctx.who)


def stats_stream(ctx: Context) -> Result:
    return StatsStream(_feed(ctx), ctx.who)


STATS_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "GET",
        "/api/stats/queues",
        "liveQueueStats",
        "Every queue now (waiting, longest wait) and today (offered, answered, abandoned, service level)",
        queue_stats,
        response=QueueLive,
        many=True,
        errors=(503,),
    ),
    Route(
        "GET",
        "/api/stats/agents",
        "liveAgentStats",
        "Agents' states and since when (managers: all; supervisors: their department; agents: themselves)",
        agent_stats,
        response=AgentLive,
        many=True,
        errors=(503,),
    ),
    Route(
        "GET",
        "/api/stats/stream",
        "liveStatsStream",
        "Server-sent events: the queue figures and agents' states on connect, then on each change",
        stats_stream,
        stream=True,
        errors=(503,),
        description=(
            "`event: queues` with the array of GET /api/stats/queues as `data`, `event: agents` with that "
            "of GET /api/stats/agents; both on connect, then a part each time it changed, at most one "
            "message per part every 250 ms; a `: keepalive` comment after 15 s without a change."
        ),
    ),
)
