"""A small known history for the KPI views (migration 0012, docs/database.md "Views"): the figures each
view must show are worked out by hand in tests/unit/test_report_views.py.

Day 1 (2024-03-01, UTC), queue `sales`, DID 4001, all calls inbound:
- c1 (+1…01) waits 10 s, agent 1001 talks 120 s, wraps up 30 s; agent 1002 rang first, no answer.
- c2 (+1…02) waits 30 s (after the 20 s threshold), agent 1002 talks 300 s, wraps up 10 s.
- c3 abandons after 3 s (a short abandon), c4 after 40 s; c5 times out of the queue after 120 s.
- c6 asks for a callback after 20 s; 1001 calls back at 09:20 (CONNECT marked `callback`), 120 s, no wrap.
- IVR only: c8 presses 2 (opening hours) and the IVR hangs up (contained); c9 presses nothing and hangs
  up (dropped at `main`); c11 (anonymous) presses 3 then `billing` 1 and hangs up (dropped there).
Day 3, queue `support`: c7, c1's caller again (a repeat within 7 days), waits 4 s, 1003 talks 60 s.
Day 2: c12, an outbound call to c3's number (not a repeat: only inbound calls are).
Day 9 09:04: c10, c2's caller again, 8 days less a minute later (a repeat only with a window of 8 days).
Agents 1001 and 1002 log in at 09:00 and out at 09:30 and 09:14; 1001 takes a break 09:10-09:19.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import Engine, Table, insert

import schema.acd.models
import schema.crm.models
import schema.reporting.models  # noqa: F401  (their tables join Base.metadata)
from schema.calls.models import Base

T: Final = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)


def at(minute: int, second: float = 0, *, day: int = 1) -> dt.datetime:
    return T + dt.timedelta(days=day - 1, minutes=minute, seconds=second)


def _call(uuid: str, caller: str, started: dt.datetime, outcome: str, duration_s: float) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "direction": "inbound",
        "caller_number": caller,
        "did": "4001",
        "started_at": started,
        "outcome": outcome,
        "duration_s": duration_s,
        "updated_at": started,
    }


CALLS: Final = [
    _call("c1", "+15550000001", at(0), "answered", 140.0),
    _call("c2", "+15550000002", at(5), "answered", 340.0),
    _call("c3", "+15550000003", at(7), "abandoned", 5.0),
    _call("c4", "+15550000004", at(8), "abandoned", 42.0),
    _call("c5", "+15550000005", at(9), "transferred", 125.0),
    _call("c6", "+15550000006", at(12), "callback", 22.0),
    _call("c7", "+15550000001", at(60, day=3), "answered", 70.0),
    _call("c8", "+15550000008", at(20), "hangup", 30.0),
    _call("c9", "+15550000009", at(25), "caller_hangup", 15.0),
    _call("c10", "+15550000002", at(4, day=9), "hangup", 20.0),
    _call("c11", "anonymous", at(26), "caller_hangup", 12.0),
    _call("c12", "+15550000003", at(0, day=2), "answered", 50.0) | {"direction": "outbound", "did": None},
]


def _steps(uuid: str, start: dt.datetime, *steps: tuple[str, str | None, str]) -> list[dict[str, Any]]:
    return [
        {
            "call_uuid": uuid,
            "seq": seq,
            "menu": menu,
            "prompt": None,
            "digits": digits,
            "result": result,
            "at": start + dt.timedelta(seconds=seq),
        }
        for seq, (menu, digits, result) in enumerate(steps, start=1)
    ]


def _ivr_steps() -> list[dict[str, Any]]:
    greeting = ("main", None, "played")
    queued = [
        step
        for call in CALLS[:7]
        for step in _steps(
            call["uuid"], call["started_at"], greeting, ("main", "1", "ok"), ("main", None, "queue")
        )
    ]
    self_service = [
        *_steps(
            "c8", at(20), greeting, ("main", "2", "ok"), ("hours", None, "played"), ("hours", None, "hangup")
        ),
        *_steps("c9", at(25), greeting, ("main", None, "timeout"), ("main", None, "caller_hangup")),
        *_steps("c10", at(4, day=9), greeting, ("main", "2", "ok"), ("hours", None, "hangup")),
    ]
    billing = [("main", "3", "ok"), ("billing", "1", "ok"), ("billing", None, "caller_hangup")]
    return [*queued, *self_service, *_steps("c11", at(26), greeting, *billing)]


def _event(
    when: dt.datetime, uuid: str, queue: str, event: str, agent: str = "", **values: Any
) -> dict[str, Any]:
    row = {"at": when, "call_uuid": uuid, "queue": queue, "agent_id": agent, "event": event}
    return row | {"wait_s": None, "talk_s": None, "position": None, "data": None} | values


QUEUE_LOG: Final = [
    *(
        _event(at(minute), uuid, "sales", "ENTERQUEUE", position=1)
        for uuid, minute in (("c1", 0), ("c2", 5), ("c3", 7), ("c4", 8), ("c5", 9), ("c6", 12))
    ),
    _event(at(0, 10), "c1", "sales", "RINGNOANSWER", "1002", wait_s=8.0, data="NO_ANSWER"),
    _event(at(0, 12), "c1", "sales", "CONNECT", "1001", wait_s=10.0),
    _event(at(2, 12), "c1", "sales", "COMPLETECALLER", "1001", wait_s=10.0, talk_s=120.0),
    _event(at(5, 30), "c2", "sales", "CONNECT", "1002", wait_s=30.0),
    _event(at(10, 30), "c2", "sales", "COMPLETEAGENT", "1002", wait_s=30.0, talk_s=300.0),
    _event(at(7, 3), "c3", "sales", "ABANDON", wait_s=3.0),
    _event(at(8, 40), "c4", "sales", "ABANDON", wait_s=40.0),
    _event(at(11), "c5", "sales", "EXITWITHTIMEOUT", wait_s=120.0),
    _event(at(12, 20), "c6", "sales", "CALLBACK", wait_s=20.0, data="callback"),
    _event(at(20), "c6", "sales", "CONNECT", "1001", wait_s=480.0, data="callback:+15550000006"),
    _event(at(22), "c6", "sales", "COMPLETEAGENT", "1001", wait_s=480.0, talk_s=120.0, data="callback"),
    _event(at(60, day=3), "c7", "support", "ENTERQUEUE", position=1),
    _event(at(60, 4, day=3), "c7", "support", "CONNECT", "1003", wait_s=4.0),
    _event(at(61, 4, day=3), "c7", "support", "COMPLETEAGENT", "1003", wait_s=4.0, talk_s=60.0),
]


def _leg(
    leg: str,
    uuid: str,
    queue: str,
    agent: str,
    offered: dt.datetime,
    ring_ms: int,
    talk_ms: int | None,
    *,
    callback: bool = False,
) -> dict[str, Any]:
    answered = offered + dt.timedelta(milliseconds=ring_ms) if talk_ms is not None else None
    return {
        "leg_uuid": leg,
        "call_uuid": uuid,
        "queue": queue,
        "agent_id": agent,
        "outcome": "answered" if answered else "no_answer",
        "offered_at": offered,
        "answered_at": answered,
        "ended_at": (answered or offered) + dt.timedelta(milliseconds=talk_ms or ring_ms),
        "ring_ms": ring_ms,
        "talk_ms": talk_ms,
        "cause": None if answered else "NO_ANSWER",
        "callback": callback,
        "server": "app-1",
    }


AGENT_LEGS: Final = [
    _leg("l1", "c1", "sales", "1002", at(0, 2), 8000, None),
    _leg("l2", "c1", "sales", "1001", at(0, 10), 2000, 120000),
    _leg("l3", "c2", "sales", "1002", at(5, 25), 5000, 300000),
    _leg("l4", "c6", "sales", "1001", at(19, 58), 2000, 120000, callback=True),
    _leg("l5", "c7", "support", "1003", at(60, 0, day=3), 4000, 60000),
]


def _states(agent: str, *changes: tuple[dt.datetime, str, str | None]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    before = "logged_out"
    for version, (when, state, call) in enumerate(changes, start=1):
        rows.append(
            {
                "agent_id": agent,
                "version": version,
                "from_state": before,
                "to_state": state,
                "trigger": "test",
                "reason": "lunch" if state == "on_break" else None,
                "call_uuid": call,
                "at": when,
                "server": "app-1",
            }
        )
        before = state
    return rows


AGENT_STATE_LOG: Final = [
    *_states(
        "1001",
        (at(0), "available", None),
        (at(0, 10), "ringing", "c1"),
        (at(0, 12), "on_call", "c1"),
        (at(2, 12), "wrap_up", "c1"),
        (at(2, 42), "available", None),
        (at(10), "on_break", None),
        (at(19), "available", None),
        (at(20), "on_call", "c6"),
        (at(22), "available", None),
        (at(30), "logged_out", None),
    ),
    *_states(
        "1002",
        (at(0), "available", None),
        (at(5, 25), "ringing", "c2"),
        (at(5, 30), "on_call", "c2"),
        (at(10, 30), "wrap_up", "c2"),
        (at(10, 40), "available", None),
        (at(14), "logged_out", None),
    ),
]


def _survey(
    uuid: str, question: str, score: int, agent: str, queue: str, when: dt.datetime
) -> dict[str, Any]:
    return {
        "call_uuid": uuid,
        "survey": "after_call",
        "question": question,
        "score": score,
        "agent_id": agent,
        "queue": queue,
        "answered_at": when,
    }


SURVEY_RESPONSES: Final = [
    _survey("c1", "csat", 5, "1001", "sales", at(2, 20)),
    _survey("c1", "resolved", 1, "1001", "sales", at(2, 25)),
    _survey("c2", "csat", 3, "1002", "sales", at(10, 45)),
    _survey("c6", "csat", 4, "1001", "sales", at(22, 30)),
    _survey("c7", "csat", 2, "1003", "support", at(61, 10, day=3)),
]


def seed(engine: Engine) -> None:
    tables: dict[str, Table] = {table.name: table for table in Base.metadata.sorted_tables}
    agent = {
        "state": "logged_out",
        "state_since": T,
        "consecutive_no_answers": 0,
        "version": 1,
        "updated_at": T,
    }
    with engine.begin() as connection:
        connection.execute(insert(tables["calls"]), CALLS)
        connection.execute(insert(tables["ivr_steps"]), _ivr_steps())
        connection.execute(insert(tables["queue_log"]), QUEUE_LOG)
        connection.execute(insert(tables["agent_legs"]), AGENT_LEGS)
        connection.execute(
            insert(tables["agents"]), [{"agent_id": a} | agent for a in ("1001", "1002", "1003")]
        )
        connection.execute(insert(tables["agent_state_log"]), AGENT_STATE_LOG)
        connection.execute(insert(tables["survey_responses"]), SURVEY_RESPONSES)
