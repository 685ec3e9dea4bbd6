"""Closing a campaign call: the agent's disposition and script answers, and what they set off, at once.

In one transaction: the attempt's disposition (and its agent), one row per answer, and by the
disposition's rule (`dialplans.script_models.Disposition`):
- `sale`: a sales opportunity (stage `won`, the campaign named) for the lead's customer. A lead no
  customer owns gets one: the customer who owns the number in the CRM if any, else a new customer named
  after the list row's `name` column (or the number) with the number as its phone;
- `do_not_call`: the number on the internal do-not-call list, so no campaign dials it again;
- `final`: the lead done; otherwise the lead is left to the retry rules.
An attempt is closed once: closing it again is refused (RecordRejected), so a repeated request from a
form cannot add a second opportunity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, Table, select, update

from dialplans.script_models import Disposition
from schema.campaigns.attempts import ATTEMPTS
from schema.campaigns.dnc import add_numbers
from schema.campaigns.leads import DONE, LEADS
from schema.campaigns.models import CampaignAnswer
from schema.crm.models import Customer, Opportunity, PhoneNumber
from schema.db import write_transaction
from schema.errors import NotFound, RecordRejected

ANSWERS: Final[Table] = CampaignAnswer.__table__  # type: ignore[assignment]
_CUSTOMERS: Final[Table] = Customer.__table__  # type: ignore[assignment]
_PHONES: Final[Table] = PhoneNumber.__table__  # type: ignore[assignment]
_OPPORTUNITIES: Final[Table] = Opportunity.__table__  # type: ignore[assignment]
WON: Final = "won"


@dataclass(frozen=True)
class Closing:
    attempt_id: int
    disposition: str
    rule: Disposition
    answers: Mapping[str, str]
    """Already checked against the campaign's script (ivr_scripts.campaigns.answers.check_answers)."""
    agent_id: str | None
    at: dt.datetime


@dataclass(frozen=True)
class Closed:
    opportunity_id: int | None = None
    customer_id: int | None = None
    added_to_dnc: bool = False
    lead_done: bool = False


def close_attempt(engine: Engine, closing: Closing) -> Closed:
    with write_transaction(engine, f"closing campaign attempt {closing.attempt_id}") as connection:
        attempt = connection.execute(
            select(ATTEMPTS).where(ATTEMPTS.c.id == closing.attempt_id)
        ).one_or_none()
        if attempt is None:
            raise NotFound(f"no campaign attempt {closing.attempt_id}")
        if attempt.disposition is not None:
            raise RecordRejected(f"attempt {closing.attempt_id} is already closed as {attempt.disposition!r}")
        agent = attempt.agent_id or closing.agent_id
        connection.execute(
            update(ATTEMPTS)
            .where(ATTEMPTS.c.id == closing.attempt_id)
            .values(disposition=closing.disposition, agent_id=agent)
        )
        rows = [
            {"attempt_id": closing.attempt_id, "campaign": attempt.campaign, "question": question,
             "answer": answer, "agent_id": agent, "answered_at": closing.at}
            for question, answer in closing.answers.items()
        ]  # fmt: skip
        if rows:
            connection.execute(ANSWERS.insert(), rows)
        lead = _lead_of(connection, attempt.lead_id)
        return _consequences(connection, closing, attempt.campaign, attempt.phone_e164, lead)


def _lead_of(connection: Connection, lead_id: int | None) -> Any:
    if lead_id is None:
        return None
    return connection.execute(select(LEADS).where(LEADS.c.id == lead_id)).one_or_none()


def _consequences(connection: Connection, closing: Closing, campaign: str, phone: str, lead: Any) -> Closed:
    opportunity_id = customer_id = None
    if closing.rule.sale:
        customer_id = (lead.customer_id if lead is not None else None) or _customer_for(
            connection, phone, lead, closing.at
        )
        title = f"{campaign}: {closing.rule.label}"
        inserted = connection.execute(
            _OPPORTUNITIES.insert()
            .values(
                customer_id=customer_id,
                title=title,
                stage=WON,
                campaign=campaign,
                created_at=closing.at,
                updated_at=closing.at,
            )
            .returning(_OPPORTUNITIES.c.id)
        )
        opportunity_id = int(inserted.scalar_one())
    added = False
    if closing.rule.do_not_call:
        added = add_numbers(connection, [phone], "internal", closing.at, f"asked on campaign {campaign}") == 1
    lead_done = lead is not None and closing.rule.final
    if lead_done:
        connection.execute(
            update(LEADS).where(LEADS.c.id == lead.id).values(status=DONE, next_attempt_at=None)
        )
    return Closed(opportunity_id, customer_id, added, lead_done)


def _customer_for(connection: Connection, phone: str, lead: Any, now: dt.datetime) -> int:
    """The customer owning `phone`, else a new one for it (named from the list row, else the number)."""
    owner = connection.execute(select(_PHONES.c.customer_id).where(_PHONES.c.e164 == phone)).scalar()
    if owner is not None:
        customer_id = int(owner)
    else:
        fields: dict[str, Any] = dict(lead.fields or {}) if lead is not None else {}
        name = str(fields.get("name") or phone).strip()[:200] or phone
        inserted = connection.execute(
            _CUSTOMERS.insert()
            .values(name=name, custom_fields={}, created_at=now, updated_at=now)
            .returning(_CUSTOMERS.c.id)
        )
        customer_id = int(inserted.scalar_one())
        connection.execute(_PHONES.insert().values(customer_id=customer_id, e164=phone, label="campaign"))
    if lead is not None:
        connection.execute(update(LEADS).where(LEADS.c.id == lead.id).values(customer_id=customer_id))
    return customer_id
