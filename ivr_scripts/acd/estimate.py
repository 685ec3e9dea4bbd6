"""Expected wait from recent handle times, and the texts a waiting caller hears.

Formula: a caller at `position` (1 = next) is reached in round ceil(position / agents), where
`agents` is the number of agents serving the queue (logged in, not on break; at least 1). Each round
lasts about one mean handle time, the time an agent is busy with one call (talk plus wrap-up) over
the queue's last `window` calls:

    expected wait = ceil(position / max(1, agents)) x mean handle time

It errs long for the first caller of a round (an agent already part-way through a call frees up
sooner), which is the safe side for a promise. Without history there is no estimate (None) and no
expected-wait announcement.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

from ivr_scripts.channel import Audio

DEFAULT_WINDOW: Final = 20


class HandleTimes:
    """The last `window` handle times of each queue, for the mean the estimate uses."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self._window = window
        self._times: dict[str, deque[float]] = {}

    def record(self, queue: str, seconds: float) -> None:
        if not seconds >= 0:
            raise ValueError(f"a handle time cannot be negative, got {seconds!r}")
        self._times.setdefault(queue, deque(maxlen=self._window)).append(seconds)

    def mean(self, queue: str) -> float | None:
        times = self._times.get(queue)
        if not times:
            return None
        return sum(times) / len(times)

    def expected_wait(self, queue: str, *, position: int, agents: int) -> float | None:
        return expected_wait_seconds(position, agents, self.mean(queue))


def expected_wait_seconds(position: int, agents: int, mean_handle: float | None) -> float | None:
    """ceil(position / max(1, agents)) x mean_handle; None without a mean handle time."""
    if position < 1:
        raise ValueError(f"a queue position starts at 1, got {position}")
    if mean_handle is None:
        return None
    return math.ceil(position / max(1, agents)) * mean_handle


def position_text(position: int) -> str:
    if position < 1:
        raise ValueError(f"a queue position starts at 1, got {position}")
    if position == 1:
        return "You are next in line."
    return f"You are caller number {position}."


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)


def wait_phrase(seconds: float) -> str:
    """Rounded for the ear: under a minute; whole minutes up to 10; fives up to an hour; then hours."""
    minutes = seconds / 60
    if minutes < 1:
        return "less than a minute"
    if minutes < 9.5:
        whole = max(1, _half_up(minutes))
        return "about 1 minute" if whole == 1 else f"about {whole} minutes"
    if minutes < 57.5:
        return f"about {5 * _half_up(minutes / 5)} minutes"
    if minutes < 90:
        return "about an hour"
    return "more than an hour"


def expected_wait_text(seconds: float) -> str:
    return f"Your expected wait is {wait_phrase(seconds)}."


def position_audio(position: int) -> Audio:
    return Audio(label="queue_position", text=position_text(position))


def expected_wait_audio(seconds: float) -> Audio:
    return Audio(label="queue_expected_wait", text=expected_wait_text(seconds))
