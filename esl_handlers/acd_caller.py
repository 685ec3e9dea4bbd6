"""The queued caller's side, as `QueueServer` reads it: variables screening left on the caller's
channel, the caller's sticky agent, and the caller's hang-up and unbridge events."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import Engine

from dialplans import models as plan
from esl_handlers.acd_offer import EndedBy, WaitingCaller
from ivr_scripts.acd.from_dialplan import sticky_since
from ivr_scripts.channel import CallerHungUp, CallInfo, CallLeg, Channel, ChannelError, LegEvent
from schema.acd.sticky import last_agent_for
from schema.errors import StorageError
from schema.threadpool import in_thread

log = logging.getLogger(__name__)


def channel_variable(channel: Channel, name: str) -> str | None:
    """A variable screening may have left on the caller's channel; None when unset or unreadable."""
    try:
        return channel.get_variable(name) or None
    except CallerHungUp:
        raise
    except ChannelError as exc:
        log.warning("call %s: %s unknown: %s", channel.info.uuid, name, exc)
        return None


def sticky_agent(
    engine: Engine, model: plan.Queue, info: CallInfo, queue: str, joined: dt.datetime
) -> str | None:
    """The agent who last served this caller in `queue` within its sticky days, if any."""
    since = sticky_since(model, joined)
    if since is None:
        return None
    try:
        agent_id: str | None = in_thread(last_agent_for, engine, info.caller_number, queue, since=since)
    except StorageError as exc:
        log.warning("call %s: no sticky agent: %s", info.uuid, exc)
        return None
    return agent_id


def watch_caller(leg: CallLeg, waiting: WaitingCaller, end: Callable[[str, EndedBy], None]) -> None:
    """Follow the caller's hang-up and unbridge: `end` is told when the conversation ended, and by whom."""
    call_uuid = leg.channel.info.uuid

    def seen(event: LegEvent) -> None:
        if event.unique_id != call_uuid:
            return
        if event.name == "CHANNEL_HANGUP":
            waiting.caller_hung_up = True
        elif event.name == "CHANNEL_UNBRIDGE" and waiting.ended_by is None:
            waiting.ended_by = "caller" if waiting.caller_hung_up else "agent"
            end(call_uuid, waiting.ended_by)
        elif event.name == "CHANNEL_HANGUP_COMPLETE":
            waiting.caller_hung_up = True
            waiting.ended_by = waiting.ended_by or "caller"
            end(call_uuid, waiting.ended_by)

    leg.events.add_event_listener(seen)
