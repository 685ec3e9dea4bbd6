"""The outbound socket server: FreeSWITCH's `socket` application connects here once per call.

One greenlet per call: `connect` (the reply carries the channel data), `filter Unique-ID <uuid>`,
`event plain` of the five event types a call reads, `linger`, then the handler runs with an
`EslChannel`. Afterwards:

- the call has hung up: keep reading until CHANNEL_HANGUP_COMPLETE or the socket closes (with
  linger the disconnect notice may come before the last events), then close;
- the call is still up (handler returned, raised, or transferred the call): send `exit`, which
  hands the channel back to FreeSWITCH's dialplan (the fallback after the socket action), and
  close.

A handler's exception is logged and never reaches the server. `on_event`, if given, sees every
event of every call (in the connection's reader greenlet: it must not block).

Why not `myevents`: it subscribes 23 event types, and every event FreeSWITCH fires of a type a
listener takes is checked against that listener (mod_event_socket event_handler: for a MYEVENTS
listener a scan of the event's ~150 headers for Unique-ID and Job-Owner-UUID, for a filter one
lookup of Unique-ID), then serialized (~5 KB) to it and parsed here. An IVR call reads five types;
CHANNEL_STATE alone fires seven times a call. `nixevent` of the other 18 would cost more bytes on
the wire, and mod_event_socket reads a command one byte per recv() with a sched_yield() after each.

Guards (docs/reliability.md, "The outbound socket"): a peer outside `limits.allowed_peers` is
closed before anything is read or sent (refusals logged at most once a minute); each connection's
parser refuses a frame over the size limits; a frame must arrive within `limits.frame_deadline`
once started; the partial frames of all connections share one `ReadBudget`.

The listen backlog is large: when a burst overflows a small backlog the kernel drops the SYNs
and FreeSWITCH waits 25 s for `connect` before giving up on the socket action.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from typing import Final

from gevent.server import StreamServer

from esl_handlers.call_events import call_info_from_connect
from esl_handlers.codec import (
    DisconnectNotice,
    EslError,
    EslParser,
    Event,
    Frame,
    connect,
    event,
    exit_,
    filter_,
    linger,
)
from esl_handlers.connection import EslConnection
from esl_handlers.esl_channel import EslChannel
from esl_handlers.peer_allow_list import PeerAllowList, RefusalLog
from esl_handlers.socket_limits import OutboundLimits, ReadBudget
from freeswitch_conf.say import SAY_BY_VARIABLE
from ivr_scripts.channel import CallerHungUp

log = logging.getLogger(__name__)

Handler = Callable[[EslChannel], None]

# What a call's socket reads: EslChannel the executions and the hang-up, the ACD the unbridge (who
# ended a conversation). The CDR takes the answer and the hang-up from the event listener.
SOCKET_EVENTS: Final = (
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_UNBRIDGE",
)


EventHook = Callable[[Event], None]


class _Dispatch:
    """Routes a connection's frames to its channel once the channel exists."""

    def __init__(self, on_event: EventHook | None) -> None:
        self.channel: EslChannel | None = None
        self._on_event = on_event

    def on_frame(self, frame: Frame) -> None:
        if self.channel is None:
            return
        if isinstance(frame, Event):
            self.channel.handle_event(frame)
            if self._on_event is not None:
                try:
                    self._on_event(frame)
                except Exception:
                    log.exception("call %s: on_event hook failed on %s", self.channel.info.uuid, frame.name)
        elif isinstance(frame, DisconnectNotice):
            log.debug("call %s: disconnect notice (%s)", self.channel.info.uuid, dict(frame.headers))

    def on_close(self, reason: str) -> None:
        if self.channel is not None:
            self.channel.handle_close(reason)


