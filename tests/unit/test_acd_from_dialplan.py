"""The YAML's queues and agents mapped onto the ACD's rules, settings, agent views and priorities."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import dialplans
from dialplans import models as plan
from dialplans.loader import load_dialplan
from ivr_scripts.acd.board import DispatchBoard
from ivr_scripts.acd.from_dialplan import (
    agent_view,
    all_queue_rules,
    overflow_of,
    priority_for,
    queue_rules,
    queue_settings,
    sticky_since,
)
from ivr_scripts.acd.model import AgentView, QueueRules, Tier, WaitingCall
from ivr_scripts.acd.settings import (
    CallbackOverflow,
    QueueSettings,
    QueueSettingsError,
    VoicemailOverflow,
)

EXAMPLE = Path(dialplans.__file__).parent / "main.yaml"
NOW = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)

# Where each field of a YAML queue lands; a new field fails `test_every_queue_field_has_a_home`
# until it is mapped (and tested) somewhere.
TO_RULES = {"strategy", "tiers", "required_skills"}
TO_SETTINGS = {
    "music_on_hold",
    "announce",
    "max_wait",
    "on_max_wait",
    "exit_key",
    "exit_action",
    "callback_key",
    "ring_timeout",
    "wrap_up",
    "max_no_answer",
}
TO_HELPERS = {"priorities", "sticky_days"}
# The renderer's, the reports', the IVR runner's; service_level: the live statistics' (stats_wiring).
NOT_THE_ACDS = {"name", "extension", "survey", "recording", "service_level"}


@pytest.fixture(scope="module")
def example() -> plan.Dialplan:
    return load_dialplan(EXAMPLE).model


# A queue with every field away from its default.
FULL = plan.Queue(
    name="Everything",
    extension="2999",
    strategy="skills-based",
    tiers=[
        plan.Tier(agent="1002", level=2, position=3),
        plan.Tier(agent="1001"),
        plan.Tier(agent="1003", level=1, position=7),
    ],
    required_skills={"repair": 3, "german": 5},
    music_on_hold="local_stream://jazz",
    announce=plan.Announce(every=45, position=False, expected_wait=True),
    max_wait=120,
    on_max_wait=plan.OverflowToQueue(queue="operators"),
    priorities={"diamond": 20, "late": -5},
    sticky_days=7,
    wrap_up=25,
    ring_timeout=12,
    max_no_answer=5,
    exit_key="#",
    exit_action=plan.GotoMenu(menu="main"),
    callback_key="5",
    survey="after_call",
    recording="conversations",
    service_level=30,
)


def test_every_queue_field_has_a_home() -> None:
    homes = [TO_RULES, TO_SETTINGS, TO_HELPERS, NOT_THE_ACDS]
    assert set(plan.Queue.model_fields) == set().union(*homes)
    assert sum(len(home) for home in homes) == len(plan.Queue.model_fields)  # each lands once


def test_every_queue_field_differs_from_its_default_in_the_full_queue() -> None:
    default = plan.Queue(extension="2000")
    same = [name for name in plan.Queue.model_fields if getattr(FULL, name) == getattr(default, name)]
    assert same == []  # otherwise the tests below could not tell "mapped" from "defaulted"


def test_rules_carry_strategy_tiers_in_yaml_order_and_skills() -> None:
    rules = queue_rules("everything", FULL)

    assert rules == QueueRules(
        name="everything",
        strategy="skills-based",
        tiers=(Tier("1002", level=2, position=3), Tier("1001", 1, 1), Tier("1003", 1, 7)),
        required_skills={"repair": 3, "german": 5},
    )


def test_settings_carry_every_field() -> None:
    settings = queue_settings(FULL)

    assert settings == QueueSettings(
        music_on_hold="local_stream://jazz",
        announce_every=45.0,
        announce_on_entry=False,
        announce_position=False,
        announce_expected_wait=True,
        max_wait=120.0,
        on_max_wait=plan.Transfer(transfer=plan.TransferTarget(queue="operators")),
        max_wait_overflow=None,
        exit_key="#",
        on_exit_key=plan.GotoMenu(menu="main"),
        callback_key="5",
        ring_timeout=12.0,
        wrap_up=25.0,
        max_no_answer=5,
    )


def test_a_queue_with_defaults_announces_nothing_and_never_times_out() -> None:
    settings = queue_settings(plan.Queue(extension="2000"))

    assert (settings.announce_every, settings.announces, settings.max_wait) == (None, False, None)
    assert (settings.on_max_wait, settings.max_wait_overflow) == (None, None)
    assert (settings.exit_key, settings.on_exit_key, settings.callback_key) == (None, None, None)
    assert (settings.ring_timeout, settings.wrap_up, settings.max_no_answer) == (20.0, 10.0, 3)
    assert settings.music_on_hold == "local_stream://moh"


def test_server_options_are_passed_through_and_none_keeps_the_defaults() -> None:
    given = queue_settings(
        FULL,
        announce_on_entry=True,
        callback_endpoint="sofia/gateway/pstn/{number}",
        callback_ring_timeout=40,
        callback_attempts=2,
    )
    assert (given.announce_on_entry, given.callback_endpoint) == (True, "sofia/gateway/pstn/{number}")
    assert (given.callback_ring_timeout, given.callback_attempts) == (40, 2)

    defaults = QueueSettings()
    kept = queue_settings(FULL)
    assert (kept.callback_endpoint, kept.callback_ring_timeout, kept.callback_attempts) == (
        defaults.callback_endpoint,
        defaults.callback_ring_timeout,
        defaults.callback_attempts,
    )
    # Nothing to announce on entry in a queue without announcements.
    assert not queue_settings(plan.Queue(extension="2000"), announce_on_entry=True).announce_on_entry


@pytest.mark.parametrize(
    ("overflow", "action", "other"),
    [
        (None, None, None),
        (
            plan.OverflowToQueue(queue="operators"),
            plan.Transfer(transfer=plan.TransferTarget(queue="operators")),
            None,
        ),
        (plan.OverflowMessage(play="all_busy"), plan.PlayMessage(play="all_busy", then="hangup"), None),
        (plan.OverflowToVoicemail(voicemail="care"), None, VoicemailOverflow("care")),
        (plan.OverflowToCallback(), None, CallbackOverflow(prompt=None)),
        (
            plan.OverflowToCallback(callback=plan.CallbackSpec(prompt="callback_confirmed")),
            None,
            CallbackOverflow(prompt="callback_confirmed"),
        ),
    ],
)
def test_each_overflow_maps_to_an_action_or_an_overflow(
    overflow: plan.Overflow | None, action: plan.Action | None, other: object
) -> None:
    assert overflow_of(overflow) == (action, other)
    settings = queue_settings(FULL.model_copy(update={"on_max_wait": overflow}))
    assert (settings.on_max_wait, settings.max_wait_overflow) == (action, other)


def test_every_queue_of_the_example_maps(example: plan.Dialplan) -> None:
    rules = all_queue_rules(example)

    assert set(rules) == set(example.queues)
    assert set(rules) == {"repair", "insurance", "roadside", "complaints", "operators", "vip"}
    for name, queue in example.queues.items():
        assert rules[name].name == name
        assert rules[name].strategy == queue.strategy
        assert [t.agent_id for t in rules[name].tiers] == [t.agent for t in queue.tiers]
        assert dict(rules[name].required_skills) == queue.required_skills
        settings = queue_settings(queue)
        assert settings.max_wait == queue.max_wait
        assert (settings.on_max_wait is None) != (settings.max_wait_overflow is None)


def test_the_examples_overflows_and_keys(example: plan.Dialplan) -> None:
    settings = {name: queue_settings(queue) for name, queue in example.queues.items()}

    assert settings["repair"].on_max_wait == plan.Transfer(transfer=plan.TransferTarget(queue="operators"))
    assert settings["insurance"].max_wait_overflow == CallbackOverflow(prompt="callback_confirmed")
    assert settings["insurance"].callback_key == "1"
    assert settings["complaints"].max_wait_overflow == VoicemailOverflow("care")
    assert (settings["complaints"].exit_key, settings["complaints"].on_exit_key) == (
        "*",
        plan.GotoMenu(menu="main"),
    )
    assert settings["operators"].on_max_wait == plan.PlayMessage(play="all_busy", then="hangup")
    assert (settings["roadside"].ring_timeout, settings["roadside"].announce_expected_wait) == (15.0, False)
    assert (settings["repair"].wrap_up, settings["insurance"].wrap_up) == (30.0, 60.0)
    assert all(s.announce_every == 30.0 for s in settings.values())


def test_example_rules_and_agents_drive_the_board(example: plan.Dialplan) -> None:
    board = DispatchBoard()
    for rules in all_queue_rules(example).values():
        board.set_queue(rules)
    for agent_id, agent in example.agents.items():
        board.set_agent(agent_view(agent_id, agent, available=True, idle_since=float(agent_id)))

    board.add_call(WaitingCall("c-repair", "repair"))
    offer = board.offer_for_call("c-repair")
    # Level 1 of repair is 1001 (repair 8) and 1002 (repair 6); 1001 has been idle longer.
    assert offer is not None
    assert offer.agent_ids == ("1001",)

    board.add_call(WaitingCall("c-claims", "insurance"))
    claims = board.offer_for_call("c-claims")
    assert claims is not None
    assert claims.agent_ids == ("1003",)  # skills-based: insurance 9 beats 6


def test_agent_view_carries_skills_and_the_live_figures(example: plan.Dialplan) -> None:
    view = agent_view(
        "1004", example.agents["1004"], available=True, idle_since=12.5, calls_answered=3, talk_seconds=400.0
    )

    assert view == AgentView(
        agent_id="1004",
        available=True,
        idle_since=12.5,
        calls_answered=3,
        talk_seconds=400.0,
        skills={"insurance": 6, "german": 10},
    )
    assert agent_view("1009", plan.Agent(name="New"), available=False, idle_since=0.0).skills == {}


@pytest.mark.parametrize(
    ("tier", "priority"),
    [("diamond", 20), ("late", -5), ("gold", 0), (None, 0), ("", 0)],
)
def test_priority_comes_from_the_queues_tiers(tier: str | None, priority: int) -> None:
    assert priority_for(FULL, tier) == priority


def test_priority_in_the_example(example: plan.Dialplan) -> None:
    repair = example.queues["repair"]
    assert [priority_for(repair, t) for t in ("diamond", "platinum", "regular")] == [20, 10, 0]


def test_sticky_window() -> None:
    assert sticky_since(FULL, NOW) == NOW - dt.timedelta(days=7)
    assert sticky_since(plan.Queue(extension="2000"), NOW) is None


def test_settings_take_one_overflow_and_a_mailbox() -> None:
    with pytest.raises(QueueSettingsError, match="both set"):
        QueueSettings(on_max_wait=plan.Hangup(), max_wait_overflow=CallbackOverflow())
    with pytest.raises(QueueSettingsError, match="mailbox"):
        VoicemailOverflow("")
