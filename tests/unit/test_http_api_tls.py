"""The API serving HTTPS itself (CALLCENTER_API_TLS_CERT / _KEY): a real TLS handshake on loopback
with a certificate made by openssl for the test, a client that is not speaking TLS refused without
harming the next, and a peer that never starts its handshake let go after the head timeout."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from http_api import ApiServer, build_api
from schema.db import create_engine_from_url
from schema.migrate import upgrade
from tests.support.http_api import REGION, Seed, in_thread, seed

HEAD_TIMEOUT = 0.5


def self_signed(where: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl to make the test's certificate: apt-get install openssl")
    certificate, key = where / "desk.crt", where / "desk.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    upgrade(url)
    engine = create_engine_from_url(url)
    yield engine
    engine.dispose()


@pytest.fixture
def https(engine: Engine, tmp_path: Path) -> Iterator[tuple[int, Path, Seed]]:
    certificate, key = self_signed(tmp_path)
    data = seed(engine)
    server = ApiServer(
        build_api(engine, region=REGION), "127.0.0.1", 0, head_timeout=HEAD_TIMEOUT, tls=(certificate, key)
    )
    server.start()
    try:
        yield server.port, certificate, data
    finally:
        server.stop()


def get_me(port: int, certificate: Path, token: str) -> tuple[int, dict[str, object], str]:
    context = ssl.create_default_context(cafile=str(certificate))
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        version = tls.version() or ""
        request = f"GET /api/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        tls.sendall((request + "Connection: close\r\n\r\n").encode())
        received = b""
        while chunk := tls.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body), version


def test_the_api_answers_over_tls_with_its_certificate(https: tuple[int, Path, Seed]) -> None:
    port, certificate, data = https
    status, me, version = in_thread(lambda: get_me(port, certificate, data.tokens["alice"]))
    assert (status, me["user"]) == (200, "alice")
    assert version in ("TLSv1.2", "TLSv1.3")


def test_a_client_speaking_plain_http_is_refused_and_the_next_is_served(
    https: tuple[int, Path, Seed],
) -> None:
    port, certificate, data = https

    def plain() -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /api/me HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                return sock.recv(65536)
            except ConnectionResetError:
                return b""

    assert not in_thread(plain).startswith(b"HTTP/1.1 200")
    status, me, _ = in_thread(lambda: get_me(port, certificate, data.tokens["alice"]))
    assert (status, me["user"]) == (200, "alice")


def test_a_peer_that_never_starts_its_handshake_is_let_go_and_holds_up_no_one(
    https: tuple[int, Path, Seed],
) -> None:
    """While the silent peer's handshake waits, another client is served (the wait is on the hub)."""
    port, certificate, data = https

    def silent_then_another() -> tuple[float, int]:
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=5 + HEAD_TIMEOUT) as sock:
            status, _, _ = get_me(port, certificate, data.tokens["alice"])
            assert sock.recv(1) == b""  # closed by the server
        return time.monotonic() - started, status

    elapsed, status = in_thread(silent_then_another)
    assert status == 200
    assert HEAD_TIMEOUT * 0.8 <= elapsed < HEAD_TIMEOUT + 3


def test_a_session_cookie_set_over_tls_is_secure(https: tuple[int, Path, Seed]) -> None:
    """CALLCENTER_API_SECURE_COOKIE=auto (the default): over this server's own HTTPS, `Secure`."""
    port, certificate, data = https

    def sign_in() -> bytes:
        context = ssl.create_default_context(cafile=str(certificate))
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        body = json.dumps({"token": data.tokens["alice"]}).encode()
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            head = "POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            tls.sendall(f"{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            received = b""
            while chunk := tls.recv(65536):
                received += chunk
        return received.partition(b"\r\n\r\n")[0]

    head = in_thread(sign_in).decode()
    (cookie,) = [line for line in head.split("\r\n") if line.lower().startswith("set-cookie:")]
    assert head.startswith("HTTP/1.1 200")
    assert cookie.endswith("; Secure")
    assert "HttpOnly; SameSite=Strict" in cookie
