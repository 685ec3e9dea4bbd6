"""Fuzz targets of the HTTP layer: the API server's request handling (http_api.server's gevent
handler, the body framing, the app's routing, token check and path, query and JSON body parsing),
fed bytes as TCP delivers them, in chunks.

A connection is played in process: the handler reads from a buffered stream over the drawn chunks
and writes into a buffer, so no socket or timer is involved. Past the token check the data layer is
offline (503), so every input exercises parsing, not the database.

Properties of every input, fed whole and fed in drawn chunks:
- the handler returns without reporting an internal error, and answers only with the statuses
  docs/api.md lists: never a 500;
- every answer with a body is JSON, an error one `{"error": ...}`;
- split or not, the answers are the same bytes (but for their Date header).
A JSON body that repeats a key is refused with 400 naming that key, at any depth.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from gevent.pywsgi import LoggingLogAdapter
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine

from http_api import build_api
from http_api.models import NoteIn, ScoresIn, ScreeningRuleIn, SuperviseIn, TicketIn
from http_api.routing import ApiError, parse_body
from http_api.server import _Handler, _Server
from schema.crm.users import authenticate
from schema.errors import StorageUnavailable
from schema.viewer import Viewer
from tests.fuzz.engine import Target
from tests.fuzz.http_requests import AGENT_TOKEN, MANAGER_TOKEN, valid_request
from tests.fuzz.mutations import mutated, split

DOCUMENTED_STATUSES: Final = frozenset({200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 413, 414, 422, 503})
VIEWERS: Final = {
    MANAGER_TOKEN: Viewer("maria", "manager"),
    AGENT_TOKEN: Viewer("ann", "agent", agent_id="1001"),
}
_STATUS_LINE: Final = re.compile(rb"HTTP/1\.[01] (\d{3}) ")
_DATE: Final = re.compile(rb"\r\nDate: [^\r]*")
_RANDOMS: Final = st.randoms(use_true_random=True)


def offline_data(call: Any) -> Any:
    """The app's data-layer runner: tokens from VIEWERS, every other call refused as unavailable."""
    if isinstance(call, functools.partial) and call.func is authenticate:
        return VIEWERS.get(call.args[1])
    raise StorageUnavailable("the fuzz harness has no database")


class _Chunks(io.RawIOBase):
    """A stream that hands out the drawn chunks one read at a time, as recv() would."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = [chunk for chunk in chunks if chunk]
        self._next = 0
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._next == len(self._chunks):
            return 0
        chunk = self._chunks[self._next]
        size = min(len(buffer), len(chunk) - self._offset)
        buffer[:size] = chunk[self._offset : self._offset + size]
        self._offset += size
        if self._offset == len(chunk):
            self._next, self._offset = self._next + 1, 0
        return size


class _Peer:
    """The handler's socket: what it sends is kept."""

    def __init__(self) -> None:
        self.sent = bytearray()

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def close(self) -> None:
        pass


@functools.cache
def _server() -> Any:
    engine: Engine = create_engine("sqlite://")  # never queried: the data layer is offline_data
    app = build_api(engine, region="GB", run=offline_data)
    return _Server(
        ("127.0.0.1", 0),
        app,
        head_timeout=10.0,
        body_timeout=10.0,
        max_connections=8,
        log=None,  # no access log
        error_log=LoggingLogAdapter(logging.getLogger("http_api.server"), logging.ERROR),
    )


class InternalError(AssertionError):
    """The handler reported an error of its own (to its loop's error handler: a traceback in the log)."""


class _ErrorRecorder:
    def __init__(self) -> None:
        self.reported: list[BaseException] = []

    def handle_error(self, _context: object, _type: object, value: BaseException, _tb: object) -> None:
        self.reported.append(value)


@contextmanager
def _watched(loop: Any) -> Iterator[None]:
    """Warnings about refused requests silenced; an internal error reported raises InternalError."""
    recorder, original = _ErrorRecorder(), loop.error_handler
    loop.error_handler = recorder
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        loop.error_handler = original
    if recorder.reported:
        error = recorder.reported[0]
        raise InternalError(f"the handler reported an internal error: {error!r}") from error


def serve(chunks: list[bytes]) -> bytes:
    """What the API answers a connection that sends `chunks` and then closes its side."""
    peer = _Peer()
    server = _server()
    handler = _Handler(peer, ("127.0.0.1", 40000), server, rfile=io.BufferedReader(_Chunks(chunks)))
    with _watched(server.loop):
        handler.handle()
    return bytes(peer.sent)


