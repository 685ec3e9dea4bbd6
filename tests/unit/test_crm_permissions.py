"""Every CRM data-layer query, for every role (schema.crm.access), on SQLite and PostgreSQL.

The world: departments sales (agents 1001, 1002) and service (agent 2001); customers ann (1001's),
bo (1002's), cy (2001's) and orphan (nobody's). Calls: ann's; bo's; cy's answered by 1001; cy's
being offered to 1002; an anonymous caller answered by 2001; orphan's. Each test asks one query as
each viewer and compares what every viewer got with the rules, in one assertion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from schema.crm.access import SURVEY_RESPONSES, survey_response_visible
from schema.crm.lookup import caller_match, find_by_keys
from schema.crm.queries import (
    NOTES,
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
from schema.crm.screenpop import build_screen_pop
from schema.errors import NotFound, PermissionDenied
from schema.viewer import SYSTEM, Viewer
from tests.support.crm_records import T0, add_agents, at, connect, insert_call, offer

VIEWERS = {
    "agent 1001": Viewer("ann", "agent", agent_id="1001", department="sales"),
    "agent 1002": Viewer("ben", "agent", agent_id="1002", department="sales"),
    "agent 2001": Viewer("cat", "agent", agent_id="2001", department="service"),
    "supervisor sales": Viewer("sue", "supervisor", department="sales"),
    "supervisor service": Viewer("sam", "supervisor", department="service"),
    "manager": Viewer("max", "manager"),
    "system": SYSTEM,
}
EVERYONE = frozenset(("manager", "system"))
CUSTOMERS_SEEN = {
    "agent 1001": {"ann"},
    "agent 1002": {"bo"},
    "agent 2001": {"cy"},
    "supervisor sales": {"ann", "bo"},
    "supervisor service": {"cy"},
    "manager": {"ann", "bo", "cy", "orphan"},
    "system": {"ann", "bo", "cy", "orphan"},
}
ALL_CALLS = {
    "call-ann",
    "call-bo",
    "call-cy-by-1001",
    "call-cy-offered-1002",
    "call-anon-by-2001",
    "call-orphan",
}
CALLS_SEEN = {
    "agent 1001": {"call-ann", "call-cy-by-1001"},
    "agent 1002": {"call-bo"},
    "agent 2001": {"call-cy-by-1001", "call-cy-offered-1002", "call-anon-by-2001"},
    "supervisor sales": {"call-ann", "call-bo", "call-cy-by-1001"},
    "supervisor service": {"call-cy-by-1001", "call-cy-offered-1002", "call-anon-by-2001"},
    "manager": ALL_CALLS,
    "system": ALL_CALLS,
}
POPS_SEEN = {
    "agent 1001": {"call-ann", "call-cy-by-1001"},
    "agent 1002": {"call-bo", "call-cy-offered-1002"},
    "agent 2001": {"call-cy-by-1001", "call-cy-offered-1002", "call-anon-by-2001"},
    "supervisor sales": {"call-ann", "call-bo", "call-cy-by-1001", "call-cy-offered-1002"},
    "supervisor service": {"call-cy-by-1001", "call-cy-offered-1002", "call-anon-by-2001"},
    "manager": ALL_CALLS,
    "system": ALL_CALLS,
}


@dataclass(frozen=True)
class World:
    engine: Engine
    customer_ids: dict[str, int]
    phones: dict[str, str]
    tickets: dict[str, int]

    def name_of(self, customer_id: int) -> str:
        return next(name for name, known in self.customer_ids.items() if known == customer_id)


@pytest.fixture
def world(engine: Engine) -> World:
    add_agents(engine, **{"1001": "sales", "1002": "sales", "2001": "service"})
    people = {
        "ann": ("1001", "sales"),
        "bo": ("1002", "sales"),
        "cy": ("2001", "service"),
        "orphan": (None, None),
    }
    ids: dict[str, int] = {}
    phones: dict[str, str] = {}
    tickets: dict[str, int] = {}
    for n, (name, (owner, department)) in enumerate(people.items()):
        phones[name] = f"+1202555010{n}"
        ids[name] = create_customer(
            engine,
            SYSTEM,
            name=name,
            phones=[phones[name]],
            region="US",
            account_number=f"A{n}",
            department=department,
            owner_agent_id=owner,
            custom_fields={"plate": "CAB"},
            now=T0,
        ).id
        tickets[name] = open_ticket(engine, SYSTEM, ids[name], f"{name}'s ticket", now=T0).id
        add_note(engine, SYSTEM, ids[name], f"{name}'s note", now=T0)
    for uuid, customer in [
        ("call-ann", "ann"),
        ("call-bo", "bo"),
        ("call-cy-by-1001", "cy"),
        ("call-cy-offered-1002", "cy"),
        ("call-anon-by-2001", None),
        ("call-orphan", "orphan"),
    ]:
        customer_id = ids[customer] if customer else None
        insert_call(engine, uuid, started=at(len(uuid)), customer_id=customer_id, destination="queue:q")
    connect(engine, "call-cy-by-1001", "1001")
    connect(engine, "call-anon-by-2001", "2001")
    offer(engine, "1002", "call-cy-offered-1002")
    return World(engine, ids, phones, tickets)


def sees(function: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Whether the viewer got an answer rather than NotFound."""
    try:
        function(*args, **kwargs)
    except NotFound:
        return False
    return True


