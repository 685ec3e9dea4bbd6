"""Queues and agents in the YAML: every mistake located at its file:line:column and node path."""

from __future__ import annotations

import pytest

from dialplans.loader import load_dialplan
from dialplans.models import OverflowMessage, OverflowToCallback, OverflowToQueue, OverflowToVoicemail
from tests.support.dialplans import WriteYaml, messages

OVERFLOW_FORMS = "{queue: NAME}, {play: PROMPT, then: hangup}, {voicemail: BOX}, {callback: {}}"

MENUS = """\
menus:
  main:
    prompt: hi
    options: {"1": {transfer: {queue: sales}}}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
"""

GOOD = """\
prompts:
  hi: {text: Hello}
  busy: {text: Still busy}
  later: {text: We will call you}
queues:
  sales:
    name: Sales
    extension: "2001"
    strategy: skills-based
    tiers:
      - {agent: "1001"}
      - {agent: "1002", level: 2, position: 3}
    required_skills: {german: 3}
    music_on_hold: local_stream://moh
    announce: {every: 30, position: true, expected_wait: false}
    priorities: {diamond: 20, platinum: 10}
    sticky_days: 14
    wrap_up: 0
    ring_timeout: 5
    max_no_answer: 0
    exit_key: "*"
    exit_action: {menu: leave}
    callback_key: "1"
    max_wait: 60
    on_max_wait: {queue: overflow}
  overflow:
    extension: "2002"
    tiers: [{agent: "1003"}]
    max_wait: 120
    on_max_wait: {callback: }
  message:
    extension: "2003"
    tiers: [{agent: "1003"}]
    max_wait: 120
    on_max_wait: {play: busy, then: hangup}
  mailbox:
    extension: "2004"
    tiers: [{agent: "1003"}]
    max_wait: 120
    on_max_wait: {voicemail: sales-box}
agents:
  "1001": {name: Ann O'Neil, skills: {german: 5, repair: 2}, department: sales}
  "1002": {name: Bea, extension: "+4930100", skills: {german: 3}}
  "1003": {name: Chloé}
menus:
  main:
    prompt: hi
    options:
      "1": {transfer: {queue: sales}}
      "2": {transfer: {queue: message}}
      "3": {transfer: {queue: mailbox}}
    fallback: {hangup: }
  leave:
    prompt: later
    options: {"1": {transfer: {extension: "1201"}}}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
"""


def test_a_full_acd_plan_loads_with_every_key_typed(plan_file: WriteYaml) -> None:
    path = plan_file(GOOD)
    assert messages(path) == []
    plan = load_dialplan(path).model
    sales = plan.queues["sales"]
    assert (sales.strategy, sales.required_skills, sales.sticky_days) == ("skills-based", {"german": 3}, 14)
    assert [(t.agent, t.level, t.position) for t in sales.tiers] == [("1001", 1, 1), ("1002", 2, 3)]
    assert sales.announce is not None
    assert (sales.announce.every, sales.announce.position, sales.announce.expected_wait) == (30, True, False)
    assert (sales.wrap_up, sales.ring_timeout, sales.max_no_answer) == (0, 5, 0)
    assert sales.priorities == {"diamond": 20, "platinum": 10}
    assert (sales.exit_key, sales.callback_key, sales.max_wait) == ("*", "1", 60)
    assert sales.on_max_wait == OverflowToQueue(queue="overflow")
    assert isinstance(plan.queues["overflow"].on_max_wait, OverflowToCallback)
    assert plan.queues["message"].on_max_wait == OverflowMessage(play="busy", then="hangup")
    assert plan.queues["mailbox"].on_max_wait == OverflowToVoicemail(voicemail="sales-box")
    ann, bea, chloe = plan.agents["1001"], plan.agents["1002"], plan.agents["1003"]
    assert (ann.name, ann.extension, ann.skills, ann.department) == (
        "Ann O'Neil",
        "1001",
        {"german": 5, "repair": 2},
        "sales",
    )
    assert (bea.extension, chloe.extension, chloe.skills, chloe.department) == ("+4930100", "1003", {}, None)


