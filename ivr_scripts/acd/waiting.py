"""The waiting caller: music on hold, announcements, exit and callback keys, max wait, hang-up.

`wait_in_queue` runs in the caller's greenlet while dispatch and `offer.offer_call` run elsewhere.
The two sides share one `QueueTicket`. Pure code cannot wait on an event, so the handshake is:
the offer flow claims the ticket (`claim`), calls `ticket.wake()` (the channel's `interrupt`), so the
pending `hold` returns early, and the loop sees the ticket is no longer waiting and returns without
touching the channel again; only then does the offer flow bridge. Rules (docs/acd.md):

- Music plays in slices of `announce_every` seconds (cut short by `max_wait`); between slices the
  caller hears their position and expected wait (each when enabled and known). `announce_on_entry`
  also announces before the first slice.
- Music the channel cannot play (`HoldFailed`, raised after the channel's own back-off) is replaced
  by a fallback tone for the rest of this caller's wait, logged once (hold_sources.py).
- The ticket is checked after every channel operation and wins over a key pressed at the same time:
  a caller being connected is never sent away.
- Exit key: EXITWITHKEY, the queue's `on_exit_key` action is returned for the caller to run.
- Callback key (offered only when the caller's number can be dialled back): the ticket keeps its
  place and becomes a callback ticket; CALLBACK is recorded, the caller hears the confirmation and
  is hung up.
- Max wait (from joining the queue): EXITWITHTIMEOUT, `on_max_wait` is returned; with a callback
  overflow the ticket becomes a callback instead (as with the callback key) when the number can be
  dialled back.
- Caller hang-up while waiting: ABANDON. Every exit records its event with the wait in seconds and
  the position at the time; CONNECT is recorded by the offer flow once the bridge is up.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

from dialplans.clock import Clock
from dialplans.models import Action
from dialplans.vocabulary import (
    ABANDON,
    CALLBACK,
    ENTERQUEUE,
    EXITWITHKEY,
    EXITWITHTIMEOUT,
    NORMAL_CLEARING,
    QueueEventName,
)
from ivr_scripts.acd.estimate import expected_wait_audio, position_audio
from ivr_scripts.acd.hold_sources import HoldSources
from ivr_scripts.acd.queue_events import QueueEventReport, QueueEventSink
from ivr_scripts.acd.settings import CallbackOverflow, QueueSettings
from ivr_scripts.channel import Audio, CallerHungUp, CallInfo, Channel, HoldFailed

# Music slice when neither announcements nor a max wait cut it shorter; the loop simply holds again.
IDLE_HOLD_SECONDS: Final = 600.0
DIALLABLE: Final = re.compile(r"\+?[0-9]{3,20}")

TicketState = Literal[
    "waiting",  # in the queue (a callback ticket waits too, without a caller on the line)
    "connecting",  # the offer flow has an agent and is bridging
    "connected",  # bridged to an agent
    "completed",  # the connected call has ended
    "abandoned",  # the caller hung up while waiting
    "exited",  # the caller pressed the exit key
    "timed_out",  # max wait reached
    "failed",  # the bridge failed after an agent answered (OfferFailed was raised)
    "callback_failed",  # the customer did not answer any callback attempt
]
LeftState = Literal["abandoned", "exited", "timed_out"]


def _nothing() -> None:
    return None


@dataclass(eq=False, slots=True)
class Callback:
    """A caller who chose to be called back: dial `number`, presenting `caller_id_number` to them."""

    number: str
    caller_id_number: str
    requested_at: dt.datetime
    attempts: int = 0


@dataclass(eq=False, slots=True)
class QueueTicket:
    """One caller's place in a queue, shared by the waiting loop and the offer flow.

    `call_uuid` stays the ticket's identity (and the dispatch board's key) even after a callback
    request hangs the caller up. `wake` ends the caller's pending hold (the channel's `interrupt`);
    `cancel_ringing` is set by the offer flow while an agent rings and tears that leg down when the
    caller leaves.
    """

    call_uuid: str
    queue: str
    caller_number: str
    caller_name: str
    enqueued_at: dt.datetime
    destination: str = ""
    state: TicketState = "waiting"
    callback: Callback | None = None
    agent_id: str | None = None
    connected_at: dt.datetime | None = None
    wait_s: float | None = None  # set when the ticket leaves the waiting state
    wake: Callable[[], None] = _nothing
    cancel_ringing: Callable[[], None] | None = field(default=None, repr=False)

    @classmethod
    def for_call(cls, info: CallInfo, queue: str, enqueued_at: dt.datetime) -> QueueTicket:
        return cls(
            call_uuid=info.uuid,
            queue=queue,
            caller_number=info.caller_number,
            caller_name=info.caller_name,
            enqueued_at=enqueued_at,
            destination=info.destination,
        )

    def waited(self, now: dt.datetime) -> float:
        return max(0.0, (now - self.enqueued_at).total_seconds())

    @property
    def can_call_back(self) -> bool:
        return DIALLABLE.fullmatch(self.caller_number) is not None

    def claim(self, agent_id: str) -> bool:
        """The offer flow has an answered agent: waiting -> connecting. False if the caller has left."""
        if self.state != "waiting":
            return False
        self.state, self.agent_id = "connecting", agent_id
        return True

    def connect(self, at: dt.datetime) -> bool:
        """The bridge is up: connecting -> connected. False if the caller left during the bridge."""
        if self.state != "connecting":
            return False
        self.state, self.connected_at, self.wait_s = "connected", at, self.waited(at)
        return True

    def release(self) -> None:
        """connecting -> waiting again (a callback customer did not answer)."""
        if self.state == "connecting":
            self.state, self.agent_id = "waiting", None

    def fail(self, state: Literal["failed", "callback_failed"]) -> None:
        self.state = state

    def complete(self) -> bool:
        if self.state != "connected":
            return False
        self.state = "completed"
        return True

    def leave(self, state: LeftState, at: dt.datetime) -> bool:
        """The caller leaves while waiting (or while an agent is being bridged, for a hang-up)."""
        allowed = ("waiting", "connecting") if state == "abandoned" else ("waiting",)
        if self.state not in allowed:
            return False
        self.state, self.wait_s = state, self.waited(at)
        self._stop_ringing()
        return True

    def request_callback(self, at: dt.datetime) -> bool:
        """Keep the place, to be dialled back; the number presented to them is the one they dialled."""
        if self.state != "waiting" or self.callback is not None or not self.can_call_back:
            return False
        self.callback = Callback(self.caller_number, self.destination or self.caller_number, at)
        self.wake = _nothing
        self._stop_ringing()
        return True

    def _stop_ringing(self) -> None:
        cancel, self.cancel_ringing = self.cancel_ringing, None
        if cancel is not None:
            cancel()


CALLBACK_CONFIRMED: Final = Audio(
    label="queue_callback_confirmed",
    text="Thank you. We will keep your place and call you back when it is your turn. Goodbye.",
)


@dataclass(frozen=True, slots=True)
class QueuePrompts:
    """What the waiting caller hears besides the music; position and wait texts come from estimate.py."""

    callback_confirmed: Audio = CALLBACK_CONFIRMED
    position: Callable[[int], Audio] = position_audio
    expected_wait: Callable[[float], Audio] = expected_wait_audio


WaitKind = Literal["connected", "abandoned", "exit_key", "callback", "timeout", "failed"]


@dataclass(frozen=True, slots=True)
class WaitOutcome:
    """How the wait ended. `event` is the queue event recorded for it (None for connected, whose CONNECT
    the offer flow records, and for failed). `action` is the queue's action to run next, if any."""

    kind: WaitKind
    event: QueueEventName | None
    wait_s: float
    key: str | None = None
    action: Action | None = None


