"""The `say` argument: dates as epoch seconds that land on the right day wherever the switch runs."""

from __future__ import annotations

import datetime as dt

import pytest

from esl_handlers.say_args import date_epoch, say_argument, spoken_text
from ivr_scripts.channel import SayKind


@pytest.mark.parametrize("day", ["1970-01-01", "2000-02-29", "2024-03-01", "2024-12-31", "2038-01-18"])
@pytest.mark.parametrize("offset_hours", [-11, -5, 0, 1, 9, 11])
def test_a_date_is_the_same_calendar_day_in_the_switchs_time_zone(day: str, offset_hours: int) -> None:
    zone = dt.timezone(dt.timedelta(hours=offset_hours))
    seen = dt.datetime.fromtimestamp(date_epoch(day), zone).date()
    assert seen.isoformat() == day


def test_the_whole_argument_has_four_tokens_so_no_gender_is_ever_read() -> None:
    assert say_argument("date", " 2024-03-01 ").split(" ") == [
        "en",
        "CURRENT_DATE",
        "PRONOUNCED",
        "1709294400",
    ]
    assert say_argument("money", "-0.05") == "en CURRENCY PRONOUNCED -0.05"
    assert say_argument("number", "000", language="pt_BR") == "pt_BR NUMBER PRONOUNCED 0"


@pytest.mark.parametrize("language", ["", "en us", "en;x", "EN", "english-language"])
def test_a_language_that_is_not_a_code_is_refused(language: str) -> None:
    with pytest.raises(ValueError, match="language"):
        say_argument("number", "1", language)


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        ("number", "007", "7"),
        ("digits", "0815", "0 8 1 5"),
        ("date", "2027-03-04", "Thursday, March 4th, 2027"),
        ("date", "2026-12-22", "Tuesday, December 22nd, 2026"),
        ("date", "2026-01-11", "Sunday, January 11th, 2026"),
        ("date", "2026-05-01", "Friday, May 1st, 2026"),
        ("money", "12.5", "12 dollars and 50 cents"),
        ("money", "-1.01", "minus 1 dollar and 1 cent"),
    ],
)
def test_a_value_is_written_out_for_tts_as_mod_say_en_says_it(kind: SayKind, value: str, text: str) -> None:
    assert spoken_text(kind, value) == text


@pytest.mark.parametrize(
    ("kind", "value"), [("date", "2024-02-30"), ("number", "1234567890"), ("digits", "1 2")]
)
def test_tts_refuses_what_say_refuses(kind: SayKind, value: str) -> None:
    with pytest.raises(ValueError):
        spoken_text(kind, value)
