"""The screen pop: what an agent sees when a call is offered to them, and the one-line caller name for
plain SIP phones.

The customer comes from the call row (`calls.customer_id`, written after caller-ID screening), else
from the caller number given: the offer can come before the database writer has stored the call.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from sqlalchemy import Engine, select

from schema.crm.access import CALLS, screen_pop_visible
from schema.crm.lookup import PHONE_NUMBERS
from schema.crm.phones import normalise_number
from schema.crm.shared_reads import calls_of_customer, customer_by_id, queue_of, tickets_of_customer
from schema.crm.views import CustomerSummary, Screening, ScreenPop
from schema.db import read_connection
from schema.errors import NotFound
from schema.viewer import Viewer

RECENT_CALLS: Final = 10
DISPLAY_NAME_MAX: Final = 63
TIER_MAX: Final = 20
UNKNOWN_CALLER: Final = "Unknown caller"
# What a SIP display name cannot carry (quotes, backslash), and what FreeSWITCH's originate refuses in
# the caller-ID name the ACD rings agents with (esl_handlers.app_args: block separators, quotes, `$`).
_UNSAFE: Final = frozenset(",{}[]'\"\\$^|")
_SCREENINGS: Final[frozenset[Screening]] = frozenset(("blocked", "vip", "known", "unknown"))


def build_screen_pop(
    engine: Engine, viewer: Viewer, call_uuid: str, *, caller_number: str | None = None, region: str = "US"
) -> ScreenPop:
    """The pop of `call_uuid`: the customer (None when unknown), their last 10 calls and open tickets.
    `NotFound` when the viewer may not see it (`schema.crm.access.screen_pop_visible`)."""
    with read_connection(engine, f"building the screen pop of call {call_uuid}") as connection:
        call = connection.execute(
            select(CALLS.c.customer_id, CALLS.c.caller_number, CALLS.c.destination, CALLS.c.screening).where(
                CALLS.c.uuid == call_uuid
            )
        ).first()
        number = caller_number if caller_number is not None else (call.caller_number if call else None)
        customer_id: int | None = call.customer_id if call is not None else None
        if customer_id is None and number and (e164 := normalise_number(number, region)) is not None:
            customer_id = connection.execute(
                select(PHONE_NUMBERS.c.customer_id).where(PHONE_NUMBERS.c.e164 == e164)
            ).scalar_one_or_none()
        if (
            not viewer.sees_everything
            and not connection.execute(select(screen_pop_visible(viewer, call_uuid, customer_id))).scalar()
        ):
            raise NotFound(f"no screen pop for call {call_uuid}")
        customer = customer_by_id(connection, customer_id) if customer_id is not None else None
        recent_calls = calls_of_customer(connection, customer.id, limit=RECENT_CALLS) if customer else []
        open_tickets = tickets_of_customer(connection, customer.id, status="open") if customer else []
    screening = call.screening if call is not None and call.screening in _SCREENINGS else None
    return ScreenPop(
        call_uuid=call_uuid,
        caller_number=number,
        known=customer is not None,
        display_name=display_name(customer, number),
        customer=customer,
        recent_calls=recent_calls,
        open_tickets=open_tickets,
        queue=queue_of(call.destination) if call is not None else None,
        screening=screening,
    )


def display_name(customer: CustomerSummary | None, caller_number: str | None) -> str:
    """ "Jane Doe (gold)", "Jane Doe", else the caller number, else "Unknown caller": at most 63
    characters, none a SIP display name or an originate string cannot carry."""
    if customer is not None and (name := _clean(customer.name)):
        tier = _clean(customer.tier or "")[:TIER_MAX].rstrip()
        suffix = f" ({tier})" if tier else ""
        return name[: DISPLAY_NAME_MAX - len(suffix)].rstrip() + suffix
    return _clean(caller_number or "")[:DISPLAY_NAME_MAX].rstrip() or UNKNOWN_CALLER


def _clean(text: str) -> str:
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char not in _UNSAFE and (char.isspace() or not unicodedata.category(char).startswith("C"))
    )
    return " ".join(kept.split())
