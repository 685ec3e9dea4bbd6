"""Customer import, the rows: which field each column fills, and each row mapped, checked and normalised.

`map_columns` maps headers to fields (`DEFAULT_ALIASES`, overridable per column): name (or
first_name + last_name), phone (any number of columns; a cell may hold several numbers separated
by `;`, `,` or `|`), account_number, tier, department, owner_agent_id, `custom:<name>`, or `skip`.
Every other column is a custom field under its header as written. `prepare_rows` turns source
rows into `PreparedRow`s: phone numbers in E.164 (`schema.crm.phones.normalise_number`, the default
region), keypad keys, and the row's errors. It is pure, so the import runs it in worker processes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from customer_import.sources import ImportFailed, SourceRow
from schema.crm.phones import keypad_digits, normalise_number

SCALARS: Final = ("name", "account_number", "tier", "department", "owner_agent_id")
FIELDS: Final = (*SCALARS, "first_name", "last_name", "phone")
SKIP: Final = "skip"
CUSTOM: Final = "custom:"
ACCOUNT_KIND: Final = "account"
MAX_LENGTH: Final = 64  # account, tier, department, owner, keypad keys: String(64) columns

# Headers recognised without --map, compared after `canonical_header` (lower case, words joined by _).
DEFAULT_ALIASES: Final[Mapping[str, str]] = {
    **dict.fromkeys(("name", "full_name", "fullname", "customer", "customer_name", "contact", "client"),
                    "name"),
    **dict.fromkeys(("first_name", "firstname", "given_name", "forename"), "first_name"),
    **dict.fromkeys(("last_name", "lastname", "surname", "family_name"), "last_name"),
    **dict.fromkeys(
        ("phone", "phone_number", "phone_no", "telephone", "tel", "msisdn", "mobile", "mobile_phone",
         "mobile_number", "cell", "cellphone", "cell_phone", "home_phone", "work_phone", "landline"),
        "phone",
    ),
    **dict.fromkeys(
        ("account", "account_number", "account_no", "account_id", "acct", "acct_no", "customer_number"),
        "account_number",
    ),
    **dict.fromkeys(("tier", "customer_tier", "level"), "tier"),
    **dict.fromkeys(("department", "dept"), "department"),
    **dict.fromkeys(("owner", "owner_agent", "owner_agent_id", "agent", "agent_id", "account_manager"),
                    "owner_agent_id"),
    **dict.fromkeys(("plate", "licence_plate", "license_plate", "number_plate", "plate_number",
                     "registration", "registration_number", "reg"), "custom:plate"),
    **dict.fromkeys(("purchase_date", "purchased", "purchased_on", "date_of_purchase"),
                    "custom:purchase_date"),
}  # fmt: skip
_NUMBERED_PHONE: Final = re.compile(r"^(phone|tel|telephone|mobile)_?\d+$")
_PHONE_LABELS: Final = {"mobile": "mobile", "mobile_phone": "mobile", "mobile_number": "mobile",
                        "cell": "mobile", "cellphone": "mobile", "cell_phone": "mobile", "home_phone": "home",
                        "work_phone": "work", "landline": "landline"}  # fmt: skip
_GENERIC_PHONES: Final = frozenset({"phone", "phone_number", "phone_no", "telephone", "tel", "msisdn"})
_NUMBER_SEPARATORS: Final = re.compile(r"[;,|]")


class BadMapping(ImportFailed):
    """A --map names no column or no field, or two columns claim the same field."""


def canonical_header(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_")


# --- Column mapping ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """Which field each column of the file fills, in the file's column order."""

    targets: tuple[tuple[str, str], ...]

    def columns_for(self, target: str) -> tuple[str, ...]:
        return tuple(column for column, mapped in self.targets if mapped == target)

    def describe(self) -> list[str]:
        return [f"{column} -> {target}" for column, target in self.targets]


