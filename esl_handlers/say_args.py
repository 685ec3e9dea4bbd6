"""The argument of FreeSWITCH's `say` application, built from a checked value (see app_args.py's rules).

mod_dptools say_function splits its argument with switch_separate_string into at most five tokens,
`<module>[:<lang>] <say_type> <say_method> [<gender>] <text>`, and hands them to switch_ivr_say, which
finds the language in the `languages` (or `phrases`) XML section and calls that language's say module.
What mod_say_en does with the text decides what may be sent (src/mod/say/mod_say_en/mod_say_en.c):

- NUMBER goes through en_say_general_count: digits (and commas) only, at most 9 of them, else
  "Parse Error!" and nothing is said. No sign, no decimals.
- digits: NAME_SPELLED reads each digit as digits/<n>.wav (en_spell), the files NUMBER ITERATED plays,
  but without en_say_general_count's limits: ITERATED refuses more than 9 digits and says an all-zero
  string ("000") as one "zero", both wrong for an account or plate number.
- CURRENCY goes through en_say_money: at most 15 characters, the units part again through
  en_say_general_count (at most 9 digits), the cents as a number: "12.5" would be "five cents", so the
  cents are always sent as two digits.
- CURRENT_DATE goes through en_say_time, which reads the text as epoch seconds (`atol` into an int32_t;
  0 or less means "now") and breaks it down in the channel's `timezone` variable, else the server's
  local time zone. A date is therefore sent as noon UTC of that day: noon lands on the same calendar day
  in every zone from UTC-11 to UTC+11, where midnight UTC would be the previous day anywhere west of
  Greenwich. The int32 limits the dates to 1970-01-01 .. 2038-01-18.

Each value becomes one token without spaces, so a fifth token (the gender) can never appear.

A switch without mod_say_en's sounds reads values by TTS instead (freeswitch_conf/say.py): `spoken_text`
writes a checked value out as mod_say_en would say it, for the TTS engine to speak.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from ivr_scripts.channel import SayKind

_LANGUAGE: Final = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")
_NUMBER: Final = re.compile(r"^[0-9]{1,32}$")
_DIGITS: Final = re.compile(r"^[0-9]{1,64}$")
_MONEY: Final = re.compile(r"^(-?)([0-9]{1,32})(?:\.([0-9]{1,2}))?$")
_DATE: Final = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_SAY_NUMBER: Final = 999_999_999  # en_say_general_count: at most 9 digits
_INT32_MAX: Final = 2**31 - 1
_NOON: Final = dt.time(12, 0, tzinfo=dt.UTC)
# kind -> (say type, say method) as switch_ivr_get_say_type_by_name / _method_by_name spell them.
SAY_TYPES: Final[dict[SayKind, tuple[str, str]]] = {
    "number": ("NUMBER", "PRONOUNCED"),
    "digits": ("NAME_SPELLED", "ITERATED"),
    "date": ("CURRENT_DATE", "PRONOUNCED"),
    "money": ("CURRENCY", "PRONOUNCED"),
}


def say_argument(kind: SayKind, value: str, language: str = "en") -> str:
    """`say`'s whole argument, e.g. "en NUMBER PRONOUNCED 42"; ValueError for a value it cannot say."""
    if not _LANGUAGE.match(language):
        raise ValueError(f"say language must be a language code such as en or pt_BR: {language[:20]!r}")
    if kind not in SAY_TYPES:
        raise ValueError(f"cannot say a {kind!r}; say number, digits, date or money")
    say_type, method = SAY_TYPES[kind]
    return f"{language} {say_type} {method} {say_text(kind, value.strip())}"


def say_text(kind: SayKind, value: str) -> str:
    if kind == "number":
        return str(_whole_number(value, "number"))
    if kind == "digits":
        if not _DIGITS.match(value):
            raise ValueError(f"digits to say must be 1 to 64 digits: {value[:40]!r}")
        return value
    if kind == "money":
        return _money(value)
    return str(date_epoch(value))


def _whole_number(value: str, what: str) -> int:
    if not _NUMBER.match(value):
        raise ValueError(f"{what} to say must be a whole number without sign or separators: {value[:40]!r}")
    number = int(value)
    if number > MAX_SAY_NUMBER:
        raise ValueError(f"{what} to say must be at most {MAX_SAY_NUMBER}: {value[:40]!r}")
    return number


def _money(value: str) -> str:
    match = _MONEY.match(value)
    if match is None:
        raise ValueError(f"an amount to say must look like 12 or 12.50: {value[:40]!r}")
    sign, units, cents = match.groups()
    whole = _whole_number(units, "amount")
    return f"{sign}{whole}.{(cents or '0').ljust(2, '0')}"


def date_epoch(value: str) -> int:
    """Noon UTC of a YYYY-MM-DD date, in epoch seconds (why noon: the module docstring)."""
    if not _DATE.match(value):
        raise ValueError(f"a date to say must be YYYY-MM-DD: {value[:40]!r}")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a calendar date: {value!r}") from exc
    epoch = int(dt.datetime.combine(day, _NOON).timestamp())
    if not 0 < epoch <= _INT32_MAX:
        raise ValueError(f"the switch can only say dates from 1970-01-01 to 2038-01-18: {value!r}")
    return epoch


def spoken_text(kind: SayKind, value: str) -> str:
    """`value` written out as mod_say_en says it, for TTS; ValueError where `say_argument` would raise.

    number "42" -> "42" (the engine reads it as forty-two), digits "0815" -> "0 8 1 5", date
    "2027-03-04" -> "Thursday, March 4th, 2027", money "12.5" -> "12 dollars and 50 cents".
    """
    text = say_text(kind, value.strip())
    if kind == "number":
        return text
    if kind == "digits":
        return " ".join(text)
    if kind == "money":
        units, _, cents = text.removeprefix("-").partition(".")
        minus = "minus " if text.startswith("-") else ""
        cents = str(int(cents))
        return f"{minus}{units} {_plural(units, 'dollar')} and {cents} {_plural(cents, 'cent')}"
    day = dt.date.fromisoformat(value.strip())
    # Spelled here, not with strftime: %A and %B follow the process's locale.
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {_ordinal(day.day)}, {day.year}"


_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _plural(count: str, unit: str) -> str:
    return unit if count == "1" else unit + "s"


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"
