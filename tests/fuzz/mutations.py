"""Structure-aware mutations: a few edits of a valid byte string, and cuts into chunks.

They are driven by a `random.Random` that hypothesis draws (st.randoms()): one draw per input instead
of one per choice keeps the drawing cheap enough for a million inputs; the failing input itself is
what hypothesis reports, so nothing is lost for reproducing it.

The edits are those that break framing: a byte changed, bytes inserted (random, or tokens that mean
something to a parser: separators, escapes, lengths), a span deleted or repeated, the input cut
short, a number rewritten, newlines turned into CRLF.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from typing import Final

TOKENS: Final = (
    b"\n",
    b"\n\n",
    b"\r\n",
    b"\r\n\r\n",
    b": ",
    b":",
    b" ",
    b"%",
    b"%0",
    b"%zz",
    b"%C3",
    b"%FF",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"{",
    b'"',
    b"[",
    b"-1",
    b"0",
    b"99999999999",
    b"Content-Length: ",
    b"Content-Type: ",
    b"Transfer-Encoding: chunked",
    b"Event-Name: ",
)
_NUMBER: Final = re.compile(rb"\d+")
_NUMBERS: Final = (b"0", b"1", b"-1", b"00", b"65536", b"1048577", b"9" * 12, b"0x10", b"1e3")


def mutated(rnd: random.Random, base: bytes, max_edits: int = 4) -> bytes:
    """`base` with 0 to `max_edits` edits."""
    data = bytearray(base)
    for _ in range(rnd.randint(0, max_edits)):
        rnd.choice(_EDITS)(rnd, data)
    return bytes(data)


def _position(rnd: random.Random, data: bytearray) -> int:
    return rnd.randint(0, len(data))


def _flip(rnd: random.Random, data: bytearray) -> None:
    if data:
        data[rnd.randrange(len(data))] ^= rnd.randint(1, 255)


def _insert_token(rnd: random.Random, data: bytearray) -> None:
    at = _position(rnd, data)
    data[at:at] = rnd.choice(TOKENS)


def _insert_bytes(rnd: random.Random, data: bytearray) -> None:
    at = _position(rnd, data)
    data[at:at] = rnd.randbytes(rnd.randint(1, 16))


def _delete(rnd: random.Random, data: bytearray) -> None:
    at = _position(rnd, data)
    del data[at : at + rnd.randint(1, 64)]


def _repeat(rnd: random.Random, data: bytearray) -> None:
    at = _position(rnd, data)
    span = bytes(data[at : at + rnd.randint(1, 256)])
    data[at:at] = span * rnd.randint(1, 3)


def _truncate(rnd: random.Random, data: bytearray) -> None:
    del data[_position(rnd, data) :]


def _renumber(rnd: random.Random, data: bytearray) -> None:
    numbers = list(_NUMBER.finditer(data))
    if numbers:
        found = rnd.choice(numbers)
        data[found.start() : found.end()] = rnd.choice(_NUMBERS)


def _crlf(rnd: random.Random, data: bytearray) -> None:
    at = data.find(b"\n", _position(rnd, data))
    if at >= 0 and (at == 0 or data[at - 1] != 0x0D):
        data[at:at] = b"\r"


_EDITS: Final[tuple[Callable[[random.Random, bytearray], None], ...]] = (
    _flip,
    _insert_token,
    _insert_bytes,
    _delete,
    _repeat,
    _truncate,
    _renumber,
    _crlf,
)


def split(rnd: random.Random, data: bytes, max_cuts: int = 12) -> list[bytes]:
    """`data` cut into chunks at random points, as TCP may deliver it (sometimes one byte at a time, or
    a line at a time: a parser that looks for a blank line sees one newline without the next)."""
    if len(data) <= 256 and rnd.randrange(16) == 0:
        return [data[i : i + 1] for i in range(len(data))]
    if rnd.randrange(8) == 0:
        return data.splitlines(keepends=True)
    cuts = sorted({rnd.randint(0, len(data)) for _ in range(rnd.randint(0, max_cuts))})
    bounds = [0, *cuts, len(data)]
    return [data[start:end] for start, end in itertools.pairwise(bounds)]
