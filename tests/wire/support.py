"""Helpers shared by the wire tests."""

from __future__ import annotations

from collections.abc import Callable

import gevent


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll `predicate` cooperatively until it holds; fail the test after `timeout`."""
    deadline = gevent.get_hub().loop.now() + timeout
    while not predicate():
        if gevent.get_hub().loop.now() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        gevent.sleep(0.005)
