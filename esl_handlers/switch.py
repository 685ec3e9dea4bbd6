"""`EslSwitch`: the Switch protocol (ivr_scripts.switch) over one inbound event-socket connection.

The connection is opened on first use (esl_handlers.connection.open_inbound), subscribes to
BACKGROUND_JOB only, and is reopened by the next request after it drops; a drop fails every
pending originate with SwitchError.

What FreeSWITCH answers, checked against its source:
- originate (mod_commands originate_function) writes "+OK <uuid>\\n" when the leg answered and
  "-ERR <cause>\\n" (switch_channel_cause2str: NO_ANSWER, USER_BUSY, USER_NOT_REGISTERED, ...)
  otherwise. Run with `bgapi`, mod_event_socket's api_exec puts that text in the body of a
  BACKGROUND_JOB event whose Job-UUID is the one sent with the command.
- `origination_uuid` in the `{...}` block names the new leg, so a leg whose job never reports
  can still be torn down.
- Several endpoints at once (switch_ivr_originate): `{global vars}[leg vars]ep1,[leg vars]ep2`
  rings them together; each leg takes its own `origination_uuid` from its `[...]` block (the
  name is deleted from the leg's variables once used, switch_core_session_outgoing_channel). The
  first to answer wins: the job says "+OK <winner uuid>", every other leg still up is hung up
  with LOSE_RACE; when the timeout ends it, every leg gets NO_ANSWER.
- uuid_bridge_function: "+OK <other uuid>\\n" or "-ERR Invalid uuid\\n".
- kill_function (uuid_kill): "+OK\\n" or "-ERR No such channel!\\n".
- show_function "as json": {"row_count":N,"rows":[{column: text, ...}]}, or {"row_count": 0}
  without rows; `show channels` rows come from the channels table (uuid, direction, name,
  presence_id, callstate, ...), `show calls` from basic_calls, which pairs uuid with b_uuid.
- originate's second argument `&app(arg)` runs one application on the answered leg instead of
  the `&park()` used here (originate_function: the text up to ')' is the application, after '(' its argument).
- session_record_function (uuid_record <uuid> start|stop|mask|unmask <path>): "+OK Success";
  "-ERR Cannot locate session!", "-ERR Cannot record session!", "-ERR Cannot stop record session!",
  "-ERR Cannot mask recording session!" / "...unmask..." (no recording of that exact path).
- uuid_setvar_function: "+OK" or "-ERR No such channel!".
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Final, Literal, TypeVar

import gevent
from gevent.event import AsyncResult
from gevent.lock import Semaphore

from dialplans.vocabulary import NORMAL_CLEARING, ORIGINATOR_CANCEL
from esl_handlers import after_answer, app_args
from esl_handlers.after_answer import PARK, AfterAnswer
from esl_handlers.codec import EslError, Frame, api, bgapi, event, exit_
from esl_handlers.codec import Event as EslEvent
from esl_handlers.connection import EslConnection, open_inbound
from esl_handlers.switch_answers import agent_extension, originate_outcome, show_rows
from ivr_scripts.switch import LiveChannel, Originated, SwitchError

log = logging.getLogger(__name__)
_T = TypeVar("_T")

RecordAction = Literal["start", "stop", "mask", "unmask"]
# How long past the ring timeout the BACKGROUND_JOB may take before the leg is given up.
DEFAULT_JOB_MARGIN: Final = 10.0
_GONE: Final = "-ERR No such channel!"
# callstate values (switch_channel_callstate2str) of a channel that was answered.
_ANSWERED_STATES: Final = frozenset({"ACTIVE", "HELD", "UNHELD"})


def _global_settings(number: str, name: str, seconds: int, extra: Mapping[str, str]) -> list[str]:
    """The `{...}` block shared by every leg of an originate (ValueError for an unsafe value)."""
    settings = [
        f"origination_caller_id_number={app_args.originate_value(number, 'caller id number')}",
        f"origination_caller_id_name={app_args.originate_value(name, 'caller id name')}",
        f"originate_timeout={seconds}",
        "ignore_early_media=true",
    ]
    for variable, value in extra.items():
        settings.append(f"{app_args.variable_name(variable)}={app_args.originate_value(value, variable)}")
    return settings


class EslSwitch:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8021,
        password: str = "ClueCon",  # noqa: S107 - FreeSWITCH's own default (event_socket.conf.xml)
        *,
        connect_timeout: float = 5.0,
        command_timeout: float = 10.0,
        job_margin: float = DEFAULT_JOB_MARGIN,
    ) -> None:
        self._host = host
        self._port = port
        self._password = password
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._job_margin = job_margin
        self._conn: EslConnection | None = None
        self._connect_lock = Semaphore()
        self._jobs: dict[str, AsyncResult] = {}
        self.connections = 0
        """How many times a connection was opened (1 + reconnections)."""

    @property
    def where(self) -> str:
        return f"{self._host}:{self._port}"

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            with contextlib.suppress(EslError):
                conn.command(exit_(), min(1.0, self._command_timeout))
            conn.close("switch client closed")

    # -- the Switch protocol ------------------------------------------------------------------

    def originate(
        self,
        endpoint: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
        then: AfterAnswer = PARK,
    ) -> Originated:
        """Ring `endpoint`; once it answers, run `then` on the leg (parked by default)."""
        extra = dict(variables or {})
        # The caller may choose the leg's UUID up front, so it can cancel a ringing leg it cannot see yet.
        wanted_uuid = extra.pop("origination_uuid", None)
        seconds = max(1, round(timeout))
        try:
            leg_uuid = (
                app_args.channel_uuid(wanted_uuid, "origination uuid") if wanted_uuid else str(uuid.uuid4())
            )
            settings = [
                f"origination_uuid={leg_uuid}",
                *_global_settings(caller_id_number, caller_id_name, seconds, extra),
            ]
            command = "originate {" + ",".join(settings) + "}" + app_args.endpoint(endpoint) + " " + then.text
        except ValueError as exc:
            raise SwitchError(f"originate {endpoint!r} refused before sending: {exc}") from exc
        outcome = self._run_originate(command, [leg_uuid], seconds)
        log.info("originate %s: %s (%s)", endpoint, outcome.result, outcome.cause)
        return outcome

    def originate_application(
        self,
        endpoint: str,
        application: str,
        argument: str,
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
    ) -> Originated:
        """Ring `endpoint` and run `application(argument)` on the leg once answered (e.g. eavesdrop).

        The argument must be one word without parentheses (a channel UUID, say)."""
        try:
            then = after_answer.application(application, argument)
        except ValueError as exc:
            raise SwitchError(f"originate {endpoint!r} refused before sending: {exc}") from exc
        return self.originate(
            endpoint,
            caller_id_number=caller_id_number,
            caller_id_name=caller_id_name,
            timeout=timeout,
            variables=variables,
            then=then,
        )

    def originate_any(
        self,
        endpoints: Sequence[tuple[str, str]],
        *,
        caller_id_number: str,
        caller_id_name: str,
        timeout: float,
        variables: dict[str, str] | None = None,
        leg_variables: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Originated:
        extra = dict(variables or {})
        # origination_uuid names one channel: in a comma list it belongs in each leg's [...] block.
        extra.pop("origination_uuid", None)
        seconds = max(1, round(timeout))
        if not endpoints:
            raise SwitchError("originate to several endpoints refused before sending: no endpoint")
        try:
            settings = _global_settings(caller_id_number, caller_id_name, seconds, extra)
            legs: list[str] = []
            leg_uuids: list[str] = []
            for endpoint, wanted_uuid in endpoints:
                leg_uuid = app_args.channel_uuid(wanted_uuid, "origination uuid")
                own = [f"origination_uuid={leg_uuid}"]
                for variable, value in (leg_variables or {}).get(wanted_uuid, {}).items():
                    own.append(
                        f"{app_args.variable_name(variable)}={app_args.originate_value(value, variable)}"
                    )
                legs.append("[" + ",".join(own) + "]" + app_args.endpoint(endpoint))
                leg_uuids.append(leg_uuid)
            if len(set(leg_uuids)) != len(leg_uuids):
                raise ValueError("the same leg uuid twice")
            command = "originate {" + ",".join(settings) + "}" + ",".join(legs) + " " + PARK.text
        except ValueError as exc:
            raise SwitchError(
                f"originate to {len(endpoints)} endpoints refused before sending: {exc}"
            ) from exc
        outcome = self._run_originate(command, leg_uuids, seconds)
        log.info("originate to %d endpoints: %s (%s)", len(endpoints), outcome.result, outcome.cause)
        return outcome

    def _run_originate(self, command: str, leg_uuids: Sequence[str], seconds: int) -> Originated:
        """Send `command` with bgapi and wait for its BACKGROUND_JOB; past the timeout, cancel the legs."""
        job_uuid = str(uuid.uuid4())
        waiter = AsyncResult()
        conn = self._connection()
        self._jobs[job_uuid] = waiter
        try:
            reply = self._call(lambda: conn.command(bgapi(command, job_uuid), self._command_timeout))
            if not reply.ok:
                raise SwitchError(f"bgapi originate refused: {reply.reply_text}")
            try:
                body: str = waiter.get(timeout=seconds + self._job_margin)
            except gevent.Timeout:
                raise self._abandon(leg_uuids, seconds) from None
        finally:
            self._jobs.pop(job_uuid, None)
        return originate_outcome(body)

    def bridge(self, caller_uuid: str, leg_uuid: str) -> None:
        try:
            caller = app_args.channel_uuid(caller_uuid, "caller uuid")
            leg = app_args.channel_uuid(leg_uuid, "leg uuid")
        except ValueError as exc:
            raise SwitchError(f"uuid_bridge refused before sending: {exc}") from exc
        body = self._api(f"uuid_bridge {caller} {leg}")
        if not body.startswith("+OK"):
            raise SwitchError(f"uuid_bridge {caller} {leg} refused: {body.strip()}")

    def hangup(self, uuid: str, cause: str = NORMAL_CLEARING) -> None:
        try:
            target = app_args.channel_uuid(uuid)
            command = f"uuid_kill {target} {app_args.hangup_cause(cause)}"
        except ValueError as exc:
            raise SwitchError(f"uuid_kill refused before sending: {exc}") from exc
        body = self._api(command)
        if body.startswith("+OK") or body.strip() == _GONE:
            return
        raise SwitchError(f"uuid_kill {target} refused: {body.strip()}")

    def record(self, uuid: str, action: RecordAction, path: str) -> None:
        """uuid_record on a live channel: start, stop, mask (write silence) or unmask a recording."""
        try:
            command = f"uuid_record {app_args.channel_uuid(uuid)} {action} {app_args.recording_path(path)}"
        except ValueError as exc:
            raise SwitchError(f"uuid_record refused before sending: {exc}") from exc
        body = self._api(command)
        if not body.startswith("+OK"):
            raise SwitchError(f"uuid_record {uuid} {action} {path} refused: {body.strip()}")

    def set_variable(self, uuid: str, name: str, value: str) -> None:
        """uuid_setvar: one channel variable on a live channel (a value without spaces)."""
        try:
            command = (
                f"uuid_setvar {app_args.channel_uuid(uuid)} {app_args.variable_name(name)} "
                f"{app_args.word(value, 'variable value')}"
            )
        except ValueError as exc:
            raise SwitchError(f"uuid_setvar refused before sending: {exc}") from exc
        body = self._api(command)
        if not body.startswith("+OK"):
            raise SwitchError(f"uuid_setvar {uuid} {name} refused: {body.strip()}")

    def show(self, what: Literal["channels", "calls"]) -> list[dict[str, str]]:
        """The rows of `show channels` or `show calls` (which pairs each uuid with its b_uuid)."""
        return show_rows(self._api(f"show {what} as json"), f"show {what}")

    def variable(self, uuid: str, name: str) -> str | None:
        """uuid_getvar: the channel variable's value; None when unset or the channel is gone."""
        body = self._api(f"uuid_getvar {uuid} {name}").strip()
        return None if not body or body.startswith("-ERR") or body == "_undef_" else body

    def cancel_scheduled(self, uuid: str) -> None:
        """sched_del <uuid>: drop the tasks scheduled for the channel (a parked call's fallback lease)."""
        self._api(f"sched_del {uuid}")

    def transfer(self, uuid: str, extension: str, context: str) -> bool:
        """uuid_transfer to `extension` in `context` (XML dialplan), ending whatever the channel
        is doing; False if the channel is gone."""
        return self._api(f"uuid_transfer {uuid} {extension} XML {context}").startswith("+OK")

    def transfer_inline(self, uuid: str, steps: AfterAnswer) -> bool:
        """uuid_transfer to an inline dialplan (after_answer.inline), ending whatever the channel is doing;
        False if the channel is gone."""
        if not steps.text.endswith(" inline"):
            raise SwitchError(f"uuid_transfer needs an inline dialplan, not {steps.text[:40]!r}")
        return self._api(f"uuid_transfer {app_args.channel_uuid(uuid)} {steps.text}").startswith("+OK")

    def channels(self) -> list[LiveChannel]:
        channel_rows = self.show("channels")
        bridged: dict[str, str] = {}
        for row in self.show("calls"):
            a, b = row.get("uuid") or "", row.get("b_uuid") or ""
            if a and b:
                bridged[a], bridged[b] = b, a
        return [
            LiveChannel(
                uuid=row["uuid"],
                agent_extension=agent_extension(row),
                bridged_to=bridged.get(row["uuid"]),
                answered=row.get("callstate", "") in _ANSWERED_STATES,
            )
            for row in channel_rows
            if row.get("uuid")
        ]

    # -- the connection -----------------------------------------------------------------------

    def _api(self, command: str) -> str:
        conn = self._connection()
        return self._call(lambda: conn.api(api(command), self._command_timeout)).body

    def _call(self, send: Callable[[], _T]) -> _T:
        try:
            return send()
        except EslError as exc:
            raise SwitchError(f"FreeSWITCH ESL at {self.where}: {exc}") from exc

    def _connection(self) -> EslConnection:
        with self._connect_lock:
            conn = self._conn
            if conn is not None and not conn.closed:
                return conn
            try:
                conn = open_inbound(
                    self._host,
                    self._port,
                    self._password,
                    on_frame=self._on_frame,
                    on_close=self._on_close,
                    connect_timeout=self._connect_timeout,
                    command_timeout=self._command_timeout,
                )
                reply = conn.command(event("plain", ["BACKGROUND_JOB"]), self._command_timeout)
            except (OSError, EslError) as exc:
                raise SwitchError(f"cannot reach FreeSWITCH ESL at {self.where}: {exc}") from exc
            if not reply.ok:
                conn.close("subscription refused")
                raise SwitchError(f"BACKGROUND_JOB subscription refused: {reply.reply_text}")
            self._conn = conn
            self.connections += 1
            return conn

    def _on_frame(self, frame: Frame) -> None:
        if isinstance(frame, EslEvent) and frame.name == "BACKGROUND_JOB":
            waiter = self._jobs.get(frame.job_uuid or "")
            if waiter is not None and not waiter.ready():
                waiter.set(frame.body or "")

    def _on_close(self, reason: str) -> None:
        for waiter in list(self._jobs.values()):
            if not waiter.ready():
                waiter.set_exception(SwitchError(f"FreeSWITCH ESL at {self.where} closed: {reason}"))

    def _abandon(self, leg_uuids: Sequence[str], seconds: int) -> SwitchError:
        for leg_uuid in leg_uuids:
            with contextlib.suppress(SwitchError):
                self.hangup(leg_uuid, ORIGINATOR_CANCEL)
        return SwitchError(f"originate got no result within {seconds + self._job_margin:g} s; legs cancelled")
