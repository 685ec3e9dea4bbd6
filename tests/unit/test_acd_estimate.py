"""Expected wait from recent handle times, and the texts the waiting caller hears."""

from __future__ import annotations

import re

import pytest

from ivr_scripts.acd.estimate import (
    HandleTimes,
    expected_wait_audio,
    expected_wait_seconds,
    expected_wait_text,
    position_audio,
    position_text,
    wait_phrase,
)


def test_no_estimate_until_the_queue_has_history() -> None:
    times = HandleTimes()
    times.record("other", 100)
    assert times.mean("sales") is None
    assert times.expected_wait("sales", position=3, agents=2) is None
    assert expected_wait_seconds(1, 1, None) is None


def test_mean_covers_only_the_last_window_of_calls() -> None:
    times = HandleTimes(window=3)
    for seconds in (1000, 60, 120, 180):
        times.record("sales", seconds)
    assert times.mean("sales") == pytest.approx(120)
    times.record("sales", 240)
    assert times.mean("sales") == pytest.approx(180)


@pytest.mark.parametrize(
    ("position", "agents", "expected"),
    [
        (1, 1, 120.0),
        (2, 1, 240.0),
        (1, 3, 120.0),
        (3, 3, 120.0),
        (4, 3, 240.0),
        (7, 3, 360.0),
        (2, 0, 240.0),  # no agent serving: counted as one, never a division by zero
    ],
)
def test_formula_is_rounds_of_agents_times_mean_handle_time(
    position: int, agents: int, expected: float
) -> None:
    assert expected_wait_seconds(position, agents, 120.0) == pytest.approx(expected)


def test_handle_times_feed_the_formula() -> None:
    times = HandleTimes()
    times.record("sales", 100)
    times.record("sales", 200)
    assert times.expected_wait("sales", position=5, agents=2) == pytest.approx(3 * 150)


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [
        (0, "less than a minute"),
        (59.9, "less than a minute"),
        (60, "about 1 minute"),
        (89, "about 1 minute"),
        (90, "about 2 minutes"),
        (150, "about 3 minutes"),
        (9 * 60 + 29, "about 9 minutes"),
        (9 * 60 + 30, "about 10 minutes"),
        (12 * 60 + 29, "about 10 minutes"),
        (12 * 60 + 30, "about 15 minutes"),
        (57 * 60 + 29, "about 55 minutes"),
        (57 * 60 + 30, "about an hour"),
        (89 * 60, "about an hour"),
        (90 * 60, "more than an hour"),
    ],
)
def test_wait_is_rounded_for_the_ear(seconds: float, phrase: str) -> None:
    assert wait_phrase(seconds) == phrase


def test_never_zero_minutes_and_never_shorter_as_the_wait_grows() -> None:
    order = ["less than a minute"]
    order += ["about 1 minute"] + [f"about {n} minutes" for n in (*range(2, 10), *range(10, 60, 5))]
    order += ["about an hour", "more than an hour"]
    rank = {phrase: index for index, phrase in enumerate(order)}
    previous = 0
    for seconds in range(0, 3 * 3600, 7):
        phrase = wait_phrase(seconds)
        assert re.search(r"\b0 minutes", phrase) is None
        assert rank[phrase] >= previous, f"{seconds}s: {phrase}"
        previous = rank[phrase]


def test_announcement_texts() -> None:
    assert position_text(1) == "You are next in line."
    assert position_text(2) == "You are caller number 2."
    assert expected_wait_text(180) == "Your expected wait is about 3 minutes."
    assert expected_wait_text(20) == "Your expected wait is less than a minute."
    assert position_audio(4).text == "You are caller number 4."
    assert position_audio(4).file is None
    assert expected_wait_audio(600).text == "Your expected wait is about 10 minutes."


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        position_text(0)
    with pytest.raises(ValueError):
        expected_wait_seconds(0, 1, 60.0)
    with pytest.raises(ValueError):
        HandleTimes(window=0)
    with pytest.raises(ValueError):
        HandleTimes().record("sales", -1)
