"""The HTTP layer under hostile or broken clients, over raw TCP: ambiguous body framing, bad chunks,
duplicate JSON keys, peers that trickle a request head, and more connections than the cap."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
import pytest
from pydantic import BaseModel
from sqlalchemy import Engine

from http_api import ApiServer, build_api
from http_api.routes import ROUTES
from http_api.routing import ApiError, parse_body
from schema.db import create_engine_from_url
from schema.migrate import upgrade
from tests.support.http_api import REGION, ApiClient, Seed, in_thread, seed


@dataclass(frozen=True)
class Api:
    port: int
    data: Seed

    @property
    def notes_path(self) -> str:
        return f"/api/customers/{self.data.jane.id}/notes"

    def head(self, method: str, path: str, *lines: str) -> bytes:
        """A request head with the manager's token and the given header lines."""
        token = self.data.tokens["maria"]
        fields = [f"{method} {path} HTTP/1.1", "Host: test", f"Authorization: Bearer {token}", *lines]
        return ("\r\n".join(fields) + "\r\n\r\n").encode()

    def notes(self) -> list[object]:
        reply = ApiClient(self.port).get(self.notes_path, self.data.tokens["maria"])
        notes: list[object] = reply.json()
        return notes


@dataclass(frozen=True)
class RawReply:
    status: int
    body: bytes
    closed: bool  # the server closed the connection after answering

    @property
    def error(self) -> str:
        message: str = json.loads(self.body)["error"]
        return message


def exchange(port: int, data: bytes, wait: float = 5.0) -> RawReply:
    """Send `data` on a fresh connection; read the one response and whether the connection then ends."""

    def talk() -> RawReply:
        with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
            sock.sendall(data)
            received = b""
            while b"\r\n\r\n" not in received:
                received += _recv(sock)
            head, _, body = received.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                body += _recv(sock)
            try:
                closed = sock.recv(1) == b""
            except TimeoutError:
                closed = False
            return RawReply(int(head.split(b" ", 2)[1]), body[:length], closed)

    return in_thread(talk)


def _recv(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)
    if not chunk:
        raise EOFError("the server closed the connection before answering")
    return chunk


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    upgrade(url)
    engine = create_engine_from_url(url)
    yield engine
    engine.dispose()


@contextmanager
def serving(engine: Engine, data: Seed, **limits: Any) -> Iterator[Api]:
    server = ApiServer(build_api(engine, region=REGION), "127.0.0.1", 0, **limits)
    server.start()
    try:
        yield Api(server.port, data)
    finally:
        server.stop()


@pytest.fixture
def api(sqlite_engine: Engine) -> Iterator[Api]:
    with serving(sqlite_engine, seed(sqlite_engine)) as running:
        yield running


NOTE = b'{"body": "hello"}'


# --- body framing ----------------------------------------------------------------------------------


def test_differing_content_lengths_are_refused_and_nothing_is_written(api: Api) -> None:
    request = api.head("POST", api.notes_path, "Content-Length: 17", "Content-Length: 16") + NOTE

    reply = exchange(api.port, request)

    assert reply.status == 400
    assert "Content-Length" in reply.error
    assert reply.closed
    assert api.notes() == []


def test_a_comma_list_of_differing_content_lengths_is_refused(api: Api) -> None:
    reply = exchange(api.port, api.head("POST", api.notes_path, "Content-Length: 17, 16") + NOTE)

    assert reply.status == 400
    assert "Content-Length" in reply.error
    assert api.notes() == []


def test_identical_repeated_content_lengths_are_one(api: Api) -> None:
    request = api.head("POST", api.notes_path, "Content-Length: 17", "Content-Length: 17") + NOTE

    reply = exchange(api.port, request)

    assert reply.status == 201
    assert len(api.notes()) == 1


def test_content_length_with_chunked_transfer_encoding_is_refused(api: Api) -> None:
    chunked = b"11\r\n" + NOTE + b"\r\n0\r\n\r\n"
    request = api.head("POST", api.notes_path, "Content-Length: 3", "Transfer-Encoding: chunked")

    reply = exchange(api.port, request + chunked)

    assert reply.status == 400
    assert "Content-Length and Transfer-Encoding" in reply.error
    assert reply.closed
    assert api.notes() == []


@pytest.mark.parametrize("coding", ["gzip", "chunked, gzip", "gzip, chunked", "identity"])
def test_transfer_codings_other_than_chunked_are_refused(api: Api, coding: str) -> None:
    reply = exchange(api.port, api.head("POST", api.notes_path, f"Transfer-Encoding: {coding}") + NOTE)

    assert reply.status == 400
    assert "Transfer-Encoding" in reply.error
    assert reply.closed
    assert api.notes() == []


