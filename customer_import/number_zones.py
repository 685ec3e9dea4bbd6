"""A call list's number parsed once into what a lead stores: E.164, time-zone key and country.

`phonenumbers` gives each of these through a public function (`format_number`,
`timezone.time_zones_for_number`, `region_code_for_number`), but the last two each search the
number's country again, and for +1 numbers that search - trying the plan's 25 countries, each
by matching the number against its number types - was most of a row's work. Here it is done
once, with the same steps as the library's (`region_code_for_number`,
`_region_code_for_number_from_list`, `number_type`), keeping the number type it finds on the way.
The tests check the results equal the public functions' on numbers of every kind of plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType, phonenumberutil
from phonenumbers import timezone as number_zones

from ivr_scripts.campaigns.windows import zone_key
from schema.crm.phones import parse_full_number

UNKNOWN_ZONE: Final = "Etc/Unknown"
_UNKNOWN: Final = PhoneNumberType.UNKNOWN


def parse_number(text: str, region: str) -> tuple[str, str, str | None] | None:
    """(E.164, zone key, the number's country or None) for a full number, or None (as
    `schema.crm.phones.normalise_number` decides what a full number is)."""
    parsed = parse_full_number(text, region)
    if parsed is None:
        return None
    country, kind = _country_and_kind(parsed)
    zones = zone_key(_time_zones(parsed, kind))
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, zones, country if country and country.isalpha() else None  # "001": no country's (+800)


def _country_and_kind(parsed: phonenumbers.PhoneNumber) -> tuple[str | None, int]:
    """`region_code_for_number` and `number_type` in one search."""
    code = parsed.country_code
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code) if code is not None else None
    if not regions or code is None:
        return None, _UNKNOWN
    national = phonenumbers.national_significant_number(parsed)
    if len(regions) == 1:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
        return regions[0], _kind(national, metadata)
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if re.match(metadata.leading_digits, national):
                return region, _kind(national, metadata)
        elif (kind := _kind(national, metadata)) != _UNKNOWN:
            return region, kind
    return None, _UNKNOWN


def _kind(national: str, metadata: PhoneMetadata | None) -> int:
    if metadata is None:
        return _UNKNOWN
    kind: int = phonenumberutil._number_type_helper(national, metadata)
    return kind


def _time_zones(parsed: phonenumbers.PhoneNumber, kind: int) -> Sequence[str]:
    """`timezone.time_zones_for_number`, the number's type known."""
    if kind == _UNKNOWN or parsed.country_code is None:
        return (UNKNOWN_ZONE,)
    if not phonenumbers.is_number_type_geographical(kind, parsed.country_code):
        return number_zones.time_zones_for_number(parsed)
    return number_zones.time_zones_for_geographical_number(parsed)
