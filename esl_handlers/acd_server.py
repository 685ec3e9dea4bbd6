"""`QueueServer`: the ACD on live calls, one per application server (`ivr_scripts.runner.QueueEntry`).

A caller choosing a queue `join`s it in their own greenlet: the call goes on the dispatch board and
`wait_in_queue` holds them (music, announcements, keys, max wait) while dispatch runs in another
greenlet. Dispatch is event-driven, never polled: it runs when a caller joins and when an agent
becomes free (`AgentDesk.on_free`), and reserves candidates one at a time (schema.acd.agents.reserve_agent,
atomic across servers) just before `offer_call` rings them over the `Switch`.

The caller's channel gets `park_after_bridge=true` before it waits: when the agent hangs up,
FreeSWITCH parks the caller again (instead of continuing the dialplan after `socket` into the
fallback transfer) and `join` returns `answered` with `ended_by="agent"`: the runner decides what the
caller still on the line hears (the queue's survey) and hangs up. The conversation ends on the caller's
CHANNEL_UNBRIDGE (ended by the caller when its CHANNEL_HANGUP came first, else by the agent) or its
CHANNEL_HANGUP_COMPLETE; the agent leg's CHANNEL_HANGUP_COMPLETE from the event listener ends it too
when no caller channel reports it (callbacks) or after `leg_grace` seconds. Then: COMPLETECALLER or
COMPLETEAGENT, the agent's wrap-up, the handle time and the agent's counters on the board.

CRM: a VIP's own agent (`preferred_agent`) is the call's sticky agent on the board, ahead of the
sticky-days lookup; the caller name agents' phones show is the screen name screening left on the
channel (`cc_screen_name`, "Jane Doe (gold)"), else the caller ID name; each agent rung is announced
to the `OfferObserver` (the screen pop). A headset agent's leg (`auto_answer`) asks the phone to answer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable

import gevent
from gevent.event import AsyncResult
from sqlalchemy import Engine

from dialplans import models as plan
from dialplans.clock import Clock
from esl_handlers.acd_agents import AgentDesk
from esl_handlers.acd_caller import channel_variable, sticky_agent, watch_caller
from esl_handlers.acd_offer import (
    NOBODY_WATCHES_OFFERS,
    Conversation,
    EndedBy,
    OfferAttempt,
    OfferObserver,
    WaitingCaller,
)
from esl_handlers.acd_voicemail import VOICEMAIL_PROFILE, with_exit_data
from esl_handlers.codec import Event as EslEvent
from esl_handlers.seat_legs import auto_answer_variables
from ivr_scripts.acd import (
    AgentTarget,
    DispatchBoard,
    DispatchError,
    HandleTimes,
    OfferFailed,
    OfferOutcome,
    QueueEventSink,
    QueueSettings,
    QueueTicket,
    WaitingCall,
    complete_call,
    offer_call,
    wait_in_queue,
)
from ivr_scripts.acd.from_dialplan import all_queue_rules, priority_for, queue_settings
from ivr_scripts.acd.settings import VoicemailOverflow
from ivr_scripts.channel import CallInfo, CallLeg, Channel
from ivr_scripts.crm import VAR_CUSTOMER_TIER, VAR_SCREEN_NAME
from ivr_scripts.runner import QueueResult
from ivr_scripts.switch import Switch

log = logging.getLogger(__name__)

SettingsTuning = Callable[[str, QueueSettings], QueueSettings]


def untuned(queue: str, settings: QueueSettings) -> QueueSettings:
    """The queue's settings as the dialplan gives them (a SettingsTuning that changes nothing)."""
    del queue
    return settings


