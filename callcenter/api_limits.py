"""`ApiLimits`: what the HTTP API inside `callcenter serve` may use (CALLCENTER_API_THREADS ...), and
`ApiTls`: the certificate it serves HTTPS with (CALLCENTER_API_TLS_CERT / _KEY).

Kept apart from http_api so that reading the settings does not load the web stack; callcenter.server
hands the values to http_api.ApiServer and to the API's own WorkerPool.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class ApiLimits:
    """`threads`: the API's own database threads (API work never waits for, nor holds up, call
    handling's); `head_timeout`: seconds a request head may take to arrive (also ends idle keep-alive
    connections); `body_timeout`: seconds more for its body; `max_connections`: open at once (event
    streams included), beyond which a new connection gets a 503; `secure_cookie`: whether the browser
    session's cookie gets `Secure` ("auto": when the request came over HTTPS, or a proxy says so)."""

    threads: int = 8
    head_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 256
    secure_cookie: Literal["auto", "on", "off"] = "auto"

    def __post_init__(self) -> None:
        for name in ("threads", "head_timeout", "body_timeout", "max_connections"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class ApiTls:
    """PEM files: `certificate` (the chain, leaf first) and its private `key`. With them the API speaks
    HTTPS itself; without, plain HTTP for a TLS proxy in front (docs/desktop.md)."""

    certificate: Path
    key: Path