def map_columns(columns: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnMapping:
    """Map headers to fields: `overrides` ({column: field}) first, then DEFAULT_ALIASES, else custom."""
    chosen: dict[str, str] = {}
    by_folded = {column.casefold(): column for column in columns}
    for key, target in (overrides or {}).items():
        column = key if key in columns else by_folded.get(key.strip().casefold())
        if column is None:
            raise BadMapping(
                f"--map {key}={target}: no column {key!r}; the columns are: {', '.join(columns)}"
            )
        chosen[column] = _checked_target(key, target.strip())
    claimed = {target for target in chosen.values() if target not in ("phone", SKIP)}
    if len(claimed) < sum(target not in ("phone", SKIP) for target in chosen.values()):
        raise BadMapping("two --map options name the same field; only phone may come from several columns")
    targets: list[tuple[str, str]] = []
    for column in columns:
        target = chosen.get(column, "")
        if not target:
            target = _default_target(column)
            if target != "phone" and target in claimed:
                target = CUSTOM + column  # a second "name" column, say: kept, as a custom field
            if target in claimed:
                raise BadMapping(f"column {column!r} and another both fill {target}; choose with --map")
            if target != "phone":
                claimed.add(target)
        targets.append((column, target))
    mapping = ColumnMapping(tuple(targets))
    if not mapping.columns_for("phone") and not mapping.columns_for("account_number"):
        raise BadMapping(
            f"no column gives a phone number or an account number (columns: {', '.join(columns)}); "
            "name one with --map COLUMN=phone or --map COLUMN=account_number"
        )
    return mapping


def _checked_target(column: str, target: str) -> str:
    if target in FIELDS or target == SKIP:
        return target
    if target.startswith(CUSTOM) and target[len(CUSTOM) :].strip():
        return CUSTOM + target[len(CUSTOM) :].strip()
    raise BadMapping(
        f"--map {column}={target}: the field is one of {', '.join(FIELDS)}, custom:<name> or {SKIP}"
    )


def _default_target(column: str) -> str:
    canonical = canonical_header(column)
    if canonical in DEFAULT_ALIASES:
        return DEFAULT_ALIASES[canonical]
    if _NUMBERED_PHONE.match(canonical):
        return "phone"
    return CUSTOM + column


def _phone_label(column: str) -> str | None:
    canonical = canonical_header(column)
    if canonical in _GENERIC_PHONES or _NUMBERED_PHONE.match(canonical):
        return None
    return _PHONE_LABELS.get(canonical, column[:32])


# --- Rows: mapped, checked and normalised (in worker processes for big files) ---------------------


class RowError(NamedTuple):
    row: int
    column: str
    value: str
    message: str


class PreparedRow(NamedTuple):
    """A row mapped, checked and normalised. Empty cells are None; `row[1:6]` are the SCALARS."""

    number: int
    name: str | None
    account_number: str | None
    tier: str | None
    department: str | None
    owner_agent_id: str | None
    custom: dict[str, str]
    custom_json: str  # `custom` serialised here, in the worker: most customers come from one row
    keys: tuple[tuple[str, str], ...]  # (kind, keypad digits): the account number's and the keypad fields'
    phones: tuple[tuple[str, str | None], ...]  # (E.164, label)
    errors: tuple[RowError, ...]


@dataclass(frozen=True)
class RowRules:
    """What `prepare_rows` needs, small enough to send to each worker process with every chunk."""

    region: str
    keypad_fields: tuple[str, ...]
    phones: tuple[tuple[str, str | None], ...]  # (column, label)
    scalars: tuple[str | None, ...]  # the column of each of SCALARS but name
    name: str | None
    first_last: tuple[str | None, str | None]
    custom: tuple[tuple[str, str], ...]  # (column, custom field name)
    keypad_columns: tuple[tuple[str, str], ...]  # (column, keypad field name)

    @classmethod
    def build(cls, mapping: ColumnMapping, region: str, keypad_fields: Sequence[str]) -> RowRules:
        def single(target: str) -> str | None:
            found = mapping.columns_for(target)
            return found[0] if found else None

        custom = tuple(
            (column, target[len(CUSTOM) :]) for column, target in mapping.targets if target.startswith(CUSTOM)
        )
        return cls(
            region=region,
            keypad_fields=tuple(keypad_fields),
            phones=tuple((column, _phone_label(column)) for column in mapping.columns_for("phone")),
            scalars=tuple(single(target) for target in SCALARS[1:]),
            name=single("name"),
            first_last=(single("first_name"), single("last_name")),
            custom=custom,
            keypad_columns=tuple((column, name) for column, name in custom if name in keypad_fields),
        )

    def column_of(self, target: str) -> str:
        if target == "name":
            return self.name or self.first_last[0] or ""
        return self.scalars[SCALARS.index(target) - 1] or ""


def prepare_rows(rows: Sequence[SourceRow], rules: RowRules) -> list[PreparedRow]:
    """Map, check and normalise rows; pure, so it runs in worker processes."""
    return [PreparedRow._make(_prepare(row.number, row.values, row.problems, rules)) for row in rows]


def prepare_plain_rows(rows: Sequence[tuple[Any, ...]], rules: RowRules) -> list[tuple[Any, ...]]:
    """`prepare_rows` on plain tuples both ways (`tuple(SourceRow)` in, `PreparedRow._make` out), for a
    process pool: unpickling named tuples is several times slower."""
    return [_prepare(number, values, problems, rules) for number, values, problems in rows]


def _prepare(
    number: int, values: dict[str, str], problems: Sequence[tuple[str, str, str]], rules: RowRules
) -> tuple[Any, ...]:
    errors = [RowError(number, *problem) for problem in problems]
    name = " ".join(values[rules.name].split()) if rules.name else ""
    if not name and rules.first_last != (None, None):
        name = " ".join(" ".join(values[column].split()) for column in rules.first_last if column).strip()
    scalars: list[str | None] = []
    for column in rules.scalars:
        value = values[column].strip() if column else ""
        if len(value) > MAX_LENGTH:
            errors.append(RowError(number, column or "", value, f"longer than {MAX_LENGTH} characters"))
        scalars.append(value or None)
    account = scalars[0]
    custom = {field_name: value for column, field_name in rules.custom if (value := values[column].strip())}
    keys: list[tuple[str, str]] = []
    if account and (keypad := keypad_digits(account)):
        keys.append((ACCOUNT_KIND, keypad))
    for column, kind in rules.keypad_columns:
        if kind in custom:
            keypad = keypad_digits(custom[kind])
            if not keypad or len(keypad) > MAX_LENGTH:
                errors.append(
                    RowError(number, column, custom[kind], "no letters or digits to key in, or too many")
                )
            keys.append((kind, keypad))
    phones: dict[str, str | None] = {}
    for column, label in rules.phones:
        cell = values[column]
        if not cell or cell.isspace():
            continue
        for part in (
            _NUMBER_SEPARATORS.split(cell) if ("," in cell or ";" in cell or "|" in cell) else (cell,)
        ):
            if not part.strip():
                continue
            e164 = normalise_number(part, rules.region)
            if e164 is None:
                errors.append(RowError(number, column, part.strip(), _bad_number(rules.region)))
            else:
                phones.setdefault(e164, label)
    if not phones and not account and not errors:
        errors.append(
            RowError(number, "", "", "no phone number and no account number to know the customer by")
        )
    return (number, name or None, *scalars, custom, json.dumps(custom), tuple(keys), tuple(phones.items()),
            tuple(errors))  # fmt: skip


def stored_keypads(
    account: str | None, custom: Mapping[str, Any], keypad_fields: Sequence[str]
) -> dict[str, str]:
    """The keypad keys {kind: keypad} that a customer's values, as stored, give."""
    given = {ACCOUNT_KIND: account or "", **{kind: custom.get(kind) for kind in keypad_fields}}
    return {
        kind: keypad
        for kind, value in given.items()
        if isinstance(value, str) and (keypad := keypad_digits(value))
    }


def _bad_number(region: str) -> str:
    return f"not a full phone number (national numbers are read as {region}; give others with +country code)"
