"""Blocking work off the gevent hub, so only the calling greenlet waits.

`in_thread` uses the hub's own pool, where call handling's database work runs. `WorkerPool` is a pool
of its own, for work that must never hold up call handling (the HTTP API): with the database locked,
a burst of API writes waiting on it fills only their pool, and a new caller's screening still finds
a free thread.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import gevent
import gevent.threadpool

_T = TypeVar("_T")


def in_thread(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run blocking (database, file) work in gevent's thread pool; only this greenlet waits.

    An exception comes back as a value and is raised here, in the calling greenlet: the pool would
    print a failing call to stderr with its arguments, and those can hold a token."""
    return _apply(gevent.get_hub().threadpool, function, *args, **kwargs)


class WorkerPool:
    """A thread pool of `size` threads of its own; `run` is `in_thread` on it."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a worker pool needs at least one thread, not {size}")
        self._pool = gevent.threadpool.ThreadPool(size)

    def run(self, function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        return _apply(self._pool, function, *args, **kwargs)

    def close(self) -> None:
        """Wait for the work in progress (up to 10 s), then end the threads."""
        with gevent.Timeout(10, False):
            self._pool.join()
        self._pool.kill()


def _apply(pool: gevent.threadpool.ThreadPool, function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    failed, outcome = pool.apply(_capture, (functools.partial(function, *args, **kwargs),))
    if failed:
        raise outcome
    return cast(_T, outcome)


def _capture(call: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return False, call()
    except Exception as exc:
        return True, exc
