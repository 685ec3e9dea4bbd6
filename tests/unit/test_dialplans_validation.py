"""Shape errors (what pydantic finds), retold plainly at the file:line:column of the offending node."""

from __future__ import annotations

import pytest

from dialplans.loader import DialplanError, load_dialplan, validate_file
from tests.support.dialplans import WriteYaml, messages

ACTION_FORMS = (
    "{menu: NAME}, {play: PROMPT, then: return|hangup}, {transfer: {extension|queue: ...}}, {hangup: {...}}, "
    "{lookup: NAME}"
)


def menu_plan(options: str, extra: str = "") -> str:
    """A valid plan but for the options of menu `main` (indented by 6) and extra menu keys (by 4)."""
    return (
        "prompts:\n  hi: {text: Hello}\n"
        "menus:\n  main:\n    prompt: hi\n"
        + extra
        + "    options:\n"
        + options
        + "    fallback: {hangup: {}}\n"
        + 'dids:\n  "4001": {menu: main}\n'
    )


def test_an_unknown_key_is_reported_at_the_key_with_a_suggestion(plan_file: WriteYaml) -> None:
    path = plan_file(menu_plan('      "1": {hangup: }\n', extra="    greting: hi\n"))
    assert messages(path) == [
        "plan.yaml:6:5 menus.main.greting: unknown key 'greting'; did you mean 'greeting'? the keys here "
        "are: "
        "greeting, prompt, options, timeout, digit_timeout, max_retries, invalid_prompt, timeout_prompt, "
        "fallback, sensitive"
    ]


def test_a_missing_key_is_reported_at_the_mapping_that_lacks_it(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
        menus:
          main:
            options: {"1": {hangup: }}
            fallback: {hangup: }
        dids:
          "4001": {menu: main}
        """
    )
    assert messages(path) == ["plan.yaml:5:5 menus.main: missing required key 'prompt'"]


def test_a_file_without_menus_or_dids_says_which(plan_file: WriteYaml) -> None:
    path = plan_file("prompts:\n  hi: {text: Hello}\n")
    assert messages(path) == [
        "plan.yaml:1:1: missing required key 'menus'",
        "plan.yaml:1:1: missing required key 'dids'",
    ]


@pytest.mark.parametrize(
    ("action", "column", "message"),
    [
        ("operators", 12, f"expected one of {ACTION_FORMS}, got 'operators'"),
        ("{goto: main}", 12, f"not an action (found 'goto'); expected one of {ACTION_FORMS}"),
        (
            "{menu: main, play: hi}",
            12,
            f"an action does one thing, but this one has menu and play; expected one of {ACTION_FORMS}",
        ),
        ("{play: hi, then: later}", 29, "expected 'return' or 'hangup', got 'later'"),
        (
            "{menu: Main Menu}",
            19,
            "'Main Menu' is not a valid name: start with a letter, then use letters, "
            "digits, '_' or '-' (at most 64 characters)",
        ),
        (
            "{hangup: {cause: busy}}",
            29,
            "'busy' is not a hangup cause: use a FreeSWITCH cause name such as NORMAL_CLEARING",
        ),
    ],
)
def test_a_bad_action_gets_one_plain_message(
    plan_file: WriteYaml, action: str, column: int, message: str
) -> None:
    path = plan_file(menu_plan(f'      "7": {action}\n'))
    [diagnostic] = validate_file(path)
    assert (diagnostic.line, diagnostic.column, diagnostic.message) == (7, column, message)
    assert diagnostic.path.startswith('menus.main.options."7"')


def test_errors_inside_an_action_name_the_yaml_path_not_pydantic_internals(plan_file: WriteYaml) -> None:
    path = plan_file(menu_plan('      "2": {transfer: {queue: "sales team", extenson: "100"}}\n'))
    assert messages(path) == [
        "plan.yaml:7:31 menus.main.options.\"2\".transfer.queue: 'sales team' is not a valid name: start "
        "with a "
        "letter, then use letters, digits, '_' or '-' (at most 64 characters)",
        "plan.yaml:7:45 menus.main.options.\"2\".transfer.extenson: unknown key 'extenson'; did you mean "
        "'extension'? the keys here are: extension, queue, context",
    ]


def test_menus_may_be_named_like_action_keys(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
        menus:
          menu:
            prompt: hi
            options: {"1": {menu: transfer}}
            fallback: {menu: transfer}
          transfer:
            prompt: hi
            options: {"1": {menu: menu}}
            fallback: {transfer: {extension: "100"}, menu: menu}
        dids:
          "4001": {menu: menu}
        """
    )
    assert messages(path) == [
        "plan.yaml:11:15 menus.transfer.fallback: an action does one thing, but this one has menu and "
        "transfer; "
        f"expected one of {ACTION_FORMS}",
    ]


