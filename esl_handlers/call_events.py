"""`CallEvents`: what one call's events say, for the EslChannel that drives it.

FreeSWITCH echoes each application's Event-UUID as Application-UUID on CHANNEL_EXECUTE_COMPLETE,
and the completion is matched by it, never by application name. The first CHANNEL_HANGUP or
CHANNEL_HANGUP_COMPLETE of this channel, or the connection closing, fails every pending wait with
its own `CallerHungUp(cause)`; later calls raise it at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from gevent.event import AsyncResult, Event

from dialplans.vocabulary import NORMAL_CLEARING
from esl_handlers.codec import CommandReply, EslError
from esl_handlers.codec import Event as EslEvent
from ivr_scripts.channel import CallerHungUp, CallInfo

log = logging.getLogger(__name__)

CONNECTION_LOST: Final = "CONNECTION_LOST"


def call_info_from_connect(reply: CommandReply | EslEvent) -> CallInfo:
    """The CallInfo carried by the outbound `connect` reply (the channel data as headers), or by the
    CHANNEL_PARK of a parked call (the same headers)."""

    def first(*names: str) -> str | None:
        for name in names:
            value = reply.get(name)
            if value:
                return value
        return None

    call_uuid = first("Unique-ID", "Channel-Unique-ID", "Caller-Unique-ID")
    if call_uuid is None:
        raise EslError("connect reply carries no Unique-ID (is the dialplan using the socket app?)")
    number = first("Caller-Caller-ID-Number", "Channel-Caller-ID-Number") or ""
    return CallInfo(
        uuid=call_uuid,
        caller_number=number,
        caller_name=first("Caller-Caller-ID-Name", "Channel-Caller-ID-Name") or number,
        destination=first("Caller-Destination-Number", "Channel-Destination-Number") or "",
    )


class CallEvents:
    """Completions of the call's applications, its hang-up, and the listeners of its events.

    `on_execute` sees every CHANNEL_EXECUTE (the media player's start); it must not block.
    """

    def __init__(self, info: CallInfo, on_execute: Callable[[EslEvent], None]) -> None:
        self._info = info
        self._on_execute = on_execute
        self._completions: dict[str, AsyncResult] = {}
        self._hangup_cause: str | None = None
        self._gone = Event()
        self._finished = Event()
        self._listeners: list[Callable[[EslEvent], None]] = []

    @property
    def hangup_cause(self) -> str | None:
        """The cause once the call is gone (CONNECTION_LOST if the socket closed first)."""
        return self._hangup_cause

    @property
    def gone(self) -> bool:
        return bool(self._gone.is_set())

    def wait_gone(self, timeout: float | None) -> None:
        self._gone.wait(timeout)

    def add_event_listener(self, listener: Callable[[EslEvent], None]) -> None:
        """Observe every event of this call (DTMF, CHANNEL_ANSWER, ...); must not block."""
        self._listeners.append(listener)

    def wait_finished(self, timeout: float | None) -> bool:
        """Wait for CHANNEL_HANGUP_COMPLETE or the connection closing."""
        return bool(self._finished.wait(timeout))

    def expect_completion(self, event_uuid: str) -> AsyncResult:
        """Wait for the completion of the application `event_uuid`; registered before it is sent,
        because the completion may arrive in the same read as the reply."""
        waiter = AsyncResult()
        self._completions[event_uuid] = waiter
        return waiter

    def forget_completion(self, event_uuid: str) -> None:
        del self._completions[event_uuid]

    def handle_event(self, event: EslEvent) -> None:
        name = event.name
        if name == "CHANNEL_EXECUTE":
            self._on_execute(event)
        elif name == "CHANNEL_EXECUTE_COMPLETE":
            app_uuid = event.application_uuid
            waiter = self._completions.get(app_uuid) if app_uuid else None
            if waiter is not None and not waiter.ready():
                waiter.set(event)
        elif name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE") and self._is_ours(event):
            self.end(event.get("Hangup-Cause") or event.get("variable_hangup_cause") or NORMAL_CLEARING)
            if name == "CHANNEL_HANGUP_COMPLETE":
                self._finished.set()
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("call %s: event listener failed", self._info.uuid)

    def handle_close(self, reason: str) -> None:
        if not self._gone.is_set():
            log.info("call %s: connection closed before hangup (%s)", self._info.uuid, reason)
        self.end(CONNECTION_LOST)
        self._finished.set()

    def hung_up(self) -> CallerHungUp:
        return CallerHungUp(self._hangup_cause or CONNECTION_LOST)

    def end(self, cause: str) -> None:
        if self._gone.is_set():
            return
        self._hangup_cause = cause
        self._gone.set()
        for waiter in self._completions.values():
            if not waiter.ready():
                waiter.set_exception(CallerHungUp(cause))

    def _is_ours(self, event: EslEvent) -> bool:
        unique_id = event.unique_id
        return unique_id is None or unique_id == self._info.uuid
