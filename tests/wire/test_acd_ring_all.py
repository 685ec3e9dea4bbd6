"""Ring-all queues end to end over real TCP: every free agent rung by one originate, the first to answer
takes the call, the others go back to available without a no-answer (tests/support/acd_rig.py's rig)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.acd_rig import DIALPLAN, Rig, RigFactory, endpoint, events_of, make_rig
from tests.support.waiting import wait_until

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

RING_ALL_QUEUE = """queues:
  everyone:
    extension: "2008"
    strategy: ring-all
    tiers: [{agent: "1001"}, {agent: "1002"}, {agent: "1003"}]
    wrap_up: 0
    ring_timeout: 5
"""
RING_ALL_OPTION = '      "8": {transfer: {queue: everyone}}\n    fallback:'


def agent_available(rig: Rig, agent_id: str) -> Callable[[], bool]:
    """A predicate for wait_until: the agent's state is available (bound now, not at the loop's end)."""
    return lambda: rig.agent_state(agent_id) == "available"


@pytest.fixture
def ring_all_dialplan(tmp_path: Path, make_rig: RigFactory) -> None:
    """The rig's dialplan plus a ring-all queue on key 8 (the rig reads the file when it starts)."""
    dialplan = tmp_path / "acd.yaml"
    text = dialplan.read_text()
    assert text == DIALPLAN
    text = text.replace("queues:\n", RING_ALL_QUEUE, 1).replace("    fallback:", RING_ALL_OPTION, 1)
    assert "everyone" in text
    assert '"8"' in text
    dialplan.write_text(text)


@pytest.mark.usefixtures("ring_all_dialplan")
def test_ring_all_the_second_agent_answers_and_the_others_are_released_without_a_no_answer(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(ready=["1001", "1002", "1003"])
    rig.phone("1001", "no_answer")
    rig.phone("1002", ring_seconds=0.1, talk_seconds=0.2)
    rig.phone("1003", ring_seconds=2.0)
    call = rig.finish(rig.place(keys=["8"]))

    assert events_of(rig.queue_log(call.uuid)) == [
        ("ENTERQUEUE", ""),
        ("CONNECT", "1002"),
        ("COMPLETEAGENT", "1002"),
    ]
    [sent] = rig.events.agents.originated  # one originate for the whole group
    for agent_id in ("1001", "1002", "1003"):
        assert f"]{endpoint(agent_id)}" in sent
    losers = {leg: cause for leg, cause in rig.events.agents.ended.items() if cause == "LOSE_RACE"}
    assert len(losers) == 2
    legs = rig.agent_legs(call.uuid)  # one row per agent rung, the losers under their own leg UUIDs
    assert [(leg.agent_id, leg.outcome) for leg in legs] == [
        ("1001", "lost_race"),
        ("1002", "answered"),
        ("1003", "lost_race"),
    ]
    assert {leg.leg_uuid for leg in legs if leg.outcome == "lost_race"} == set(losers)
    assert len({leg.offered_at for leg in legs}) == 1
    for agent_id in ("1001", "1003"):
        wait_until(agent_available(rig, agent_id), timeout=5, what=f"{agent_id} free")
        assert rig.state_log(agent_id)[-3:] == ["reserved", "ringing", "available"]
        assert rig.no_answers(agent_id) == 0
    wait_until(lambda: rig.agent_state("1002") == "available", timeout=5, what="1002 free after the call")
    assert "on_call" in rig.state_log("1002")


@pytest.mark.usefixtures("ring_all_dialplan")
def test_ring_all_nobody_answering_is_a_ringnoanswer_for_each(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001", "1002", "1003"])
    for agent_id in ("1001", "1002", "1003"):
        rig.phone(agent_id, "no_answer", ring_seconds=0.1)
    call = rig.place(keys=["8"])
    wait_until(lambda: len(rig.queue_log(call.uuid)) >= 4, timeout=10, what="the RINGNOANSWER rows")
    call.caller_hangup("NORMAL_CLEARING")
    rig.finish(call)

    rows = events_of(rig.queue_log(call.uuid))
    assert rows[0] == ("ENTERQUEUE", "")
    assert sorted(rows[1:4]) == [("RINGNOANSWER", "1001"), ("RINGNOANSWER", "1002"), ("RINGNOANSWER", "1003")]
    assert rows[-1] == ("ABANDON", "")
    first = rig.events.agents.originated[0]  # the whole group in one originate
    assert all(f"]{endpoint(agent_id)}" in first for agent_id in ("1001", "1002", "1003"))
    for agent_id in ("1001", "1002", "1003"):
        # Freed agents may be rung again before the caller leaves: every round counts once per agent.
        assert rig.no_answers(agent_id) == rows.count(("RINGNOANSWER", agent_id)) >= 1
        wait_until(agent_available(rig, agent_id), timeout=5, what=f"{agent_id} free")
