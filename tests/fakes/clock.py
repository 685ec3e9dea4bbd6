"""A clock the test moves by hand."""

from __future__ import annotations

import datetime as dt

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class FakeClock:
    """Now is START (or `start`) until the test advances it."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now

    def elapsed(self) -> float:
        return (self.now - START).total_seconds()
