"""`app_args.setvar_list`: the argument of `uuid_setvar_multi` (one ESL command line)."""

from __future__ import annotations

import pytest

from esl_handlers.app_args import setvar_list


def test_variables_are_joined_with_semicolons_in_order() -> None:
    joined = setvar_list({"cc_screening": "vip", "cc_customer_id": "42"})
    assert joined == "cc_screening=vip;cc_customer_id=42"


def test_separator_quotes_and_backslashes_are_escaped_spaces_are_kept() -> None:
    value = 'O\'Neil; "Bob" C:\\new'
    assert setvar_list({"cc_screen_name": value}) == 'cc_screen_name=O\\\'Neil\\; \\"Bob\\" C:\\\\new'


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "no channel variables"),
        ({"bad name": "x"}, "invalid channel variable name"),
        ({"ok": "two\nlines"}, "CR, LF or NUL"),
        ({"ok": "${api system}"}, "expand"),
    ],
)
def test_what_cannot_be_sent_is_refused(variables: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        setvar_list(variables)
