"""Which leads a campaign's pilot dials: a stable sample of `percent` of them.

The draw is a hash of the campaign's name and the lead's key (blake2b, read as 0..9999), so the same
lead is in or out of a campaign's pilot every time it is asked, on every machine and after every
restart; a different campaign draws a different sample of the same leads.
"""

from __future__ import annotations

import hashlib

BUCKETS = 10_000


def pilot_bucket(campaign: str, lead_key: str) -> int:
    """The lead's place, 0..9999, in the campaign's draw."""
    # NUL separates the two: neither a campaign name nor a lead key holds one.
    text = f"{campaign}\x00{lead_key}".encode()
    digest = hashlib.blake2b(text, digest_size=8, person=b"cc-pilot").digest()
    return int.from_bytes(digest, "big") % BUCKETS


def in_pilot(campaign: str, lead_key: str, percent: int) -> bool:
    """Whether the campaign's pilot of `percent` (1..100) per cent dials this lead."""
    if not 1 <= percent <= 100:
        raise ValueError(f"a pilot's percent runs from 1 to 100, got {percent}")
    return pilot_bucket(campaign, lead_key) < percent * (BUCKETS // 100)