def per_customer(world: World, ask: Callable[[Viewer, int], Any]) -> dict[str, set[str]]:
    """The customers each viewer may ask about: those `ask` answers for rather than NotFound."""
    return {
        role: {name for name, customer_id in world.customer_ids.items() if sees(ask, viewer, customer_id)}
        for role, viewer in VIEWERS.items()
    }


# --- customers -------------------------------------------------------------------------------------------


def test_get_customer(world: World) -> None:
    assert per_customer(world, lambda viewer, cid: get_customer(world.engine, viewer, cid)) == CUSTOMERS_SEEN


def test_search_customers_lists_the_visible_ones(world: World) -> None:
    got = {role: {c.name for c in search_customers(world.engine, viewer)} for role, viewer in VIEWERS.items()}
    assert got == CUSTOMERS_SEEN


def test_search_customers_by_phone(world: World) -> None:
    got = {
        role: {
            name
            for name, phone in world.phones.items()
            if search_customers(world.engine, viewer, phone=phone)
        }
        for role, viewer in VIEWERS.items()
    }
    assert got == CUSTOMERS_SEEN


def test_caller_match_names_only_visible_customers(world: World) -> None:
    got = {
        role: {
            name
            for name, phone in world.phones.items()
            if caller_match(world.engine, viewer, phone, region="US").customer is not None
        }
        for role, viewer in VIEWERS.items()
    }
    assert got == CUSTOMERS_SEEN


def test_find_by_keys(world: World) -> None:
    got = {
        role: {c.name for c in find_by_keys(world.engine, viewer, "plate", "222", limit=10)}
        for role, viewer in VIEWERS.items()
    }
    assert got == CUSTOMERS_SEEN


def test_create_customer(world: World) -> None:
    def attempt(viewer: Viewer) -> str:
        try:
            create_customer(
                world.engine, viewer, name="new", region="US", owner_agent_id="1001", department="sales"
            )
        except PermissionDenied:
            return "denied"
        return "created"

    got = {role: attempt(viewer) for role, viewer in VIEWERS.items()}
    allowed = {"agent 1001", "supervisor sales"} | EVERYONE
    assert got == {role: "created" if role in allowed else "denied" for role in VIEWERS}


# --- calls ---------------------------------------------------------------------------------------------


def test_customer_calls(world: World) -> None:
    assert (
        per_customer(world, lambda viewer, cid: customer_calls(world.engine, viewer, cid)) == CUSTOMERS_SEEN
    )
    # A visible customer's calls are all of them, whoever answered.
    cy_calls = customer_calls(world.engine, VIEWERS["agent 2001"], world.customer_ids["cy"])
    assert {c.uuid for c in cy_calls} == {"call-cy-by-1001", "call-cy-offered-1002"}


def test_get_call(world: World) -> None:
    got = {
        role: {uuid for uuid in ALL_CALLS if sees(get_call, world.engine, viewer, uuid)}
        for role, viewer in VIEWERS.items()
    }
    assert got == CALLS_SEEN


def test_list_calls(world: World) -> None:
    got = {role: {c.uuid for c in list_calls(world.engine, viewer)} for role, viewer in VIEWERS.items()}
    assert got == CALLS_SEEN


def test_list_calls_of_a_customer_keeps_to_the_call_rules(world: World) -> None:
    cy = world.customer_ids["cy"]
    got = {
        role: {c.uuid for c in list_calls(world.engine, viewer, customer_id=cy)}
        for role, viewer in VIEWERS.items()
    }
    assert got == {role: CALLS_SEEN[role] & {"call-cy-by-1001", "call-cy-offered-1002"} for role in VIEWERS}


