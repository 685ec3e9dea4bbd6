"""Caller screening before the menu: blacklist, VIP green channel, known and unknown callers.

`screen` asks the directory who is calling (a CRM that cannot answer makes the caller unknown:
the call is never dropped for it), `decide` turns the profile and the dialplan's `crm` section into
a decision (a pure function), and `screening_variables` gives the channel variables the queue, the
agents' phones and the CDR read.

Rules, in order: a blacklisted caller is blocked; a caller on the VIP list, or a customer whose tier
is one of `crm.vip.tiers`, is a VIP when the dialplan has a VIP channel; any other matched customer
is known; everyone else is unknown.
"""

from __future__ import annotations

import logging
import re
from typing import Final

from dialplans.crm_models import Crm
from ivr_scripts.crm import (
    VAR_CUSTOMER_ID,
    VAR_CUSTOMER_TIER,
    VAR_SCREEN_NAME,
    VAR_SCREENING,
    CallerDirectory,
    CallerProfile,
    CrmUnavailable,
    CustomerRecord,
    ScreeningDecision,
)

log = logging.getLogger(__name__)

# The VIP detail when the number itself is listed rather than the customer's tier.
VIP_LISTED: Final = "listed"
CRM_UNAVAILABLE: Final = "crm_unavailable"
SCREEN_NAME_MAX: Final = 64
# What a SIP display name (and a channel variable the switch expands) must not carry: the same
# characters the dialplan refuses in agents' display names.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f$\\{}<>"]')
_SPACES = re.compile(r"\s+")


def screen(directory: CallerDirectory, caller_number: str, crm: Crm) -> ScreeningDecision:
    """Look the caller up and decide; a CRM that cannot answer leaves the caller unknown."""
    try:
        profile = directory.profile(caller_number)
    except CrmUnavailable as exc:
        log.warning("caller lookup failed, the call goes on as from an unknown caller: %s", exc)
        return ScreeningDecision("unknown", CallerProfile(e164=None), detail=CRM_UNAVAILABLE)
    return decide(profile, crm)


def decide(profile: CallerProfile, crm: Crm) -> ScreeningDecision:
    customer = profile.customer
    if profile.blocked:
        return ScreeningDecision("blocked", profile, detail=profile.block_reason)
    vip = crm.vip
    if vip is not None:
        tier_is_vip = customer is not None and customer.tier is not None and customer.tier in vip.tiers
        if tier_is_vip or profile.vip_listed:
            preferred = customer.owner_agent_id if customer is not None and vip.dedicated_agent else None
            return ScreeningDecision(
                "vip",
                profile,
                detail=customer.tier if tier_is_vip and customer is not None else VIP_LISTED,
                queue=vip.queue,
                preferred_agent=preferred,
            )
    if customer is not None:
        return ScreeningDecision("known", profile, detail=customer.tier)
    return ScreeningDecision("unknown", profile)


def safe_text(text: str, *, limit: int = SCREEN_NAME_MAX) -> str:
    """`text` without the characters a SIP display name cannot carry, spaces collapsed, cut to `limit`."""
    return _SPACES.sub(" ", _UNSAFE.sub(" ", text)).strip()[:limit].rstrip()


def screen_name(customer: CustomerRecord) -> str:
    """What agents' phones show as the caller: "Jane Doe (gold)", at most 64 characters."""
    tier = safe_text(customer.tier or "", limit=SCREEN_NAME_MAX // 2)
    suffix = f" ({tier})" if tier else ""
    name = safe_text(customer.name, limit=SCREEN_NAME_MAX - len(suffix)) or f"Customer {customer.customer_id}"
    return f"{name}{suffix}"[:SCREEN_NAME_MAX]


def screening_variables(decision: ScreeningDecision) -> dict[str, str]:
    """The channel variables of a decision: the screening kind always, the customer's when known."""
    variables: dict[str, str] = {VAR_SCREENING: decision.kind}
    customer = decision.profile.customer
    if customer is not None:
        variables[VAR_CUSTOMER_ID] = str(customer.customer_id)
        variables[VAR_SCREEN_NAME] = screen_name(customer)
        tier = safe_text(customer.tier or "")
        if tier:
            variables[VAR_CUSTOMER_TIER] = tier
    return variables
