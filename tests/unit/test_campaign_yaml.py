"""`campaigns:` in the dialplan YAML: defaults, every key typed, every mistake located."""

from __future__ import annotations

import datetime as dt

from dialplans.campaign_models import CallerId, RetryRule
from dialplans.campaign_vocabulary import CampaignType, DialMode, Jurisdiction
from dialplans.loader import load_dialplan
from tests.support.dialplans import EXAMPLE, WriteYaml, messages

CAMPAIGN_PROMPTS = """\
  ident: {text: This was Acme calling}
  vm: {text: Please call Acme back}
"""
PLAN = """\
prompts:
  hi: {text: Hello}
queues:
  desk: {extension: "2001", tiers: [{agent: "1001"}]}
agents:
  "1001": {name: Ann}
  "1002": {name: Bob}
menus:
  main:
    prompt: hi
    options: {"1": {transfer: {queue: desk}}}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
"""
REST = PLAN.replace("prompts:\n", "prompts:\n" + CAMPAIGN_PROMPTS)

MINIMAL = """\
campaigns:
  recall:
    type: telemarketing
    agents: ["1002"]
    lists: [spring]
    caller_id: "+15005550006"
"""


def test_a_minimal_campaign_takes_the_documented_defaults(plan_file: WriteYaml) -> None:
    path = plan_file(MINIMAL + PLAN)
    assert messages(path) == []
    campaign = load_dialplan(path).model.campaigns["recall"]
    assert campaign.type is CampaignType.TELEMARKETING
    assert (campaign.goal, campaign.target, campaign.start, campaign.end) == (None, None, None, None)
    assert (campaign.agents, campaign.queue, campaign.lists) == (["1002"], None, ["spring"])
    assert campaign.caller_id == CallerId(number="+15005550006")
    assert (campaign.dial_mode, campaign.region, campaign.jurisdiction) == (
        DialMode.PROGRESSIVE,
        None,
        Jurisdiction.US,
    )
    assert (campaign.ring_seconds, campaign.max_attempts) == (25, 5)
    assert campaign.retries.model_dump() == dict.fromkeys(
        ("busy", "no_answer", "machine", "fax", "dropped", "unreachable")
    )
    window = campaign.window
    assert (window.start, window.end, window.time_zone) == ("08:00", "21:00", None)
    assert window.days == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert (campaign.abandon.limit_percent, campaign.abandon.message) == (3.0, None)
    assert campaign.abandon.amd_false_positive_rate == 0.03
    assert (campaign.machine.action, campaign.machine.message) == ("retry", None)
    assert campaign.pilot.percent == 10


FULL = """\
campaigns:
  survey-1:
    type: survey
    goal: Ask about last month's repairs
    target: 400
    start: 2027-01-04
    end: 2027-01-04
    agents: ["1001", "1002"]
    queue: desk
    lists: [a, b-2]
    dial_mode: predictive
    caller_id: {number: 020 7946 0000, name: Acme Ltd}
    region: GB
    jurisdiction: uk
    ring_seconds: 15
    max_attempts: 3
    retries: {busy: 30m, no_answer: {after: 2h}, unreachable: 1d, fax: never, dropped: {after: never}}
    window: {start: "9:00", end: "20:30", days: [sat, sun], time_zone: Europe/London}
    abandon: {limit_percent: 2.5, message: ident, amd_false_positive_rate: 0.08}
    machine: {action: message, message: vm}
    pilot: {percent: 100}
"""


def test_a_full_campaign_loads_with_every_key_typed(plan_file: WriteYaml) -> None:
    path = plan_file(FULL + REST)
    assert messages(path) == []
    campaign = load_dialplan(path).model.campaigns["survey-1"]
    assert (campaign.type, campaign.goal, campaign.target) == (
        CampaignType.SURVEY,
        "Ask about last month's repairs",
        400,
    )
    assert campaign.start == campaign.end == dt.date(2027, 1, 4)
    assert (campaign.agents, campaign.queue, campaign.lists) == (["1001", "1002"], "desk", ["a", "b-2"])
    assert campaign.caller_id == CallerId(number="020 7946 0000", name="Acme Ltd")
    assert (campaign.dial_mode, campaign.region, campaign.jurisdiction) == (
        DialMode.PREDICTIVE,
        "GB",
        Jurisdiction.UK,
    )
    assert (campaign.ring_seconds, campaign.max_attempts) == (15, 3)
    retries = campaign.retries
    assert retries.busy == RetryRule(after="30m")
    assert retries.busy.delay == dt.timedelta(minutes=30)
    assert retries.no_answer is not None
    assert retries.no_answer.delay == dt.timedelta(hours=2)
    assert retries.unreachable is not None
    assert retries.unreachable.delay == dt.timedelta(days=1)
    assert retries.fax is not None
    assert retries.fax.delay is None
    assert retries.dropped is not None
    assert retries.dropped.delay is None
    assert retries.machine is None
    window = campaign.window
    assert (window.start, window.end, window.days, window.time_zone) == (
        "09:00",
        "20:30",
        ["sat", "sun"],
        "Europe/London",
    )
    assert (campaign.abandon.limit_percent, campaign.abandon.message) == (2.5, "ident")
    assert campaign.abandon.amd_false_positive_rate == 0.08
    assert (campaign.machine.action, campaign.machine.message) == ("message", "vm")
    assert campaign.pilot.percent == 100


