"""The inbound side of the stand-in: mod_event_socket listening for event listeners (port 8021).

switch = InboundSwitch(password="secret")
switch.start()
listener = EventListener(events.append, *switch.address, password="secret")
listener.start()
switch.wait_for_subscribers(1)
call = switch.emit_call(InboundCall(dtmf="1"))   # CHANNEL_CREATE, CHANNEL_ANSWER, DTMF, ...
switch.drop_connections()                         # abrupt close (RST)
switch.restart()                                  # stop, then listen again on the same port
switch.agents.phone("user/1001@cc.local", AgentPhone("answer"))  # bgapi originate, see agents.py
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

import gevent
from gevent.event import Event
from gevent.lock import Semaphore
from gevent.server import StreamServer

from tests.support.standin.agents import AgentPhones
from tests.support.standin.call import SequenceCounter
from tests.support.standin.parked import (
    CAPTURED_FALLBACK,
    LEASE,
    PARK_VARIABLES,
    ParkedCall,
    Scheduler,
    parked_library,
    sched_transfer,
)
from tests.support.standin.render import EventRenderer
from tests.support.standin.script import CallScript, Version
from tests.support.standin.subscription import Subscription
from tests.support.standin.templates import CallIdentity, LegShape, TemplateLibrary, default_library
from tests.support.standin.wire import (
    CommandReader,
    ReceivedCommand,
    api_response,
    auth_request,
    command_reply,
    goodbye_notice,
    serialize_json,
    serialize_plain,
)

CALL_EVENTS = ("CHANNEL_CREATE", "CHANNEL_ANSWER", "DTMF", "CHANNEL_HANGUP_COMPLETE")


@dataclass(frozen=True)
class InboundCall:
    """A call whose events the switch emits to its subscribers."""

    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    caller_number: str = "+15551230001"
    caller_name: str | None = None
    destination: str = "4001"
    dtmf: str = "12#"
    hangup_cause: str = "NORMAL_CLEARING"

    def identity(self) -> CallIdentity:
        return CallIdentity(
            uuid=self.uuid,
            caller_number=self.caller_number,
            caller_name=self.caller_name or self.caller_number,
            destination=self.destination,
            other_leg=str(uuid.uuid5(uuid.NAMESPACE_OID, self.uuid)),
        )


class InboundSession:
    """One connected event listener."""

    def __init__(self, sock: socket.socket, peer: str, version: Version = "1.10.12") -> None:
        self.sock = sock
        self.peer = peer
        self.authed = False
        self.format = "plain"
        self.events: set[str] = set()
        self.filters = Subscription(version)  # its `filter` list (subscription.py models event_handler's)
        self.commands: list[ReceivedCommand] = []
        self.frames_sent: list[bytes] = []
        self.closed = Event()
        self._lock = Semaphore()

    def wants(self, event_name: str) -> bool:
        return (
            self.authed and not self.closed.is_set() and ("ALL" in self.events or event_name in self.events)
        )

    def send(self, data: bytes) -> None:
        with self._lock:
            if self.closed.is_set():
                return
            try:
                self.sock.sendall(data)
            except OSError:
                self.close()
                return
            self.frames_sent.append(data)

    def close(self, *, abort: bool = False) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        if abort:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class InboundSwitch:
    def __init__(
        self,
        password: str = "ClueCon",
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        version: Version = "1.10.12",
        library: TemplateLibrary | None = None,
    ) -> None:
        self.password = password
        self.version = version
        self._host = host
        self._port = port
        self.library = library or default_library(version)
        # Parked calls (park_call): the parked capture's templates unless a library was given.
        self.parked_library = library or parked_library(version)
        self._parked_occurrences: Counter[str] = Counter()
        self.scheduler = Scheduler()
        self.parked: dict[str, ParkedCall] = {}
        self._sequence = SequenceCounter()
        self._server: StreamServer | None = None
        self._renderers: dict[str, EventRenderer] = {}
        self.sessions: list[InboundSession] = []
        self.auth_failures = 0
        self.agents = AgentPhones(self)
        self.emitted: list[tuple[str, bytes, bytes]] = []  # (event name, plain frame, json frame)

    @property
    def address(self) -> tuple[str, int]:
        return self._host, self._port

    def start(self) -> None:
        server = StreamServer((self._host, self._port), self._serve, backlog=128)
        server.start()
        self._port = server.address[1]
        self._server = server

    def stop(self) -> None:
        """Stop listening and close every connection, as a FreeSWITCH shutdown does."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for session in self.sessions:
            session.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def drop_connections(self) -> None:
        """Close every connection abruptly (TCP reset), as a crash does."""
        for session in self.sessions:
            session.close(abort=True)

    def subscribers(self) -> list[InboundSession]:
        return [s for s in self.sessions if s.authed and s.events and not s.closed.is_set()]

    def wait_for_subscribers(self, count: int = 1, timeout: float = 5.0) -> bool:
        deadline = gevent.get_hub().loop.now() + timeout
        while len(self.subscribers()) < count:
            if gevent.get_hub().loop.now() > deadline:
                return False
            gevent.sleep(0.005)
        return True

    # -- emitting ----------------------------------------------------------------------------

    def emit_call(
        self, call: InboundCall | None = None, events: tuple[str, ...] = CALL_EVENTS
    ) -> InboundCall:
        call = call or InboundCall()
        for name in events:
            if name == "DTMF":
                for digit in call.dtmf:
                    self.emit("DTMF", call, overrides={"DTMF-Digit": digit})
            else:
                self.emit(name, call)
        return call

    def emit(
        self,
        event_name: str,
        call: InboundCall,
        *,
        overrides: Mapping[str, str | None] | None = None,
        variables: Mapping[str, str | None] | None = None,
        role: str | None = None,
        app_headers: list[tuple[str, str]] | None = None,
        channel_variables: Mapping[str, str] | None = None,
        leg: LegShape | None = None,
    ) -> int:
        """Send one event of `call` to every subscriber of it; return how many got it.

        `role` picks the template ("CHANNEL_EXECUTE:eavesdrop"; default: the event's name) and
        `app_headers` (Application, Application-Data, ...) go after the variables. `variables` only replace
        (None: remove) a variable the template has; `channel_variables` also append the others. An
        originated `leg` is rendered from its kind's templates when the library has them."""
        renderer = self._renderers.get(call.uuid)
        if renderer is None:
            renderer = self._renderers[call.uuid] = EventRenderer(call.identity())
        fixed: dict[str, str | None] = {}
        in_place: dict[str, str | None] = {}
        if event_name == "CHANNEL_HANGUP_COMPLETE":
            fixed["Hangup-Cause"] = call.hangup_cause
            in_place["hangup_cause"] = call.hangup_cause
        fixed.update(overrides or {})
        in_place.update(variables or {})
        sequence = self._sequence.next()
        plain_template = self.library.get(role or event_name, leg=leg)
        json_template = self.library.get(role or event_name, json_format=True, leg=leg)
        plain = serialize_plain(
            renderer.render(
                plain_template,
                sequence=sequence,
                overrides=fixed,
                in_place=in_place,
                variables=channel_variables or {},
                script_vars=self.library.script_vars,
                app_headers=app_headers or (),
            ),
            plain_template.body,
        )
        json_frame = serialize_json(
            renderer.render(
                json_template,
                sequence=sequence,
                overrides=fixed,
                in_place=in_place,
                variables=channel_variables or {},
                script_vars=self.library.script_vars,
                app_headers=app_headers or (),
                encode=False,
            ),
            json_template.body,
        )
        self.emitted.append((event_name, plain, json_frame))
        return self._deliver(event_name, plain, json_frame, self._decoded(json_frame))

    def has_subscriber(self, event_name: str) -> bool:
        return any(session.wants(event_name) for session in self.sessions)

    def deliver_headers(self, event_name: str, headers: list[tuple[str, str]], body: str | None) -> int:
        """Send an event rendered elsewhere (a socket call's, URL-encoded) to the subscribers."""
        decoded = [(name, unquote(value)) for name, value in headers]
        plain = serialize_plain(headers, body)
        json_frame = serialize_json(decoded, body)
        self.emitted.append((event_name, plain, json_frame))
        return self._deliver(event_name, plain, json_frame, decoded)

    def replay_last(self, times: int = 1) -> int:
        """Send the last emitted event again, byte for byte (a duplicate delivery)."""
        name, plain, json_frame = self.emitted[-1]
        headers = self._decoded(json_frame)
        return sum(self._deliver(name, plain, json_frame, headers) for _ in range(times))

    @staticmethod
    def _decoded(json_frame: bytes) -> list[tuple[str, str]]:
        """An event's headers (decoded) from its JSON frame, for the sessions' filters."""
        document = json.loads(json_frame.split(b"\n\n", 1)[1])
        return [(name, value if isinstance(value, str) else "") for name, value in document.items()]

    def _deliver(
        self, event_name: str, plain: bytes, json_frame: bytes, headers: Sequence[tuple[str, str]]
    ) -> int:
        """To every session subscribed to the type whose filters pass the event (event_handler)."""
        delivered = 0
        for session in self.sessions:
            if session.wants(event_name) and session.filters.passes(headers):
                session.send(json_frame if session.format == "json" else plain)
                delivered += 1
        return delivered

    # -- one connection ----------------------------------------------------------------------

    def _serve(self, sock: socket.socket, address: tuple[str, int]) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # listener_run sets it too
        session = InboundSession(sock, f"{address[0]}:{address[1]}", self.version)
        self.sessions.append(session)
        reader = CommandReader(sock)
        session.send(auth_request())
        try:
            while not session.closed.is_set():
                command = reader.read()
                if command is None:
                    break
                session.commands.append(command)
                self._handle(session, command)
        finally:
            session.close()

    def _handle(self, session: InboundSession, command: ReceivedCommand) -> None:
        verb = command.verb
        if verb == "exit":
            session.send(command_reply("+OK bye"))
            self._goodbye(session)
        elif not session.authed:
            if verb != "auth":
                session.send(command_reply("-ERR command not found"))
            elif command.argument == self.password:
                session.authed = True
                session.send(command_reply("+OK accepted"))
            else:
                self.auth_failures += 1
                session.send(command_reply("-ERR invalid"))
                self._goodbye(session)
        elif verb == "event":
            self._subscribe(session, command.argument.split())
        elif verb == "noevents":
            session.events.clear()
            session.send(command_reply("+OK no longer listening for events"))
        elif verb == "filter":
            session.send(command_reply(session.filters.add_filter(command.argument)))
        elif verb == "sendmsg":
            self._sendmsg(session, command)
        elif verb == "api":
            session.send(api_response(self._api(command.argument)))
        elif verb == "bgapi":
            self._bgapi(session, command)
        else:
            session.send(command_reply("-ERR command not found"))

    def _subscribe(self, session: InboundSession, words: list[str]) -> None:
        if words and words[0].lower() in ("plain", "json", "xml"):
            session.format = words[0].lower()
            words = words[1:]
        if not words:
            session.send(command_reply("-ERR no keywords supplied"))
            return
        session.events.update(word.upper() for word in words)
        session.send(command_reply(f"+OK event listener enabled {session.format}"))

    def _api(self, line: str) -> str:
        name, _, arg = line.partition(" ")
        for word in dict.fromkeys(arg.split(" ")):
            parked = self.parked.get(word)
            if parked is not None:
                parked.api_commands.append(line)  # what the application asked about this call
        answer = self.agents.api(name, arg)
        if answer is not None:
            return answer
        if name == "sched_del":
            return self.scheduler.delete(arg) if arg else "-ERR Invalid syntax\n"
        if name == "sched_transfer":
            return sched_transfer(arg, self.scheduler, self.agents.calls)
        if name == "status":
            return self.library.status_body
        if name == "version":  # as both releases answer it (tests/transcripts/*/bgapi_jobs_inbound)
            return f"FreeSWITCH Version {self.version}-release~64bit ( 64bit)\n"
        return f"-ERR {name} Command not found!\n"

    def _bgapi(self, session: InboundSession, command: ReceivedCommand) -> None:
        job = command.header("Job-UUID") or str(uuid.uuid4())
        session.send(command_reply(f"+OK Job-UUID: {job}", ("Job-UUID", job)))
        name, _, arg = command.argument.partition(" ")
        if name == "originate":
            # switch_ivr_originate blocks for the ring time: the job runs in its own thread.
            gevent.spawn(lambda: self.send_job(job, name, arg, self.agents.originate(arg)))
            return
        self.send_job(job, name, arg, self._api(command.argument))

    def send_job(self, job: str, name: str, arg: str, body: str) -> None:
        """Fire BACKGROUND_JOB as mod_event_socket's api_exec does (body = the command's output)."""
        template = self.library.get("BACKGROUND_JOB")
        renderer = EventRenderer(CallIdentity(job, "", "", "", job))
        overrides: dict[str, str | None] = {"Job-UUID": job, "Job-Command": name}
        extra: list[tuple[str, str]] = []
        if any(header == "Job-Command-Arg" for header, _ in template.pre):  # a job captured with one
            overrides["Job-Command-Arg"] = arg or None
        elif arg:
            extra.append(("Job-Command-Arg", arg))
        sequence = self._sequence.next()
        headers = renderer.render(template, sequence=sequence, overrides=overrides, app_headers=extra)
        plain = serialize_plain(headers, body)
        json_frame = serialize_json(
            renderer.render(
                template,
                sequence=sequence,
                overrides=overrides,
                app_headers=extra,
                encode=False,
            ),
            body,
        )
        self._deliver("BACKGROUND_JOB", plain, json_frame, self._decoded(json_frame))

    # -- park mode (tests/support/standin/parked.py) -----------------------------------------------

    def park_call(
        self,
        script: CallScript | None = None,
        *,
        variables: Mapping[str, str] = PARK_VARIABLES,
        lease: str = LEASE,
        fallback: Sequence[tuple[str, str | None]] = CAPTURED_FALLBACK,
    ) -> ParkedCall:
        """A call reaches a parked DID now: the dialplan's multiset `variables`, sched_transfer
        `lease`, park; its events up to CHANNEL_PARK go to the matching subscribers before this returns.
        `fallback`: the actions of the lease's extension (run when `ParkedCall.fire_lease()`)."""
        script = replace(script or CallScript(variables={}), version=self.version)
        call = ParkedCall(
            script,
            self.parked_library,
            self._sequence,
            self.agents,
            self.scheduler,
            variables=variables,
            lease=lease,
            fallback=fallback,
            occurrences=self._parked_occurrences if self.parked_library.sequenced else None,
        )
        self.parked[call.uuid] = call
        self.agents.attach(call)
        call.arrive()
        return call

    def _sendmsg(self, session: InboundSession, command: ReceivedCommand) -> None:
        """`sendmsg <uuid>` (or a session-id header) to a channel (mod_event_socket parse_command)."""
        target = command.argument.strip() or command.header("session-id") or ""
        call = self.parked.get(target)
        if call is None or call.hangup_cause is not None:
            session.send(command_reply(f"-ERR invalid session id [{target}]"))
            return
        call.sendmsg(command, lambda text: session.send(command_reply(text)))

    @staticmethod
    def _goodbye(session: InboundSession) -> None:
        session.send(goodbye_notice())
        session.close()
