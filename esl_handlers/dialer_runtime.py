"""The dialer as `callcenter serve` runs it: campaign calls, agents' seats and the dialling loop, together.

`DialerRuntime` holds one `CampaignCalls` on the server's inbound connection, its own event listener
(campaign_calls.EVENTS: the decisions come in CHANNEL_EXECUTE_COMPLETE, which the call records'
listener does not take), the `SeatKeeper`, and the `Dialer`. Every `tick_seconds`: seats are opened
for the ready member agents of each campaign in pilot or running that dials by itself (progressive or
predictive), previews are released or dialled (esl_handlers.preview_calls), then the dialer places the
calls wanted. A seat that frees up wakes the loop at once.
The database work runs in gevent's thread pool (`ThreadedDialerStore`), never on the hub.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import gevent
import gevent.event
from sqlalchemy import Engine

from dialplans.campaign_models import Campaign
from dialplans.campaign_vocabulary import DialMode
from dialplans.models import Dialplan
from esl_handlers.campaign_calls import EVENTS, CampaignCalls, CampaignSwitch
from esl_handlers.campaign_seats import SeatKeeper
from esl_handlers.codec import Event
from esl_handlers.dialer import CampaignAudio, Dialer, DialerStore
from esl_handlers.event_listener import EventListener
from esl_handlers.preview_calls import PreviewCalls
from esl_handlers.seat_legs import SeatFact, seat_fact
from ivr_scripts.campaigns.campaign_call import CampaignCall
from ivr_scripts.campaigns.dialing import DialingRules, LeadToDial
from schema.adapters.dialer_store import DialerStore as SqlDialerStore
from schema.errors import StorageError
from schema.threadpool import in_thread

log = logging.getLogger(__name__)


def campaign_members(model: Dialplan, campaign: Campaign) -> frozenset[str]:
    """The agents who take a campaign's calls: its own, and its queue's."""
    members = set(campaign.agents)
    if campaign.queue is not None and campaign.queue in model.queues:
        members.update(tier.agent for tier in model.queues[campaign.queue].tiers)
    return frozenset(members)


class ThreadedDialerStore:
    """A `DialerStore` whose every call runs in gevent's thread pool."""

    def __init__(self, store: DialerStore) -> None:
        self._store = store

    def dialling(self, campaign: str) -> bool:
        return in_thread(self._store.dialling, campaign)

    def zone_keys(self, campaign: str) -> list[str]:
        return in_thread(self._store.zone_keys, campaign)

    def claim(
        self,
        campaign: str,
        open_keys: Collection[str],
        now: dt.datetime,
        limit: int,
        lease_until: dt.datetime,
    ) -> list[LeadToDial]:
        return in_thread(self._store.claim, campaign, open_keys, now, limit, lease_until)

    def blocked(self, campaign: str, phone: str) -> str | None:
        return in_thread(self._store.blocked, campaign, phone)

    def latest_drop(self, phone: str, since: dt.datetime) -> dt.datetime | None:
        return in_thread(self._store.latest_drop, phone, since)

    def postpone(self, lead_id: int, until: dt.datetime) -> None:
        in_thread(self._store.postpone, lead_id, until)

    def finished(self, call: CampaignCall, lead: LeadToDial, next_at: dt.datetime | None) -> None:
        in_thread(self._store.finished, call, lead, next_at)


@dataclass(frozen=True)
class EslAddress:
    host: str
    port: int
    password: str


@dataclass(frozen=True)
class DialerWiring:
    """How the dialer reaches customers and agents, and whom it tells of agents it changed."""

    customer_endpoint: str
    """A dial string with {number}, e.g. sofia/gateway/pstn/{number}."""
    agent_endpoint: Callable[[str], str]
    on_agent_change: Callable[[str], None]
    server: str


