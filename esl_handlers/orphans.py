"""The calls a dead application server leaves behind, sent on to their fallback at once.

With `socket ... async full` FreeSWITCH runs each command the application server sends inside the
socket application's park loop. When the server's process dies, mod_event_socket clears the
channel's CF_CONTROLLED, but the park loop ends only between applications: a prompt plays on to its
end, and `play_and_get_digits` then waits out its digit timeout (switch_ivr_collect_digits_count
checks neither CF_BREAK nor a broadcast stop, so `uuid_break` cannot end it). Measured on the real
switch, callers reached the fallback up to 8 s after the kill. `uuid_transfer` ends any of it
(CF_TRANSFER makes switch_channel_ready false), so each orphan is transferred to the fallback its
DID names in `cc_fallback` (set by the rendered dialplan before `socket`), in context cc_fallback.
Parked calls (call control `park`) are in the DID context too: they go to their fallback at once
as well, their fallback lease (`sched_transfer`) cancelled first so it does not transfer them a
second time. Only the channels still in the DID context and not bridged are touched: a caller already at the
fallback must hear it out, and a caller talking to an agent keeps talking.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Final, Literal, Protocol

from dialplans.fallback_models import FALLBACK_CONTEXT
from ivr_scripts.switch import SwitchError

log = logging.getLogger(__name__)

DID_CONTEXT: Final = "public"  # freeswitch_conf's dialplan/public.xml, where `socket` runs
FALLBACK_VARIABLE: Final = "cc_fallback"  # the DID's fallback extension, set before `socket`


class OrphanSwitch(Protocol):
    def show(self, what: Literal["channels", "calls"]) -> list[dict[str, str]]: ...

    def variable(self, uuid: str, name: str) -> str | None: ...

    def cancel_scheduled(self, uuid: str) -> None: ...

    def transfer(self, uuid: str, extension: str, context: str) -> bool: ...


def orphaned_calls(channels: Sequence[dict[str, str]], calls: Sequence[dict[str, str]]) -> list[str]:
    """The inbound channels in the DID context that are not bridged, in `show channels` order."""
    bridged = {row.get(key, "") for row in calls if row.get("b_uuid") for key in ("uuid", "b_uuid")}
    return [
        row["uuid"]
        for row in channels
        if row.get("uuid")
        and row.get("direction") == "inbound"
        and row.get("context") == DID_CONTEXT
        and row["uuid"] not in bridged
    ]


def release_orphans(
    switch: OrphanSwitch,
    *,
    rounds: int = 20,
    pause: float = 0.15,
    sleep: Callable[[float], None] = time.sleep,
) -> set[str]:
    """Transfer orphaned calls to their fallback until none is left in the DID context (a call
    may arrive while the worker is dead) or `rounds` run out; the uuids transferred."""
    released: set[str] = set()
    for _ in range(rounds):
        orphans = [
            u for u in orphaned_calls(switch.show("channels"), switch.show("calls")) if u not in released
        ]
        if not orphans:
            break
        for uuid in orphans:
            try:
                fallback = switch.variable(uuid, FALLBACK_VARIABLE)
                if fallback is None:
                    continue
                switch.cancel_scheduled(uuid)  # a parked call's lease would restart its fallback
                if switch.transfer(uuid, fallback, FALLBACK_CONTEXT):
                    released.add(uuid)
            except SwitchError as exc:
                log.warning("could not send call %s to its fallback: %s", uuid, exc)
        sleep(pause)
    return released
