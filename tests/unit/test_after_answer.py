"""What originate runs on an answered leg: built so FreeSWITCH parses it as meant, or refused."""

from __future__ import annotations

import pytest

from esl_handlers.after_answer import PARK, application, inline
from esl_handlers.switch import EslSwitch
from ivr_scripts.switch import SwitchError


def test_one_application_or_the_park() -> None:
    assert PARK.text == "&park()"
    assert application("eavesdrop", "0c2b7e1a-4a0e-4d42-9ab8-2f0e0f6d1c11").text == (
        "&eavesdrop(0c2b7e1a-4a0e-4d42-9ab8-2f0e0f6d1c11)"
    )


@pytest.mark.parametrize(("name", "argument"), [("eaves drop", "x"), ("eavesdrop", "a(b"), ("app", "a,b")])
def test_an_application_that_would_be_misread_is_refused(name: str, argument: str) -> None:
    with pytest.raises(ValueError, match="application"):
        application(name, argument)


def test_inline_steps_are_one_quoted_list() -> None:
    after = inline([("avmd_start", ""), ("socket", "127.0.0.1:8084 async full")])
    assert after.text == "'avmd_start,socket:127.0.0.1:8084 async full' inline"


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "at least one"),
        ([("Park", "")], "not an application name"),
        ([("set", "a=1,b=2")], "must not contain ','"),
        ([("set", "a='x'")], 'must not contain "\'"'),
        ([("set", "a=${api x}")], r"must not contain '\$\{'"),
        ([("set", "a=1\nb")], "CR, LF or NUL"),
    ],
)
def test_inline_steps_that_would_be_misread_are_refused(steps: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inline(steps)


def test_a_channel_is_transferred_only_to_an_inline_dialplan() -> None:
    switch = EslSwitch("127.0.0.1", 9, "unused")  # nothing is sent: refused before connecting
    with pytest.raises(SwitchError, match="needs an inline dialplan"):
        switch.transfer_inline("0c2b7e1a-4a0e-4d42-9ab8-2f0e0f6d1c11", PARK)
