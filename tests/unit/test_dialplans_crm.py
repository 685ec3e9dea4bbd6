"""The CRM part of the YAML (screening, self-service lookups, surveys): every mistake located."""

from __future__ import annotations

import pytest

from dialplans.crm_checks import normalise_number
from dialplans.crm_models import SayField, SayPrompt
from dialplans.loader import load_dialplan
from schema.crm import phones
from tests.support.dialplans import WriteYaml, messages

SAY_FORMS = "{prompt: PROMPT}, {field: NAME, as: number|digits|date|money|text, missing: PROMPT}"
BOTH = ": a caller cannot be both refused and given the VIP green channel"

GOOD = """\
prompts:
  hi: {text: Hello}
  blocked: {text: Go away}
  vip_hello: {text: Welcome back}
  ask_plate: {text: Your plate please}
  due: {text: Your next service is on}
  none_due: {text: Nothing booked}
  unknown: {text: We could not find it}
  intro: {text: A short survey}
  rate: {text: Rate us 1 to 5}
  solved: {text: "Solved? 1 yes, 2 no"}
  bad_key: {text: Not an answer}
  thanks: {text: Thank you}
crm:
  default_region: GB
  blacklist:
    numbers: ["+447700900666", "07700 900999", "0044 7700 900111"]
    prefixes: ["+44909"]
    prompt: blocked
    cause: CALL_REJECTED
  vip:
    tiers: [gold, platinum]
    numbers: "01632 960001"
    queue: vip
    dedicated_agent: false
    greeting: vip_hello
  keypad_fields: [plate, chassis]
self_service:
  appointment:
    by: plate
    ask: ask_plate
    min_digits: 2
    max_digits: 8
    terminator: "*"
    answer:
      - prompt: due
      - {field: next_service, as: date, missing: none_due}
    not_found: unknown
  who:
    by: caller_id
    answer: [{field: name}]
    then: hangup
surveys:
  after_call:
    intro: intro
    questions:
      - {id: satisfaction, prompt: rate}
      - {id: resolved, prompt: solved, max_key: 2}
    invalid_prompt: bad_key
    thanks: thanks
    timeout: 4
    max_retries: 3
queues:
  desk: {extension: "2001", tiers: [{agent: "1001"}], survey: after_call, priorities: {platinum: 5}}
  vip: {extension: "2002", tiers: [{agent: "1001"}]}
agents:
  "1001": {name: Ann}
menus:
  main:
    prompt: hi
    options:
      "1": {transfer: {queue: desk}}
      "2": {lookup: appointment}
      "3": {lookup: who}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
"""


def test_a_full_crm_plan_loads_with_every_key_typed(plan_file: WriteYaml) -> None:
    path = plan_file(GOOD)
    # Prompts played only by the screening, lookups and surveys, and the VIP queue reached only by
    # the green channel, count as used: no warning.
    assert messages(path) == []
    plan = load_dialplan(path).model
    crm = plan.crm
    assert crm.default_region == "GB"
    assert crm.blacklist.numbers == ["+447700900666", "07700 900999", "0044 7700 900111"]
    assert (crm.blacklist.prefixes, crm.blacklist.prompt, crm.blacklist.cause) == (
        ["+44909"],
        "blocked",
        "CALL_REJECTED",
    )
    assert crm.vip is not None
    assert (crm.vip.tiers, crm.vip.numbers, crm.vip.queue) == (["gold", "platinum"], ["01632 960001"], "vip")
    assert (crm.vip.dedicated_agent, crm.vip.greeting, crm.keypad_fields) == (
        False,
        "vip_hello",
        ["plate", "chassis"],
    )
    appointment = plan.self_service["appointment"]
    assert (appointment.by, appointment.ask, appointment.min_digits, appointment.max_digits) == (
        "plate",
        "ask_plate",
        2,
        8,
    )
    assert (appointment.terminator, appointment.not_found, appointment.then) == ("*", "unknown", "return")
    assert appointment.answer == [
        SayPrompt(prompt="due"),
        SayField(field="next_service", say_as="date", missing="none_due"),
    ]
    who = plan.self_service["who"]
    assert (who.by, who.ask, who.answer, who.then) == ("caller_id", None, [SayField(field="name")], "hangup")
    survey = plan.surveys["after_call"]
    assert [(q.id, q.prompt, q.max_key) for q in survey.questions] == [
        ("satisfaction", "rate", 5),
        ("resolved", "solved", 2),
    ]
    assert (survey.intro, survey.invalid_prompt, survey.thanks, survey.timeout, survey.max_retries) == (
        "intro",
        "bad_key",
        "thanks",
        4,
        3,
    )
    assert plan.queues["desk"].survey == "after_call"


