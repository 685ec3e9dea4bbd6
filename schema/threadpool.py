"""`in_thread`: blocking database work off the gevent hub, so only the calling greenlet waits."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import gevent

_T = TypeVar("_T")


def in_thread(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run blocking (database) work in gevent's thread pool; only this greenlet waits."""
    result: _T = gevent.get_hub().threadpool.apply(functools.partial(function, *args, **kwargs))
    return result
