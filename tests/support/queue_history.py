"""Four weeks of a Berlin queue's history, seeded into queue_log and agent_state_log, with the figures
a staffing forecast must draw from it (the forecast, history query and CLI tests share them).

History: Monday 2026-11-02 to Sunday 2026-11-29, Europe/Berlin (UTC+1 all month). Its Tuesdays are
11-03, 11-10, 11-17 and 11-24. Queue `sales`, 09:00-09:30 local: 3, 1, 0 and 4 callers joined (mean
2.0, median 2.0, max 4). Two calls answered there: talk 100 s + wrap-up 10 s, talk 200 s + wrap-up
30 s, so AHT 170 s. At 10:15 on 11-03 one caller joined and was never answered (its interval takes
the AHT of all the days: 170 s). Noise the forecast must not count: a Wednesday call, a call in
queue `support`, a call joining exactly at the end of the range (11-30 00:00 local), and a call
answered before the range that ended inside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from schema.acd.agents import STATE_LOG, upsert_agents, write_queue_events
from schema.acd.records import AgentProfile, QueueEvent

BERLIN: Final = ZoneInfo("Europe/Berlin")
FIRST: Final = dt.date(2026, 11, 2)
LAST: Final = dt.date(2026, 11, 29)
TUESDAYS: Final = [dt.date(2026, 11, 3), dt.date(2026, 11, 10), dt.date(2026, 11, 17), dt.date(2026, 11, 24)]
AHT_S: Final = 170.0


def local(day: dt.date, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), BERLIN)


def _joined(at: dt.datetime, call: str, queue: str = "sales") -> QueueEvent:
    return QueueEvent(at, call, queue, "ENTERQUEUE")


def _answered(at: dt.datetime, call: str, agent: str, talk_s: float, wait_s: float = 5.0) -> list[QueueEvent]:
    end = at + dt.timedelta(seconds=talk_s)
    return [
        QueueEvent(at, call, "sales", "CONNECT", agent, wait_s=wait_s),
        QueueEvent(end, call, "sales", "COMPLETECALLER", agent, wait_s=wait_s, talk_s=talk_s),
    ]


def queue_events() -> list[QueueEvent]:
    first, second, _, fourth = TUESDAYS
    events = [_joined(local(first, 9, minute), f"a{minute}") for minute in (1, 10, 29)]
    events += [_joined(local(second, 9, 15), "b1")]
    events += [_joined(local(fourth, 9, minute), f"d{minute}") for minute in (0, 5, 20, 29)]
    events += _answered(local(first, 9, 1, 5), "a1", "1001", 100.0)
    events += _answered(local(fourth, 9, 20, 5), "d20", "1002", 200.0)
    events += [_joined(local(first, 10, 15), "late")]
    events += [_joined(local(dt.date(2026, 11, 4), 9, 5), "wednesday")]
    events += [_joined(local(first, 9, 5), "other", "support")]
    events += [_joined(local(dt.date(2026, 11, 30), 0, 0), "too-late")]
    events += _answered(local(dt.date(2026, 11, 1), 23, 58), "early", "1001", 600.0)
    return events


def _state(agent: str, version: int, to_state: str, call: str | None, at: dt.datetime) -> dict[str, object]:
    from_state = {"wrap_up": "on_call", "available": "wrap_up"}[to_state]
    return {
        "agent_id": agent,
        "version": version,
        "from_state": from_state,
        "to_state": to_state,
        "trigger": "call_ended" if to_state == "wrap_up" else "wrap_up_expired",
        "reason": None,
        "call_uuid": call,
        "at": at,
        "server": "test",
    }


def seed(engine: Engine) -> None:
    """Write the history above: queue events, and the two answered calls' wrap-ups."""
    write_queue_events(engine, queue_events())
    upsert_agents(engine, [AgentProfile("1001"), AgentProfile("1002")])
    first, fourth = TUESDAYS[0], TUESDAYS[3]
    a1_end, d20_end = local(first, 9, 2, 45), local(fourth, 9, 23, 25)
    rows = [
        _state("1001", 5, "wrap_up", "a1", a1_end),
        _state("1001", 6, "available", None, a1_end + dt.timedelta(seconds=10)),
        _state("1002", 7, "wrap_up", "d20", d20_end),
        _state("1002", 8, "available", None, d20_end + dt.timedelta(seconds=30)),
    ]
    with engine.begin() as connection:
        connection.execute(insert(STATE_LOG), rows)
