"""A clock the test moves by hand."""

from __future__ import annotations

import datetime as dt

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class FakeClock:
    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def elapsed(self) -> float:
        return (self.now - START).total_seconds()