SHAPES = """\
campaigns:
  bad:
    type: spam
    agents: ["1001"]
    lists: []
    caller_id: {number: "+15005550006", nmae: X}
    ring_seconds: 10
    retries: {busy: 30x, no_answer: 0m, machine: 31d, voicemail: 1h}
    window: {start: "25:00", days: [mon, someday]}
    machine: {action: message}
    pilot: {percent: 0}
    dial_mode: robo
    abandon: {amd_false_positive_rate: 1.5}
  worse:
    type: survey
    agents: ["1001"]
    lists: [a]
    caller_id: "+15005550006"
    abandon: {amd_false_positive_rate: often}
"""


def test_shape_errors_of_a_campaign_are_located(plan_file: WriteYaml) -> None:
    path = plan_file(SHAPES + REST)
    assert messages(path) == [
        "plan.yaml:3:11 campaigns.bad.type: expected 'survey', 'telemarketing' or 'service_follow_up', "
        "got 'spam'",
        "plan.yaml:5:12 campaigns.bad.lists: needs at least one entry",
        "plan.yaml:6:41 campaigns.bad.caller_id.nmae: unknown key 'nmae'; did you mean 'name'? the keys here "
        "are: number, name",
        "plan.yaml:7:19 campaigns.bad.ring_seconds: ring_seconds 10 is too short: regulators want a number "
        "to ring at least 15 s before the dialer gives up",
        "plan.yaml:8:21 campaigns.bad.retries.busy.after: '30x' is not a retry delay: minutes, hours or days "
        "such as 30m, 2h or 1d, or never",
        "plan.yaml:8:37 campaigns.bad.retries.no_answer.after: a retry delay runs from 1m to 30d, got '0m'",
        "plan.yaml:8:50 campaigns.bad.retries.machine.after: a retry delay runs from 1m to 30d, got '31d'",
        "plan.yaml:8:55 campaigns.bad.retries.voicemail: unknown key 'voicemail'; the keys here are: busy, "
        "no_answer, machine, fax, dropped, unreachable",
        "plan.yaml:9:21 campaigns.bad.window.start: expected a time of day as HH:MM (00:00 to 23:59), "
        "got '25:00'",
        "plan.yaml:9:42 campaigns.bad.window.days[1]: expected 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or "
        "'sun', got 'someday'",
        "plan.yaml:10:14 campaigns.bad.machine: action message needs `message`: the prompt to leave on "
        "the machine",
        "plan.yaml:11:22 campaigns.bad.pilot.percent: must be at least 1, got '0'",
        "plan.yaml:12:16 campaigns.bad.dial_mode: expected 'preview', 'progressive' or 'predictive', "
        "got 'robo'",
        "plan.yaml:13:40 campaigns.bad.abandon.amd_false_positive_rate: must be at most 1, got '1.5'",
        "plan.yaml:19:40 campaigns.worse.abandon.amd_false_positive_rate: expected a number, got 'often'",
    ]


CROSS = """\
campaigns:
  c1:
    type: survey
    start: 2027-02-01
    end: 2027-01-31
    agents: ["1001", "1009", "1001"]
    queue: dsk
    lists: [a, a]
    dial_mode: predictive
    caller_id: "+1 12"
    jurisdiction: uk
    window: {start: "21:00", end: "08:00", time_zone: Europe/Londn}
    abandon: {limit_percent: 3.5}
  c2:
    type: survey
    lists: [b]
    caller_id: {number: "5005550006", name: Acme}
    region: UK
    abandon: {message: idnt}
    machine: {action: message, message: vmm}
"""