def test_build_screen_pop(world: World) -> None:
    got = {
        role: {uuid for uuid in ALL_CALLS if sees(build_screen_pop, world.engine, viewer, uuid)}
        for role, viewer in VIEWERS.items()
    }
    assert got == POPS_SEEN


def test_a_screen_pop_seen_through_the_call_shows_the_whole_customer(world: World) -> None:
    pop = build_screen_pop(world.engine, VIEWERS["agent 1002"], "call-cy-offered-1002")
    assert pop.customer is not None
    assert pop.customer.name == "cy"
    assert {c.uuid for c in pop.recent_calls} == {"call-cy-by-1001", "call-cy-offered-1002"}
    assert [t.subject for t in pop.open_tickets] == ["cy's ticket"]


def test_a_screen_pop_by_caller_number_follows_the_customer(world: World) -> None:
    # No call row yet: the customer found by the caller number decides who may see it.
    got = {
        role: {
            name
            for name, phone in world.phones.items()
            if sees(build_screen_pop, world.engine, viewer, "unwritten", caller_number=phone)
        }
        for role, viewer in VIEWERS.items()
    }
    assert got == CUSTOMERS_SEEN


# --- tickets and notes -----------------------------------------------------------------------------------


def test_customer_tickets(world: World) -> None:
    assert (
        per_customer(world, lambda viewer, cid: customer_tickets(world.engine, viewer, cid)) == CUSTOMERS_SEEN
    )


def test_customer_notes(world: World) -> None:
    assert (
        per_customer(world, lambda viewer, cid: customer_notes(world.engine, viewer, cid)) == CUSTOMERS_SEEN
    )


def test_add_note_writes_only_for_visible_customers(world: World) -> None:
    assert per_customer(world, lambda viewer, cid: add_note(world.engine, viewer, cid, "x")) == CUSTOMERS_SEEN
    with world.engine.connect() as connection:
        added = connection.execute(
            select(NOTES.c.customer_id, func.count()).where(NOTES.c.body == "x").group_by(NOTES.c.customer_id)
        ).all()
    writers = {name: sum(name in seen for seen in CUSTOMERS_SEEN.values()) for name in world.customer_ids}
    assert {world.name_of(cid): n for cid, n in added} == writers


def test_open_ticket(world: World) -> None:
    assert (
        per_customer(world, lambda viewer, cid: open_ticket(world.engine, viewer, cid, "x")) == CUSTOMERS_SEEN
    )


def test_set_ticket_status(world: World) -> None:
    def move(viewer: Viewer, customer_id: int) -> Any:
        return set_ticket_status(world.engine, viewer, world.tickets[world.name_of(customer_id)], "pending")

    assert per_customer(world, move) == CUSTOMERS_SEEN


def test_a_refused_ticket_change_changes_nothing(world: World) -> None:
    cy = world.customer_ids["cy"]
    with pytest.raises(NotFound):
        set_ticket_status(world.engine, VIEWERS["agent 1001"], world.tickets["cy"], "closed")
    assert [t.status for t in customer_tickets(world.engine, SYSTEM, cy, status=None)] == ["open"]


# --- survey answers (the clause schema.calls.surveys uses) -------------------------------------------------


def test_survey_response_visible(world: World) -> None:
    answered = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)
    rows = [("c1", "1001"), ("c2", "1002"), ("c3", "2001"), ("c4", None)]
    with world.engine.begin() as connection:
        connection.execute(
            SURVEY_RESPONSES.insert(),
            [
                {
                    "call_uuid": uuid,
                    "survey": "s",
                    "question": "q",
                    "score": 5,
                    "agent_id": agent,
                    "queue": "q",
                    "answered_at": answered,
                }
                for uuid, agent in rows
            ],
        )
    with world.engine.connect() as connection:
        got = {
            role: set(
                connection.execute(
                    select(SURVEY_RESPONSES.c.call_uuid).where(survey_response_visible(viewer))
                ).scalars()
            )
            for role, viewer in VIEWERS.items()
        }
    assert got == {
        "agent 1001": {"c1"},
        "agent 1002": {"c2"},
        "agent 2001": {"c3"},
        "supervisor sales": {"c1", "c2"},
        "supervisor service": {"c3"},
        "manager": {"c1", "c2", "c3", "c4"},
        "system": {"c1", "c2", "c3", "c4"},
    }
