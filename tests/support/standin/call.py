"""One call through the stand-in switch, from the `socket` app's connect to the socket's close.

Two greenlets play FreeSWITCH's two threads: the listener (reads commands, replies at once,
queues `sendmsg` for the channel: listener.py) and the session (runs the queued applications one
after another, apps.py, and fires their events; media.py plays what they play). Events reach the
application only once it subscribed to their type (`myevents`, `event plain ...`, less what
`nixevent` removed: tests/support/standin/subscription.py).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote

import gevent
from gevent import socket as gsocket
from gevent.event import Event
from gevent.lock import Semaphore
from gevent.queue import Queue

from tests.support.standin.agents import Leg
from tests.support.standin.apps import AppRunner
from tests.support.standin.emitter import EventEmitter
from tests.support.standin.listener import CommandHandler, HangupRequest
from tests.support.standin.media import CallMedia
from tests.support.standin.recording import SessionRecorder
from tests.support.standin.script import CallScript, Collected, Execution, Said
from tests.support.standin.subscription import Subscription
from tests.support.standin.templates import CallIdentity, TemplateLibrary
from tests.support.standin.uuid_bridge import run_uuid_bridge
from tests.support.standin.wire import (
    CommandReader,
    ReceivedCommand,
    goodbye_notice,
    linger_notice,
    separate_string,
)

if TYPE_CHECKING:
    from tests.support.standin.agents import AgentPhones

_VARIABLE: Final = re.compile(r"\$\{([^}]*)\}")


class SequenceCounter:
    """Event-Sequence: one counter per switch, shared by its calls."""

    def __init__(self, start: int = 500) -> None:
        self._value = start

    def next(self) -> int:
        self._value += 1
        return self._value


class ScriptedCall:
    """A call the stand-in places; read its record once `wait()` returns."""

    def __init__(
        self,
        script: CallScript,
        library: TemplateLibrary,
        sequence: SequenceCounter,
        phones: AgentPhones | None = None,
    ) -> None:
        self.script = script
        self.uuid = script.uuid or str(uuid.uuid4())
        self.identity = CallIdentity(
            uuid=self.uuid,
            caller_number=script.caller_number,
            caller_name=script.caller_name or script.caller_number,
            destination=script.destination,
            other_leg=str(uuid.uuid4()),
        )
        self.library = library
        self.emitter = EventEmitter(self, sequence)
        # What the call recorded.
        self.commands: list[ReceivedCommand] = []
        self.executions: list[Execution] = []
        self.collected: list[Collected] = []
        self.said: list[Said] = []
        # Keys pressed but not yet read: the channel's DTMF queue (switch_channel_queue_dtmf), which the
        # next play_and_get_digits reads first; playback's on_dtmf empties it key by key.
        self.dtmf_queue = ""
        self.recordings: list[str] = []
        self.frames_sent: list[bytes] = []
        self.events_sent: list[str] = []
        self.sent = bytearray()
        self.hangup_cause: str | None = None
        self.hung_up_by: str | None = None
        # A `sendmsg <uuid>` hangup from an inbound connection is a private event the running
        # application parses itself: a playback then completes `FILE PLAYED`, not `PLAYBACK ERROR`
        # (tests/transcripts/*/parked_control_inbound; the caller's BYE gives PLAYBACK ERROR).
        self.hangup_parsed_by_app = False
        self.transferred_to: tuple[str, ...] | None = None
        self.closed_by_app = False
        self.error: str | None = None
        # Channel state.
        self.vars: dict[str, str | None] = dict(script.variables)
        self.api_sets: list[tuple[str, str | None]] = []  # variables set with api uuid_setvar[_multi]
        self.answered = False
        self.subscription = Subscription(script.version)
        self.linger = False
        self.bridged = False
        self.current_app: tuple[str, str | None] | None = None
        self.last_response: str | None = None
        self.socket_app_uuid = str(uuid.uuid4())
        self._app_index = 0
        # What the listener hands the session: executions, hang-ups, None to wake it.
        self.app_queue: Queue[Execution | HangupRequest | None] = Queue()
        self.media = CallMedia(self)
        self.breaks_received = 0
        self._running_app = False
        self._tail_sent = False
        self.deferred_events: list[Callable[[], None]] | None = None  # held back while an api runs
        self._notice_at = "after_hangup_complete"
        self._write_lock = Semaphore()
        self._sock: gsocket.socket | None = None
        self._done = Event()
        self.apps = AppRunner(self)
        self.listener = CommandHandler(self)
        self.recorder = SessionRecorder(self)
        # The inbound side sharing this switch (uuid_bridge, uuid_kill, show, event listeners).
        self.phones = phones
        self.created_epoch = int(gevent.get_hub().loop.now())
        self.parked = True  # inside the socket app's switch_ivr_park, or parked after a bridge
        self.socket_done = False
        self.redirected = False  # CF_TRANSFER from uuid_bridge: the running application stops
        self._pending_bridge: Leg | None = None
        self._bridge_over = Event()
        self._partner_cause: str | None = None
        self.bridged_legs: list[str] = []

    # -- the record ----------------------------------------------------------------------------

    @property
    def executed(self) -> list[tuple[str, str | None]]:
        """(application, argument) of every sendmsg execute, in order."""
        return [(e.app, e.arg) for e in self.executions]

    @property
    def done(self) -> bool:
        return bool(self._done.is_set())

    def wait(self, timeout: float | None = 10.0) -> bool:
        return bool(self._done.wait(timeout))

    # -- running ---------------------------------------------------------------------------------

    def run(self, address: tuple[str, int]) -> None:
        session: gevent.Greenlet | None = None
        timer: gevent.Greenlet | None = None
        try:
            # As FreeSWITCH connects from its own process: no name resolution, so not through gevent's
            # thread pool, which a test may be holding full on purpose.
            sock = gsocket.socket(gsocket.AF_INET, gsocket.SOCK_STREAM)
            sock.settimeout(self.script.connect_timeout)
            sock.connect(address)
            sock.settimeout(None)
            sock.setsockopt(gsocket.IPPROTO_TCP, gsocket.TCP_NODELAY, 1)  # as the socket app does
            self._sock = sock
            reader = CommandReader(sock)
            first = reader.read()
            if first is None:
                self.closed_by_app = True
                return
            self.commands.append(first)
            if first.line != "connect":
                self.error = f"expected connect, got {first.line!r}"
                return
            self.send(self.emitter.connect_reply())
            session = gevent.spawn(self._session_loop)
            if self.script.hangup_after is not None:
                timer = gevent.spawn_later(self.script.hangup_after, self.caller_hangup)
            while True:
                command = reader.read()
                if command is None:
                    self.closed_by_app = self._sock is not None
                    return
                self.commands.append(command)
                self.listener.handle(command)
        except Exception as exc:  # recorded for the test to report, never swallowed silently
            self.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            # Once the socket app has returned (uuid_bridge), the channel lives on without it.
            for greenlet in (timer,) if self.socket_done else (session, timer):
                if greenlet is not None:
                    greenlet.kill(block=False)
            self.close()
            self._done.set()

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(gsocket.SHUT_RDWR)
            sock.close()

    def send(self, data: bytes) -> None:
        with self._write_lock:
            if self._sock is None:
                return
            try:
                self._sock.sendall(data)
            except OSError:
                return
            self.sent += data
            self.frames_sent.append(data)

    # -- session side ----------------------------------------------------------------------------

    def _session_loop(self) -> None:
        while True:
            if self._pending_bridge is not None:
                self._run_bridge(self._pending_bridge)
                continue
            item = self.app_queue.get()
            if item is None or self.hangup_cause is not None or self.transferred_to is not None:
                continue
            if isinstance(item, HangupRequest):
                self.hangup(item.cause, by="application")
                continue
            index = self._app_index
            self._app_index += 1
            self._running_app = True
            try:
                self.apps.run(item, index)
            finally:
                self._running_app = False
            if self.hangup_cause is not None:
                self._hangup_tail()

    def _run_bridge(self, leg: Leg) -> None:
        self._pending_bridge = None
        self._running_app = True
        try:
            run_uuid_bridge(self, leg)
        finally:
            self._running_app = False
        if self.hangup_cause is not None:
            self._hangup_tail()

    # -- uuid_bridge (tests/support/standin/uuid_bridge.py) ---------------------------------------

    def request_uuid_bridge(self, leg: Leg) -> None:
        """switch_ivr_uuid_bridge: CF_TRANSFER stops what runs; the bridge runs in the session."""
        self.emitter.attach_other_leg(leg)
        self._pending_bridge = leg
        self.bridged_legs.append(leg.uuid)
        self._partner_cause = None
        self._bridge_over.clear()
        self.redirected = True
        self.media.interrupt.set()
        self.media.wake.set()
        self.app_queue.put(None)

    def wait_for_bridge_end(self) -> str | None:
        """Block while bridged; the leg's hangup cause, or None if the caller left first."""
        self._bridge_over.wait()
        return None if self.hangup_cause is not None and self._partner_cause is None else self._partner_cause

    def partner_hung_up(self, leg_uuid: str, cause: str) -> None:
        if self.bridged and self.identity.other_leg == leg_uuid and self._partner_cause is None:
            self._partner_cause = cause
            self._bridge_over.set()

    def end_partner(self, leg_uuid: str, cause: str) -> None:
        if self.phones is not None:
            self._partner_cause = cause
            self.phones.hang_up_leg(leg_uuid, cause)

    def park_again(self) -> None:
        """switch_ivr_park_session: CS_PARK, CHANNEL_PARK, and queued applications run again."""
        self.redirected = False
        self.parked = True
        self.media.interrupt.clear()
        self.media.wake.clear()
        self.current_app = None
        self.emitter.emit_state("CS_PARK")
        self.emitter.emit("CHANNEL_PARK")

    def continue_dialplan(self) -> None:
        """CS_EXECUTE after the bridge: the dialplan's next action after `socket`, if any."""
        self.redirected = False
        target = self.script.after_socket_transfer
        if target is None:  # switch_core_standard_on_execute: no application left
            self.hangup("NORMAL_CLEARING", by="switch")
            return
        headers = [("Application", "transfer"), ("Application-Data", target)]
        self.current_app = ("transfer", target)
        self.emitter.emit("CHANNEL_EXECUTE:transfer", app_headers=headers)
        argv = [*separate_string(target), "XML", "default"]
        self.transferred_to = (argv[0], argv[1], argv[2])
        done = [*headers, ("Application-Response", "_none_")]
        self.emitter.emit("CHANNEL_EXECUTE_COMPLETE:transfer", app_headers=done)

    def channel_row(self) -> Leg:
        """This call as a row of `show channels` (an inbound channel running `socket`)."""
        return Leg(
            uuid=self.uuid,
            name=self.channel_name(),
            direction="inbound",
            cid_name=self.identity.caller_name,
            cid_num=self.identity.caller_number,
            dest=self.identity.destination,
            answered=self.answered,
            bridged_to=self.identity.other_leg if self.bridged else None,
            created_epoch=self.created_epoch,
        )

    def channels(self) -> Mapping[str, ScriptedCall]:
        """The socket-controlled calls an api command can name: the switch's, else this one."""
        return self.phones.calls if self.phones is not None else {self.uuid: self}

    def get_var(self, name: str) -> str | None:
        if name in self.vars:
            return self.vars[name]
        if self.library.connect is not None:
            for key, encoded in self.emitter.renderer.prepared(self.library.connect)[1]:
                if key == "variable_" + name:
                    return unquote(encoded)
        if name == "uuid":
            return self.uuid
        return None

    def set_var(self, name: str, value: str | None) -> None:
        self.vars.pop(name, None)
        self.vars[name] = value if value else None

    def set_var_by_api(self, name: str, value: str | None) -> None:
        """uuid_setvar / uuid_setvar_multi: as set_var, and kept in `api_sets` for the tests."""
        self.api_sets.append((name, value))
        self.set_var(name, value)

    def expand(self, text: str) -> str:
        """switch_channel_expand_variables for plain ${name} references."""
        return _VARIABLE.sub(lambda m: self.get_var(m.group(1)) or "", text)

    def scripted_hangup_point(self, index: int) -> bool:
        """Called where a running application would notice the caller leaving."""
        if self.script.hangup_at == index:
            self.caller_hangup()
        return self.hangup_cause is not None

    def caller_hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        """The caller hangs up now (from the script, a timer, or a test)."""
        if self.hangup_cause is not None or self.transferred_to is not None:
            return
        self.hangup(cause, by="caller")

    def _mark_hung_up(self, cause: str, by: str) -> bool:
        """Record the hang-up and wake everything waiting on the call; False if it was already gone."""
        if self.hangup_cause is not None:
            return False
        self.hangup_cause = cause
        self.hung_up_by = by
        self.media.interrupt.set()
        self.media.wake.set()
        self._bridge_over.set()
        return True

    def hangup(self, cause: str, *, by: str) -> None:
        if not self._mark_hung_up(cause, by):
            return
        if self.phones is not None:
            self.phones.detach(self.uuid)
        self.emitter.emit("CHANNEL_HANGUP")
        if not self.linger:
            self.recorder.hangup()
            self.send(goodbye_notice(self.uuid))
            self.close()
            return
        self._notice_at = self.notice_placement()
        if self._notice_at == "after_hangup":
            self._send_linger_notice()
        if not self._running_app:
            self._hangup_tail()

    def notice_placement(self) -> str:
        if self.script.linger_notice is not None:
            return self.script.linger_notice
        if self.script.version == "1.11.2" and self.bridged:
            return "after_hangup"
        return "after_hangup_complete"

    def _hangup_tail(self) -> None:
        if self._tail_sent or self._sock is None:
            self.recorder.hangup()
            return
        self._tail_sent = True
        if self.parked:
            self.emitter.emit("CHANNEL_UNPARK")
        if not self.socket_done:
            self.emitter.emit_socket_complete()
        self.emitter.emit("CHANNEL_STATE:CS_HANGUP", overrides={"Channel-State": "CS_HANGUP"})
        # switch_core_session_hangup_state removes the media bugs: both releases send RECORD_STOP
        # between the CS_HANGUP and the CS_REPORTING CHANNEL_STATE (tests/transcripts/*/record_session).
        self.recorder.hangup()
        self.emitter.emit("CHANNEL_STATE:CS_REPORTING", overrides={"Channel-State": "CS_REPORTING"})
        self.emitter.emit("CHANNEL_HANGUP_COMPLETE")
        if self.linger and self._notice_at == "after_hangup_complete":
            self._send_linger_notice()
        gevent.spawn_later(self.script.max_linger, self.close)

    def _send_linger_notice(self) -> None:
        self.send(linger_notice(self.uuid, self.channel_name()))

    def channel_name(self) -> str:
        return f"sofia/lab/{self.identity.caller_number}@127.0.0.1:5070"
