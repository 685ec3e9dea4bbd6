"""A switch for campaign calls without a socket: each originate waits until the test settles it."""

from __future__ import annotations

import gevent
from gevent.event import AsyncResult

from esl_handlers.after_answer import PARK, AfterAnswer
from ivr_scripts.switch import Originated, SwitchError


class FakeSwitch:
    def __init__(self) -> None:
        self.originates: dict[str, AsyncResult] = {}
        self.done: list[tuple[str, ...]] = []
        self.variables: dict[str, dict[str, str]] = {}  # each originated leg's variables
        self.fail_bridge = False

    def originate(
        self,
        endpoint: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
        then: AfterAnswer = PARK,
    ) -> Originated:
        del caller_id_number, caller_id_name, timeout, then
        leg = (variables or {})["origination_uuid"]
        self.originates[leg] = AsyncResult()
        self.variables[leg] = dict(variables or {})
        self.done.append(("originate", endpoint))
        result: Originated = self.originates[leg].get(timeout=5)
        return result

    def settle_all(self, result: Originated) -> None:
        """Answer every originate still waiting with `result` (a test's end: no greenlet left waiting)."""
        for waiting in self.originates.values():
            if not waiting.ready():
                waiting.set(result)
        gevent.sleep(0)

    def bridge(self, caller_uuid: str, leg_uuid: str) -> None:
        if self.fail_bridge:
            raise SwitchError("-ERR Invalid uuid")
        self.done.append(("bridge", caller_uuid, leg_uuid))

    def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> None:
        self.done.append(("hangup", uuid))

    def transfer_inline(self, uuid: str, steps: AfterAnswer) -> bool:
        self.done.append(("transfer", uuid, steps.text.split(",")[0]))
        return True
