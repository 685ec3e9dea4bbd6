"""The CRM data layer's customers, calls, tickets and notes (schema.crm.queries), on SQLite and PostgreSQL.

Permissions per role are in test_crm_permissions.py; here the viewer is the system or a manager.
The helpers at the top (calls, queue events, agents) are shared with the other CRM test modules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from schema.acd.agents import write_queue_events
from schema.acd.records import QueueEvent
from schema.crm.access import CUSTOMERS
from schema.crm.lookup import CUSTOMER_KEYS, PHONE_NUMBERS, find_by_keys
from schema.crm.queries import (
    add_note,
    create_customer,
    customer_calls,
    customer_notes,
    customer_tickets,
    get_call,
    get_customer,
    list_calls,
    open_ticket,
    search_customers,
    set_ticket_status,
)
from schema.errors import NotFound, PermissionDenied, RecordRejected
from schema.viewer import SYSTEM, Viewer
from tests.support.crm_records import T0, at, connect, insert_call, jane
from tests.support.unchecked import unchecked

MANAGER = Viewer("boss", "manager")


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


# --- create_customer ---------------------------------------------------------------------------------


def test_create_customer_stores_numbers_in_e164_and_keypad_keys(engine: Engine) -> None:
    created = jane(engine)

    assert [phone.e164 for phone in created.phone_numbers] == ["+12025550143", "+442079460958"]
    assert created.custom_fields == {"plate": "AB12 CDE", "purchase_date": "2024-05-17"}
    assert (created.tier, created.department, created.owner_agent_id) == ("gold", "sales", "1001")
    assert created.created_at == created.updated_at == T0
    assert get_customer(engine, MANAGER, created.id) == created
    with engine.connect() as connection:
        keys = connection.execute(select(CUSTOMER_KEYS.c.kind, CUSTOMER_KEYS.c.keypad).order_by("kind")).all()
    assert [tuple(key) for key in keys] == [("account", "221001"), ("plate", "2212233")]


def test_create_customer_keys_only_the_keypad_fields_it_is_given(engine: Engine) -> None:
    created = jane(
        engine, custom_fields={"plate": "XY1", "vin": "WVW 123"}, keypad_fields=("vin",), account_number=None
    )

    assert [c.id for c in find_by_keys(engine, SYSTEM, "vin", "989123")] == [created.id]
    assert find_by_keys(engine, SYSTEM, "plate", "991") == []
    assert find_by_keys(engine, SYSTEM, "account", "221001") == []


def test_a_number_another_customer_owns_is_rejected_by_name_and_nothing_is_written(engine: Engine) -> None:
    jane(engine)

    with pytest.raises(RecordRejected, match=r"\+12025550143 already belongs to another customer"):
        create_customer(engine, SYSTEM, name="John", phones=["+1 202 555 0100", "202-555-0143"], region="US")

    assert count(engine, CUSTOMERS) == 1
    assert count(engine, PHONE_NUMBERS) == 2


@pytest.mark.parametrize("number", ["anonymous", "1001", "+44 12"])
def test_a_number_that_is_not_a_full_phone_number_is_rejected(engine: Engine, number: str) -> None:
    with pytest.raises(RecordRejected, match="not a full phone number"):
        create_customer(engine, SYSTEM, name="John", phones=[number], region="US")
    assert count(engine, CUSTOMERS) == 0


def test_the_same_number_twice_for_one_customer_is_stored_once(engine: Engine) -> None:
    created = create_customer(engine, SYSTEM, name="John", phones=["2025550100", "+12025550100"], region="US")
    assert [phone.e164 for phone in created.phone_numbers] == ["+12025550100"]


def test_a_duplicate_account_number_is_rejected(engine: Engine) -> None:
    jane(engine)
    with pytest.raises(RecordRejected):
        create_customer(engine, SYSTEM, name="John", region="US", account_number="AC-1001")
    assert count(engine, CUSTOMERS) == 1


def test_a_customer_needs_a_name(engine: Engine) -> None:
    with pytest.raises(RecordRejected, match="needs a name"):
        create_customer(engine, SYSTEM, name="  ", region="US")


def test_an_agent_creates_customers_they_own_and_no_one_else(engine: Engine) -> None:
    agent = Viewer("ann", "agent", agent_id="1001", department="sales")

    created = create_customer(engine, agent, name="Own", region="US")
    assert created.owner_agent_id == "1001"
    with pytest.raises(PermissionDenied):
        create_customer(engine, agent, name="Other", region="US", owner_agent_id="1002")
    assert count(engine, CUSTOMERS) == 1


def test_a_supervisor_creates_customers_in_their_department_only(engine: Engine) -> None:
    supervisor = Viewer("sue", "supervisor", department="sales")

    created = create_customer(engine, supervisor, name="Own", region="US", owner_agent_id="1002")
    assert (created.department, created.owner_agent_id) == ("sales", "1002")
    with pytest.raises(PermissionDenied):
        create_customer(engine, supervisor, name="Other", region="US", department="service")


# --- get / search ----------------------------------------------------------------------------------


def test_get_customer_of_a_missing_id_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound):
        get_customer(engine, MANAGER, 42)


def test_search_by_phone_reads_any_form_of_the_number(engine: Engine) -> None:
    created = jane(engine)
    create_customer(engine, SYSTEM, name="John", phones=["+12025550100"], region="US")

    assert [c.id for c in search_customers(engine, MANAGER, phone="020 7946 0958", region="GB")] == [
        created.id
    ]
    assert search_customers(engine, MANAGER, phone="+1 202 555 0199") == []
    assert search_customers(engine, MANAGER, phone="withheld") == []


def test_search_by_name_is_case_insensitive_and_takes_percent_literally(engine: Engine) -> None:
    for name in ("Jane Doe", "John Doeman", "100% Motors", "Bob"):
        create_customer(engine, SYSTEM, name=name, region="US")

    assert [c.name for c in search_customers(engine, MANAGER, name="DOE")] == ["Jane Doe", "John Doeman"]
    assert [c.name for c in search_customers(engine, MANAGER, name="%")] == ["100% Motors"]
    assert [c.name for c in search_customers(engine, MANAGER, name="doe", limit=1, offset=1)] == [
        "John Doeman"
    ]
    assert len(search_customers(engine, MANAGER)) == 4


def test_search_refuses_a_page_out_of_bounds(engine: Engine) -> None:
    with pytest.raises(RecordRejected):
        search_customers(engine, MANAGER, limit=0)
    with pytest.raises(RecordRejected):
        search_customers(engine, MANAGER, offset=-1)


# --- calls ------------------------------------------------------------------------------------------


def test_customer_calls_are_newest_first_with_queue_and_answering_agent(engine: Engine) -> None:
    customer = jane(engine)
    for n in range(12):
        insert_call(
            engine,
            f"call-{n:02}",
            started=at(n),
            customer_id=customer.id,
            destination="queue:sales" if n % 2 else "1001",
            outcome="queued" if n % 2 else "transfer",
            caller_number="+12025550143",
            screening="known",
        )
    connect(engine, "call-11", "1002", when=at(11.5))

    calls = customer_calls(engine, MANAGER, customer.id)

    assert [c.uuid for c in calls] == [f"call-{n:02}" for n in range(11, 1, -1)]
    newest = calls[0]
    assert (newest.queue, newest.agent_id, newest.outcome, newest.screening) == (
        "sales",
        "1002",
        "queued",
        "known",
    )
    assert (calls[1].queue, calls[1].agent_id) == (None, None)
    assert len(customer_calls(engine, MANAGER, customer.id, limit=3)) == 3


def test_the_agent_of_a_call_is_the_last_connect(engine: Engine) -> None:
    insert_call(engine, "call-1", started=T0, destination="queue:sales")
    write_queue_events(
        engine,
        [
            QueueEvent(at(1), "call-1", "sales", "ENTERQUEUE"),
            QueueEvent(at(2), "call-1", "sales", "RINGNOANSWER", "1003"),
            QueueEvent(at(3), "call-1", "sales", "CONNECT", "1001"),
            QueueEvent(at(9), "call-1", "sales", "CONNECT", "1002"),
            QueueEvent(at(12), "call-1", "sales", "COMPLETECALLER", "1002"),
        ],
    )
    assert get_call(engine, MANAGER, "call-1").agent_id == "1002"


def test_calls_without_a_start_time_come_last(engine: Engine) -> None:
    customer = jane(engine)
    insert_call(engine, "bare", started=None, customer_id=customer.id)
    insert_call(engine, "older", started=at(1), customer_id=customer.id)
    insert_call(engine, "newer", started=at(2), customer_id=customer.id)

    assert [c.uuid for c in customer_calls(engine, MANAGER, customer.id)] == ["newer", "older", "bare"]


def test_get_call_of_an_unknown_uuid_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound):
        get_call(engine, MANAGER, "nope")


def test_list_calls_filters_by_customer_and_start(engine: Engine) -> None:
    customer = jane(engine)
    insert_call(engine, "theirs-old", started=at(1), customer_id=customer.id)
    insert_call(engine, "theirs-new", started=at(5), customer_id=customer.id)
    insert_call(engine, "anonymous", started=at(6))

    assert [c.uuid for c in list_calls(engine, MANAGER)] == ["anonymous", "theirs-new", "theirs-old"]
    assert [c.uuid for c in list_calls(engine, MANAGER, customer_id=customer.id)] == [
        "theirs-new",
        "theirs-old",
    ]
    assert [c.uuid for c in list_calls(engine, MANAGER, since=at(5))] == ["anonymous", "theirs-new"]
    assert [c.uuid for c in list_calls(engine, MANAGER, limit=1, offset=1)] == ["theirs-new"]


def test_customer_calls_of_a_missing_customer_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound):
        customer_calls(engine, MANAGER, 99)


# --- tickets and notes -------------------------------------------------------------------------------


def test_tickets_open_move_and_list_by_status(engine: Engine) -> None:
    customer = jane(engine)
    first = open_ticket(engine, MANAGER, customer.id, " Brakes squeal ", call_uuid="call-1", now=at(1))
    second = open_ticket(engine, MANAGER, customer.id, "Invoice", now=at(2))

    assert (first.subject, first.status, first.created_by, first.call_uuid) == (
        "Brakes squeal",
        "open",
        "boss",
        "call-1",
    )
    closed = set_ticket_status(engine, MANAGER, first.id, "closed", now=at(3))
    assert (closed.status, closed.updated_at, closed.created_at) == ("closed", at(3), at(1))
    assert set_ticket_status(engine, MANAGER, first.id, "closed", now=at(4)).updated_at == at(3)

    assert [t.id for t in customer_tickets(engine, MANAGER, customer.id)] == [second.id]
    assert [t.id for t in customer_tickets(engine, MANAGER, customer.id, status="closed")] == [first.id]
    assert [t.id for t in customer_tickets(engine, MANAGER, customer.id, status=None)] == [
        second.id,
        first.id,
    ]


def test_ticket_writes_refuse_bad_input(engine: Engine) -> None:
    customer = jane(engine)
    with pytest.raises(RecordRejected):
        open_ticket(engine, MANAGER, customer.id, "   ")
    with pytest.raises(RecordRejected):
        open_ticket(engine, MANAGER, customer.id, "x", call_uuid="u" * 37)
    with pytest.raises(NotFound):
        open_ticket(engine, MANAGER, customer.id + 1, "x")
    ticket = open_ticket(engine, MANAGER, customer.id, "x")
    with pytest.raises(RecordRejected):
        set_ticket_status(engine, MANAGER, ticket.id, unchecked("solved"))
    with pytest.raises(NotFound):
        set_ticket_status(engine, MANAGER, ticket.id + 1, "closed")


def test_notes_are_listed_newest_first(engine: Engine) -> None:
    customer = jane(engine)
    add_note(engine, MANAGER, customer.id, "first", now=at(1))
    second = add_note(engine, SYSTEM, customer.id, " called back ", call_uuid="call-9", now=at(2))

    assert (second.author, second.body, second.call_uuid, second.created_at) == (
        "system",
        "called back",
        "call-9",
        at(2),
    )
    assert [n.body for n in customer_notes(engine, MANAGER, customer.id)] == ["called back", "first"]
    assert [n.body for n in customer_notes(engine, MANAGER, customer.id, limit=1)] == ["called back"]
    with pytest.raises(RecordRejected):
        add_note(engine, MANAGER, customer.id, "\n")
    with pytest.raises(NotFound):
        add_note(engine, MANAGER, customer.id + 1, "lost")


def test_naive_times_are_refused(engine: Engine) -> None:
    customer = jane(engine)
    with pytest.raises(RecordRejected, match="naive"):
        add_note(engine, MANAGER, customer.id, "x", now=dt.datetime(2025, 1, 1))