class OutboundServer:
    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 8084,
        backlog: int = 4096,
        *,
        on_event: EventHook | None = None,
        command_timeout: float = 10.0,
        linger_timeout: float = 30.0,
        tts_engine: str = "flite",
        tts_voice: str = "kal",
        socket_events: Sequence[str] = SOCKET_EVENTS,
        limits: OutboundLimits | None = None,
    ) -> None:
        """`socket_events`: what each call's socket subscribes to (SOCKET_EVENTS; more for a hook
        that wants, say, DTMF or CHANNEL_BRIDGE). `limits`: who may connect and what a peer may
        hold (OutboundLimits(): 127.0.0.1 only)."""
        self._handler = handler
        self._subscribe = event("plain", socket_events)
        self._on_event = on_event
        self._command_timeout = command_timeout
        self._linger_timeout = linger_timeout
        self._tts = (tts_engine, tts_voice)
        self._limits = limits if limits is not None else OutboundLimits()
        self._allowed = PeerAllowList(self._limits.allowed_peers)
        self._refusals = RefusalLog(log)
        self._budget = ReadBudget(self._limits.buffer_budget_bytes)
        self._server = StreamServer((host, port), self._serve_call, backlog=backlog)
        self._active = 0
        self._served = 0

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.address[:2]
        return str(host), int(port)

    @property
    def active_calls(self) -> int:
        return self._active

    @property
    def calls_served(self) -> int:
        return self._served

    @property
    def refused_peers(self) -> int:
        """Connections closed unserved because the peer is not an allowed one."""
        return self._refusals.refused

    @property
    def held_bytes(self) -> int:
        """Bytes of partial frames held now, across all connections."""
        return self._budget.total

    @property
    def peak_held_bytes(self) -> int:
        return self._budget.peak

    def start(self) -> None:
        self._server.start()
        log.info("outbound ESL server listening on %s:%d", *self.address)

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting; give running calls `timeout` seconds, then kill them."""
        self._server.stop(timeout=timeout)

    def _serve_call(self, sock: socket.socket, address: tuple[str, int]) -> None:
        if not self._allowed.allows(str(address[0])):
            self._refusals.refused_peer(str(address[0]), self._allowed.entries)
            sock.close()
            return
        self._active += 1
        try:
            self._run_call(sock, f"{address[0]}:{address[1]}")
        except Exception:
            log.exception("outbound call from %s:%s failed", *address[:2])
        finally:
            self._active -= 1
            self._served += 1

    def _run_call(self, sock: socket.socket, peer: str) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        dispatch = _Dispatch(self._on_event)
        limits = self._limits
        conn = EslConnection(
            sock,
            name=f"outbound {peer}",
            on_frame=dispatch.on_frame,
            on_close=dispatch.on_close,
            parser=EslParser(max_body=limits.max_body_bytes, max_header_bytes=limits.max_header_bytes),
            budget=self._budget,
            frame_deadline=limits.frame_deadline,
        )
        conn.start()
        try:
            try:
                channel = self._open(conn, dispatch)
            except EslError as exc:
                log.warning("outbound %s: could not take the call: %s", peer, exc)
                return
            try:
                self._handler(channel)
            except CallerHungUp as exc:
                log.info("call %s: caller hung up (%s)", channel.info.uuid, exc.cause)
            except Exception:
                log.exception(
                    "call %s: handler failed; handing the call back to the dialplan", channel.info.uuid
                )
            self._release(conn, channel)
        finally:
            conn.close("call done")

    def _open(self, conn: EslConnection, dispatch: _Dispatch) -> EslChannel:
        reply = conn.command(connect(), self._command_timeout)
        if not reply.ok:
            raise EslError(f"connect refused: {reply.reply_text}")
        channel = EslChannel(
            conn,
            call_info_from_connect(reply),
            command_timeout=self._command_timeout,
            tts_engine=self._tts[0],
            tts_voice=self._tts[1],
            playback_terminators=reply.get("variable_playback_terminators"),
            say_by_tts=reply.get(f"variable_{SAY_BY_VARIABLE}") == "tts",
        )
        dispatch.channel = channel
        # The filter first: until it is in place `event` would deliver every channel's events.
        for command in (filter_("Unique-ID", channel.info.uuid), self._subscribe, linger()):
            answer = conn.command(command, self._command_timeout)
            if not answer.ok:
                raise EslError(f"{command.decode().strip()} refused: {answer.reply_text}")
        return channel

    def _release(self, conn: EslConnection, channel: EslChannel) -> None:
        if channel.hangup_cause is not None:
            if not channel.wait_finished(self._linger_timeout):
                log.warning(
                    "call %s: no CHANNEL_HANGUP_COMPLETE within %gs", channel.info.uuid, self._linger_timeout
                )
            return
        try:
            conn.command(exit_(), self._command_timeout)
        except EslError as exc:
            log.debug("call %s: exit not acknowledged: %s", channel.info.uuid, exc)