def test_the_crm_defaults(plan_file: WriteYaml) -> None:
    path = plan_file(
        "prompts:\n  hi: {text: Hello}\nmenus:\n  main: {prompt: hi, options: {}, fallback: {hangup: }}\n"
        'dids:\n  "4001": {menu: main}\n'
    )
    assert messages(path) == []
    plan = load_dialplan(path).model
    assert (plan.crm.default_region, plan.crm.vip, plan.crm.keypad_fields) == ("US", None, ["plate"])
    assert (plan.crm.blacklist.numbers, plan.crm.blacklist.prompt, plan.crm.blacklist.cause) == (
        [],
        None,
        "CALL_REJECTED",
    )
    assert (plan.self_service, plan.surveys) == ({}, {})


MENUS = """\
menus:
  main:
    prompt: hi
    options: {"1": {transfer: {queue: desk}}}
    fallback: {hangup: }
dids:
  "4001": {menu: main}
"""

SHAPES = """\
prompts:
  hi: {text: Hello}
crm:
  default_region: gb
  blacklist:
    numbers: ["+44 (0) 7700 900666", "call me"]
    prefixes: ["44909", "+44 909"]
    cause: rejected
  vip: {tiers: [Gold Card], queue: desk, dedicated: true}
self_service:
  appointment:
    by: plate
    ask: hi
    min_digits: 0
    terminator: "x"
    answer:
      - {prompt: hi, field: due}
      - {say: due}
      - {field: due, as: datetime}
      - {field: due, ass: date}
    then: menu
  empty: {ask: hi, answer: []}
surveys:
  after_call:
    questions:
      - {id: satisfaction, prompt: hi, max_key: 10}
    timeout: 0
  long:
    questions: [{id: a, prompt: hi}, {id: b, prompt: hi}, {id: c, prompt: hi}, {id: d, prompt: hi},
                {id: e, prompt: hi}, {id: f, prompt: hi}]
queues:
  desk: {extension: "2001", survey: "after call"}
"""


def test_shape_errors_of_the_crm_are_located(plan_file: WriteYaml) -> None:
    path = plan_file(SHAPES + MENUS)
    assert messages(path) == [
        "plan.yaml:4:19 crm.default_region: 'gb' is not a region: two capital letters, the ISO 3166 "
        "country code, e.g. GB or US",
        "plan.yaml:6:38 crm.blacklist.numbers[1]: 'call me' is not a phone number: digits with an optional "
        "leading +, and spaces, dots, dashes or brackets if you like, e.g. +44 1632 960001 or 01632 960001",
        "plan.yaml:7:16 crm.blacklist.prefixes[0]: '44909' is not a number prefix: + and 1 to 15 digits, "
        "nothing else, e.g. +44909",
        "plan.yaml:7:25 crm.blacklist.prefixes[1]: '+44 909' is not a number prefix: + and 1 to 15 digits, "
        "nothing else, e.g. +44909",
        "plan.yaml:8:12 crm.blacklist.cause: 'rejected' is not a hangup cause: use a FreeSWITCH cause name "
        "such as NORMAL_CLEARING",
        "plan.yaml:9:17 crm.vip.tiers[0]: 'Gold Card' is not a valid name: start with a letter, then use "
        "letters, digits, '_' or '-' (at most 64 characters)",
        "plan.yaml:9:42 crm.vip.dedicated: unknown key 'dedicated'; did you mean 'dedicated_agent'? the keys "
        "here are: tiers, numbers, queue, dedicated_agent, greeting",
        "plan.yaml:14:17 self_service.appointment.min_digits: must be at least 1, got '0'",
        "plan.yaml:15:17 self_service.appointment.terminator: expected '#', '*' or '', got 'x'",
        "plan.yaml:17:9 self_service.appointment.answer[0]: an answer item does one thing, but this one has "
        f"prompt and field; expected one of {SAY_FORMS}",
        "plan.yaml:18:9 self_service.appointment.answer[1]: not an answer item (found 'say'); expected one "
        f"of {SAY_FORMS}",
        "plan.yaml:19:26 self_service.appointment.answer[2].as: expected 'number', 'digits', 'date', "
        "'money' or 'text', got 'datetime'",
        "plan.yaml:20:22 self_service.appointment.answer[3].ass: unknown key 'ass'; did you mean 'as'? the "
        "keys here are: field, as, missing",
        "plan.yaml:21:11 self_service.appointment.then: expected 'return' or 'hangup', got 'menu'",
        "plan.yaml:22:28 self_service.empty.answer: needs at least one entry",
        "plan.yaml:26:49 surveys.after_call.questions[0].max_key: must be at most 9, got '10'",
        "plan.yaml:27:14 surveys.after_call.timeout: must be more than 0, got '0'",
        "plan.yaml:29:16 surveys.long.questions: has too many entries: at most 5",
        "plan.yaml:32:37 queues.desk.survey: 'after call' is not a valid name: start with a letter, then use "
        "letters, digits, '_' or '-' (at most 64 characters)",
    ]


