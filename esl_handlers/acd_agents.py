"""The agents' side of the ACD server: their stored states mirrored on the dispatch board.

`AgentDesk` applies every agent fact through `AgentService` (database work in gevent's thread pool,
never on the hub) and mirrors each saved change on the `DispatchBoard`: an agent that becomes
available is handed to `on_free`, which offers it the best waiting call (event-driven dispatch).

At start it reconciles the stored states with the switch's live channels (docs/acd.md, reconciler)
and loads the board. A timer then fires due wrap-ups every `tick_seconds` and folds changes made
elsewhere (`callcenter agent ready`, another server) into the board: an agent made ready from the
command line is offered a call within one tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

import gevent
import gevent.event
from sqlalchemy import Engine

from dialplans import models as plan
from dialplans.clock import Clock
from ivr_scripts.acd import DispatchBoard
from ivr_scripts.acd.from_dialplan import agent_view
from ivr_scripts.agent_reconcile import LiveAgentChannel, reconcile
from ivr_scripts.agent_service import AgentService
from ivr_scripts.agent_states import AgentState, AgentStateError, AgentStatus, Transition
from ivr_scripts.switch import LiveChannel, Switch, SwitchError
from schema.acd.agents import reserve_agent
from schema.adapters.agent_store import SqlAgentStore
from schema.errors import StorageError
from schema.threadpool import in_thread

log = logging.getLogger(__name__)
_OFF_DUTY = frozenset({AgentState.LOGGED_OUT, AgentState.ON_BREAK})


def live_agent_channels(
    channels: Iterable[LiveChannel], extensions: Mapping[str, str]
) -> dict[str, LiveAgentChannel]:
    """Agent id -> its live channel, named by the caller's UUID when bridged (the ACD's call id)."""
    live: dict[str, LiveAgentChannel] = {}
    for channel in channels:
        agent_id = extensions.get(channel.agent_extension or "")
        if agent_id is None:
            continue
        bridged = channel.bridged_to is not None
        if bridged or agent_id not in live:
            live[agent_id] = LiveAgentChannel(channel.bridged_to or channel.uuid, bridged)
    return live


class AgentDesk:
    def __init__(
        self,
        dialplan: plan.Dialplan,
        engine: Engine,
        board: DispatchBoard,
        *,
        server: str,
        clock: Clock,
        on_free: Callable[[str], None],
        tick_seconds: float = 1.0,
    ) -> None:
        self._dialplan = dialplan
        self._board = board
        self._engine = engine
        self._server = server
        self._store = SqlAgentStore(engine, server)
        self._clock = clock
        self._on_free = on_free
        self._tick_seconds = tick_seconds
        self._services: dict[int, AgentService] = {}
        self._on_duty: set[str] = set()
        self._timer: gevent.Greenlet | None = None
        self._stopping = gevent.event.Event()
        self._observers: list[Callable[[Transition], None]] = []

    def observe(self, observer: Callable[[Transition], None]) -> None:
        """Also hand `observer` every change this server saves (the live statistics, on SQLite)."""
        self._observers.append(observer)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, switch: Switch) -> None:
        """Reconcile against the switch, load the board, start the timer. Before dispatch starts."""
        self.reconcile(switch)
        statuses = {status.agent_id: status for status in in_thread(self._store.all)}
        for agent_id, agent in self._dialplan.agents.items():
            status = statuses.get(agent_id)
            available = status is not None and status.state is AgentState.AVAILABLE
            idle_since = status.since.timestamp() if status is not None else 0.0
            self._board.set_agent(agent_view(agent_id, agent, available=available, idle_since=idle_since))
            if status is not None and status.state not in _OFF_DUTY:
                self._on_duty.add(agent_id)
        self._timer = gevent.spawn(self._run_timer)

    def stop(self) -> None:
        """Stop the timer after its current tick (a tick killed mid-query would strand a connection)."""
        self._stopping.set()
        if self._timer is not None:
            self._timer.join(timeout=10)
            self._timer = None

    # -- reservations -------------------------------------------------------------------------

    def reserve(self, call_uuid: str, agent_id: str) -> bool:
        """Reserve the agent for the call in the database (atomic across servers); off the board first."""
        self._board.agent_unavailable(agent_id)
        try:
            reserved = in_thread(
                reserve_agent, self._engine, call_uuid, [agent_id], self._server, self._clock()
            )
        except StorageError as exc:
            log.error("call %s: agent %s not reserved: %s", call_uuid, agent_id, exc)
            return False
        return reserved == agent_id

    def release(self, call_uuid: str, agent_id: str) -> None:
        """Give back a reservation that was never rung (the caller left first)."""
        try:
            cancelled = in_thread(self._service().reservation_cancelled, agent_id, call_uuid)
        except (AgentStateError, StorageError) as exc:
            log.error("agent %s: reservation not released: %s", agent_id, exc)
            return
        if cancelled.changed:
            self._tell_observers(cancelled)
            self._board.agent_available(agent_id)
            gevent.spawn(self._on_free, agent_id)

    # -- facts --------------------------------------------------------------------------------

    def apply(self, fact: Callable[[AgentService], Transition], *, max_no_answer: int = 3) -> None:
        """Apply one fact (e.g. `lambda s: s.ring(agent, call)`) and mirror it on the board."""
        try:
            transition = in_thread(fact, self._service(max_no_answer))
        except (AgentStateError, StorageError) as exc:
            log.error("agent fact not applied: %s", exc)
            return
        self.mirror(transition)

    def mirror(self, transition: Transition) -> None:
        agent_id = transition.agent_id
        if transition.changed:
            self._tell_observers(transition)
        if not transition.changed or agent_id not in self._dialplan.agents:
            return
        self._note_duty(agent_id, transition.to_state)
        if transition.to_state is AgentState.AVAILABLE:
            self._board.agent_available(agent_id, idle_since=transition.at.timestamp())
            gevent.spawn(self._on_free, agent_id)
        else:
            self._board.agent_unavailable(agent_id)

    def agents_on_duty(self, agent_ids: Iterable[str]) -> int:
        """How many of `agent_ids` are logged in and not on break (for the expected wait)."""
        return sum(1 for agent_id in agent_ids if agent_id in self._on_duty)

    # -- internals ----------------------------------------------------------------------------

    def _tell_observers(self, transition: Transition) -> None:
        for observer in self._observers:
            try:
                observer(transition)
            except Exception:  # an observer's failure must not stop the ACD
                log.exception("agent %s: an observer failed", transition.agent_id)

    def _service(self, max_no_answer: int = 3) -> AgentService:
        service = self._services.get(max_no_answer)
        if service is None:
            service = AgentService(self._store, None, self._clock, max_no_answer=max_no_answer)
            self._services[max_no_answer] = service
        return service

    def _note_duty(self, agent_id: str, state: AgentState) -> None:
        if state in _OFF_DUTY:
            self._on_duty.discard(agent_id)
        else:
            self._on_duty.add(agent_id)

    def reconcile(self, switch: Switch) -> int:
        """Correct the stored agent states from the switch's live channels (at start, and when the
        switch comes back); the number of agents corrected."""
        try:
            channels = switch.channels()
        except SwitchError as exc:
            log.warning("agent states not reconciled, the switch did not list its channels: %s", exc)
            return 0
        extensions = {
            agent.extension or agent_id: agent_id for agent_id, agent in self._dialplan.agents.items()
        }
        statuses = in_thread(self._store.all)
        by_id: dict[str, AgentStatus] = {status.agent_id: status for status in statuses}
        corrections = reconcile(
            statuses,
            live_agent_channels(channels, extensions),
            self._clock(),
            wrap_up_seconds=self._wrap_ups(),
        )
        for correction in corrections:
            saved = in_thread(self._store.save, correction, expected=by_id[correction.agent_id])
            log.info(
                "agent %s reconciled: %s -> %s (%s)",
                correction.agent_id,
                correction.from_state,
                correction.to_state,
                "saved" if saved else "changed meanwhile, left",
            )
        return len(corrections)

    def reconcile_again(self, switch: Switch) -> int:
        """After the switch came back: reconcile, then re-read the board; the number corrected."""
        corrected = self.reconcile(switch)
        if corrected:
            self.refresh(None)
        return corrected

    def _wrap_ups(self) -> dict[str, int]:
        """Per agent, the longest wrap-up of its queues (the call's queue is unknown after a restart)."""
        wrap_ups: dict[str, int] = {}
        for queue in self._dialplan.queues.values():
            for tier in queue.tiers:
                wrap_ups[tier.agent] = max(wrap_ups.get(tier.agent, 0), queue.wrap_up)
        return wrap_ups

    def _run_timer(self) -> None:
        while not self._stopping.wait(self._tick_seconds):
            try:
                self._tick()
            except (AgentStateError, StorageError) as exc:
                log.warning("agent timer: %s", exc)

    def _tick(self) -> None:
        service = self._services.get(3) or AgentService(self._store, None, self._clock)
        for transition in in_thread(service.tick, self._clock()):
            self.mirror(transition)
        self.refresh()

    def refresh(self, agent_id: str | None = None) -> None:
        """Fold the stored state of one agent (None: every agent) into the board: the entry point for
        changes made elsewhere (`callcenter agent ready`, another server's LISTEN/NOTIFY)."""
        if agent_id is None:
            statuses: list[AgentStatus] = list(in_thread(self._store.all))
        else:
            one = in_thread(self._store.get, agent_id)
            statuses = [] if one is None else [one]
        for status in statuses:
            if status.agent_id not in self._dialplan.agents:
                continue
            self._note_duty(status.agent_id, status.state)
            on_board = self._board.agent(status.agent_id).available
            if status.state is AgentState.AVAILABLE and not on_board:
                self._board.agent_available(status.agent_id, idle_since=status.since.timestamp())
                gevent.spawn(self._on_free, status.agent_id)
            elif status.state is not AgentState.AVAILABLE and on_board:
                self._board.agent_unavailable(status.agent_id)
