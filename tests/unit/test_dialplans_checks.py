"""Cross-reference checks: names that lead nowhere, menus no call reaches or no caller leaves, bad hours."""

from __future__ import annotations

import pytest

from dialplans.loader import DialplanError, load_dialplan, validate_file
from tests.support.dialplans import WriteYaml, messages

BROKEN = """\
prompts:
  hello: {text: Hello}
  options: {text: Press a key}
schedules:
  office:
    timezone: Europe/Londn
    hours:
      - {days: [mon], open: "09:00", close: "17:00"}
      - {days: [tue], open: "18:00", close: "08:00"}
      - {days: [wed], open: "12:00", close: "12:00"}
queues:
  sales: {extension: "2001"}
menus:
  main:
    greeting: helo
    prompt: options
    options:
      "1": {menu: sales}
      "2": {transfer: {queue: salse}}
      "3": {transfer: {}}
      "4": {transfer: {queue: sales, extension: "1000"}}
      "5": {play: hours}
      "6": {hangup: {prompt: bye}}
      "7": {menu: spiral}
    fallback: {menu: main}
  spiral:
    prompt: options
    options: {"1": {menu: spiral_down}, "2": {play: hello, then: return}}
    fallback: {menu: spiral}
  spiral_down:
    prompt: options
    options: {"*": {menu: spiral}}
    fallback: {menu: spiral_down}
  island:
    prompt: options
    options: {"1": {transfer: {queue: sales}}}
    fallback: {hangup: }
dids:
  "4001": {schedule: office, menu: main}
"""


def test_cross_reference_errors_are_all_reported_with_their_place(plan_file: WriteYaml) -> None:
    path = plan_file(BROKEN)
    assert messages(path) == [
        "plan.yaml:6:15 schedules.office.timezone: unknown time zone 'Europe/Londn'; did you mean "
        "'Europe/London'?",
        "plan.yaml:9:45 schedules.office.hours[1].close: closes at 08:00, not after it opens at 18:00; "
        "hours past midnight take two blocks, e.g. 20:00-24:00 and 00:00-02:00",
        "plan.yaml:10:45 schedules.office.hours[2].close: closes at 12:00, not after it opens at 12:00; "
        "hours past midnight take two blocks, e.g. 20:00-24:00 and 00:00-02:00",
        "plan.yaml:12:10 queues.sales: warning: queue 'sales' has no tiers: no agent can answer it",
        "plan.yaml:15:15 menus.main.greeting: unknown prompt 'helo'; did you mean 'hello'?",
        "plan.yaml:18:19 menus.main.options.\"1\".menu: unknown menu 'sales'; "
        "the menus are: island, main, spiral, spiral_down",
        "plan.yaml:19:31 menus.main.options.\"2\".transfer.queue: unknown queue 'salse'; did you mean "
        "'sales'?",
        'plan.yaml:20:23 menus.main.options."3".transfer: a transfer needs exactly one of extension or '
        "queue, "
        "and this one has neither",
        'plan.yaml:21:23 menus.main.options."4".transfer: a transfer needs exactly one of extension or '
        "queue, "
        "and this one has both",
        "plan.yaml:22:19 menus.main.options.\"5\".play: unknown prompt 'hours'; the prompts are: hello, "
        "options",
        "plan.yaml:23:30 menus.main.options.\"6\".hangup.prompt: unknown prompt 'bye'; "
        "the prompts are: hello, options",
        "plan.yaml:27:5 menus.spiral: callers can never leave menu 'spiral': no option or fallback here, "
        "nor in the menus it leads to (spiral_down), transfers or hangs up",
        "plan.yaml:31:5 menus.spiral_down: callers can never leave menu 'spiral_down': no option or fallback "
        "here, nor in the menus it leads to (spiral), transfers or hangs up",
        "plan.yaml:35:5 menus.island: menu 'island' is unreachable: no DID starts in it and no menu leads "
        "to it",
        'plan.yaml:39:11 dids."4001": this line has a schedule, so it needs a closed_menu for callers '
        "outside "
        "its hours",
    ]


def test_a_did_naming_missing_menus_and_schedules(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
        schedules:
          office: {hours: [{days: [mon], open: "09:00", close: "17:00"}]}
        menus:
          main: {prompt: hi, options: {}, fallback: {hangup: }}
        dids:
          "4001": {schedule: office, menu: main, closed_menu: main}
          "4002": {schedule: nights, menu: lobby, closed_menu: closed}
        """
    )
    assert messages(path) == [
        "plan.yaml:9:22 dids.\"4002\".schedule: unknown schedule 'nights'; the schedules are: office",
        "plan.yaml:9:36 dids.\"4002\".menu: unknown menu 'lobby'; the menus are: main",
        "plan.yaml:9:56 dids.\"4002\".closed_menu: unknown menu 'closed'; the menus are: main",
    ]


def test_a_self_service_loop_without_a_way_out_is_a_trap(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
        menus:
          main:
            prompt: hi
            options: {"1": {play: hi, then: return}}
            fallback: {menu: main}
        dids:
          "4001": {menu: main}
        """
    )
    assert messages(path) == [
        "plan.yaml:5:5 menus.main: callers can never leave menu 'main': no option or fallback here "
        "transfers or hangs up"
    ]
    path.write_text(path.read_text().replace("then: return", "then: hangup"))
    assert messages(path) == []


def test_warnings_do_not_stop_a_load(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
          spare: {text: Never played}
        schedules:
          unused: {hours: [{days: [mon], open: "09:00", close: "17:00"}]}
          empty: {}
        queues:
          idle: {extension: "2002"}
        menus:
          main:
            prompt: hi
            options: {"9": {hangup: {cause: NORMAL_CLEAR}}}
            fallback: {hangup: }
        dids:
          "4001": {menu: main, closed_menu: main}
          "4002": {schedule: empty, menu: main, closed_menu: main}
        """
    )
    loaded = load_dialplan(path)
    assert [str(warning) for warning in loaded.warnings] == [
        "plan.yaml:3:10 prompts.spare: warning: prompt 'spare' is never used",
        "plan.yaml:5:11 schedules.unused: warning: schedule 'unused' is not used by any DID",
        "plan.yaml:6:10 schedules.empty: warning: this schedule has no opening hours, so its lines are "
        "always "
        "closed",
        "plan.yaml:8:9 queues.idle: warning: queue 'idle' has no tiers: no agent can answer it",
        "plan.yaml:8:9 queues.idle: warning: queue 'idle' is never used",
        'plan.yaml:12:37 menus.main.options."9".hangup.cause: warning: FreeSWITCH knows no hangup cause '
        "'NORMAL_CLEAR'; did you mean NORMAL_CLEARING?",
        'plan.yaml:15:37 dids."4001".closed_menu: warning: closed_menu is never used: without a schedule the '
        "line is open 24x7",
    ]
    assert all(warning.severity == "warning" for warning in loaded.warnings)


def test_load_dialplan_raises_with_only_the_errors(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
          spare: {text: Never played}
        menus:
          main: {prompt: hi, options: {"1": {menu: nowhere}}, fallback: {hangup: }}
        dids:
          "4001": {menu: main}
        """
    )
    with pytest.raises(DialplanError) as caught:
        load_dialplan(path)
    assert [d.severity for d in caught.value.diagnostics] == ["error"]
    assert str(caught.value) == (
        "plan.yaml:5:44 menus.main.options.\"1\".menu: unknown menu 'nowhere'; the menus are: main"
    )
    assert len(validate_file(path)) == 2  # validate_file also shows the warning
