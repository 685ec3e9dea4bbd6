"""Park mode: calls the dialplan parks, driven from one inbound connection (esl_handlers/parked_calls.py).

The rendered DID runs `multiset cc_did=.. playback_terminators=none cc_say_by=tts cc_control=park`,
`sched_transfer +15 <fallback> XML cc_fallback` (the lease) and `park`; the application subscribes to
CHANNEL_PARK and the call events, filters on `variable_cc_control park`, and drives each call with
`sendmsg <uuid>` and `api sched_del / sched_transfer / uuid_setvar_multi`. What FreeSWITCH does, as
both releases did it in tests/transcripts/<version>/parked_control_inbound.jsonl:

- The dialplan's applications fire CHANNEL_EXECUTE / _COMPLETE like any other; the CHANNEL_EXECUTE of
  `multiset` comes before the variables exist, so a `variable_cc_control` filter drops it: the first
  event the connection sees is multiset's EXECUTE_COMPLETE. Then sched_transfer's pair (it leaves
  `last_sched_id`), CHANNEL_EXECUTE park, CHANNEL_PARK (Call-Direction inbound, the variables).
- `sendmsg <uuid>` answers `+OK` at once (`-ERR invalid session id [<uuid>]` for no such channel); an
  execute then runs inside the park (CHANNEL_EXECUTE / _COMPLETE, Application-UUID = Event-UUID); a
  hangup fires CHANNEL_HANGUP, park's EXECUTE_COMPLETE (Application-Response: the last application's
  response, e.g. `FILE PLAYED` after a playback) and CHANNEL_HANGUP_COMPLETE.
- `api sched_del <uuid>`: `+OK Deleted: <n>\\n` (tasks of that group; 0 when none); `api sched_transfer
  +N <uuid> <ext> [dp] [ctx]`: `+OK\\n`, `-ERR No such channel!\\n`, or the usage line.
- When the lease fires (switch_ivr_session_transfer from the scheduler): park ends, EXECUTE_COMPLETE
  park (`_none_` after an answer), and the fallback extension's actions run on the same channel, still
  carrying variable_cc_control, so the filter keeps passing them (CHANNEL_EXECUTE set cc_fallback=..,
  bridge, answer, playback, ...). CHANNEL_UNPARK fires too, but the captured subscription has none.

`ParkedCall` is a ScriptedCall without a socket: its applications run through the same AppRunner, its
events reach the inbound subscribers through InboundSwitch.deliver_headers.
"""

from __future__ import annotations

import uuid as uuid_module
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Final

import gevent

from tests.support.standin.call import ScriptedCall, SequenceCounter
from tests.support.standin.script import CallScript, Execution
from tests.support.standin.templates import TemplateLibrary, default_library
from tests.support.standin.wire import ReceivedCommand, separate_string
from tests.support.transcripts import CAPTURES_DIR, VERSIONS

if TYPE_CHECKING:
    from tests.support.standin.agents import AgentPhones

CAPTURE: Final = "parked_control_inbound"
# What the rendered DID sets before `park` (the capture's; docs/inbound-control.md).
PARK_VARIABLES: Final[Mapping[str, str]] = {
    "cc_did": "4001",
    "playback_terminators": "none",
    "cc_say_by": "tts",
    "cc_control": "park",
}
LEASE: Final = "+15 main XML cc_fallback"
SCHED_TRANSFER_USAGE: Final = "-USAGE: [+]<time> <uuid> <extension> [<dialplan>] [<context>]\n"
NO_SUCH_CHANNEL: Final = "-ERR No such channel!\n"
# The main line's fallback (cc_fallback, freeswitch_conf/fallback.py) as the capture ran it: the agents
# it bridges to are not registered, so the bridge ends at once and the prompt plays.
CAPTURED_FALLBACK: Final = (
    ("set", "cc_fallback=main"),
    ("set", "call_timeout=25"),
    ("set", "continue_on_fail=true"),
    ("set", "hangup_after_bridge=true"),
    ("bridge", "user/1007@callcenter.local,user/1008@callcenter.local"),
    ("answer", None),
    ("playback", "/prompts/fallback.wav"),
)


@cache
def parked_library(version: str) -> TemplateLibrary:
    """The parked capture's templates, then every other role from the default library."""
    if version not in VERSIONS:
        raise ValueError(f"unknown FreeSWITCH version {version!r}; captured: {', '.join(VERSIONS)}")
    library = TemplateLibrary.from_transcripts(version, [CAPTURE], root=CAPTURES_DIR, per_channel=True)
    fallback = default_library(version)
    for role, templates in fallback.roles.items():
        library.roles.setdefault(role, templates)
    library.status_body = fallback.status_body
    return library