def test_defaults_of_a_queue(plan_file: WriteYaml) -> None:
    path = plan_file(
        'prompts:\n  hi: {text: Hello}\nqueues:\n  sales: {extension: "2001", tiers: [{agent: "1001"}]}\n'
        'agents:\n  "1001": {name: Ann}\n' + MENUS
    )
    queue = load_dialplan(path).model.queues["sales"]
    assert (queue.strategy, queue.music_on_hold, queue.ring_timeout) == (
        "longest-idle",
        "local_stream://moh",
        20,
    )
    assert (queue.max_no_answer, queue.wrap_up, queue.sticky_days, queue.priorities) == (3, 10, 0, {})
    assert (queue.announce, queue.max_wait, queue.on_max_wait, queue.exit_key, queue.callback_key) == (
        None,
        None,
        None,
        None,
        None,
    )


SHAPES = """\
prompts:
  hi: {text: Hello}
queues:
  sales:
    extension: "2001"
    strategy: random
    tiers:
      - {agent: "1a", levl: 2}
      - {agent: "1001", position: 0}
    required_skills: {german: 11}
    announce: {every: 5, position: maybe}
    max_wait: 60
    on_max_wait: {queue: sales, play: hi}
    exit_key: "10"
    music_on_hold: "${system(id)}"
    sticky_days: 400
    priorities: {diamond: lots}
  support:
    extension: "2002"
    on_max_wait: {goto: sales}
  desk:
    extension: "2003"
    on_max_wait: later
agents:
  "1": {name: Ann}
  "1001": {name: "${x}", skills: {German Level: 3}}
  "1002": {name: Bob, department: "Customer care"}
  "1003": {name: Cy, phone: "1003"}
"""


def test_shape_errors_of_queues_and_agents_are_located(plan_file: WriteYaml) -> None:
    path = plan_file(SHAPES + MENUS)
    assert messages(path) == [
        "plan.yaml:6:15 queues.sales.strategy: expected 'longest-idle', 'round-robin', 'ring-all', "
        "'fewest-calls', 'least-talk-time', 'top-down' or 'skills-based', got 'random'",
        "plan.yaml:8:17 queues.sales.tiers[0].agent: '1a' is not an agent id: use 2 to 10 digits, e.g. 1001",
        "plan.yaml:8:23 queues.sales.tiers[0].levl: unknown key 'levl'; did you mean 'level'? the keys here "
        "are: agent, level, position",
        "plan.yaml:9:35 queues.sales.tiers[1].position: must be at least 1, got '0'",
        "plan.yaml:10:31 queues.sales.required_skills.german: must be at most 10, got '11'",
        "plan.yaml:11:23 queues.sales.announce.every: must be at least 10, got '5'",
        "plan.yaml:11:36 queues.sales.announce.position: expected true or false, got 'maybe'",
        "plan.yaml:13:18 queues.sales.on_max_wait: an on_max_wait choice does one thing, but this one has "
        f"queue and play; expected one of {OVERFLOW_FORMS}",
        "plan.yaml:14:15 queues.sales.exit_key: '10' is not a key on the keypad: an option is one key, "
        "0-9, * or #",
        "plan.yaml:15:20 queues.sales.music_on_hold: '${system(id)}' is not a sound source FreeSWITCH can "
        "play as is, e.g. local_stream://moh (no spaces, quotes, $ or braces)",
        "plan.yaml:16:18 queues.sales.sticky_days: must be at most 365, got '400'",
        "plan.yaml:17:27 queues.sales.priorities.diamond: expected a whole number, got 'lots'",
        "plan.yaml:20:18 queues.support.on_max_wait: not an on_max_wait choice (found 'goto'); expected one "
        f"of {OVERFLOW_FORMS}",
        f"plan.yaml:23:18 queues.desk.on_max_wait: expected one of {OVERFLOW_FORMS}, got 'later'",
        "plan.yaml:25:3 agents.\"1\": '1' is not an agent id: use 2 to 10 digits, e.g. 1001",
        "plan.yaml:26:18 agents.\"1001\".name: '${x}' is not a usable name: 1 to 64 characters, without "
        '$ { } \\ < > " or control characters',
        'plan.yaml:26:35 agents."1001".skills."German Level": \'German Level\' is not a valid name: start '
        "with a letter, then use letters, digits, '_' or '-' (at most 64 characters)",
        "plan.yaml:27:35 agents.\"1002\".department: 'Customer care' is not a valid name: start with a "
        "letter, then use letters, digits, '_' or '-' (at most 64 characters)",
        "plan.yaml:28:22 agents.\"1003\".phone: unknown key 'phone'; the keys here are: name, extension, "
        "skills, department, auto_answer",
    ]


