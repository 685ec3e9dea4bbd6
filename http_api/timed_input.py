"""`TimedInput`: a request body stream that must be read to its end before a deadline.

Wraps gevent's `wsgi.input`, so a peer that trickles its body (a byte every few seconds) cannot hold a
connection, and the server's slot, for longer than the deadline: a read past it raises `BodyTimeout`
(an OSError, as a failed socket read is). A chunked body gevent cannot parse raises `MalformedBody`,
an OSError too (gevent raises ValueError for an empty chunk-size line). gevent drains the unread rest of
a body after the response through `_discard`; that is timed by the same deadline, and skipped after a
failed read; after a failed read or drain, `failed` is true and the connection must be closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from gevent import Timeout

_T = TypeVar("_T")


class BodyTimeout(TimeoutError):
    """The request body did not arrive within its deadline."""


class MalformedBody(OSError):
    """The chunked request body cannot be parsed."""


class TimedInput:
    def __init__(self, stream: Any, seconds: float) -> None:
        self._stream = stream
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds
        self._failed = False

    def read(self, length: int | None = None) -> bytes:
        return self._timed(lambda: bytes(self._stream.read(length)))

    def readline(self, size: int | None = None) -> bytes:
        return self._timed(lambda: bytes(self._stream.readline(size)))

    def readlines(self, hint: int | None = None) -> list[bytes]:
        return self._timed(lambda: list(self._stream.readlines(hint)))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    @property
    def failed(self) -> bool:
        """A read or the drain failed: where the next request would start is unknown."""
        return self._failed

    def _discard(self) -> None:
        """gevent's hook: drain the rest of the body so the connection can take another request."""
        if not self._failed:
            self._timed(self._stream._discard)

    def _timed(self, read: Callable[[], _T]) -> _T:
        remaining = self._deadline - time.monotonic()
        late = BodyTimeout(f"the request body did not arrive within {self._seconds:g} s")
        try:
            if remaining <= 0:
                raise late
            with Timeout(remaining, late):
                return read()
        except ValueError as exc:
            self._failed = True
            raise MalformedBody(f"bad chunk-size line ({exc})") from exc
        except OSError:
            self._failed = True
            raise
