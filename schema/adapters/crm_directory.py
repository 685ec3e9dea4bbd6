"""`SqlCallerDirectory`: the IVR's `CallerDirectory` over the CRM data layer (schema.crm.lookup/crm_queries).

The call server reads as `SYSTEM` (it screens every caller and serves self-service for any customer).
Each question runs in gevent's thread pool, so only the calling greenlet waits for the database, and a
storage failure becomes `CrmUnavailable`: the call logic then treats the caller as unknown, or the lookup
as failed, instead of dropping the call. So does a question not answered within `answer_within`
(1 s by default): a locked or slow database delays a caller by that much at most. The abandoned
read finishes in its thread and its answer is dropped.

A matched caller comes back with their custom fields (one more primary-key read after the indexed
caller-ID match), because `by: caller_id` self-service reads them from the screening profile.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import gevent
from sqlalchemy import Engine

from dialplans.crm_models import BY_ACCOUNT
from ivr_scripts.crm import CallerDirectory, CallerProfile, CrmUnavailable, CustomerRecord
from schema.crm.lookup import caller_match, find_by_keys
from schema.crm.queries import get_customer
from schema.crm.views import CustomerSummary, CustomerView
from schema.errors import NotFound, StorageError
from schema.threadpool import in_thread
from schema.viewer import SYSTEM

log = logging.getLogger(__name__)
_T = TypeVar("_T")
# A lookup by keys that matches more than one customer is ambiguous (T9 keypad text): two are enough
# to tell, as schema.crm.lookup.find_by_keys' default says.
FIND_LIMIT = 2
ANSWER_WITHIN = 1.0  # seconds a caller waits for the CRM before going on as unknown / the lookup failing


class SqlCallerDirectory(CallerDirectory):
    def __init__(
        self,
        engine: Engine,
        region: str,
        keypad_fields: Sequence[str] = ("plate",),
        *,
        answer_within: float = ANSWER_WITHIN,
    ) -> None:
        self._engine = engine
        self._answer_within = answer_within
        self._region = region
        self._keys = frozenset((BY_ACCOUNT, *keypad_fields))

    def profile(self, caller_number: str) -> CallerProfile:
        return self._ask(self._profile, caller_number, what=f"caller {caller_number!r}")

    def find(self, by: str, keys: str) -> list[CustomerRecord]:
        if by not in self._keys:  # the dialplan checks refuse such a lookup; nothing can match it
            log.warning(
                "self-service by %r: customers are found by %s only", by, ", ".join(sorted(self._keys))
            )
            return []
        views = self._ask(find_by_keys, self._engine, SYSTEM, by, keys, limit=FIND_LIMIT, what=f"by {by}")
        return [customer_record(view) for view in views]

    def customer(self, customer_id: int) -> CustomerRecord | None:
        return self._ask(self._customer, customer_id, what=f"customer {customer_id}")

    # -- in the thread pool -------------------------------------------------------------------

    def _profile(self, caller_number: str) -> CallerProfile:
        match = caller_match(self._engine, SYSTEM, caller_number, region=self._region)
        customer = None if match.customer is None else self._customer(match.customer.id, match.customer)
        blocked = match.blocked
        return CallerProfile(
            e164=match.e164,
            customer=customer,
            blocked=blocked is not None,
            block_reason=None if blocked is None else blocked.reason or f"blacklisted {blocked.pattern}",
            vip_listed=match.vip_listed,
        )

    def _customer(self, customer_id: int, summary: CustomerSummary | None = None) -> CustomerRecord | None:
        try:
            return customer_record(get_customer(self._engine, SYSTEM, customer_id))
        except NotFound:
            # Deleted between the two reads: what the caller-ID match saw is still the best answer.
            return None if summary is None else customer_record(summary)

    def _ask(self, function: Callable[..., _T], *args: Any, what: str, **kwargs: Any) -> _T:
        deadline = gevent.Timeout(self._answer_within)
        deadline.start()
        try:
            return in_thread(function, *args, **kwargs)
        except StorageError as exc:
            raise CrmUnavailable(f"the CRM could not answer about {what}: {exc}") from exc
        except gevent.Timeout as expired:
            if expired is not deadline:
                raise
            raise CrmUnavailable(
                f"the CRM did not answer about {what} within {self._answer_within:g} s"
            ) from None
        finally:
            deadline.close()


def customer_record(customer: CustomerSummary | CustomerView) -> CustomerRecord:
    """A customer as the call logic reads one: account_number, name, tier and custom fields as text."""
    fields: dict[str, str] = {}
    if isinstance(customer, CustomerView):
        fields.update(_as_text(customer.custom_fields))
    fields["name"] = customer.name
    if customer.account_number is not None:
        fields["account_number"] = customer.account_number
    if customer.tier is not None:
        fields["tier"] = customer.tier
    return CustomerRecord(
        customer_id=customer.id,
        name=customer.name,
        tier=customer.tier,
        owner_agent_id=customer.owner_agent_id,
        department=customer.department,
        fields=fields,
    )


def _as_text(values: Mapping[str, Any]) -> dict[str, str]:
    """Custom field values as self-service reads them: numbers and text as written, yes/no for booleans,
    lists and mappings as JSON (read as text only), nulls left out."""
    text: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text[name] = "yes" if value else "no"
        elif isinstance(value, str | int | float):
            text[name] = str(value)
        else:
            text[name] = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text
