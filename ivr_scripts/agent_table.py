"""The agent state machine's transition table: which trigger moves an agent from which state to which.

ivr_scripts.agent_states applies it; the database's reservation guard (schema.acd.agents) is derived from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from dialplans.vocabulary import AgentState


class Trigger(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    READY = "ready"
    GO_BREAK = "go_break"
    RESERVE = "reserve"
    RESERVATION_CANCELLED = "reservation_cancelled"
    RING = "ring"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    CALLER_ABANDONED_WHILE_RINGING = "caller_abandoned_while_ringing"
    CALL_ENDED = "call_ended"
    WRAP_UP_EXPIRED = "wrap_up_expired"
    FORCE = "force"


class Outcome(StrEnum):
    CHANGED = "changed"
    REPEAT = "repeat"  # the status already reflects the trigger
    STALE = "stale"  # about a call the agent no longer holds, a phase it has passed, or an old timer


_S = AgentState
_T = Trigger

# Every allowed (state, trigger) pair. Self-loops are idempotent repeats (Outcome.REPEAT), except go_break
# with a new reason, which changes the reason. Three cells have a rule on top, in `_follow_fact`:
#   no_answer  -> on_break("no_answer") instead, once consecutive no-answers reach max_no_answer;
#   call_ended -> available instead, when the queue's wrap-up is 0 seconds;
#   wrap_up_expired -> ignored as stale while now < wrap_up_until.
# Facts from reserved that skip "ring" (answered, no_answer, ...) are accepted: their offer event was lost.
TABLE: Final[Mapping[tuple[AgentState, Trigger], AgentState]] = MappingProxyType(
    {
        (_S.LOGGED_OUT, _T.LOGIN): _S.AVAILABLE,
        (_S.LOGGED_OUT, _T.LOGOUT): _S.LOGGED_OUT,
        (_S.AVAILABLE, _T.LOGIN): _S.AVAILABLE,
        (_S.AVAILABLE, _T.READY): _S.AVAILABLE,
        (_S.AVAILABLE, _T.LOGOUT): _S.LOGGED_OUT,
        (_S.AVAILABLE, _T.GO_BREAK): _S.ON_BREAK,
        (_S.AVAILABLE, _T.RESERVE): _S.RESERVED,
        (_S.RESERVED, _T.LOGIN): _S.RESERVED,
        (_S.RESERVED, _T.RESERVE): _S.RESERVED,  # same call only; another call is refused
        (_S.RESERVED, _T.RESERVATION_CANCELLED): _S.AVAILABLE,
        (_S.RESERVED, _T.RING): _S.RINGING,
        (_S.RESERVED, _T.ANSWERED): _S.ON_CALL,
        (_S.RESERVED, _T.NO_ANSWER): _S.AVAILABLE,
        (_S.RESERVED, _T.CALLER_ABANDONED_WHILE_RINGING): _S.AVAILABLE,
        (_S.RESERVED, _T.CALL_ENDED): _S.WRAP_UP,
        (_S.RINGING, _T.LOGIN): _S.RINGING,
        (_S.RINGING, _T.ANSWERED): _S.ON_CALL,
        (_S.RINGING, _T.NO_ANSWER): _S.AVAILABLE,
        (_S.RINGING, _T.CALLER_ABANDONED_WHILE_RINGING): _S.AVAILABLE,
        (_S.RINGING, _T.CALL_ENDED): _S.WRAP_UP,
        (_S.ON_CALL, _T.LOGIN): _S.ON_CALL,
        (_S.ON_CALL, _T.CALL_ENDED): _S.WRAP_UP,
        (_S.WRAP_UP, _T.LOGIN): _S.WRAP_UP,
        (_S.WRAP_UP, _T.READY): _S.AVAILABLE,
        (_S.WRAP_UP, _T.LOGOUT): _S.LOGGED_OUT,
        (_S.WRAP_UP, _T.GO_BREAK): _S.ON_BREAK,
        (_S.WRAP_UP, _T.WRAP_UP_EXPIRED): _S.AVAILABLE,
        (_S.ON_BREAK, _T.LOGIN): _S.ON_BREAK,
        (_S.ON_BREAK, _T.READY): _S.AVAILABLE,
        (_S.ON_BREAK, _T.LOGOUT): _S.LOGGED_OUT,
        (_S.ON_BREAK, _T.GO_BREAK): _S.ON_BREAK,
    }
)

# Call events about the call the agent holds, arriving after the agent has moved past them.
SAME_CALL_IGNORED: Final[Mapping[tuple[AgentState, Trigger], Outcome]] = MappingProxyType(
    {
        (_S.RINGING, _T.RING): Outcome.REPEAT,
        (_S.RINGING, _T.RESERVATION_CANCELLED): Outcome.STALE,  # the offer went out; its outcome decides
        (_S.ON_CALL, _T.ANSWERED): Outcome.REPEAT,
        (_S.ON_CALL, _T.RESERVATION_CANCELLED): Outcome.STALE,
        (_S.ON_CALL, _T.RING): Outcome.STALE,
        (_S.ON_CALL, _T.NO_ANSWER): Outcome.STALE,
        (_S.ON_CALL, _T.CALLER_ABANDONED_WHILE_RINGING): Outcome.STALE,
        (_S.WRAP_UP, _T.CALL_ENDED): Outcome.REPEAT,
        (_S.WRAP_UP, _T.RESERVATION_CANCELLED): Outcome.STALE,
        (_S.WRAP_UP, _T.RING): Outcome.STALE,
        (_S.WRAP_UP, _T.ANSWERED): Outcome.STALE,
        (_S.WRAP_UP, _T.NO_ANSWER): Outcome.STALE,
        (_S.WRAP_UP, _T.CALLER_ABANDONED_WHILE_RINGING): Outcome.STALE,
    }
)

COMMANDS: Final = frozenset({_T.LOGIN, _T.LOGOUT, _T.READY, _T.GO_BREAK, _T.RESERVE})
CALL_EVENTS: Final = frozenset(
    {
        _T.RESERVATION_CANCELLED,
        _T.RING,
        _T.ANSWERED,
        _T.NO_ANSWER,
        _T.CALLER_ABANDONED_WHILE_RINGING,
        _T.CALL_ENDED,
    }
)
FACTS: Final = CALL_EVENTS | {_T.WRAP_UP_EXPIRED}
# The states `reserve` moves an agent out of: where a reservation may pick an agent.
RESERVABLE_STATES: Final = frozenset(
    state for (state, trigger), target in TABLE.items() if trigger is _T.RESERVE and target is not state
)
