"""Call list rows: which column holds the number (and the time zone), and each row checked and normalised.

The phone column is found by its header as the customer import finds phone columns (phone, number,
telephone, tel, mobile, msisdn, ...: case, spaces and punctuation ignored), the first such column
if there are several, unless one is named. A number becomes E.164 in the default region; its time
zones are every IANA zone `phonenumbers` gives for it (a US number whose area code spans two zones
has both), as the sorted "|"-joined key the dialer reads. A time-zone column, when the file has
one and the row's cell is filled, overrides that with one validated IANA name. Pure: no database.
"""

from __future__ import annotations

import functools
import json
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from customer_import.number_zones import UNKNOWN_ZONE, parse_number
from customer_import.rows import DEFAULT_ALIASES, RowError, canonical_header
from customer_import.sources import ImportFailed, SourceRow

PHONE_HEADERS: Final = frozenset(
    {alias for alias, target in DEFAULT_ALIASES.items() if target == "phone"}
    | {"number", "phone_e164", "e164", "dial", "dial_number", "contact_number", "msisdn"}
)
_NUMBERED_PHONE: Final = re.compile(r"^(phone|tel|telephone|mobile|number)_?\d+$")
TIME_ZONE_HEADERS: Final = frozenset({"time_zone", "timezone", "tz", "zone", "iana_zone", "time_zone_name"})
EXTERNAL_ID_HEADERS: Final = frozenset({"id", "external_id", "lead_id", "record_id", "ref", "reference"})
MAX_EXTERNAL_ID: Final = 128


class BadLeadColumns(ImportFailed):
    """No phone column, or a named column the file does not have."""


@dataclass(frozen=True)
class LeadColumns:
    phone: str
    time_zone: str | None
    external_id: str | None
    others: tuple[str, ...]  # kept in the lead's `fields`


class LeadRow(NamedTuple):
    number: int  # the row number in the file
    phone_e164: str
    time_zones: str
    region: str | None
    external_id: str | None
    fields_json: str  # the row's other columns, as the JSON the `fields` column stores


def lead_columns(
    columns: Sequence[str], *, phone_column: str | None = None, time_zone_column: str | None = None
) -> LeadColumns:
    """The file's phone, time-zone and external-id columns, by header unless named."""
    phone = _named(columns, phone_column, "--phone-column") if phone_column else _found(columns, _is_phone)
    if phone is None:
        raise BadLeadColumns(
            f"no column looks like a phone number (columns: {', '.join(columns)}); "
            "name it with --phone-column"
        )
    if time_zone_column:
        zone: str | None = _named(columns, time_zone_column, "--time-zone-column")
    else:
        zone = _found(columns, lambda header: canonical_header(header) in TIME_ZONE_HEADERS)
    external = _found(columns, lambda header: canonical_header(header) in EXTERNAL_ID_HEADERS)
    others = tuple(column for column in columns if column not in (phone, zone, external))
    return LeadColumns(phone, zone, external, others)


def _is_phone(header: str) -> bool:
    canonical = canonical_header(header)
    return canonical in PHONE_HEADERS or bool(_NUMBERED_PHONE.match(canonical))


def _found(columns: Sequence[str], wanted: object) -> str | None:
    return next((column for column in columns if wanted(column)), None)  # type: ignore[operator]


def _named(columns: Sequence[str], name: str, option: str) -> str:
    if name in columns:
        return name
    folded = {canonical_header(column): column for column in columns}
    if (found := folded.get(canonical_header(name))) is not None:
        return found
    raise BadLeadColumns(f"{option} {name}: no such column; the columns are: {', '.join(columns)}")


@functools.cache
def _iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def prepare_lead(row: SourceRow, columns: LeadColumns, region: str) -> LeadRow | list[RowError]:
    """The row as a lead, or its errors (reading problems, a bad number, an unknown time zone)."""
    errors = [RowError(row.number, *problem) for problem in row.problems]
    values = row.values
    cell = values[columns.phone]
    parsed = parse_number(cell, region)
    if parsed is None:
        errors.append(RowError(row.number, columns.phone, cell.strip(), _bad_number(cell, region)))
        return errors
    e164, zones, country = parsed
    zone_cell = values[columns.time_zone].strip() if columns.time_zone else ""
    if zone_cell:
        if zone_cell not in _iana_zones():
            errors.append(
                RowError(
                    row.number,
                    columns.time_zone or "",
                    zone_cell,
                    "not an IANA time zone (e.g. America/Chicago)",
                )
            )
        zones = zone_cell
    elif zones == UNKNOWN_ZONE:
        errors.append(
            RowError(
                row.number,
                columns.phone,
                cell.strip(),
                "no time zone is known for this number; give a time-zone column",
            )
        )
    external = values[columns.external_id].strip() if columns.external_id else ""
    if len(external) > MAX_EXTERNAL_ID:
        errors.append(
            RowError(
                row.number, columns.external_id or "", external, f"longer than {MAX_EXTERNAL_ID} characters"
            )
        )
    if errors:
        return errors
    fields = {column: value for column in columns.others if (value := values[column].strip())}
    return LeadRow(row.number, e164, zones, country, external or None, json.dumps(fields))


def _bad_number(cell: str, region: str) -> str:
    if not cell.strip():
        return "no phone number"
    return f"not a full phone number (national numbers are read as {region}; give others with +country code)"