def test_a_key_that_is_not_on_the_keypad_is_reported_at_the_key(plan_file: WriteYaml) -> None:
    path = plan_file(menu_plan('      "12": {hangup: }\n      "A": {hangup: }\n'))
    assert messages(path) == [
        "plan.yaml:7:7 menus.main.options.\"12\": '12' is not a key on the keypad: an option is one key, "
        "0-9, * or #",
        "plan.yaml:8:7 menus.main.options.A: 'A' is not a key on the keypad: an option is one key, 0-9, * "
        "or #",
    ]


def test_numbers_and_ranges(plan_file: WriteYaml) -> None:
    path = plan_file(menu_plan('      "1": {hangup: }\n', extra="    max_retries: lots\n    timeout: 0\n"))
    assert messages(path) == [
        "plan.yaml:6:18 menus.main.max_retries: expected a whole number, got 'lots'",
        "plan.yaml:7:14 menus.main.timeout: must be more than 0, got '0'",
    ]
    path = plan_file(
        menu_plan('      "1": {hangup: }\n', extra="    max_retries: 11\n    digit_timeout: 31\n")
    )
    assert messages(path) == [
        "plan.yaml:6:18 menus.main.max_retries: must be at most 10, got '11'",
        "plan.yaml:7:20 menus.main.digit_timeout: must be at most 30, got '31'",
    ]


def test_a_did_that_is_not_a_number_is_reported_at_its_key(plan_file: WriteYaml) -> None:
    path = plan_file(menu_plan('      "1": {hangup: }\n') + '  "sales-line": {menu: main}\n')
    assert messages(path) == [
        "plan.yaml:11:3 dids.\"sales-line\": 'sales-line' is not a dialable number: use digits, * and #, "
        "with an optional leading +"
    ]


SCHEDULE = """\
prompts:
  hi: {{text: Hello}}
schedules:
  office:
    hours:
{hours}
    holidays:
{holidays}
menus:
  main: {{prompt: hi, options: {{}}, fallback: {{hangup: }}}}
dids:
  "4001": {{schedule: office, menu: main, closed_menu: main}}
"""


def test_opening_hours_and_holidays_are_checked_for_shape(plan_file: WriteYaml) -> None:
    hours = "\n".join(
        [
            '      - {days: [mon, funday], open: "08:00", close: "18:00"}',
            '      - {days: tue, open: "08:00", close: "18:00"}',
            '      - {days: [], open: "25:00", close: "8h"}',
        ]
    )
    holidays = "      - {date: 2026-13-01, name: Nowhere}\n      - {name: Undated}"
    path = plan_file(SCHEDULE.format(hours=hours, holidays=holidays))
    assert messages(path) == [
        "plan.yaml:6:22 schedules.office.hours[0].days[1]: expected 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' "
        "or 'sun', got 'funday'",
        "plan.yaml:7:16 schedules.office.hours[1].days: expected a list (one `- item` per line, or [a, b]), "
        "got 'tue'",
        "plan.yaml:8:16 schedules.office.hours[2].days: needs at least one entry",
        "plan.yaml:8:26 schedules.office.hours[2].open: '25:00' is not a time of day (00:00 to 23:59)",
        "plan.yaml:8:42 schedules.office.hours[2].close: expected a time as HH:MM, got '8h'",
        "plan.yaml:10:16 schedules.office.holidays[0].date: expected a date as YYYY-MM-DD, got '2026-13-01'",
        "plan.yaml:11:9 schedules.office.holidays[1]: missing required key 'date'",
    ]


def test_times_are_normalised_and_midnight_closes_the_day(plan_file: WriteYaml) -> None:
    hours = '      - {days: [fri], open: "8:00", close: "24:00"}'
    path = plan_file(SCHEDULE.format(hours=hours, holidays="      - {date: 2026-12-25}"))
    [block] = load_dialplan(path).model.schedules["office"].hours
    assert (block.open, block.close) == ("08:00", "24:00")


def test_every_shape_error_is_reported_in_one_pass(plan_file: WriteYaml) -> None:
    path = plan_file(
        menu_plan(
            '      "1": {menu: x y}\n      "2": nothing\n      "3": {play: hi, then: maybe}\n',
            extra="    colour: blue\n",
        )
    )
    with pytest.raises(DialplanError) as caught:
        load_dialplan(path)
    lines = str(caught.value).splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [
        "plan.yaml:6:5",
        "plan.yaml:8:19",
        "plan.yaml:9:12",
        "plan.yaml:10:29",
    ]