NUMBERS = """\
prompts:
  hi: {text: Hello}
crm:
  default_region: GB
  blacklist:
    numbers: ["+447700900666", "07700 900666", "123", "+449091234567", "+999 1234 5678"]
    prefixes: ["+44909", "+449091", "+28", "+44909"]
  vip:
    numbers: ["+44 7700 900666", "+449095550000", "01632 960001", "+44 1632 960001", "960001"]
    queue: desk
queues:
  desk: {extension: "2001", tiers: [{agent: "1001"}]}
agents:
  "1001": {name: Ann}
"""


def test_screening_numbers_normalise_and_never_clash(plan_file: WriteYaml) -> None:
    path = plan_file(NUMBERS + MENUS)
    assert messages(path) == [
        "plan.yaml:6:32 crm.blacklist.numbers[1]: warning: +447700900666 is already listed at numbers[0]",
        "plan.yaml:6:48 crm.blacklist.numbers[2]: '123' is not a full phone number in GB: it is too short; "
        "write it in E.164 (+441632960001) or as dialled nationally, with the area code",
        "plan.yaml:6:55 crm.blacklist.numbers[3]: warning: +449091234567 is already refused by prefix +44909",
        "plan.yaml:6:72 crm.blacklist.numbers[4]: '+999 1234 5678' is not a full phone number in GB: no "
        "country has its calling code; write it in E.164 (+441632960001) or as dialled nationally, with "
        "the area code",
        "plan.yaml:7:26 crm.blacklist.prefixes[1]: warning: +449091 is already refused by prefix +44909",
        "plan.yaml:7:37 crm.blacklist.prefixes[2]: no country calling code begins +28, so no caller ID can "
        "match it",
        "plan.yaml:7:44 crm.blacklist.prefixes[3]: warning: +44909 is already listed at prefixes[0]",
        f"plan.yaml:9:15 crm.vip.numbers[0]: +447700900666 is also blacklisted at numbers[0]{BOTH}",
        "plan.yaml:9:34 crm.vip.numbers[1]: +449095550000 is also refused by the blacklist prefix "
        f"+44909{BOTH}",
        "plan.yaml:9:67 crm.vip.numbers[3]: warning: +441632960001 is already listed at numbers[2]",
        "plan.yaml:9:86 crm.vip.numbers[4]: '960001' is not a full phone number in GB: it is a local "
        "number without its area code; write it in E.164 (+441632960001) or as dialled nationally, with "
        "the area code",
    ]


def test_a_whole_country_code_as_prefix_is_a_warning(plan_file: WriteYaml) -> None:
    path = plan_file(
        'prompts:\n  hi: {text: Hello}\ncrm:\n  blacklist: {prefixes: ["+1"]}\n'
        'queues:\n  desk: {extension: "2001", tiers: [{agent: "1001"}]}\nagents:\n  "1001": {name: Ann}\n'
        + MENUS
    )
    [message] = messages(path)
    assert message.startswith(
        "plan.yaml:4:26 crm.blacklist.prefixes[0]: warning: +1 is a whole country calling code: it refuses "
        "every caller from US, "
    )
    assert ", CA, " in message


