"""`ChannelCommands`: one call's applications and API commands, sent over its ESL connection.

Every application runs as `sendmsg` execute with a fresh Event-UUID. FreeSWITCH first answers
the command (+OK once queued), then echoes that UUID as Application-UUID on CHANNEL_EXECUTE and
CHANNEL_EXECUTE_COMPLETE, which `CallEvents` matches to the waiting command.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from esl_handlers import app_args
from esl_handlers.call_events import CallEvents
from esl_handlers.codec import CommandReply, EslError, api, sendmsg_execute
from esl_handlers.codec import Event as EslEvent
from esl_handlers.connection import ConnectionClosed, EslConnection
from ivr_scripts.channel import CallInfo, ChannelError

_application_ids = itertools.count(1)


def application_id() -> str:
    """The Event-UUID of one sendmsg, echoed as Application-UUID by its CHANNEL_EXECUTE[_COMPLETE].

    FreeSWITCH takes any text (switch_ivr_parse_event stores it as app_uuid), and it only has to
    be unique among one socket's applications, which see their own channel's events alone. Short,
    because mod_event_socket reads a command one byte per recv() (with a sched_yield() after each).
    """
    return f"cc{next(_application_ids):x}"


class ChannelTransferred(ChannelError):
    """The call was transferred away; this channel no longer controls it."""


class ChannelCommands:
    def __init__(
        self,
        connection: EslConnection,
        info: CallInfo,
        events: CallEvents,
        *,
        command_timeout: float,
        controlled_uuid: str | None,
    ) -> None:
        """`controlled_uuid`: the channel is driven over a shared inbound connection (`sendmsg <uuid>`)
        rather than its own outbound socket (esl_handlers.parked_calls)."""
        self._target = controlled_uuid
        self._conn = connection
        self._info = info
        self._events = events
        self.command_timeout = command_timeout
        self._transferred = False

    @property
    def target(self) -> str | None:
        return self._target

    @property
    def transferred(self) -> bool:
        return self._transferred

    def mark_transferred(self) -> None:
        self._transferred = True

    def command(self, data: bytes) -> CommandReply:
        """Send one command as it is; its errors are the caller's to judge."""
        return self._conn.command(data, self.command_timeout)

    def api_body(self, command: str) -> str:
        """The body of one `api` command, unchecked; its errors are the caller's to judge."""
        return self._conn.api(api(command), self.command_timeout).body

    def api(self, command: str, what: str) -> str:
        self.check_usable()
        try:
            return self.api_body(command)
        except ConnectionClosed as exc:
            raise self._events.hung_up() from exc
        except EslError as exc:
            raise ChannelError(f"{what} failed: {exc}") from exc

    def set(self, variables: Mapping[str, str]) -> None:
        """Set channel variables with `api uuid_setvar_multi`, not the `set` application: an API
        call fires no CHANNEL_EXECUTE / _COMPLETE (two ~5 KB events for every listener), takes
        effect at once even while an application runs, and expands nothing."""
        command = f"uuid_setvar_multi {self._info.uuid} {app_args.setvar_list(variables)}"
        body = self.api(command, "uuid_setvar_multi")
        if not body.startswith("+OK"):
            self.check_usable()  # "-ERR No such channel!": the caller is gone
            raise ChannelError(f"uuid_setvar_multi {', '.join(variables)} refused: {body.strip()}")

    def execute(self, app: str, arg: str | None, event_uuid: str | None = None) -> EslEvent:
        """Run one application and wait for its CHANNEL_EXECUTE_COMPLETE."""
        self.check_usable()
        if event_uuid is None:
            event_uuid = application_id()
        waiter = self._events.expect_completion(event_uuid)
        try:
            try:
                reply = self.command(sendmsg_execute(app, arg, event_uuid, self._target))
            except ConnectionClosed as exc:
                raise self._events.hung_up() from exc
            except EslError as exc:
                raise ChannelError(f"{app} failed: {exc}") from exc
            if not reply.ok:
                raise ChannelError(f"{app} refused by FreeSWITCH: {reply.reply_text}")
            event: EslEvent = waiter.get()
            return event
        finally:
            self._events.forget_completion(event_uuid)

    def check_usable(self) -> None:
        if self._events.gone:
            raise self._events.hung_up()
        if self._transferred:
            raise ChannelTransferred(f"call {self._info.uuid} was transferred; it is no longer ours")
