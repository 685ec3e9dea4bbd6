"""Closing a campaign call on SQLite and PostgreSQL: disposition, answers, opportunity, do-not-call, lead."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from dialplans.campaign_vocabulary import AttemptOutcome
from dialplans.script_models import DEFAULT_DISPOSITIONS
from schema.campaigns.attempts import ATTEMPTS, Attempt, record_attempt
from schema.campaigns.closing import ANSWERS, Closing, close_attempt
from schema.campaigns.dnc import is_blocked
from schema.campaigns.leads import LEADS, get_lead
from schema.campaigns.lists import open_list
from schema.crm.models import Customer, Opportunity, PhoneNumber
from schema.errors import NotFound, RecordRejected
from tests.support.crm_records import T0, at

PHONE = "+13125550001"


def lead_and_attempt(engine: Engine, **lead: Any) -> tuple[int, int]:
    with engine.begin() as connection:
        list_id = open_list(connection, "spring", "march", "march.csv", T0)
        values = {"phone_e164": PHONE, "time_zones": "America/Chicago", "fields": {"name": "Jo Smith"},
                  "status": "pending", "attempts": 0, "next_attempt_at": T0, **lead}  # fmt: skip
        lead_id = int(
            connection.execute(
                LEADS.insert().values(list_id=list_id, campaign="spring", **values).returning(LEADS.c.id)
            ).scalar_one()
        )
    attempt = Attempt("spring", PHONE, 1, T0, AttemptOutcome.HUMAN, lead_id=lead_id, agent_id="1001")
    return lead_id, record_attempt(engine, attempt)


def closing(attempt_id: int, code: str, answers: dict[str, str] | None = None) -> Closing:
    return Closing(attempt_id, code, DEFAULT_DISPOSITIONS[code], answers or {}, "1002", at(60))


def rows(engine: Engine, table: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(table)).all())


def test_a_sale_by_a_new_number_makes_its_customer_and_a_won_opportunity(engine: Engine) -> None:
    lead_id, attempt_id = lead_and_attempt(engine)
    closed = close_attempt(engine, closing(attempt_id, "sale", {"happy": "yes", "score": "5"}))

    assert closed.opportunity_id is not None
    assert closed.lead_done
    (customer,) = rows(engine, Customer.__table__)
    assert (customer.id, customer.name) == (closed.customer_id, "Jo Smith")
    assert [(p.e164, p.customer_id) for p in rows(engine, PhoneNumber.__table__)] == [(PHONE, customer.id)]
    (opportunity,) = rows(engine, Opportunity.__table__)
    assert (opportunity.stage, opportunity.campaign, opportunity.customer_id) == (
        "won",
        "spring",
        customer.id,
    )
    assert sorted((a.question, a.answer, a.agent_id) for a in rows(engine, ANSWERS)) == [
        ("happy", "yes", "1001"),
        ("score", "5", "1001"),
    ]
    (attempt,) = rows(engine, ATTEMPTS)
    assert (attempt.disposition, attempt.agent_id) == ("sale", "1001"), "the agent who took the call stays"
    lead = get_lead(engine, lead_id)
    assert (lead.status, lead.next_attempt_at, lead.customer_id) == ("done", None, customer.id)


def test_a_sale_to_a_number_the_crm_knows_goes_to_its_customer(engine: Engine) -> None:
    with engine.begin() as connection:
        known = connection.execute(
            insert(Customer)
            .values(name="Known", custom_fields={}, created_at=T0, updated_at=T0)
            .returning(Customer.id)
        ).scalar_one()
        connection.execute(insert(PhoneNumber).values(customer_id=known, e164=PHONE))
    _, attempt_id = lead_and_attempt(engine)
    assert close_attempt(engine, closing(attempt_id, "sale")).customer_id == known
    assert len(rows(engine, Customer.__table__)) == 1


def test_do_not_call_blocks_the_number_for_every_campaign(engine: Engine) -> None:
    _, attempt_id = lead_and_attempt(engine)
    closed = close_attempt(engine, closing(attempt_id, "do_not_call"))
    assert (closed.added_to_dnc, closed.opportunity_id, closed.lead_done) == (True, None, True)
    assert is_blocked(engine, "autumn", PHONE) == "internal DNC"


def test_a_call_back_leaves_the_lead_to_the_retry_rules(engine: Engine) -> None:
    lead_id, attempt_id = lead_and_attempt(engine)
    assert close_attempt(engine, closing(attempt_id, "call_back")).lead_done is False
    assert get_lead(engine, lead_id).status == "pending"


def test_an_attempt_is_closed_once(engine: Engine) -> None:
    _, attempt_id = lead_and_attempt(engine)
    close_attempt(engine, closing(attempt_id, "sale"))
    with pytest.raises(RecordRejected, match="already closed as 'sale'"):
        close_attempt(engine, closing(attempt_id, "sale"))
    assert len(rows(engine, Opportunity.__table__)) == 1
    with pytest.raises(NotFound, match="no campaign attempt 999"):
        close_attempt(engine, closing(999, "completed"))