def wait_in_queue(
    channel: Channel,
    ticket: QueueTicket,
    settings: QueueSettings,
    *,
    position: Callable[[], int],
    expected_wait: Callable[[], float | None],
    clock: Clock,
    events: QueueEventSink,
    prompts: QueuePrompts | None = None,
) -> WaitOutcome:
    """Keep the caller waiting until an agent takes the call or the caller leaves; see the module rules.

    Records ENTERQUEUE on entry. `position()` is 1 for the next caller; `expected_wait()` is seconds or
    None without history.
    """
    ticket.wake = channel.interrupt
    loop = _WaitLoop(
        channel,
        ticket,
        settings,
        position,
        expected_wait,
        clock,
        events,
        prompts or QueuePrompts(),
        HoldSources(ticket.call_uuid, settings.music_on_hold),
    )
    loop.record(ENTERQUEUE, wait_s=0.0, position=loop.position_now())
    try:
        return loop.run()
    except CallerHungUp as hung_up:
        return loop.hung_up(hung_up.cause)


@dataclass(slots=True)
class _WaitLoop:
    channel: Channel
    ticket: QueueTicket
    settings: QueueSettings
    position: Callable[[], int]
    expected_wait: Callable[[], float | None]
    clock: Clock
    events: QueueEventSink
    prompts: QueuePrompts
    sources: HoldSources

    def run(self) -> WaitOutcome:
        settings = self.settings
        every = settings.announce_every if settings.announces else None
        now = self.clock()
        next_announcement: dt.datetime | None = None
        if settings.announces and settings.announce_on_entry:
            next_announcement = now
        elif every is not None:
            next_announcement = now + dt.timedelta(seconds=every)
        keys = self._exit_keys()
        while True:
            settled = self._settled()
            if settled is not None:
                return settled
            now = self.clock()
            waited = self.ticket.waited(now)
            if settings.max_wait is not None and waited >= settings.max_wait:
                if isinstance(settings.max_wait_overflow, CallbackOverflow):
                    outcome = self._call_back(now)
                    if outcome is not None:
                        return outcome
                return self._leave("timed_out", EXITWITHTIMEOUT, now, action=settings.on_max_wait)
            if next_announcement is not None and now >= next_announcement:
                self._announce()
                next_announcement = None if every is None else self.clock() + dt.timedelta(seconds=every)
                continue
            seconds = IDLE_HOLD_SECONDS
            if next_announcement is not None:
                seconds = min(seconds, (next_announcement - now).total_seconds())
            if settings.max_wait is not None:
                seconds = min(seconds, settings.max_wait - waited)
            try:
                key = self.channel.hold(self.sources.current, seconds=seconds, exit_keys=keys)
            except HoldFailed as failure:
                if self._settled() is None:  # else the playback ended because the call moved on
                    self.sources.failed(failure)
                continue
            if key:
                outcome = self._pressed(key)
                if outcome is not None:
                    return outcome

    def hung_up(self, cause: str) -> WaitOutcome:
        now = self.clock()
        ticket = self.ticket
        if ticket.callback is not None and ticket.state == "waiting":
            # Gone during the callback confirmation: the callback stands.
            return WaitOutcome("callback", CALLBACK, ticket.waited(ticket.callback.requested_at))
        position = self.position_now()
        if not ticket.leave("abandoned", now):  # already connected: the call's end is recorded elsewhere
            return self._settled() or WaitOutcome("connected", None, ticket.wait_s or 0.0)
        wait_s = ticket.waited(now)
        self.record(ABANDON, wait_s=wait_s, position=position, data=cause, at=now)
        return WaitOutcome("abandoned", ABANDON, wait_s)

    def position_now(self) -> int | None:
        current = self.position()
        return current if current >= 1 else None

    def record(
        self,
        event: QueueEventName,
        *,
        wait_s: float,
        position: int | None,
        data: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        self.events.record(
            QueueEventReport(
                event=event,
                call_uuid=self.ticket.call_uuid,
                queue=self.ticket.queue,
                wait_s=wait_s,
                position=position,
                at=at or self.clock(),
                data=data,
            )
        )

    def _settled(self) -> WaitOutcome | None:
        """An outcome decided by the offer flow, or None while the caller still waits."""
        state = self.ticket.state
        if state == "waiting":
            return None
        wait_s = self.ticket.wait_s if self.ticket.wait_s is not None else self.ticket.waited(self.clock())
        if state in ("connecting", "connected", "completed"):
            return WaitOutcome("connected", None, wait_s)
        return WaitOutcome("failed", None, wait_s)

    def _exit_keys(self) -> str:
        keys = self.settings.exit_key or ""
        if self.settings.callback_key is not None and self.ticket.can_call_back:
            keys += self.settings.callback_key
        return keys

    def _announce(self) -> None:
        if self.settings.announce_position:
            current = self.position_now()
            if current is not None:
                self.channel.play(self.prompts.position(current))
        if self.settings.announce_expected_wait and self.ticket.state == "waiting":
            seconds = self.expected_wait()
            if seconds is not None:
                self.channel.play(self.prompts.expected_wait(seconds))

    def _pressed(self, key: str) -> WaitOutcome | None:
        settled = self._settled()
        if settled is not None:
            return settled
        now = self.clock()
        if key == self.settings.exit_key:
            return self._leave("exited", EXITWITHKEY, now, key=key, action=self.settings.on_exit_key)
        if key == self.settings.callback_key:
            return self._call_back(now, key=key)
        return None  # a key the channel should not have let through: keep waiting

    def _call_back(self, now: dt.datetime, *, key: str | None = None) -> WaitOutcome | None:
        """The callback key or the callback overflow: keep the place, confirm, hang up (None: the number
        cannot be dialled back, or the ticket is no longer waiting)."""
        if not self.ticket.request_callback(now):
            return None
        wait_s = self.ticket.waited(now)
        self.record(
            CALLBACK, wait_s=wait_s, position=self.position_now(), data=self.ticket.caller_number, at=now
        )
        self.channel.play(self.prompts.callback_confirmed)
        self.channel.hangup(NORMAL_CLEARING)
        return WaitOutcome("callback", CALLBACK, wait_s, key=key)

    def _leave(
        self,
        state: LeftState,
        event: QueueEventName,
        now: dt.datetime,
        *,
        key: str | None = None,
        action: Action | None = None,
    ) -> WaitOutcome:
        position = self.position_now()
        self.ticket.leave(state, now)
        wait_s = self.ticket.waited(now)
        self.record(event, wait_s=wait_s, position=position, data=key, at=now)
        kind: WaitKind = "timeout" if state == "timed_out" else "exit_key"
        return WaitOutcome(kind, event, wait_s, key=key, action=action)
