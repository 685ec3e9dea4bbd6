"""`ScreenPopPublisher`: when the ACD rings an agent, push the caller's screen pop to the agent's sessions.

The ACD calls `offered` from the offer flow (esl_handlers.acd_offer.OfferAttempt.ring), once per agent rung,
for single and ring-all offers alike. It returns at once: the pop (schema.crm.screenpop.build_screen_pop, as
SYSTEM) is built in gevent's thread pool by a greenlet of its own and published as a `screenpop` event
whose data is the `ScreenPop` JSON the API serves at GET /api/screenpop/{call_uuid}. A failure is logged
and never reaches the offer: the phone rings whether the pop arrives or not.

The push target is any `PushTarget` (http_api's PushHub is one); esl_handlers never imports http_api.
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

import gevent.pool
from sqlalchemy import Engine

from schema.crm.screenpop import build_screen_pop
from schema.threadpool import in_thread
from schema.viewer import SYSTEM

log = logging.getLogger(__name__)

SCREENPOP_EVENT: Final = "screenpop"


class PushTarget(Protocol):
    def publish(self, agent_id: str, event: str, data: str) -> int:
        """Queue `data` as event `event` for the agent's open sessions; how many it reached. Never blocks."""
        ...


class ScreenPopPublisher:
    def __init__(self, engine: Engine, push: PushTarget, region: str) -> None:
        self._engine = engine
        self._push = push
        self._region = region
        self._running = gevent.pool.Group()
        self.published = 0  # pops that reached at least one open session
        self.failed = 0

    def offered(self, agent_id: str, call_uuid: str, caller_number: str) -> None:
        """Agent `agent_id` is rung for the call (`OfferObserver`): publish its pop in the background."""
        self._running.spawn(self._publish, agent_id, call_uuid, caller_number)

    def stop(self, timeout: float = 5.0) -> None:
        """Let pops being built finish (their database work holds pooled connections), then give up."""
        self._running.join(timeout=timeout)
        self._running.kill(block=False)

    def _publish(self, agent_id: str, call_uuid: str, caller_number: str) -> None:
        try:
            pop = in_thread(
                build_screen_pop,
                self._engine,
                SYSTEM,
                call_uuid,
                caller_number=caller_number or None,
                region=self._region,
            )
            reached = self._push.publish(agent_id, SCREENPOP_EVENT, pop.model_dump_json())
        except Exception:
            self.failed += 1
            log.exception("call %s: no screen pop for agent %s", call_uuid, agent_id)
            return
        if reached:
            self.published += 1
        log.debug("call %s: screen pop for agent %s reached %d sessions", call_uuid, agent_id, reached)
