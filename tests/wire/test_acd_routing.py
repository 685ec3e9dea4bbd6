"""Routing end to end over real TCP: a queued call reaches the agent its skills and tier levels call for,
and an agent without the required skills is never rung (tests/support/acd_rig.py's rig).

Per-call extra skills are not tested here: the ACD server builds every `WaitingCall` without
`extra_skills` (no channel variable feeds them yet), so only the dispatch unit tests cover them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.acd_rig import DIALPLAN, RigFactory, endpoint, events_of, make_rig

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

ROUTING_QUEUES = """queues:
  german:
    extension: "2008"
    strategy: skills-based
    required_skills: {german: 2}
    tiers: [{agent: "1001"}, {agent: "1002"}, {agent: "1003"}]
    wrap_up: 0
    ring_timeout: 5
  levels:
    extension: "2009"
    strategy: longest-idle
    tiers: [{agent: "1001", level: 2}, {agent: "1002", level: 1}]
    wrap_up: 0
    ring_timeout: 5
"""
ROUTING_OPTIONS = (
    '      "8": {transfer: {queue: german}}\n      "9": {transfer: {queue: levels}}\n    fallback:'
)
SKILLED_AGENTS = {
    '"1001": {name: Alice}': '"1001": {name: Alice, skills: {german: 1}}',
    '"1002": {name: Ben}': '"1002": {name: Ben, skills: {german: 3}}',
    '"1003": {name: Chloe}': '"1003": {name: Chloe, skills: {german: 2}}',
}
GERMAN_KEY = "8"
LEVELS_KEY = "9"


@pytest.fixture
def routing_dialplan(tmp_path: Path, make_rig: RigFactory) -> None:
    """The rig's dialplan plus a skills-based queue (key 8) and a two-level queue (key 9), with agents
    1001-1003 speaking German at levels 1, 3 and 2 (the rig reads the file when it starts)."""
    dialplan = tmp_path / "acd.yaml"
    text = dialplan.read_text()
    assert text == DIALPLAN
    text = text.replace("queues:\n", ROUTING_QUEUES, 1).replace("    fallback:", ROUTING_OPTIONS, 1)
    for plain, skilled in SKILLED_AGENTS.items():
        assert plain in text
        text = text.replace(plain, skilled, 1)
    assert "required_skills: {german: 2}" in text
    assert '"9": {transfer: {queue: levels}}' in text
    dialplan.write_text(text)


def rung_agents(originated: list[str]) -> list[str]:
    """The agents the originates dialled, in order (each originate ends `<endpoint> &park()`)."""
    rung: list[str] = []
    for command in originated:
        rung.extend(agent_id for agent_id in ("1001", "1002", "1003") if f"{endpoint(agent_id)} " in command)
    return rung


@pytest.mark.usefixtures("routing_dialplan")
def test_skills_based_rings_the_highest_skilled_agent_not_the_longest_idle(make_rig: RigFactory) -> None:
    # 1001 idle longest but below german 2; 1003 idle longer than 1002, but 1002 speaks better German.
    rig = make_rig(ready=["1001", "1003", "1002"])
    for agent_id in ("1001", "1002", "1003"):
        rig.phone(agent_id, talk_seconds=0.1)
    call = rig.finish(rig.place(keys=[GERMAN_KEY]))
    assert events_of(rig.queue_log(call.uuid)) == [
        ("ENTERQUEUE", ""),
        ("CONNECT", "1002"),
        ("COMPLETEAGENT", "1002"),
    ]
    [sent] = rig.events.agents.originated
    assert sent.endswith(f"{endpoint('1002')} &park()")
    assert rung_agents(rig.events.agents.originated) == ["1002"]


@pytest.mark.usefixtures("routing_dialplan")
def test_skills_based_takes_the_next_qualified_agent_when_the_best_is_not_ready(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001", "1003"])  # 1002 (german 3) logged out: 1003 (german 2) still qualifies
    rig.phone("1001", talk_seconds=0.1)
    rig.phone("1003", talk_seconds=0.1)
    call = rig.finish(rig.place(keys=[GERMAN_KEY]))
    assert events_of(rig.queue_log(call.uuid)) == [
        ("ENTERQUEUE", ""),
        ("CONNECT", "1003"),
        ("COMPLETEAGENT", "1003"),
    ]
    assert rung_agents(rig.events.agents.originated) == ["1003"]


@pytest.mark.usefixtures("routing_dialplan")
def test_skills_based_never_rings_an_agent_below_the_minimum_level(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001"])  # german 1 against a minimum of 2: free, yet not qualified
    rig.phone("1001", talk_seconds=0.1)
    call = rig.finish(rig.place(keys=[GERMAN_KEY], hangup_after=0.6))  # several 0.1 s ticks pass
    rows = rig.queue_log(call.uuid)
    assert events_of(rows) == [("ENTERQUEUE", ""), ("ABANDON", "")]
    assert rows[1].wait_s is not None
    assert rows[1].wait_s >= 0.3
    assert rig.events.agents.originated == []
    assert rig.agent_state("1001") == "available"
    # The same agent is free and reachable: a queue without the requirement rings it at once.
    plain = rig.finish(rig.place(keys=["1"]))
    assert ("CONNECT", "1001") in events_of(rig.queue_log(plain.uuid))
    assert rung_agents(rig.events.agents.originated) == ["1001"]


@pytest.mark.parametrize(
    ("ready", "expected"),
    [
        (["1001", "1002"], "1002"),  # level 1 first although 1001 has idled longer
        (["1002", "1001"], "1002"),
        (["1001"], "1001"),  # level 2 only when nobody on level 1 is ready
    ],
)
@pytest.mark.usefixtures("routing_dialplan")
def test_the_lowest_tier_level_with_a_ready_agent_gets_the_call(
    make_rig: RigFactory, ready: list[str], expected: str
) -> None:
    rig = make_rig(ready=ready)
    for agent_id in ready:
        rig.phone(agent_id, talk_seconds=0.1)
    call = rig.finish(rig.place(keys=[LEVELS_KEY]))
    assert events_of(rig.queue_log(call.uuid)) == [
        ("ENTERQUEUE", ""),
        ("CONNECT", expected),
        ("COMPLETEAGENT", expected),
    ]
    assert rung_agents(rig.events.agents.originated) == [expected]
