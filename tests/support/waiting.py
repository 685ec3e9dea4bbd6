"""Helpers shared by the wire tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import gevent

from ivr_scripts.recording import sampled


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    """Poll `predicate` cooperatively until it holds; fail the test after `timeout` (generous: `make test`
    runs the wire tier beside two live runs, at a lower priority, and a holding predicate returns at
    once whatever the timeout)."""
    deadline = gevent.get_hub().loop.now() + timeout
    while not predicate():
        if gevent.get_hub().loop.now() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        gevent.sleep(0.005)


def unsampled_uuid(percent: float) -> str:
    """A call UUID a `percent` recording sample does not take (so a test's steps do not depend on it)."""
    while sampled(candidate := str(uuid.uuid4()), percent):
        pass
    return candidate
