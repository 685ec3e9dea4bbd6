"""Calls parked by the dialplan, driven over ONE inbound ESL connection (`call_control: park`).

The other way to take calls (esl_handlers.outbound_server) gives every call its own outbound socket.
FreeSWITCH pays for each such socket: a listener thread that wakes every 20 ms while idle and reads
commands one byte per recv() (mod_event_socket.c, read_packet). Parked, every call shares one
listener; the cost per call falls by ~10 ms of FreeSWITCH CPU (docs/inbound-control.md).

The dialplan (public.xml, park mode) sets the call's variables with `cc_control=park`, schedules
the fallback lease `sched_transfer +<lease> <fallback> XML cc_fallback`, and parks. This server
subscribes to CHANNEL_PARK and the events a call reads, filtered to `variable_cc_control park`
(the callers this server parked; agent legs, supervisors and other channels never reach it), and on the
CHANNEL_PARK of a call it does not know runs the handler with an `EslChannel` that drives the call
with `sendmsg <uuid>`.

The lease is what rescues a caller when this server is not there: down when the call arrives,
killed mid-call, or cut off from FreeSWITCH. While the handler runs, the lease is renewed
(`sched_del <uuid>`, then `sched_transfer +<lease> <uuid> ...`; the scheduler task's group is the
call's uuid) once it is `renew_after` seconds old; a call shorter than that costs no command. While
the caller is bridged (CHANNEL_BRIDGE to CHANNEL_UNBRIDGE) the lease is cancelled: a conversation
with an agent is never cut to send the caller to the fallback.

When the handler returns with the caller still here and not transferred, the call goes to its
fallback, as the `socket` mode's dialplan does after the socket closes. A call already parked when
this server (re)connects is not taken over mid-menu: its lease moves it to the fallback, or, if it
was bridged and is parked again afterwards (answered), this server sends it there at once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Final

import gevent

from dialplans.fallback_models import FALLBACK_CONTEXT
from esl_handlers.call_events import call_info_from_connect
from esl_handlers.codec import EslError, Event, api
from esl_handlers.connection import EslConnection
from esl_handlers.esl_channel import EslChannel
from esl_handlers.event_listener import EventListener
from esl_handlers.outbound_server import SOCKET_EVENTS, EventHook, Handler
from freeswitch_conf.say import SAY_BY_VARIABLE
from ivr_scripts.channel import CallerHungUp, ChannelError

log = logging.getLogger(__name__)

CONTROL_VARIABLE: Final = "cc_control"
PARKED: Final = "park"
PARKED_EVENTS: Final = ("CHANNEL_PARK", "CHANNEL_BRIDGE", *SOCKET_EVENTS)
PURPOSE: Final = "parked calls"
READY_LOG: Final = f"for {PURPOSE}"
"""Logged (esl_handlers.event_listener) once the connection takes calls."""
FALLBACK_VARIABLE: Final = "cc_fallback"
"""The dialplan sets it to the call's fallback extension (in context cc_fallback): where the lease
and a released caller go."""


@dataclass
class _Call:
    channel: EslChannel
    fallback: str  # the extension in FALLBACK_CONTEXT the dialplan named (cc_fallback)
    leased_at: float
    bridged: bool = False
    done: bool = False
    greenlet: gevent.Greenlet | None = field(default=None, repr=False)


class ParkedCallServer:
    def __init__(
        self,
        handler: Handler,
        *,
        host: str,
        port: int,
        password: str,
        on_event: EventHook | None = None,
        lease_seconds: int = 15,
        renew_after: float = 10.0,
        command_timeout: float = 10.0,
        tts_engine: str = "flite",
        tts_voice: str = "kal",
        retry_max: float = 5.0,
    ) -> None:
        self._handler = handler
        self._on_event = on_event
        self._lease_seconds = lease_seconds
        self._renew_after = renew_after
        self._command_timeout = command_timeout
        self._tts = (tts_engine, tts_voice)
        self._calls: dict[str, _Call] = {}
        self._conn: EslConnection | None = None
        self._ticker: gevent.Greenlet | None = None
        self._served = 0
        self._listener = EventListener(
            self._on_switch_event,
            host=host,
            port=port,
            password=password,
            events=PARKED_EVENTS,
            filters=((f"variable_{CONTROL_VARIABLE}", PARKED),),
            on_session=self._session_started,
            on_lost=self._session_lost,
            command_timeout=command_timeout,
            retry_initial=0.2,
            retry_max=retry_max,
            purpose=PURPOSE,
        )

    @property
    def active_calls(self) -> int:
        return sum(1 for call in self._calls.values() if not call.done)

    @property
    def calls_served(self) -> int:
        return self._served

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._listener.wait_connected(timeout)

    def start(self) -> None:
        self._listener.start()
        self._ticker = gevent.spawn(self._renew_leases)

    def stop(self, timeout: float = 5.0) -> None:
        """Give running calls `timeout` seconds, then stop listening (their leases move them on)."""
        running = [call.greenlet for call in self._calls.values() if call.greenlet is not None]
        gevent.joinall(running, timeout=timeout)
        gevent.killall(running, block=False)
        if self._ticker is not None:
            self._ticker.kill(block=False)
        self._listener.stop(timeout)

    # -- events, in the connection's reader greenlet: never block ------------------------------

    def _on_switch_event(self, event: Event) -> None:
        uuid = event.unique_id or ""
        call = self._calls.get(uuid)
        if call is None:
            if event.name == "CHANNEL_PARK" and event.get("Call-Direction") == "inbound":
                if event.get("Answer-State") == "answered":
                    gevent.spawn(self._orphaned, uuid, event)
                else:
                    self._take(uuid, event)
            return
        name = event.name
        if call.done:
            pass  # released: where the call went is not this server's to lease
        elif name == "CHANNEL_BRIDGE":
            call.bridged = True
            gevent.spawn(self._lease_command, call, f"sched_del {uuid}")
        elif name == "CHANNEL_UNBRIDGE":
            call.bridged = False
            call.leased_at = time.monotonic()
            gevent.spawn(self._lease_command, call, self._lease(uuid, call.fallback))
        call.channel.handle_event(event)
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                log.exception("call %s: on_event hook failed on %s", uuid, name)
        if name == "CHANNEL_HANGUP_COMPLETE":
            del self._calls[uuid]

    def _take(self, uuid: str, parked: Event) -> None:
        conn = self._conn
        fallback = parked.get(f"variable_{FALLBACK_VARIABLE}")
        if conn is None or not fallback:
            log.warning("call %s parked without %s; left to its lease", uuid, FALLBACK_VARIABLE)
            return
        channel = EslChannel(
            conn,
            call_info_from_connect(parked),
            command_timeout=self._command_timeout,
            tts_engine=self._tts[0],
            tts_voice=self._tts[1],
            playback_terminators=parked.get("variable_playback_terminators"),
            say_by_tts=parked.get(f"variable_{SAY_BY_VARIABLE}") == "tts",
            controlled_uuid=uuid,
        )
        call = _Call(channel, fallback, leased_at=time.monotonic())
        self._calls[uuid] = call
        call.greenlet = gevent.spawn(self._run, call)

    def _orphaned(self, uuid: str, parked: Event) -> None:
        """An answered call parked again that no handler runs (the server restarted while it was
        bridged): it cannot resume mid-menu, so it goes to its fallback now rather than at its lease."""
        fallback = parked.get(f"variable_{FALLBACK_VARIABLE}")
        if not fallback:
            return
        log.info("call %s: parked again with no handler here; sent to its fallback", uuid)
        try:
            self._api(f"sched_del {uuid}")
            self._api(self._lease(uuid, fallback, seconds=1))
        except EslError as exc:
            log.warning("call %s: not sent to its fallback: %s", uuid, exc)

    def _session_started(self, conn: EslConnection) -> None:
        self._conn = conn

    def _session_lost(self, reason: str) -> None:
        self._conn = None
        calls, self._calls = self._calls, {}
        for call in calls.values():
            call.channel.handle_close(reason)

    # -- one call ------------------------------------------------------------------------------

    def _run(self, call: _Call) -> None:
        channel = call.channel
        try:
            self._handler(channel)
        except CallerHungUp as exc:
            log.info("call %s: caller hung up (%s)", channel.info.uuid, exc.cause)
        except Exception:
            log.exception("call %s: handler failed; the caller goes to the fallback", channel.info.uuid)
        finally:
            call.done = True
            self._served += 1
        self._release(call)

    def _release(self, call: _Call) -> None:
        """The handler is done: the lease is cancelled, and a caller still here goes to the fallback."""
        channel = call.channel
        if channel.hangup_cause is not None:
            return
        uuid = channel.info.uuid
        try:
            self._api(f"sched_del {uuid}")
            if not channel.transferred:
                channel.transfer(call.fallback, FALLBACK_CONTEXT)
        except (EslError, ChannelError) as exc:
            if channel.hangup_cause is None:
                log.warning("call %s: not released to %s (%s); leased again", uuid, call.fallback, exc)
                self._lease_command(call, self._lease(uuid, call.fallback, seconds=1))

    # -- the lease -----------------------------------------------------------------------------

    def _lease(self, uuid: str, fallback: str, *, seconds: int | None = None) -> str:
        """The api command that sends the call to extension `fallback` of the fallback context."""
        return f"sched_transfer +{seconds or self._lease_seconds} {uuid} {fallback} XML {FALLBACK_CONTEXT}"

    def _renew_leases(self) -> None:
        while True:
            gevent.sleep(1.0)
            now = time.monotonic()
            due = [
                (uuid, call)
                for uuid, call in self._calls.items()
                if not call.done and not call.bridged and now - call.leased_at >= self._renew_after
            ]
            for uuid, call in due:
                call.leased_at = now
                self._lease_command(call, f"sched_del {uuid}")
                self._lease_command(call, self._lease(uuid, call.fallback))

    def _lease_command(self, call: _Call, command: str) -> None:
        uuid, verb = call.channel.info.uuid, command.split(maxsplit=1)[0]
        try:
            body = self._api(command)
        except EslError as exc:
            log.warning("call %s: %s failed: %s", uuid, verb, exc)
            return
        if body.startswith("-ERR"):
            log.warning("call %s: %s refused: %s", uuid, verb, body.strip())

    def _api(self, command: str) -> str:
        conn = self._conn
        if conn is None:
            raise EslError("not connected to FreeSWITCH")
        return conn.api(api(command), self._command_timeout).body
