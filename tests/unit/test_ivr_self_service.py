"""Self-service lookups in a menu: asking, finding, reading back, and the menu's retry rules."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dialplans.models import Dialplan
from ivr_scripts.crm import CallerProfile, CustomerRecord
from ivr_scripts.journal import Outcome
from ivr_scripts.self_service import sayable
from ivr_scripts.simulate import simulate
from tests.fakes.crm import FakeDirectory
from tests.support.ivr_calls import PLAN, crm_plan, run_crm_call

CALLER = "+15551230001"
FIELDS = {"appointment": "2026-12-01", "amount": "12.50", "status": "Approved", "name": "Jane Doe"}
JANE = CustomerRecord(7, "Jane Doe", tier="gold", fields=FIELDS)
ANSWER: list[dict[str, Any]] = [
    {"prompt": "your_date"},
    {"field": "appointment", "as": "date", "missing": "no_date"},
    {"field": "amount", "as": "money"},
    {"field": "status"},
    {"field": "plate", "as": "digits"},  # Jane has no plate: skipped without a prompt
]
LOOKUPS: dict[str, Any] = {
    "claim": {
        "ask": "ask_account",
        "min_digits": 4,
        "max_digits": 8,
        "not_found": "not_found",
        "answer": ANSWER,
    },
    "plate": {"ask": "ask_account", "by": "plate", "terminator": "*", "answer": [{"field": "status"}]},
    "mine": {"by": "caller_id", "not_found": "not_found", "answer": [{"field": "name"}], "then": "hangup"},
}
READ_BACK = [
    "play:your_date",
    "say:date=2026-12-01",
    "say:money=12.50",
    "play:field:status=Approved",
]


def plan() -> Dialplan:
    options = {"5": {"lookup": "claim"}, "6": {"lookup": "plate"}, "8": {"lookup": "mine"}}
    main = copy.deepcopy(PLAN["menus"]["main"])
    main["options"].update(options)
    return crm_plan(self_service=LOOKUPS, menus={"main": main})


def directory(keys: dict[tuple[str, str], list[CustomerRecord]] | None = None) -> FakeDirectory:
    """Jane calls from CALLER; `keys` maps (by, digits) to the customers found."""
    return FakeDirectory({CALLER: CallerProfile(CALLER, JANE)}, keys)


def test_found_reads_the_answer_and_returns_to_the_options() -> None:
    book = directory({("account", "12345"): [JANE]})
    call = run_crm_call(plan(), ["5", "12345", "2"], directory=book)
    assert call.channel.events == [
        "answer",
        "play:hello",
        "collect:options",
        "collect:ask_account",
        *READ_BACK,
        "collect:options",  # the options again, not the greeting
        "transfer:2001@default",
    ]
    assert book.finds == [("account", "12345")]
    assert call.channel.collects[1] == {"max_digits": 8, "timeout": 5.0, "digit_timeout": 3.0, "term": "#"}
    assert "main:lookup_found:12345" in call.results()
    assert call.outcome.destination == "queue:sales"


def test_field_values_are_never_recorded_as_steps() -> None:
    call = run_crm_call(plan(), ["5", "12345", "2"], directory=directory({("account", "12345"): [JANE]}))
    recorded = " ".join(f"{step.prompt} {step.digits}" for step in call.steps)
    for value in FIELDS.values():
        assert value not in recorded
    assert [step.prompt for step in call.steps if step.prompt and step.prompt.startswith("field:")] == [
        "field:appointment",
        "field:amount",
        "field:status",
    ]


def test_not_found_then_found_on_the_next_try() -> None:
    book = directory({("account", "22222"): [JANE]})
    call = run_crm_call(plan(), ["5", "11111", "22222", "7"], directory=book)
    assert call.channel.events[3:7] == [
        "collect:ask_account",
        "play:not_found",
        "collect:ask_account",
        "play:your_date",
    ]
    assert call.results()[3:6] == ["main:lookup_not_found:11111", "main:played:", "main:lookup_found:22222"]


def test_ambiguous_keypad_text_is_a_failed_try() -> None:
    other = CustomerRecord(8, "Bob Roe", fields={"status": "Closed"})
    book = directory({("plate", "227"): [JANE, other], ("plate", "228"): [other]})
    call = run_crm_call(plan(), ["6", "227", "228", "7"], directory=book)
    assert book.finds == [("plate", "227"), ("plate", "228")]
    # No not_found prompt on this lookup: the menu's invalid prompt stands in before the next try.
    assert call.channel.events[3:7] == [
        "collect:ask_account",
        "play:invalid",
        "collect:ask_account",
        "play:field:status=Closed",
    ]
    assert call.channel.collects[1]["term"] == "*"
    assert "main:lookup_not_found:227" in call.results()


def test_too_few_digits_fail_without_asking_the_directory() -> None:
    book = directory({("account", "12345"): [JANE]})
    call = run_crm_call(plan(), ["5", "123", "1*3", "12345"], directory=book)
    assert book.finds == [("account", "12345")]
    assert call.results()[3:8] == [
        "main:invalid:123",
        "main:played:",
        "main:invalid:1*3",
        "main:played:",
        "main:lookup_found:12345",
    ]


def test_retries_exhausted_run_the_menu_fallback() -> None:
    book = directory()
    call = run_crm_call(plan(), ["5", "11111", "", "33333"], directory=book)
    # Three tries (the menu's max_retries), the lookup's not_found after each, then the fallback.
    assert call.channel.heard("collect") == ["options", "ask_account", "ask_account", "ask_account"]
    assert call.channel.heard("play") == ["hello", "not_found", "not_found", "not_found"]
    # The caller may key the next try during not_found, but not after the last one: the fallback follows.
    assert call.channel.typed_over == ["hello", "not_found", "not_found"]
    assert call.results()[-3:] == ["main:played:", "main:fallback:", "main:queue:2009"]
    assert "main:timeout:" in call.results()
    assert call.outcome.destination == "queue:operators"


@pytest.mark.parametrize("last_try", ["", "12#", "888"])
def test_stand_in_prompts_follow_the_menu_rules(last_try: str) -> None:
    # plate has no not_found: silence plays the menu's timeout prompt, a miss its invalid prompt,
    # and nothing is played after the last try, whatever made it fail.
    call = run_crm_call(plan(), ["6", "", "999", last_try], directory=directory())
    assert call.channel.heard("play") == ["hello", "timeout", "invalid"]
    assert call.channel.events[-1] == "transfer:2009@default"


def test_directory_down_goes_to_the_fallback_at_once() -> None:
    book = directory()
    book.down = True
    call = run_crm_call(plan(), ["5", "12345"], directory=book)
    assert call.channel.heard("collect") == ["options", "ask_account"]
    assert call.outcome.destination == "queue:operators"


def test_no_directory_goes_to_the_fallback() -> None:
    call = run_crm_call(plan(), ["5"])
    assert call.channel.heard("collect") == ["options"]
    assert call.outcome.destination == "queue:operators"


def test_by_caller_id_uses_the_screened_customer_and_hangs_up() -> None:
    call = run_crm_call(plan(), ["8"], directory=directory())
    assert call.channel.events[-2:] == ["play:field:name=Jane Doe", "hangup:NORMAL_CLEARING"]
    assert call.channel.heard("collect") == ["options"]  # nothing asked
    assert call.outcome.kind == "hangup"
    assert "main:lookup_found:" in call.results()


def test_by_caller_id_for_an_unknown_caller_plays_not_found_then_the_fallback() -> None:
    call = run_crm_call(plan(), ["8"], directory=directory(), caller="+15559990000")
    assert call.channel.heard("play") == ["hello", "not_found"]
    assert call.results()[3:5] == ["main:lookup_not_found:", "main:played:"]
    assert call.outcome.destination == "queue:operators"


def test_missing_or_unreadable_field_plays_the_missing_prompt() -> None:
    odd = CustomerRecord(9, "Odd", fields={"appointment": "01/12/2026", "amount": "lots", "status": ""})
    call = run_crm_call(plan(), ["5", "44444", "7"], directory=directory({("account", "44444"): [odd]}))
    assert call.channel.events[4:6] == ["play:your_date", "play:no_date"]
    assert call.channel.heard("say") == []
    assert "play:field:status=" not in " ".join(call.channel.events)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("date", "2026-02-28", "2026-02-28"),
        ("date", " 2026-02-28 ", "2026-02-28"),
        ("date", "2026-02-30", None),
        ("date", "20260228", None),
        ("date", "2026-2-28", None),
        ("number", "42", "42"),
        ("number", "-7", "-7"),
        ("number", "4.2", None),
        ("digits", "0042", "0042"),
        ("digits", "AB12", None),
        ("money", "12.50", "12.50"),
        ("money", "12", "12"),
        ("money", "12.505", None),
        ("money", "$12", None),
        ("text", "Approved", "Approved"),
        ("text", "x" * 2000, "x" * 1000),
        ("text", "   ", None),
        ("number", None, None),
    ],
)
def test_sayable(kind: Any, value: str | None, expected: str | None) -> None:
    assert sayable(kind, value) == expected


def test_simulator_keys_an_account_number_and_says_fields(tmp_path: Path) -> None:
    heard: list[str] = []
    outcome = simulate(
        plan(),
        tmp_path,
        did="4001",
        keys="512345#7",
        at=dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC),
        out=heard.append,
        directory=directory({("account", "12345"): [JANE]}),
    )
    assert "  caller presses 12345" in heard
    assert any("say date (en): 2026-12-01" in line for line in heard)
    assert outcome.destination == "1007"


def test_failed_lookup_that_is_the_menu_fallback_hangs_up() -> None:
    main = copy.deepcopy(PLAN["menus"]["main"])
    main["fallback"] = {"lookup": "plate"}
    call = run_crm_call(crm_plan(self_service=LOOKUPS, menus={"main": main}), ["0"], directory=directory())
    # Three silent tries at the menu, three at the lookup, then the call ends instead of looping.
    assert call.channel.heard("collect") == ["options"] * 3 + ["ask_account"] * 3
    assert call.outcome == Outcome("hangup", "NORMAL_CLEARING", ("main",))