@pytest.mark.parametrize(
    ("region", "hint"),
    [("UK", "did you mean 'GB'?"), ("ZZ", "use an ISO 3166 code such as GB, US or DE")],
)
def test_an_unknown_region_is_reported_alone(plan_file: WriteYaml, region: str, hint: str) -> None:
    path = plan_file(
        f"prompts:\n  hi: {{text: Hello}}\ncrm:\n  default_region: {region}\n"
        '  blacklist: {numbers: ["123"]}\n'
        'queues:\n  desk: {extension: "2001", tiers: [{agent: "1001"}]}\nagents:\n  "1001": {name: Ann}\n'
        + MENUS
    )
    # National numbers cannot be read without a region: only the region is reported.
    assert messages(path) == [
        f"plan.yaml:4:19 crm.default_region: no phone numbering plan is known for region {region!r}; {hint}"
    ]


REFERENCES = """\
prompts:
  hi: {text: Hello}
crm:
  blacklist: {prompt: go_away}
  vip:
    tiers: [gold]
    queue: vips
    greeting: hello
  keypad_fields: [plate, account, plate]
self_service:
  appointment:
    by: plates
    min_digits: 9
    max_digits: 8
    answer:
      - prompt: due
      - {field: next_service, as: date, missing: none_due}
    not_found: unknown
  who:
    by: caller_id
    ask: hi
    answer: [{field: name}]
  spare:
    ask: hi
    answer: [{prompt: hi}]
surveys:
  after_call:
    intro: intro
    questions:
      - {id: satisfaction, prompt: rate}
      - {id: satisfaction, prompt: hi}
    invalid_prompt: bad_key
    thanks: thanks
  unused:
    questions: [{id: q, prompt: hi}]
queues:
  desk:
    extension: "2001"
    tiers: [{agent: "1001"}]
    survey: after_cal
    exit_key: "*"
    exit_action: {lookup: who}
agents:
  "1001": {name: Ann}
menus:
  main:
    prompt: hi
    options:
      "1": {transfer: {queue: desk}}
      "2": {lookup: appointment}
      "3": {lookup: claim}
    fallback: {lookup: who}
dids:
  "4001": {menu: main}
"""