@pytest.mark.parametrize(
    ("field", "value", "column", "message"),
    [
        ("ring_timeout", "4", 19, "must be at least 5, got '4'"),
        ("ring_timeout", "121", 19, "must be at most 120, got '121'"),
        ("wrap_up", "3601", 14, "must be at most 3600, got '3601'"),
        ("max_no_answer", "21", 20, "must be at most 20, got '21'"),
        ("max_wait", "5", 15, "must be at least 10, got '5'"),
        ("callback_key", "ab", 19, "'ab' is not a key on the keypad: an option is one key, 0-9, * or #"),
    ],
)
def test_numbers_out_of_range(
    plan_file: WriteYaml, field: str, value: str, column: int, message: str
) -> None:
    path = plan_file(
        'prompts:\n  hi: {text: Hello}\nqueues:\n  sales:\n    extension: "2001"\n'
        f'    tiers: [{{agent: "1001"}}]\n    {field}: "{value}"\nagents:\n  "1001": {{name: Ann}}\n' + MENUS
    )
    assert messages(path)[0] == f"plan.yaml:7:{column} queues.sales.{field}: {message}"


CROSS = """\
prompts:
  hi: {text: Hello}
  sorry: {text: Sorry}
queues:
  sales:
    extension: "2001"
    tiers:
      - {agent: "1001"}
      - {agent: "1009"}
      - {agent: "1001", level: 2}
    max_wait: 60
    on_max_wait: {queue: support}
    exit_key: "9"
    callback_key: "9"
  support:
    extension: "2002"
    tiers: [{agent: "1002"}]
    required_skills: {german: 5}
    max_wait: 60
    on_max_wait: {queue: sales}
  helpdesk:
    extension: "2003"
    tiers: [{agent: "1002"}]
    max_wait: 60
    on_max_wait: {queue: helpdesk}
    exit_key: "0"
    exit_action: {play: sory, then: return}
  late:
    extension: "2004"
    tiers: [{agent: "1002"}]
    max_wait: 30
    on_max_wait: {play: goodbye}
    exit_key: "#"
    exit_action: {transfer: {queue: late}}
  lonely:
    extension: "2005"
    max_wait: 30
agents:
  "1001": {name: Ann, skills: {german: 3}}
  "1002": {name: Bob, extension: "1001"}
  "1003": {name: Cy, extension: "2005"}
menus:
  main:
    prompt: hi
    options:
      "1": {transfer: {queue: sales}}
      "2": {transfer: {queue: helpdesk}}
      "3": {transfer: {queue: late}}
      "4": {transfer: {queue: lonely}}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
"""


def test_cross_reference_errors_of_queues_and_agents(plan_file: WriteYaml) -> None:
    path = plan_file(CROSS)
    assert messages(path) == [
        "plan.yaml:3:10 prompts.sorry: warning: prompt 'sorry' is never used",
        "plan.yaml:6:5 queues.sales: this queue has exit_key, so it needs exit_action: what the key does",
        "plan.yaml:9:17 queues.sales.tiers[1].agent: unknown agent '1009'; did you mean '1003'?",
        "plan.yaml:10:17 queues.sales.tiers[2].agent: agent '1001' is already in this queue at tiers[0]: "
        "an agent has one tier per queue",
        "plan.yaml:12:26 queues.sales.on_max_wait.queue: overflow goes round in a circle "
        "(sales -> support -> sales): a caller would be passed on forever; end the chain with a message, "
        "voicemail or callback",
        "plan.yaml:14:19 queues.sales.callback_key: callback_key and exit_key are both '9': give each its "
        "own key",
        "plan.yaml:18:22 queues.support.required_skills: no agent in this queue's tiers has german 5, so "
        "nobody could ever answer its calls",
        "plan.yaml:25:26 queues.helpdesk.on_max_wait.queue: a queue cannot overflow into itself: name "
        "another queue",
        "plan.yaml:27:25 queues.helpdesk.exit_action.play: unknown prompt 'sory'; did you mean 'sorry'?",
        "plan.yaml:27:37 queues.helpdesk.exit_action.then: a caller who leaves a queue cannot return to a "
        "menu's options; use `then: hangup`, or {menu: NAME} to send them to a menu",
        "plan.yaml:32:25 queues.late.on_max_wait.play: unknown prompt 'goodbye'; the prompts are: hi, sorry",
        "plan.yaml:34:37 queues.late.exit_action.transfer.queue: the exit key would put the caller back "
        "into the queue they are leaving",
        "plan.yaml:36:5 queues.lonely: this queue has max_wait, so it needs on_max_wait: what happens to a "
        "caller whose wait runs out",
        "plan.yaml:36:5 queues.lonely: warning: queue 'lonely' has no tiers: no agent can answer it",
        "plan.yaml:40:34 agents.\"1002\".extension: extension '1001' is already the phone of agent '1001'",
        "plan.yaml:41:11 agents.\"1003\": warning: agent '1003' is in no queue's tiers: no call will "
        "reach it",
        "plan.yaml:41:33 agents.\"1003\".extension: extension '2005' is already the number of queue 'lonely'",
    ]