def check_answers(sent: bytes) -> None:
    statuses = [int(found.group(1)) for found in _STATUS_LINE.finditer(sent)]
    assert sent.startswith(b"HTTP/") or not sent, (
        f"the answer does not start with a status line: {sent[:80]!r}"
    )
    undocumented = [status for status in statuses if status not in DOCUMENTED_STATUSES]
    assert not undocumented, f"answered {undocumented}: {sent[:600]!r}"
    for status in statuses:
        if status not in (200, 204):
            assert b'{"error":' in sent, f"a {status} answer without a JSON error: {sent[:600]!r}"


def check_split(data: bytes, chunks: list[bytes]) -> None:
    whole = serve([data])
    check_answers(whole)
    pieces = serve(chunks)
    assert _DATE.sub(b"", pieces) == _DATE.sub(b"", whole), (
        f"split at {[len(chunk) for chunk in chunks]} the answers differ:\n{pieces[:400]!r}\n{whole[:400]!r}"
    )


# --- targets ----------------------------------------------------------------------------------------

_PREFIXES: Final = (b"", b"GET /api/me HTTP/1.1\r\n", b"POST /api/customers/1/notes HTTP/1.1\r\nHost: x\r\n")


@st.composite
def _random_bytes(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    rnd = draw(_RANDOMS)
    data = rnd.choice(_PREFIXES) + draw(st.binary(max_size=400))
    return data, split(rnd, data)


@st.composite
def _mutated_requests(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    """One to three requests on one connection (keep-alive), then a few edits."""
    rnd = draw(_RANDOMS)
    requests = b"".join(valid_request(rnd) for _ in range(rnd.randint(1, 3)))
    data = mutated(rnd, requests)
    return data, split(rnd, data)


def check_bytes(value: tuple[bytes, list[bytes]]) -> None:
    data, chunks = value
    check_split(data, chunks)


_BODY_MODELS: Final = (NoteIn, TicketIn, ScreeningRuleIn, ScoresIn, SuperviseIn)
_KEYS: Final = ("body", "subject", "kind", "number", "scores", "mode", "keep", "a", "é", "")
_SCALARS: Final = (None, True, False, 0, -1, 2**70, 1.5, 1e308, "", "x", "block", "listen", "é\u0000")


def _json(rnd: random.Random, depth: int = 0) -> tuple[str, bool]:
    """JSON text whose objects may repeat a key, and whether one does (at any depth)."""
    kind = rnd.randrange(4) if depth < 4 else 0
    if kind <= 1:
        return json.dumps(rnd.choice(_SCALARS)), False
    items = [_json(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    repeats = any(repeated for _, repeated in items)
    if kind == 2:
        return "[" + ",".join(text for text, _ in items) + "]", repeats
    keys = [rnd.choice(_KEYS) for _ in items]
    members = ",".join(f"{json.dumps(key)}:{text}" for key, (text, _) in zip(keys, items, strict=True))
    return "{" + members + "}", repeats or len(set(keys)) < len(keys)


@st.composite
def _json_bodies(draw: st.DrawFn) -> tuple[type[Any], bytes, bool]:
    rnd = draw(_RANDOMS)
    text, repeats = _json(rnd)
    data = text.encode()
    if rnd.random() < 0.3:
        mutated_data = mutated(rnd, data, max_edits=2)
        repeats = repeats and mutated_data == data
        data = mutated_data
    return rnd.choice(_BODY_MODELS), data, repeats


def check_json_body(value: tuple[type[Any], bytes, bool]) -> None:
    """parse_body accepts or raises ApiError (400); a repeated key is named as such."""
    model, data, repeats = value
    refusal: ApiError | None = None
    try:
        parse_body(model, data)
    except ApiError as exc:
        refusal = exc
    if refusal is None:
        assert not repeats, "a body repeating a key was accepted"
        return
    assert refusal.status == 400, f"status {refusal.status} for a bad body"
    if repeats:
        assert "is given more than once" in refusal.message, refusal.message


def targets() -> tuple[Target, ...]:
    return (
        Target("http-random-bytes", _random_bytes(), check_bytes, weight=1),
        Target("http-mutated-requests", _mutated_requests(), check_bytes, weight=2),
        Target("http-json-bodies", _json_bodies(), check_json_body, weight=1),
    )
