"""Phone numbers and keypad keys, as the CRM stores and matches them.

`normalise_number` gives E.164 (`+441632960001`) for anything a person or a switch writes:
international with + or 00, national with the trunk prefix in the default region. Caller IDs that
are not phone numbers (withheld, "anonymous", SIP user names, extensions) give None.
`keypad_digits` turns what a caller keys in for text (a licence plate "AB12 CDE") into the digits a
phone keypad sends for it ("2212233"), the form `customer_keys` stores.
"""

from __future__ import annotations

import functools
from typing import Final

import phonenumbers

_KEYPAD: Final = str.maketrans(
    {
        **{letter: digit for digit, letters in {
            "2": "abc", "3": "def", "4": "ghi", "5": "jkl", "6": "mno", "7": "pqrs", "8": "tuv", "9": "wxyz"
        }.items() for letter in letters + letters.upper()},
    }
)  # fmt: skip


@functools.lru_cache(maxsize=65536)
def normalise_number(text: str, region: str) -> str | None:
    """E.164 for a full number of the right length for its country; else None (withheld, extensions)."""
    parsed = parse_full_number(text, region)
    return None if parsed is None else phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_full_number(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    """The number `text` is in `region`, if it is a full one; else None (the rule `normalise_number` and
    the call list import share)."""
    raw = text.strip()
    if not raw or len(raw) > 40:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    # Full numbers only: a local-only number (no area code) or an extension is not a caller ID that can match.
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return parsed


def keypad_digits(text: str) -> str:
    """The keys a caller presses for `text`: digits stay, letters become their keypad digit, the rest goes."""
    return "".join(char for char in text.translate(_KEYPAD) if char.isdigit() and char.isascii())
