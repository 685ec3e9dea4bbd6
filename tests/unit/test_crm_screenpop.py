"""The screen pop (schema.crm.screenpop): payload on SQLite and PostgreSQL, and the SIP caller name."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from esl_handlers.app_args import originate_value
from schema.crm.queries import open_ticket, set_ticket_status
from schema.crm.screenpop import build_screen_pop, display_name
from schema.crm.views import CustomerSummary
from schema.errors import NotFound
from schema.viewer import SYSTEM, Viewer
from tests.support.crm_records import at, connect, insert_call, jane


def test_the_pop_of_a_known_caller_has_the_customer_last_ten_calls_and_open_tickets(engine: Engine) -> None:
    customer = jane(engine)
    for n in range(11):
        insert_call(
            engine, f"old-{n:02}", started=at(n), customer_id=customer.id, destination="queue:service"
        )
    connect(engine, "old-10", "1002", queue="service", when=at(10.2))
    insert_call(
        engine,
        "now",
        started=at(60),
        customer_id=customer.id,
        caller_number="+12025550143",
        destination="queue:sales",
        screening="known",
    )
    still_open = open_ticket(engine, SYSTEM, customer.id, "Brakes", now=at(1))
    closed = open_ticket(engine, SYSTEM, customer.id, "Invoice", now=at(2))
    set_ticket_status(engine, SYSTEM, closed.id, "closed", now=at(3))

    pop = build_screen_pop(engine, SYSTEM, "now")

    assert (pop.known, pop.customer, pop.caller_number) == (True, customer, "+12025550143")
    assert (pop.display_name, pop.queue, pop.screening) == ("Jane Doe (gold)", "sales", "known")
    assert [c.uuid for c in pop.recent_calls] == ["now"] + [f"old-{n:02}" for n in range(10, 1, -1)]
    assert (pop.recent_calls[1].queue, pop.recent_calls[1].agent_id) == ("service", "1002")
    assert pop.open_tickets == [still_open]


def test_before_the_call_row_is_written_the_customer_comes_from_the_caller_number(engine: Engine) -> None:
    customer = jane(engine)

    pop = build_screen_pop(engine, SYSTEM, "not-yet-written", caller_number="(202) 555-0143", region="US")

    assert (pop.known, pop.customer, pop.queue, pop.screening) == (True, customer, None, None)
    assert pop.caller_number == "(202) 555-0143"


def test_the_call_rows_customer_wins_over_the_caller_number(engine: Engine) -> None:
    customer = jane(engine)
    insert_call(engine, "c1", started=at(0), customer_id=customer.id, caller_number="anonymous")

    assert build_screen_pop(engine, SYSTEM, "c1", caller_number="+12025550100").customer == customer


def test_the_call_rows_caller_number_is_used_when_none_is_given(engine: Engine) -> None:
    customer = jane(engine)
    insert_call(engine, "c1", started=at(0), caller_number="+12025550143")  # screening not recorded yet

    pop = build_screen_pop(engine, SYSTEM, "c1")

    assert (pop.customer, pop.caller_number) == (customer, "+12025550143")


def test_an_unknown_caller_gets_their_number_as_the_name(engine: Engine) -> None:
    jane(engine)
    insert_call(engine, "c1", started=at(0), destination="queue:sales", screening="unknown")

    pop = build_screen_pop(engine, SYSTEM, "c1", caller_number="+12025550100")

    assert (pop.known, pop.customer, pop.display_name) == (False, None, "+12025550100")
    assert (pop.recent_calls, pop.open_tickets, pop.queue, pop.screening) == ([], [], "sales", "unknown")
    assert build_screen_pop(engine, SYSTEM, "c2").display_name == "Unknown caller"


def test_a_viewer_with_no_part_in_the_call_gets_not_found(engine: Engine) -> None:
    jane(engine)  # owned by agent 1001
    insert_call(engine, "c1", started=at(0), caller_number="+12025550143")
    with pytest.raises(NotFound):
        build_screen_pop(engine, Viewer("bob", "agent", agent_id="2002"), "c1")


# --- display_name ------------------------------------------------------------------------------------


def summary(name: str, tier: str | None = None) -> CustomerSummary:
    return CustomerSummary(id=1, name=name, tier=tier)


@pytest.mark.parametrize(
    ("customer", "number", "expected"),
    [
        (summary("Jane Doe", "gold"), "+1202", "Jane Doe (gold)"),
        (summary("Jane Doe"), "+1202", "Jane Doe"),
        (summary('Jane "JD" Doe\\', "gold"), None, "Jane JD Doe (gold)"),
        (summary("Jane\r\nDoe\x00\x1b[31m", None), None, "Jane Doe31m"),
        (summary("  Jane \t  Doe  ", " "), None, "Jane Doe"),
        (summary("O'Brien, {Sean} $x | [^]", "vip"), None, "OBrien Sean x (vip)"),
        (summary("\u202eJane\u200b", None), None, "Jane"),
        (summary('"\\'), "+12025550143", "+12025550143"),
        (None, "+12025550143", "+12025550143"),
        (None, "", "Unknown caller"),
        (None, None, "Unknown caller"),
        (None, '"', "Unknown caller"),
    ],
)
def test_display_name(customer: CustomerSummary | None, number: str | None, expected: str) -> None:
    assert display_name(customer, number) == expected


def test_a_long_name_is_cut_under_64_characters_keeping_the_tier() -> None:
    full_name = " ".join(["Bartholomew"] * 10)
    name = display_name(summary(full_name, "platinum"), None)
    assert len(name) == 63
    assert name.endswith(" (platinum)")
    assert full_name.startswith(name.removesuffix(" (platinum)"))


def test_a_long_tier_is_cut_too() -> None:
    name = display_name(summary("Jane Doe", "t" * 80), None)
    assert name == f"Jane Doe ({'t' * 20})"


@pytest.mark.parametrize(
    "name", ["Ann O'Neil, Ltd.", 'x\\y"z', "  ", "日本 太郎", "a" * 200, "\t$${x}\n", "Chloé {gold}"]
)
def test_every_display_name_can_be_rung_with(name: str) -> None:
    # The ACD puts the name in originate's {origination_caller_id_name=...}: it must never refuse it.
    for shown in (display_name(summary(name, "gold"), None), display_name(None, name)):
        assert 0 < len(shown) < 64
        originate_value(shown, "caller id name")
