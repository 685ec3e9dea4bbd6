"""Auto-answer per agent over real TCP (tests/support/acd_rig.py's rig): the originate the ACD sends
carries sip_auto_answer for the headset agent's leg only, in the `{...}` block of a one-agent originate
and in that agent's own `[...]` block of a ring-all one."""

from __future__ import annotations

import pytest

from tests.support.acd_rig import DIALPLAN, RigFactory, events_of, make_rig

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

AUTO_ANSWER = "sip_auto_answer=true,sip_auto_answer_suppress_notify=true"
HEADSET = DIALPLAN.replace('"1001": {name: Alice}', '"1001": {name: Alice, auto_answer: true}', 1)
RING_ALL = HEADSET.replace(
    "queues:\n",
    'queues:\n  everyone:\n    extension: "2008"\n    strategy: ring-all\n'
    '    tiers: [{agent: "1001"}, {agent: "1002"}]\n    wrap_up: 0\n    ring_timeout: 5\n',
    1,
).replace("    fallback:", '      "8": {transfer: {queue: everyone}}\n    fallback:', 1)


def test_one_at_a_time_the_headset_agents_originate_alone_asks_for_auto_answer(make_rig: RigFactory) -> None:
    assert HEADSET != DIALPLAN
    rig = make_rig(ready=["1001", "1002"], dialplan_text=HEADSET)
    rig.phone("1001", "busy")
    rig.phone("1002", ring_seconds=0.1, talk_seconds=0.2)
    call = rig.finish(rig.place(keys=["2"]))  # ordered: 1001 first, then 1002
    assert [e for e in events_of(rig.queue_log(call.uuid)) if e[0] != "ENTERQUEUE"][:2] == [
        ("RINGNOANSWER", "1001"),
        ("CONNECT", "1002"),
    ]
    first, second = rig.events.agents.originated[:2]
    assert "user/1001@" in first
    assert AUTO_ANSWER in first
    assert "user/1002@" in second
    assert "sip_auto_answer" not in second


def test_ring_all_puts_auto_answer_in_the_headset_agents_leg_block(make_rig: RigFactory) -> None:
    assert '"8"' in RING_ALL
    rig = make_rig(ready=["1001", "1002"], dialplan_text=RING_ALL)
    rig.phone("1001", "no_answer")
    rig.phone("1002", ring_seconds=0.1, talk_seconds=0.2)
    call = rig.finish(rig.place(keys=["8"]))
    assert ("CONNECT", "1002") in events_of(rig.queue_log(call.uuid))
    [together] = [o for o in rig.events.agents.originated if "user/1001@" in o and "user/1002@" in o]
    global_block, legs = together.split("}", 1)
    assert "sip_auto_answer" not in global_block
    headset_leg, other_leg = (legs.split("]user/1001@")[0], legs.split("]user/1002@")[0].rsplit("[", 1)[-1])
    assert AUTO_ANSWER in headset_leg.rsplit("[", 1)[-1]
    assert "sip_auto_answer" not in other_leg