def test_a_longer_overflow_cycle_is_reported_once(plan_file: WriteYaml) -> None:
    queues = "".join(
        f'  {name}:\n    extension: "{2001 + i}"\n    tiers: [{{agent: "1001"}}]\n'
        f"    max_wait: 60\n    on_max_wait: {{queue: {target}}}\n"
        for i, (name, target) in enumerate([("sales", "c"), ("b", "sales"), ("c", "b"), ("d", "b")])
    )
    path = plan_file(
        "prompts:\n  hi: {text: Hello}\nqueues:\n" + queues + 'agents:\n  "1001": {name: Ann}\n' + MENUS
    )
    assert messages(path) == [
        "plan.yaml:13:26 queues.b.on_max_wait.queue: overflow goes round in a circle (b -> sales -> c -> b): "
        "a caller would be passed on forever; end the chain with a message, voicemail or callback",
        "plan.yaml:20:5 queues.d: warning: queue 'd' is never used",
    ]
    # Without max_wait the edge is never taken: no cycle, and on_max_wait is called out as unused.
    path.write_text(path.read_text().replace("    max_wait: 60\n    on_max_wait: {queue: sales}\n", ""))
    assert [m for m in messages(path) if "circle" in m] == []


def test_skills_some_tier_agents_lack_are_a_warning(plan_file: WriteYaml) -> None:
    path = plan_file(
        'prompts:\n  hi: {text: Hello}\nqueues:\n  sales:\n    extension: "2001"\n'
        '    tiers: [{agent: "1001"}, {agent: "1002"}]\n    required_skills: {german: 5, repair: 2}\n'
        'agents:\n  "1001": {name: Ann, skills: {german: 5, repair: 2}}\n'
        '  "1002": {name: Bob, skills: {german: 4}}\n' + MENUS
    )
    assert messages(path) == [
        "plan.yaml:6:38 queues.sales.tiers[1].agent: warning: agent '1002' lacks german 5 and repair 2, "
        "which this queue requires: it will never be offered this queue's calls"
    ]


def test_a_menu_reached_only_by_a_queue_exit_key_is_reachable(plan_file: WriteYaml) -> None:
    path = plan_file(GOOD.replace("    exit_action: {menu: leave}\n", "    exit_action: {menu: levae}\n"))
    assert messages(path) == [
        "plan.yaml:22:25 queues.sales.exit_action.menu: unknown menu 'levae'; did you mean 'leave'?",
        "plan.yaml:54:5 menus.leave: menu 'leave' is unreachable: no DID starts in it and no menu leads "
        "to it",
    ]


def test_overflow_and_exit_actions_count_as_uses(plan_file: WriteYaml) -> None:
    path = plan_file(
        GOOD.replace("    on_max_wait: {play: busy, then: hangup}\n", "    on_max_wait: {queue: sales}\n")
    )
    assert messages(path) == ["plan.yaml:3:9 prompts.busy: warning: prompt 'busy' is never used"]


def test_on_max_wait_without_max_wait_and_exit_action_without_key_warn(plan_file: WriteYaml) -> None:
    path = plan_file(
        GOOD.replace(
            "    max_wait: 120\n    on_max_wait: {callback: }\n", "    on_max_wait: {callback: }\n"
        ).replace('    exit_key: "*"\n', "")
    )
    assert messages(path) == [
        "plan.yaml:21:18 queues.sales.exit_action: warning: exit_action is never used: this queue has no "
        "exit_key",
        "plan.yaml:28:18 queues.overflow.on_max_wait: warning: on_max_wait is never used: without max_wait "
        "callers wait until answered",
        # Without its exit key the exit action is no way in: the menu it names is unreachable.
        "plan.yaml:52:5 menus.leave: menu 'leave' is unreachable: no DID starts in it and no menu leads "
        "to it",
    ]