@dataclass(frozen=True)
class ScheduledTransfer:
    """One scheduler task: switch_ivr_schedule_transfer's, whose group is the channel's uuid."""

    task_id: int
    group: str
    when: str  # as given: "+15" or an epoch
    extension: str
    dialplan: str
    context: str


@dataclass
class Scheduler:
    """The switch's scheduled transfers (switch_scheduler_*): ids are global, groups are call uuids."""

    next_id: int = 3  # the first id the captures' calls got (both releases run tasks of their own)
    tasks: dict[int, ScheduledTransfer] = field(default_factory=dict)

    def add(self, group: str, when: str, extension: str, dialplan: str, context: str) -> ScheduledTransfer:
        task = ScheduledTransfer(self.next_id, group, when, extension, dialplan, context)
        self.tasks[task.task_id] = task
        self.next_id += 1
        return task

    def delete(self, arg: str) -> str:
        """`api sched_del <task id | group>`: `+OK Deleted: <n>\\n` (sched_del_function)."""
        if arg.isdigit():
            found = [int(arg)] if int(arg) in self.tasks else []
        else:
            found = [task_id for task_id, task in self.tasks.items() if task.group == arg]
        for task_id in found:
            del self.tasks[task_id]
        return f"+OK Deleted: {len(found)}\n"

    def pending(self, group: str) -> list[ScheduledTransfer]:
        return [task for task in self.tasks.values() if task.group == group]

    def take(self, group: str) -> ScheduledTransfer | None:
        """The group's first task, removed as the scheduler does when it runs one."""
        tasks = self.pending(group)
        if not tasks:
            return None
        del self.tasks[tasks[0].task_id]
        return tasks[0]


def sched_transfer(arg: str, scheduler: Scheduler, calls: Mapping[str, ScriptedCall]) -> str:
    """`api sched_transfer [+]<time> <uuid> <extension> [<dialplan>] [<context>]` (mod_commands)."""
    argv = separate_string(arg) if arg else []
    if len(argv) < 2 or len(argv) > 5 or not argv[0]:
        return SCHED_TRANSFER_USAGE
    call = calls.get(argv[1])
    if call is None or call.hangup_cause is not None:
        return NO_SUCH_CHANNEL
    dest = argv[2] if len(argv) > 2 else ""
    scheduler.add(
        argv[1], argv[0], dest, argv[3] if len(argv) > 3 else "XML", argv[4] if len(argv) > 4 else "default"
    )
    return "+OK\n"


