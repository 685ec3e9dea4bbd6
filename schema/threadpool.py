"""`in_thread`: blocking work off the gevent hub, so only the calling greenlet waits."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import gevent

_T = TypeVar("_T")


def in_thread(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run blocking (database, file) work in gevent's thread pool; only this greenlet waits.

    An exception comes back as a value and is raised here, in the calling greenlet: the pool would
    print a failing call to stderr with its arguments, and those can hold a token."""
    failed, outcome = gevent.get_hub().threadpool.apply(
        _capture, (functools.partial(function, *args, **kwargs),)
    )
    if failed:
        raise outcome
    return cast(_T, outcome)


def _capture(call: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return False, call()
    except Exception as exc:
        return True, exc