class QueueServer:
    def __init__(
        self,
        dialplan: plan.Dialplan,
        engine: Engine,
        switch: Switch,
        events: QueueEventSink,
        *,
        server: str,
        clock: Clock,
        agent_domain: str,
        tuning: SettingsTuning = untuned,
        tick_seconds: float = 1.0,
        no_answer_retry: float = 5.0,
        leg_grace: float = 2.0,
        callback_endpoint: str | None = None,
        callback_retry: float = 60.0,
        offers: OfferObserver = NOBODY_WATCHES_OFFERS,
    ) -> None:
        """`offers` hears of every agent rung (the screen pop); it must not block."""
        self._dialplan = dialplan
        self._engine = engine
        self._switch = switch
        self._events = events
        self._server = server
        self._clock = clock
        self._domain = agent_domain
        self._no_answer_retry = no_answer_retry
        self._leg_grace = leg_grace
        self.board = DispatchBoard()
        for rules in all_queue_rules(dialplan).values():
            self.board.set_queue(rules)
        self._callback_retry = callback_retry
        self._offers = offers
        self._settings = {
            name: tuning(name, queue_settings(queue, callback_endpoint=callback_endpoint))
            for name, queue in dialplan.queues.items()
        }
        self.handle_times = HandleTimes()
        self.desk = AgentDesk(
            dialplan,
            engine,
            self.board,
            server=server,
            clock=clock,
            on_free=self._agent_free,
            tick_seconds=tick_seconds,
        )
        self._waiting: dict[str, WaitingCaller] = {}
        self._dispatching: set[str] = set()
        self._talking: dict[str, Conversation] = {}
        self._legs: dict[str, str] = {}  # agent or customer leg -> call uuid
        self._entries: dict[str, WaitingCall] = {}  # call uuid -> its board entry, for a callback's retry
        self._timers: set[gevent.Greenlet] = set()
        self._stopped = False

    def start(self) -> None:
        self.desk.start(self._switch)

    def stop(self) -> None:
        """No new dispatch; pending retries and grace timers are dropped; calls in progress finish."""
        self._stopped = True
        for timer in list(self._timers):
            timer.kill(block=False)
        self.desk.stop()

    def agent_changed(self, agent_id: str | None = None) -> None:
        """An agent changed outside this server's own flow (None: any agent, re-read all); may block."""
        self.desk.refresh(agent_id)

    def _later(self, seconds: float, function: Callable[..., None], *args: str) -> None:
        timer = gevent.spawn_later(seconds, function, *args)
        self._timers.add(timer)
        timer.link(self._timers.discard)

    # -- the caller's side (QueueEntry) -------------------------------------------------------

    def join(
        self,
        leg: CallLeg,
        queue: str,
        *,
        ivr_path: tuple[str, ...],
        preferred_agent: str | None = None,
    ) -> QueueResult:
        model = self._dialplan.queues[queue]
        settings = self._settings[queue]
        channel = leg.channel
        info = channel.info
        channel.set_variable("park_after_bridge", "true")
        priority = priority_for(model, channel_variable(channel, VAR_CUSTOMER_TIER))
        screen_name = channel_variable(channel, VAR_SCREEN_NAME)
        if screen_name is not None:
            info = CallInfo(info.uuid, info.caller_number, screen_name, info.destination)
        joined = self._clock()
        sticky = preferred_agent or sticky_agent(self._engine, model, info, queue, joined)
        waiting = WaitingCaller(QueueTicket.for_call(info, queue, joined), settings)
        watch_caller(leg, waiting, self._end)
        try:
            board_entry = WaitingCall(info.uuid, queue, priority, joined.timestamp(), sticky)
            return self._wait(channel, info, waiting, board_entry, joined)
        except BaseException:
            # A channel failure other than a hang-up: stop any ringing and take the call off the board.
            waiting.ticket.leave("abandoned", self._clock())
            self._forget(info.uuid)
            raise

    def _wait(
        self,
        channel: Channel,
        info: CallInfo,
        waiting: WaitingCaller,
        board_entry: WaitingCall,
        joined: dt.datetime,
    ) -> QueueResult:
        """`info` is the channel's, with the caller name agents are shown."""
        settings, queue = waiting.settings, board_entry.queue
        while True:
            waiting.ticket = QueueTicket.for_call(info, queue, joined)
            waiting.settled = AsyncResult()
            self._waiting[info.uuid] = waiting
            self._entries[info.uuid] = board_entry
            self.board.add_call(board_entry)
            gevent.spawn(self._dispatch, info.uuid)
            outcome = wait_in_queue(
                channel,
                waiting.ticket,
                settings,
                position=lambda: self._position(info.uuid, queue),
                expected_wait=lambda: self._expected_wait(info.uuid, queue),
                clock=self._clock,
                events=with_exit_data(self._events, settings),
            )
            if outcome.kind == "callback":
                return QueueResult("callback")
            if outcome.kind in ("connected", "failed"):
                conversation = waiting.settled.get()  # the offer flow has finished with this ticket
                self._forget(info.uuid)
                if conversation is None and waiting.ticket.state == "failed":
                    continue  # the bridge failed: back in the queue, same place in time
                if conversation is None:
                    return QueueResult("abandoned")
                return self._talk(waiting, conversation)
            self._forget(info.uuid)
            if outcome.kind == "abandoned":
                return QueueResult("abandoned")
            if outcome.kind == "timeout" and isinstance(settings.max_wait_overflow, VoicemailOverflow):
                # A caller who hangs up after the message ends the call with CallerHungUp, as any hang-up.
                channel.voicemail(VOICEMAIL_PROFILE, self._domain, settings.max_wait_overflow.mailbox)
                return QueueResult("action", action=plan.Hangup())
            action = outcome.action or plan.Hangup()
            return QueueResult("action", action=action)

    def _talk(self, waiting: WaitingCaller, conversation: Conversation) -> QueueResult:
        """Wait for the end of the conversation; who ended it says whether the caller is still there."""
        conversation.done.wait()
        ended_by: EndedBy = "caller" if waiting.caller_hung_up else (conversation.ended_by or "caller")
        return QueueResult("answered", agent_id=conversation.agent_id, ended_by=ended_by)

    def _position(self, call_uuid: str, queue: str) -> int:
        for index, call in enumerate(self.board.waiting_calls(queue), start=1):
            if call.call_uuid == call_uuid:
                return index
        return 0

    def _expected_wait(self, call_uuid: str, queue: str) -> float | None:
        position = self._position(call_uuid, queue)
        if position < 1:
            return None
        agents = self.desk.agents_on_duty(tier.agent for tier in self._dialplan.queues[queue].tiers)
        return self.handle_times.expected_wait(queue, position=position, agents=agents)

    def _forget(self, call_uuid: str) -> None:
        """The caller left the waiting state: off the board (an assigned call already is)."""
        waiting = self._waiting.get(call_uuid)
        if waiting is not None and waiting.ticket.callback is None:
            self._waiting.pop(call_uuid, None)
            self._entries.pop(call_uuid, None)
        with contextlib.suppress(DispatchError):
            self.board.remove_call(call_uuid)

    # -- dispatch -----------------------------------------------------------------------------

    def _agent_free(self, agent_id: str) -> None:
        offer = self.board.offer_for_agent(agent_id)
        if offer is not None and offer.call_uuid not in self._dispatching:
            self._dispatch(offer.call_uuid)

    def _dispatch(self, call_uuid: str) -> None:
        waiting = self._waiting.get(call_uuid)
        if self._stopped or waiting is None or call_uuid in self._dispatching:
            return
        if waiting.ticket.state != "waiting":
            return
        self._dispatching.add(call_uuid)
        attempt = OfferAttempt(self.desk, self.board, waiting, self.target, offers=self._offers)
        outcome: OfferOutcome | None = None
        try:
            outcome = offer_call(
                self._switch,
                waiting.ticket,
                attempt.targets(),
                waiting.settings,
                attempt,
                events=self._events,
                clock=self._clock,
            )
        except OfferFailed as exc:
            log.warning("call %s: offer failed: %s", call_uuid, exc)
        finally:
            self._dispatching.discard(call_uuid)
            attempt.release_unrung()
        self._settle(call_uuid, waiting, outcome)

    def _settle(self, call_uuid: str, waiting: WaitingCaller, outcome: OfferOutcome | None) -> None:
        ticket = waiting.ticket
        if outcome is not None and outcome.result == "connected":
            assert outcome.agent_id is not None
            assert outcome.agent_leg is not None
            try:
                self.board.assigned(call_uuid, outcome.agent_id)
            except DispatchError:
                self.board.agent_unavailable(outcome.agent_id)  # the caller's greenlet took it off already
            conversation = Conversation(
                ticket,
                waiting.settings,
                outcome.agent_id,
                outcome.agent_leg,
                outcome.customer_leg,
                watched=ticket.callback is None,
                leg=outcome.answered_leg,
            )
            self._talking[call_uuid] = conversation
            self._legs[outcome.agent_leg] = call_uuid
            if outcome.customer_leg is not None:
                self._legs[outcome.customer_leg] = call_uuid
            if not waiting.settled.ready():
                waiting.settled.set(conversation)
            # The bridge ended while the offer flow was still recording (not for a callback: its caller's
            # channel ended with the confirmation, long before this conversation).
            if conversation.watched and waiting.ended_by is not None:
                self._end(call_uuid, waiting.ended_by)
            return
        if ticket.state != "waiting":
            if not waiting.settled.ready():
                waiting.settled.set(None)
            if ticket.state == "callback_failed":
                self._waiting.pop(call_uuid, None)
                self._entries.pop(call_uuid, None)
                self._forget(call_uuid)
            return
        if outcome is not None and outcome.result == "callback_unanswered":
            # The customer did not answer: off the board (so the freed agent is not handed the same
            # callback at once), back in its place after `callback_retry` seconds.
            with contextlib.suppress(DispatchError):
                self.board.remove_call(call_uuid)
            self._later(self._callback_retry, self._retry_callback, call_uuid)
            return
        if outcome is not None and outcome.not_answered:
            # Like mod_callcenter's no-answer delay: try again later rather than re-ring at once.
            self._later(self._no_answer_retry, self._dispatch, call_uuid)

    def _retry_callback(self, call_uuid: str) -> None:
        waiting, entry = self._waiting.get(call_uuid), self._entries.get(call_uuid)
        if waiting is None or entry is None or waiting.ticket.state != "waiting":
            return
        with contextlib.suppress(DispatchError):
            self.board.add_call(entry)
        self._dispatch(call_uuid)

    def target(self, agent_id: str) -> AgentTarget:
        agent = self._dialplan.agents[agent_id]
        variables = tuple(auto_answer_variables().items()) if agent.auto_answer else ()
        return AgentTarget(agent_id, f"user/{agent.extension or agent_id}@{self._domain}", variables)

    # -- the end of a conversation ------------------------------------------------------------

    def on_switch_event(self, event: EslEvent) -> None:
        """From the event listener (must not block): an agent or customer leg hanging up."""
        if event.name != "CHANNEL_HANGUP_COMPLETE":
            return
        call_uuid = self._legs.get(event.unique_id or "")
        conversation = self._talking.get(call_uuid or "")
        if call_uuid is None or conversation is None:
            return
        ended_by: EndedBy = "caller" if event.unique_id == conversation.customer_leg else "agent"
        if conversation.watched:
            self._later(self._leg_grace, self._end, call_uuid, ended_by)
        else:
            # At once, not on a zero-delay timer: libev does not run equal-deadline timers in the order
            # they were set, so the second leg's hang-up could end the conversation as the first.
            self._end(call_uuid, ended_by)

    def _end(self, call_uuid: str, ended_by: EndedBy) -> None:
        conversation = self._talking.pop(call_uuid, None)
        if conversation is None:
            return
        self._legs.pop(conversation.agent_leg, None)
        if conversation.customer_leg is not None:
            self._legs.pop(conversation.customer_leg, None)
        self._waiting.pop(call_uuid, None)
        self._entries.pop(call_uuid, None)
        conversation.ended_by = ended_by
        gevent.spawn(self._finish, conversation, ended_by)

    def _finish(self, conversation: Conversation, ended_by: EndedBy) -> None:
        ticket, settings, agent_id = conversation.ticket, conversation.settings, conversation.agent_id
        try:
            talked = complete_call(
                ticket, ended_by, events=self._events, clock=self._clock, leg=conversation.leg
            )
            talk_s = talked or 0.0
            self.handle_times.record(ticket.queue, talk_s + settings.wrap_up)
            self.board.record_call(agent_id, talk_s)
            wrap_up = round(settings.wrap_up)
            self.desk.apply(lambda service: service.call_ended(agent_id, ticket.call_uuid, wrap_up))
        finally:
            conversation.done.set()