class ParkedCall(ScriptedCall):
    """A call the dialplan parked: no socket; the inbound connection drives it."""

    def __init__(
        self,
        script: CallScript,
        library: TemplateLibrary,
        sequence: SequenceCounter,
        phones: AgentPhones,
        scheduler: Scheduler,
        *,
        variables: Mapping[str, str] = PARK_VARIABLES,
        lease: str = LEASE,
        fallback: Sequence[tuple[str, str | None]] = CAPTURED_FALLBACK,
        occurrences: Counter[str] | None = None,
    ) -> None:
        # What the captured dialplan set is this call's to set: a captured variable it does not set
        # (a DID without cc_control, say) is dropped, not copied from the capture.
        dialplan_vars = frozenset({*PARK_VARIABLES, *variables, "last_sched_id"})
        library = replace(library, script_vars=library.script_vars | dialplan_vars)
        super().__init__(script, library, sequence, phones)
        self.vars = {}  # the dialplan's multiset sets them as the call arrives
        self.park_variables = dict(variables)
        self.lease = lease
        self.fallback = tuple(fallback)
        self.scheduler = scheduler
        self.parked = False
        self.api_commands: list[str] = []  # api lines naming this call, as received
        self.lease_fired = False
        if occurrences is not None:  # one sequenced capture of several calls: the n-th use overall
            self.emitter.occurrences = occurrences
        self._park_uuid = str(uuid_module.uuid4())
        self._session: gevent.Greenlet | None = None

    # -- the dialplan --------------------------------------------------------------------------

    def arrive(self) -> None:
        """multiset, sched_transfer (the lease), park: the events up to CHANNEL_PARK, then the
        session waits for the inbound connection's sendmsg."""
        assert self.phones is not None
        multiset = " ".join(f"{name}={value}" for name, value in self.park_variables.items())
        # Its CHANNEL_EXECUTE fires before the variables exist (a template that has them drops them).
        self._dialplan_app(
            "multiset",
            multiset,
            before=lambda: self.vars.update(self.park_variables),
            unset=frozenset(self.park_variables),
        )
        argv = separate_string(self.lease)
        task = self.scheduler.add(
            self.uuid,
            argv[0],
            argv[1],
            argv[2] if len(argv) > 2 else "XML",
            argv[3] if len(argv) > 3 else "default",
        )
        self._dialplan_app(
            "sched_transfer", self.lease, before=lambda: self.set_var("last_sched_id", str(task.task_id))
        )
        self.current_app = ("park", None)
        self.emitter.emit(
            "CHANNEL_EXECUTE:park",
            app_headers=[("Application", "park"), ("Application-UUID", self._park_uuid)],
        )
        self.parked = True
        self.emitter.emit("CHANNEL_PARK")
        self._session = gevent.spawn(self._session_loop)

    def _dialplan_app(
        self, app: str, arg: str, *, before: Callable[[], None], unset: frozenset[str] = frozenset()
    ) -> None:
        """One action of the extension: EXECUTE (without the variables `unset`), what it does,
        EXECUTE_COMPLETE `_none_`."""
        app_uuid = str(uuid_module.uuid4())
        headers = [("Application", app), ("Application-Data", arg)]
        self.current_app = (app, arg)
        self.emitter.emit(
            f"CHANNEL_EXECUTE:{app}", app_headers=[*headers, ("Application-UUID", app_uuid)], drop_vars=unset
        )
        before()
        self.emitter.emit(
            f"CHANNEL_EXECUTE_COMPLETE:{app}",
            app_headers=[*headers, ("Application-Response", "_none_"), ("Application-UUID", app_uuid)],
        )

    def _complete_park(self) -> None:
        """park's EXECUTE_COMPLETE: current_application[_data] and the response are still those of the
        last application that ran inside it (the capture: playback, `FILE PLAYED`)."""
        self.emitter.emit(
            "CHANNEL_EXECUTE_COMPLETE:park",
            app_headers=[
                ("Application", "park"),
                ("Application-Response", self.last_response or "_none_"),
                ("Application-UUID", self._park_uuid),
            ],
        )

    # -- the inbound connection --------------------------------------------------------------

    def sendmsg(self, command: ReceivedCommand, reply: Callable[[str], None]) -> None:
        """`sendmsg <uuid>`: `+OK` at once; an execute runs in the session, a hangup at once (the
        running application parses it on its next frame)."""
        self.commands.append(command)
        reply("+OK")
        kind = (command.header("call-command") or "").lower()
        if kind == "execute":
            execution = Execution(
                command.header("execute-app-name") or "",
                command.header("execute-app-arg"),
                command.header("Event-UUID"),
            )
            self.executions.append(execution)
            self.app_queue.put(execution)
        elif kind == "hangup":
            self.hangup_parsed_by_app = self._running_app
            self.hangup(command.header("hangup-cause") or "NORMAL_CLEARING", by="application")

    # -- the lease -------------------------------------------------------------------------------

    def fire_lease(self) -> bool:
        """The scheduler runs the call's transfer task now; False when none is pending (sched_del
        took it). The transfer of a call already gone does nothing (the task finds no session)."""
        task = self.scheduler.take(self.uuid)
        if task is None or self.hangup_cause is not None:
            return False
        self.lease_fired = True
        gevent.spawn(self._transfer, task)
        return True

    def _transfer(self, task: ScheduledTransfer) -> None:
        self.transferred_to = (task.extension, task.dialplan, task.context)
        self.parked = False
        self.emitter.emit("CHANNEL_UNPARK")
        self._complete_park()
        self._running_app = True
        try:
            for index, (app, arg) in enumerate(self.fallback):
                if self.hangup_cause is not None:
                    break
                self.apps.run(Execution(app, arg, str(uuid_module.uuid4())), len(self.executions) + index)
        finally:
            self._running_app = False
        if self.hangup_cause is None:  # switch_core_standard_on_execute: no action left
            self.hangup("NORMAL_CLEARING", by="switch")
        else:
            self._hangup_tail()

    # -- hanging up ------------------------------------------------------------------------------

    def hangup(self, cause: str, *, by: str) -> None:
        if not self._mark_hung_up(cause, by):
            return
        self.emitter.emit("CHANNEL_HANGUP")
        if not self._running_app:
            self._hangup_tail()

    def _hangup_tail(self) -> None:
        if self._tail_sent:
            return
        self._tail_sent = True
        if self.parked:
            self.parked = False
            self.emitter.emit("CHANNEL_UNPARK")
            self._complete_park()
        self.emitter.emit("CHANNEL_STATE:CS_HANGUP", overrides={"Channel-State": "CS_HANGUP"})
        self.recorder.hangup()
        self.emitter.emit("CHANNEL_STATE:CS_REPORTING", overrides={"Channel-State": "CS_REPORTING"})
        self.emitter.emit("CHANNEL_HANGUP_COMPLETE")
        if self.phones is not None:
            self.phones.detach(self.uuid)
        if self._session is not None:  # the session loop waits on its queue for ever otherwise
            gevent.spawn(self._session.kill)
        self._done.set()

    def channel_name(self) -> str:
        return f"sofia/callers/{self.identity.caller_number}@127.0.0.1:5070"
