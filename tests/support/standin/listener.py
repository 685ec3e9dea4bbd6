"""The listener side of a stand-in call: FreeSWITCH's socket thread, which replies to each command at
once and queues `sendmsg` applications and hang-ups for the session (tests/support/standin/call.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.support.standin.script import Execution
from tests.support.standin.setvar import uuid_setvar, uuid_setvar_multi
from tests.support.standin.wire import ReceivedCommand, api_response, command_reply, goodbye_notice

if TYPE_CHECKING:
    from tests.support.standin.call import ScriptedCall


@dataclass(frozen=True)
class HangupRequest:
    """A `sendmsg` hangup, queued for the session like an application."""

    cause: str


class CommandHandler:
    """Answers the commands the application sends over the call's socket."""

    def __init__(self, call: ScriptedCall) -> None:
        self._call = call
        self._sendmsgs = 0

    def handle(self, command: ReceivedCommand) -> None:
        call = self._call
        verb = command.verb
        if verb in ("myevents", "event", "nixevent"):
            call.send(command_reply(call.subscription.command(verb, command.argument)))
        elif verb == "filter":
            call.send(command_reply(call.subscription.add_filter(command.argument)))
        elif verb == "linger":
            call.linger = True
            seconds = command.argument.strip()
            call.send(command_reply(f"+OK will linger {seconds} seconds" if seconds else "+OK will linger"))
            if call.script.park_event == "after_linger_reply" and self._sendmsgs == 0:
                call.emitter.emit("CHANNEL_PARK")
        elif verb == "nolinger":
            call.linger = False
            call.send(command_reply("+OK will not linger"))
        elif verb == "sendmsg":
            self._sendmsg(command)
        elif verb == "api":
            # The reply goes out before the events the command fires (uuid_record's RECORD_START /
            # RECORD_STOP): api_exec writes it at once, the events go through the event queue.
            call.deferred_events = []
            try:
                reply = self._api(command.argument)
            finally:
                deferred, call.deferred_events = call.deferred_events, None
            call.send(api_response(reply))
            for fire in deferred:
                fire()
        elif verb == "exit":
            call.send(command_reply("+OK bye"))
            call.send(goodbye_notice(call.uuid))
            call.close()
        else:
            call.send(command_reply("-ERR command not found"))

    def _sendmsg(self, command: ReceivedCommand) -> None:
        call = self._call
        index = self._sendmsgs
        self._sendmsgs += 1
        kind = (command.header("call-command") or "").lower()
        app = command.header("execute-app-name") or ""
        if call.script.malformed_at == index:
            call.send(call.script.malformed_frame)
            return
        refusal = call.script.refuse_apps.get(app) if kind == "execute" else None
        if refusal is not None:
            call.send(command_reply(refusal))
            return
        park = call.script.park_event if index == 0 else "none"
        if park == "before_first_reply":
            call.emitter.emit("CHANNEL_PARK")
        call.send(command_reply("+OK"))
        if park == "after_first_reply":
            call.emitter.emit("CHANNEL_PARK")
        if kind == "execute":
            execution = Execution(app, command.header("execute-app-arg"), command.header("Event-UUID"))
            call.executions.append(execution)
            call.app_queue.put(execution)
        elif kind == "hangup":
            call.app_queue.put(HangupRequest(command.header("hangup-cause") or "NORMAL_CLEARING"))

    def _api(self, line: str) -> str:
        call = self._call
        name, _, arg = line.partition(" ")
        if name == "uuid_getvar":
            parts = arg.split(" ")
            if len(parts) < 2 or parts[0] != call.uuid:
                return "-ERR No such channel!\n"
            value = call.get_var(parts[1])
            return "_undef_" if value is None else value
        if name == "uuid_break":
            # mod_commands break_function: "+OK" once the flag is set, "-ERR No such channel!" for a
            # channel not there (both releases answer "+OK", tests/transcripts/*/park_hold).
            if arg.split(" ")[0] != call.uuid or call.hangup_cause is not None:
                return "-ERR No such channel!\n"
            call.breaks_received += 1
            call.media.break_flag = True
            call.media.wake.set()
            return "+OK\n"
        if name == "uuid_record":
            argv = arg.split()
            if not argv or argv[0] != call.uuid or call.hangup_cause is not None:
                return "-ERR Cannot locate session!\n"
            return call.recorder.api(argv)
        if name == "uuid_setvar":
            return uuid_setvar(call.channels(), arg)
        if name == "uuid_setvar_multi":
            return uuid_setvar_multi(call.channels(), arg)
        if name == "status":
            return call.library.status_body
        return f"-ERR {name} Command not found!\n"
