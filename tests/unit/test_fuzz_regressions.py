"""Inputs the fuzz targets (tests/fuzz) found failing, kept as explicit cases."""

from __future__ import annotations

import pytest

from esl_handlers.codec import CommandReply, EslParser, ProtocolError
from tests.fuzz.esl import SMALL, check_framed_bytes
from tests.fuzz.http import check_bytes, serve
from tests.fuzz.http_requests import MANAGER_TOKEN

# A header block of exactly the limit, delivered a line at a time: the first newline of its blank
# line made the buffer one byte over the limit, and the parser refused it, though whole it parsed.
HEADER_AT_LIMIT = (
    b"Event-Name: \nContent-Length: 0\nContent-Type: auth/request\nX: " + b"x" * 39 + b"\n\nContent-Le"
)


def test_a_header_block_of_exactly_the_limit_parses_when_its_blank_line_arrives_split() -> None:
    check_framed_bytes((HEADER_AT_LIMIT, HEADER_AT_LIMIT.splitlines(keepends=True)))


def test_a_header_block_at_the_limit_waits_for_the_second_newline() -> None:
    block = b"Content-Type: command/reply\nReply-Text: +OK " + b"x" * 56
    assert len(block) == SMALL.header
    parser = EslParser(max_body=SMALL.body, max_header_bytes=SMALL.header)
    assert parser.feed(block + b"\n") == []
    assert parser.feed(b"\n") == [CommandReply("+OK " + "x" * 56, parser_headers(block))]


def parser_headers(block: bytes) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in block.decode().split("\n"))


def test_a_header_block_one_byte_over_the_limit_is_still_refused() -> None:
    block = b"Content-Type: auth/request\nX: " + b"x" * (SMALL.header - 29)
    assert len(block) == SMALL.header + 1
    parser = EslParser(max_header_bytes=SMALL.header)
    with pytest.raises(ProtocolError, match="no end of headers within 100 bytes"):
        parser.feed(block + b"\n")


# A chunked body whose chunk-size line is empty (here: the first line of the body): gevent's chunk
# reader raises ValueError rather than its client-input error, and the API answered 500.
EMPTY_CHUNK_SIZE = (
    b"POST /api/customers/1/notes HTTP/1.1\r\nHost: fuzz\r\nAuthorization: Bearer "
    + MANAGER_TOKEN.encode()
    + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\r\n0\r\n\r\n"
)


def test_an_empty_chunk_size_line_is_a_400_naming_the_chunked_body() -> None:
    answer = serve([EMPTY_CHUNK_SIZE])
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"the chunked body is malformed" in answer
    check_bytes((EMPTY_CHUNK_SIZE, [EMPTY_CHUNK_SIZE[:150], EMPTY_CHUNK_SIZE[150:]]))


# The same broken body on a route that answers without reading it (a 404): gevent drains the body
# after the answer and its ValueError was logged as an internal error, and the connection was kept.
UNREAD_EMPTY_CHUNK_SIZE = EMPTY_CHUNK_SIZE.replace(b"/api/customers/1/notes", b"/api/nowhere")
NEXT_REQUEST = b"GET /api/openapi.json HTTP/1.1\r\nHost: fuzz\r\n\r\n"


def test_an_unread_chunked_body_with_an_empty_size_line_closes_the_connection_quietly() -> None:
    answer = serve([UNREAD_EMPTY_CHUNK_SIZE + NEXT_REQUEST])
    assert answer.startswith(b"HTTP/1.1 404 "), answer[:200]
    assert answer.count(b"HTTP/1.1 ") == 1, "the connection went on after a body it could not parse"