def test_cross_reference_errors_of_campaigns_are_located(plan_file: WriteYaml) -> None:
    path = plan_file(CROSS + REST)
    assert messages(path) == [
        "plan.yaml:3:5 campaigns.c1: a predictive campaign drops calls when no agent is free, and each "
        "dropped call must hear who called: name the prompt in abandon.message",
        "plan.yaml:5:10 campaigns.c1.end: the campaign ends on 2027-01-31, before it starts on 2027-02-01",
        "plan.yaml:6:22 campaigns.c1.agents[1]: unknown agent '1009'; did you mean '1002'?",
        "plan.yaml:6:30 campaigns.c1.agents[2]: warning: agent '1001' is already agents[0]",
        "plan.yaml:7:12 campaigns.c1.queue: unknown queue 'dsk'; did you mean 'desk'?",
        "plan.yaml:8:16 campaigns.c1.lists[1]: warning: list 'a' is already lists[0]",
        "plan.yaml:10:16 campaigns.c1.caller_id.number: '+1 12' cannot be shown as a caller ID in region US: "
        "it is too short",
        "plan.yaml:12:35 campaigns.c1.window.end: the window ends at 08:00, not after it starts at 21:00; "
        "calling windows cannot run past midnight",
        "plan.yaml:12:55 campaigns.c1.window.time_zone: unknown time zone 'Europe/Londn'; use an IANA name "
        "such as 'America/Chicago'",
        "plan.yaml:13:30 campaigns.c1.abandon.limit_percent: 3.5% is over the 3% of abandoned calls "
        "jurisdiction uk allows",
        "plan.yaml:15:5 campaigns.c2: this campaign has no agents and no queue: nobody would take its calls",
        "plan.yaml:18:13 campaigns.c2.region: no phone numbering plan is known for region 'UK'; use an ISO "
        "3166 code, e.g. GB",
        "plan.yaml:19:24 campaigns.c2.abandon.message: unknown prompt 'idnt'; did you mean 'ident'?",
        "plan.yaml:20:41 campaigns.c2.machine.message: unknown prompt 'vmm'; did you mean 'vm'?",
        "plan.yaml:22:10 prompts.ident: warning: prompt 'ident' is never used",
        "plan.yaml:23:7 prompts.vm: warning: prompt 'vm' is never used",
        "plan.yaml:29:11 agents.\"1002\": warning: agent '1002' is in no queue's tiers: no call will "
        "reach it",
    ]


def test_prompts_queues_and_agents_a_campaign_uses_are_not_reported_unused(plan_file: WriteYaml) -> None:
    # Agent 1002 is in no queue's tiers and the prompts are played by no menu: only the campaign uses them.
    text = (
        MINIMAL
        + "    queue: desk\n    abandon: {message: ident}\n    machine: {action: message, message: vm}\n"
    )
    assert messages(plan_file(text + REST)) == []
    assert any("agent '1002' is in no queue's tiers" in m for m in messages(plan_file(REST)))


def test_the_shipped_example_has_a_predictive_uk_campaign() -> None:
    campaign = load_dialplan(EXAMPLE).model.campaigns["service_follow_up"]
    assert (campaign.dial_mode, campaign.jurisdiction) == (DialMode.PREDICTIVE, Jurisdiction.UK)
    assert campaign.abandon.message == "campaign_identification"


def test_ring_seconds_under_15_is_refused_plainly_and_15_is_enough(plan_file: WriteYaml) -> None:
    def ring(seconds: str) -> list[str]:
        return messages(plan_file(MINIMAL + f"    ring_seconds: {seconds}\n" + PLAN))

    assert ring("15") == []
    assert ring("14") == [
        "plan.yaml:7:19 campaigns.recall.ring_seconds: ring_seconds 14 is too short: regulators want a "
        "number to ring at least 15 s before the dialer gives up"
    ]
    assert ring("-5")[0].endswith(
        "ring_seconds -5 is too short: regulators want a number to ring at least 15 s "
        "before the dialer gives up"
    )
    assert ring("ten") == ["plan.yaml:7:19 campaigns.recall.ring_seconds: expected a whole number, got 'ten'"]
    assert ring("121") == ["plan.yaml:7:19 campaigns.recall.ring_seconds: must be at most 120, got '121'"]


def test_a_machine_retry_rule_is_unused_when_a_machine_answer_ends_the_calls(plan_file: WriteYaml) -> None:
    text = MINIMAL + "    machine: {action: hangup}\n    retries: {machine: 1h}\n" + PLAN
    assert messages(plan_file(text)) == [
        "plan.yaml:8:24 campaigns.recall.retries.machine: warning: retries.machine is never used: with "
        "machine action hangup a machine answer ends the number's calls"
    ]