class DialerRuntime:
    def __init__(
        self,
        model: Dialplan,
        engine: Engine,
        switch: CampaignSwitch,
        esl: EslAddress,
        wiring: DialerWiring,
        *,
        audio: Mapping[str, CampaignAudio],
        clock: Callable[[], dt.datetime],
        tick_seconds: float = 1.0,
    ) -> None:
        if "{number}" not in wiring.customer_endpoint:
            raise ValueError(f"the campaign endpoint must contain {{number}}: {wiring.customer_endpoint!r}")
        self._members = {name: campaign_members(model, c) for name, c in model.campaigns.items()}
        self._self_dialling = {
            name for name, campaign in model.campaigns.items() if campaign.dial_mode is not DialMode.PREVIEW
        }
        self._tick_seconds = tick_seconds
        pilots = {name: campaign.pilot.percent for name, campaign in model.campaigns.items()}
        sql_store = SqlDialerStore(engine, pilot_percents=pilots)
        store = ThreadedDialerStore(sql_store)
        self.calls = CampaignCalls(switch, self._finished, clock=clock, on_seat=self._on_seat)
        self.seats = SeatKeeper(
            self.calls,
            engine,
            server=wiring.server,
            clock=clock,
            endpoint=wiring.agent_endpoint,
            on_agent_change=wiring.on_agent_change,
        )
        template = wiring.customer_endpoint
        rules = {name: DialingRules.from_campaign(name, c) for name, c in model.campaigns.items()}
        self.dialer = Dialer(
            store,
            self.calls,
            rules,
            endpoint=lambda number: template.replace("{number}", number),
            audio=audio,
            clock=clock,
            abandon_counts=lambda name, since: in_thread(sql_store.abandon_counts, name, since),
            recent_calls=lambda name: in_thread(sql_store.recent_calls, name),
        )
        self.previews = PreviewCalls(
            switch, engine, rules, server=wiring.server, clock=clock,
            customer_endpoint=lambda number: template.replace("{number}", number),
            agent_endpoint=wiring.agent_endpoint, on_agent_change=wiring.on_agent_change,
        )  # fmt: skip
        self.listener = EventListener(self._on_switch_event, esl.host, esl.port, esl.password, EVENTS)
        self._wake = gevent.event.Event()
        self._stopping = gevent.event.Event()
        self._loop: gevent.Greenlet | None = None

    def start(self) -> None:
        self.seats.start()
        self.listener.start()
        self._loop = gevent.spawn(self._run)

    def stop(self) -> None:
        """Place no more calls; calls in progress are left to the switch (their leases bring back
        the leads not logged)."""
        self._stopping.set()
        self._wake.set()
        if self._loop is not None:
            self._loop.join(timeout=10)
            self._loop = None
        self.listener.stop()
        self.seats.stop()

    def tick(self) -> int:
        """Open the seats wanted, then place the calls wanted; the calls placed."""
        dialling = self.dialer.dialling()
        members: set[str] = set()
        for name in self._self_dialling.intersection(dialling):
            members.update(self._members[name])
        if members:
            self.seats.fill(members)
        return self.previews.tick() + self.dialer.tick(dialling)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except StorageError as exc:
                log.warning("dialer: %s; trying again in %.0f s", exc, self._tick_seconds)
            except Exception:
                log.exception("dialer tick failed")
            self._wake.wait(self._tick_seconds)
            self._wake.clear()

    def _on_switch_event(self, event: Event) -> None:
        self.calls.on_switch_event(event)
        self.previews.on_switch_event(event)
        if event.headers.get("Event-Name") == "CHANNEL_PARK" and seat_fact(event.headers) is not None:
            self._wake.set()  # a seat waits again: dial for it now

    def _finished(self, call: CampaignCall) -> None:
        # CampaignCalls reports from a greenlet of its own; logging the attempt may wait on the database.
        gevent.spawn(self._log_finished, call)

    def _log_finished(self, call: CampaignCall) -> None:
        try:
            self.dialer.on_finished(call)
        except StorageError as exc:
            log.error("campaign call %s: attempt not logged (its lease brings the lead back): %s",
                      call.call_uuid, exc)  # fmt: skip
        self._wake.set()

    def _on_seat(self, agent_id: str, leg: str, fact: SeatFact) -> None:
        self.seats.on_seat(agent_id, leg, fact)
        self._wake.set()