def test_crm_references_and_rules_are_located(plan_file: WriteYaml) -> None:
    path = plan_file(REFERENCES)
    assert messages(path) == [
        "plan.yaml:4:23 crm.blacklist.prompt: unknown prompt 'go_away'; the prompts are: hi",
        "plan.yaml:7:12 crm.vip.queue: unknown queue 'vips'; the queues are: desk",
        "plan.yaml:8:15 crm.vip.greeting: unknown prompt 'hello'; the prompts are: hi",
        "plan.yaml:9:26 crm.keypad_fields[1]: 'account' is already a way lookups find customers; name the "
        "keypad field otherwise",
        "plan.yaml:9:35 crm.keypad_fields[2]: warning: 'plate' is already listed at keypad_fields[0]",
        "plan.yaml:12:5 self_service.appointment: this lookup asks for the plates, so it needs ask: the "
        "prompt asking",
        "plan.yaml:12:9 self_service.appointment.by: a lookup cannot find customers by 'plates'; did you "
        "mean 'plate'? use account, caller_id, or a field listed in crm.keypad_fields (plate, account)",
        "plan.yaml:13:17 self_service.appointment.min_digits: min_digits (9) is more than max_digits (8)",
        "plan.yaml:16:17 self_service.appointment.answer[0].prompt: unknown prompt 'due'; the prompts "
        "are: hi",
        "plan.yaml:17:50 self_service.appointment.answer[1].missing: unknown prompt 'none_due'; the prompts "
        "are: hi",
        "plan.yaml:18:16 self_service.appointment.not_found: unknown prompt 'unknown'; the prompts are: hi",
        "plan.yaml:21:10 self_service.who.ask: a caller_id lookup asks the caller nothing (it uses the "
        "customer their number matched); remove ask",
        "plan.yaml:24:5 self_service.spare: warning: lookup 'spare' is never used by a menu",
        "plan.yaml:28:5 surveys.after_call: warning: survey 'after_call' is not used by any queue",
        "plan.yaml:28:12 surveys.after_call.intro: unknown prompt 'intro'; the prompts are: hi",
        "plan.yaml:30:36 surveys.after_call.questions[0].prompt: unknown prompt 'rate'; the prompts are: hi",
        "plan.yaml:31:14 surveys.after_call.questions[1].id: question id 'satisfaction' is already used by "
        "questions[0]: answers are stored by id, so each question needs its own",
        "plan.yaml:32:21 surveys.after_call.invalid_prompt: unknown prompt 'bad_key'; the prompts are: hi",
        "plan.yaml:33:13 surveys.after_call.thanks: unknown prompt 'thanks'; the prompts are: hi",
        "plan.yaml:35:5 surveys.unused: warning: survey 'unused' is not used by any queue",
        "plan.yaml:40:13 queues.desk.survey: unknown survey 'after_cal'; did you mean 'after_call'?",
        "plan.yaml:42:18 queues.desk.exit_action: a lookup runs within a menu (its tries, its fallback), "
        "and a caller leaving a queue is in no menu; use {menu: NAME} to a menu that offers it",
        "plan.yaml:51:21 menus.main.options.\"3\".lookup: unknown lookup 'claim'; the lookups are: "
        "appointment, spare, who",
        "plan.yaml:52:15 menus.main.fallback: a lookup cannot be a fallback: a caller it cannot find ends "
        "in the fallback, which would have nowhere left to go; offer it on a key",
    ]


def test_a_lookup_is_no_way_out_of_a_menu(plan_file: WriteYaml) -> None:
    path = plan_file(
        """\
        prompts:
          hi: {text: Hello}
        self_service:
          who: {by: caller_id, answer: [{field: name}], then: hangup}
        menus:
          main:
            prompt: hi
            options: {"1": {lookup: who}}
            fallback: {menu: main}
        dids:
          "4001": {menu: main}
        """
    )
    # `then: hangup` ends only the calls of customers it finds; everyone else would go round forever.
    assert messages(path) == [
        "plan.yaml:7:5 menus.main: callers can never leave menu 'main': no option or fallback here "
        "transfers or hangs up"
    ]


def test_the_vip_queue_is_a_way_into_the_menus_its_exit_key_leads_to(plan_file: WriteYaml) -> None:
    vip = """\
        prompts:
          hi: {text: Hello}
        crm:
          vip: {tiers: [gold], queue: vip}
        queues:
          vip: {extension: "2001", tiers: [{agent: "1001"}], exit_key: "*", exit_action: {menu: after_vip}}
        agents:
          "1001": {name: Ann}
        menus:
          main:
            prompt: hi
            options: {"1": {hangup: }}
            fallback: {hangup: }
          after_vip:
            prompt: hi
            options: {"1": {hangup: }}
            fallback: {hangup: }
        dids:
          "4001": {menu: main}
        """
    assert messages(plan_file(vip)) == []
    without_vip = vip.replace(
        "          vip: {tiers: [gold], queue: vip}\n", "          default_region: GB\n"
    )
    assert messages(plan_file(without_vip)) == [
        "plan.yaml:6:8 queues.vip: warning: queue 'vip' is never used",
        "plan.yaml:15:5 menus.after_vip: menu 'after_vip' is unreachable: no DID starts in it and no menu "
        "leads to it",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "+441632960001",
        "01632 960001",
        "0044 1632 960001",
        "(01632) 960-001",
        "+44 (0) 7700 900666",
        "07700.900.666",
        "+1 415 555 0100",
        "960001",
        "123",
        "+999 1234 5678",
        "+44 1632 960001 999",
    ],
)
@pytest.mark.parametrize("region", ["GB", "US", "DE"])
def test_numbers_normalise_as_the_crm_stores_them(text: str, region: str) -> None:
    e164, why = normalise_number(text, region)
    assert e164 == phones.normalise_number(text, region)
    assert (why == "") == (e164 is not None)
