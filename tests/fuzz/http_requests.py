"""Valid requests of every route in docs/api.md and docs/recording.md, as bytes on the wire.

They are the seeds of the HTTP fuzz targets (tests/fuzz/http.py); each passes routing, the token
check and the parsing of its path, query and body, and so reaches its handler.
"""

from __future__ import annotations

import json
import random
from typing import Final

MANAGER_TOKEN: Final = "fuzz-manager-token-0123456789abcdef"
AGENT_TOKEN: Final = "fuzz-agent-token-0123456789abcdef"
CALL: Final = "6f1c1f0e-0000-4000-8000-000000000001"

# (method, path with query, JSON body or None)
ROUTES: Final[tuple[tuple[str, str, object], ...]] = (
    ("GET", "/api/openapi.json", None),
    ("GET", "/api/me", None),
    ("GET", "/api/customers?phone=%2B441632960001&name=Jane&limit=5&offset=0", None),
    ("GET", "/api/customers/1", None),
    ("GET", "/api/customers/1/calls?limit=10", None),
    ("GET", "/api/customers/1/tickets?status=open", None),
    ("GET", "/api/customers/1/notes?limit=50", None),
    ("POST", "/api/customers/1/notes", {"body": "called back", "call_uuid": CALL}),
    ("POST", "/api/customers/1/tickets", {"subject": "refund"}),
    ("PATCH", "/api/tickets/3", {"status": "closed"}),
    ("GET", "/api/calls?customer_id=1&since=2026-03-01T00:00:00Z&limit=50&offset=0", None),
    ("GET", f"/api/calls/{CALL}", None),
    ("GET", f"/api/screenpop/{CALL}", None),
    ("GET", "/api/screening-rules?kind=block", None),
    ("POST", "/api/screening-rules", {"kind": "block", "number": "+441632960999", "reason": "spam"}),
    ("DELETE", "/api/screening-rules/4", None),
    ("GET", "/api/surveys/averages?by=agent&since=2026-03-01T00:00:00Z", None),
    ("GET", "/api/recordings?agent_id=1001&include_deleted=true&limit=5", None),
    ("GET", "/api/recordings/1", None),
    ("POST", "/api/recordings/1/keep", {"keep": True, "reason": "dispute 42"}),
    ("POST", "/api/recordings/1/scores", {"form": "basic", "scores": {"greeting": 4, "close": 2}}),
    ("GET", "/api/qa/averages?since=2026-03-01T00:00:00Z", None),
    ("POST", f"/api/calls/{CALL}/recording/pause", None),
    ("POST", f"/api/calls/{CALL}/recording/resume", None),
    ("POST", f"/api/calls/{CALL}/recording/start", None),
    ("POST", f"/api/calls/{CALL}/recording/stop", None),
    ("POST", "/api/supervise", {"agent_id": "1001", "mode": "listen", "extension": "2001"}),
    ("GET", "/api/stats/queues", None),
    ("GET", "/api/stats/agents", None),
)


def request(method: str, target: str, body: object, *, chunks: list[int] | None = None) -> bytes:
    """One HTTP/1.1 request with the manager's token; the body chunked in `chunks` sizes when given."""
    lines = [f"{method} {target} HTTP/1.1", "Host: fuzz", f"Authorization: Bearer {MANAGER_TOKEN}"]
    payload = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        lines.append("Content-Type: application/json")
    if chunks is None:
        if payload or method in ("POST", "PATCH"):
            lines.append(f"Content-Length: {len(payload)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    lines.append("Transfer-Encoding: chunked")
    encoded = bytearray()
    start = 0
    for size in [*chunks, len(payload)]:
        piece = payload[start : start + size]
        start += len(piece)
        if piece:
            encoded += b"%x\r\n%s\r\n" % (len(piece), piece)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + bytes(encoded) + b"0\r\n\r\n"


def valid_request(rnd: random.Random) -> bytes:
    """A route's request, its body sent with a Content-Length or chunked."""
    method, target, body = rnd.choice(ROUTES)
    chunked = body is not None and rnd.random() < 0.3
    return request(method, target, body, chunks=[rnd.randint(1, 16) for _ in range(4)] if chunked else None)
