"""`api uuid_setvar` and `api uuid_setvar_multi` against the stand-in's live calls, from either socket.

Modelled on mod_commands.c (the same in 1.10.12 and 1.11.2) and checked against
tests/transcripts/<version>/event_subset_outbound.jsonl, where the outbound socket sends both for its
own channel and one uuid_setvar for a channel that does not exist:

- uuid_setvar_function, "<uuid> <var> [value]": the argument is split on blanks into at most three
  (switch_separate_string: the value is the rest, spaces and all, quotes stripped). Two or three parts,
  else "-USAGE: <uuid> <var> [value]\\n". "-ERR No such channel!\\n" when the uuid names no live
  channel; "+OK\\n" once set (no value, or an empty one, unsets it). The variable is set without
  switch_string_var_check: a value with ${...} is kept as it is.
- uuid_setvar_multi_function, "<uuid> <var>=<value>;<var>=<value>...": the uuid is what precedes the
  first space; the rest is split on ';' (quotes honoured), each at its first '=' (no '=': unset). An
  empty name writes "-ERR No variable specified\\n" and is skipped; "+OK\\n" once one was set. It sets
  with switch_channel_set_variable, whose var check refuses (but still counts) a value holding ${.
  Quirk kept: when nothing was set, or the channel does not exist ("-ERR No such channel!\\n"), the
  usage line follows in the same response.

Neither fires an event: the captures show no CHANNEL_EXECUTE for them (a `sendmsg` execute `set` fires
CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE); the next events of the channel carry the variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from tests.support.standin.wire import separate_string

if TYPE_CHECKING:
    from tests.support.standin.call import ScriptedCall

SETVAR_USAGE: Final = "-USAGE: <uuid> <var> [value]\n"
SETVAR_MULTI_USAGE: Final = "-USAGE: <uuid> <var>=<value>;<var>=<value>...\n"
NO_SUCH_CHANNEL: Final = "-ERR No such channel!\n"
NO_VARIABLE: Final = "-ERR No variable specified\n"
# switch_string_var_check_const: a '$', any backslashes, then '{'.
_VARIABLE_REFERENCE: Final = re.compile(r"\$\\*\{")


def names_set(api_line: str) -> list[str]:
    """The variables an `uuid_setvar` / `uuid_setvar_multi` command line (after "api ") names."""
    name, _, arg = api_line.partition(" ")
    if name == "uuid_setvar":
        argv = separate_string(arg, " ", 3) if arg else []
        return [argv[1]] if len(argv) in (2, 3) and argv[1] else []
    if name == "uuid_setvar_multi":
        assignments = arg.partition(" ")[2]
        parts = separate_string(assignments, ";") if assignments else []
        return [part.partition("=")[0] for part in parts if part.partition("=")[0]]
    return []


def live_call(calls: Mapping[str, ScriptedCall], uuid: str) -> ScriptedCall | None:
    """switch_core_session_locate: the call by uuid while it is up (a hung-up one is not found)."""
    call = calls.get(uuid)
    return call if call is not None and call.hangup_cause is None else None


def uuid_setvar(calls: Mapping[str, ScriptedCall], arg: str) -> str:
    """`api uuid_setvar <uuid> <var> [value]`."""
    argv = separate_string(arg, " ", 3) if arg else []
    if len(argv) not in (2, 3) or not argv[0]:
        return SETVAR_USAGE
    call = live_call(calls, argv[0])
    if call is None:
        return NO_SUCH_CHANNEL
    if not argv[1]:
        return NO_VARIABLE
    call.set_var_by_api(argv[1], argv[2] if len(argv) == 3 else None)
    return "+OK\n"


def uuid_setvar_multi(calls: Mapping[str, ScriptedCall], arg: str) -> str:
    """`api uuid_setvar_multi <uuid> <var>=<value>;<var>=<value>...`."""
    uuid, space, assignments = arg.partition(" ")
    if not arg or not space:
        return SETVAR_MULTI_USAGE
    call = live_call(calls, uuid)
    if call is None:
        return NO_SUCH_CHANNEL + SETVAR_MULTI_USAGE
    parts = separate_string(assignments, ";") if assignments else []
    if parts and not parts[-1] and assignments.endswith(";"):
        parts.pop()  # switch_separate_string makes no empty part after a final delimiter
    out = ""
    set_count = 0
    for part in parts:
        name, equals, value = part.partition("=")
        if not name:
            out += NO_VARIABLE
            continue
        if not (equals and _VARIABLE_REFERENCE.search(value)):
            call.set_var_by_api(name, value if equals else None)
        set_count += 1
    return out + "+OK\n" if set_count else out + SETVAR_MULTI_USAGE