def test_a_bad_chunk_size_is_a_400_that_closes_the_connection(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    request = api.head("POST", api.notes_path, "Transfer-Encoding: chunked") + b"zz\r\n" + NOTE

    with caplog.at_level(logging.DEBUG):
        reply = exchange(api.port, request)

    assert reply.status == 400
    assert "chunked body" in reply.error
    assert reply.closed
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert api.notes() == []


# --- JSON bodies -----------------------------------------------------------------------------------


def test_a_duplicate_json_key_is_a_400_naming_it(api: Api) -> None:
    body = b'{"body": "first", "body": "second"}'
    request = api.head("POST", api.notes_path, f"Content-Length: {len(body)}") + body

    reply = exchange(api.port, request)

    assert reply.status == 400
    assert "'body'" in reply.error
    assert "more than once" in reply.error
    assert api.notes() == []


BODY_MODELS: list[type[BaseModel]] = sorted(
    {route.body for route in ROUTES if route.body is not None}, key=lambda model: model.__name__
)


@pytest.mark.parametrize("model", BODY_MODELS, ids=lambda model: model.__name__)
def test_every_json_body_refuses_duplicate_keys(model: type[BaseModel]) -> None:
    name = next(iter(model.model_fields))
    doubled = f'{{"{name}": 1, "{name}": 2}}'.encode()

    with pytest.raises(ApiError) as refused:
        parse_body(model, doubled)

    assert refused.value.status == 400
    assert f"{name!r} is given more than once" in refused.value.message


def test_a_duplicate_key_in_a_nested_object_is_refused_too() -> None:
    scores = next(
        route.body for route in ROUTES if route.body is not None and "scores" in route.body.model_fields
    )

    with pytest.raises(ApiError) as refused:
        parse_body(scores, b'{"form": "f", "scores": {"greeting": 1, "greeting": 2}}')

    assert "'greeting' is given more than once" in refused.value.message


# --- slow and numerous peers ------------------------------------------------------------------------


def seconds_until_closed(port: int, trickle: bytes, every: float, limit: float) -> float:
    """Send `trickle` one byte every `every` seconds; seconds until the server closes (or `limit`)."""

    def run() -> float:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=every) as sock:
            for byte in trickle:
                if time.monotonic() - started > limit:
                    break
                try:
                    sock.sendall(bytes([byte]))
                    if sock.recv(65536) == b"":
                        break
                except TimeoutError:
                    continue
                except OSError:  # reset: closed
                    break
        return time.monotonic() - started

    return in_thread(run)


def test_a_peer_trickling_its_request_head_is_dropped_at_the_deadline(sqlite_engine: Engine) -> None:
    trickle = b"GET /api/openapi.json HTTP/1.1\r\n" + b"X-Slow: " + b"a" * 200

    with serving(sqlite_engine, seed(sqlite_engine), head_timeout=1.5) as api:
        elapsed = seconds_until_closed(api.port, trickle, every=0.3, limit=8.0)

    assert 1.2 <= elapsed < 3.0


def test_an_idle_keep_alive_connection_is_dropped_at_the_deadline(sqlite_engine: Engine) -> None:
    with serving(sqlite_engine, seed(sqlite_engine), head_timeout=1.0) as api:

        def idle_after_one_request() -> float:
            with socket.create_connection(("127.0.0.1", api.port), timeout=8.0) as sock:
                sock.sendall(b"GET /api/openapi.json HTTP/1.1\r\nHost: t\r\n\r\n")
                while b'"openapi"' not in sock.recv(65536):
                    pass
                started = time.monotonic()
                while sock.recv(65536):
                    pass
                return time.monotonic() - started

        elapsed = in_thread(idle_after_one_request)

    assert 0.8 <= elapsed < 2.5


def test_connections_beyond_the_cap_get_503_and_are_closed(sqlite_engine: Engine) -> None:
    data = seed(sqlite_engine)
    with serving(sqlite_engine, data, max_connections=2) as api:
        held = [
            in_thread(lambda: socket.create_connection(("127.0.0.1", api.port), timeout=5.0))
            for _ in range(2)
        ]
        gevent.sleep(0.2)  # let the server accept both
        try:
            refused = exchange(api.port, api.head("GET", "/api/me"))
        finally:
            for sock in held:
                sock.close()
        gevent.sleep(0.2)
        served = exchange(api.port, api.head("GET", "/api/me", "Connection: close"))

    assert refused.status == 503
    assert "connections" in refused.error
    assert refused.closed
    assert served.status == 200


def _recv_or_empty(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def test_a_peer_trickling_its_body_gets_408_at_the_deadline(sqlite_engine: Engine) -> None:
    data = seed(sqlite_engine)
    with serving(sqlite_engine, data, body_timeout=1.0) as api:
        head = api.head("POST", api.notes_path, f"Content-Length: {len(NOTE)}")

        def trickle_body() -> tuple[float, bytes]:
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", api.port), timeout=0.3) as sock:
                sock.sendall(head)
                answer = b""
                for byte in NOTE:
                    try:
                        sock.sendall(bytes([byte]))
                        answer += sock.recv(65536)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if answer:
                        break
                elapsed = time.monotonic() - started
                sock.settimeout(2.0)
                while chunk := _recv_or_empty(sock):  # the answer may come in more than one segment
                    answer += chunk
                return elapsed, answer

        elapsed, answer = in_thread(trickle_body)
        notes = api.notes()

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"request body did not arrive within 1 s" in answer
    assert 0.8 <= elapsed < 2.5
    assert notes == []
