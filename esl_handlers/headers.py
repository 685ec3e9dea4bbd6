"""Header blocks of ESL frames: validation and lookup.

Two kinds of block reach the parser:

- verbatim blocks (frame headers such as Content-Type, Reply-Text): parsed into a dict;
- URL-encoded blocks (text/event-plain events and the outbound connect reply): FreeSWITCH
  serializes events with every value URL-encoded, so a value holds no raw ':', ' ' or newline.
  These are validated in bulk (line shape, escapes, UTF-8) and kept as text; `Headers` finds a
  key with one substring search and decodes only the value asked for. An event has 100-200
  headers of which a consumer reads a handful, so building a dict per event would dominate the
  cost of parsing.

Both follow the same rules: a line is "Name: value" split at the first ": ", and when a name
repeats the first value wins (as in FreeSWITCH's own libesl).
"""

from __future__ import annotations

import re
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Final, TypeVar, overload
from urllib.parse import unquote_to_bytes

from esl_handlers.frames import ProtocolError

_T = TypeVar("_T")

# bytes.translate(None, _NOT_SHAPE) keeps only ':', ' ' and '\n': a well-formed encoded block
# of n lines then reads ": \n" repeated n times, without the last newline.
_NOT_SHAPE: Final = bytes(byte for byte in range(256) if byte not in b": \n")
_SHAPE_UNIT: Final = b": \n"
# A '%' that does not start an escape of an ASCII byte: either malformed or a UTF-8 byte.
_UNUSUAL_ESCAPE: Final = re.compile(r"%(?![0-7][0-9A-Fa-f])")
_BAD_ESCAPE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


def percent_decode(value: str) -> str:
    """Decode a value whose escapes the parser has validated (each '%' starts two hex digits).

    Rewriting "%XX" as "\\xXX" lets the C unicode_escape codec do the work: it maps every byte,
    escaped or not, to the code point of the same number, which latin-1 turns back into the bytes.
    """
    if "%" not in value:
        return value
    data = value.encode("utf-8")
    if b"\\" in data:
        data = data.replace(b"\\", b"\\\\")
    return data.replace(b"%", b"\\x").decode("unicode_escape").encode("latin-1").decode("utf-8")


def _percent_decode_all(values: list[str]) -> list[str]:
    """Decode validated values with one percent_decode call over them all, joined by NULs.

    The split gives the values back unless one held a NUL, raw or escaped (newlines would not do:
    SDP and other multi-line values are full of %0A); a NUL adds pieces, and then each value is
    decoded on its own.
    """
    decoded = percent_decode("\x00".join(values)).split("\x00")
    if len(decoded) == len(values):
        return decoded
    return [percent_decode(value) for value in values]


def decode_utf8(data: bytes | bytearray, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"{what} is not valid UTF-8 (byte {exc.start})") from exc


def _bad_line(lines: list[str], what: str) -> ProtocolError:
    for number, line in enumerate(lines, 1):
        if ": " not in line:
            return ProtocolError(f"{what} line {number} has no ': ' separator: {line[:60]!r}")
    return ProtocolError(f"{what} is malformed")  # pragma: no cover - only called on a bad line


def parse_verbatim(text: str, what: str) -> dict[str, str]:
    """Parse a block of "Name: value" lines whose values are taken as they are."""
    lines = text.split("\n")
    try:
        headers = dict([line.split(": ", 1) for line in lines])
    except ValueError:
        raise _bad_line(lines, what) from None
    if len(headers) != len(lines):  # a repeated name: keep the first value
        headers = {}
        for name, value in (line.split(": ", 1) for line in lines):
            headers.setdefault(name, value)
    return headers


def _check_escapes(text: str, what: str) -> None:
    if _UNUSUAL_ESCAPE.search(text) is None:
        return
    bad = _BAD_ESCAPE.search(text)
    if bad is not None:
        raise ProtocolError(f"{what} has bad percent-encoding at {text[bad.start() : bad.start() + 12]!r}")
    # Escaped bytes >= 0x80 must form UTF-8. Lines are separated by raw '\n', which can never
    # continue a UTF-8 sequence, so decoding the whole block checks every value at once.
    try:
        unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"{what} has a percent-encoded value that is not UTF-8") from exc


def is_simple_block(block: bytes) -> bool:
    """True if `block` has exactly one ': ' per line and no other ':' or ' ' (FreeSWITCH's encoding)."""
    shape = block.translate(None, _NOT_SHAPE)
    return shape + b"\n" == _SHAPE_UNIT * ((len(shape) + 1) // 3)


def parse_encoded(block: bytes, what: str, simple: bool | None = None) -> Headers:
    """Validate a URL-encoded header block (no trailing blank line) and wrap it.

    `simple` is `is_simple_block(block)` when the caller has computed it already.
    """
    text = decode_utf8(block, what)
    if simple is None:
        simple = is_simple_block(block)
    if not simple:
        # Not the shape FreeSWITCH produces, but any "Name: value" lines are still acceptable.
        lines = text.split("\n")
        if not all(": " in line for line in lines):
            raise _bad_line(lines, what)
    if "%" in text:
        _check_escapes(text, what)
    return Headers(text, simple)


# Past this many lookups on one block, decoding it all into a dict once is cheaper than searching.
_SEARCHES_BEFORE_DICT: Final = 16


class Headers(Mapping[str, str]):
    """Read-only mapping over a validated URL-encoded header block; values come out decoded.

    The first few lookups search the text; after that, or on iteration, the block is decoded once
    into a dict that serves everything else.
    """

    __slots__ = ("_dict", "_searches", "_simple", "_text")

    def __init__(self, text: str, simple: bool = False) -> None:
        """`text` is a validated block; `simple` if it passed `is_simple_block`."""
        # Newlines on both sides let every line be found as "\n" + name + ": ".
        self._text = f"\n{text}\n"
        self._simple = simple
        self._dict: dict[str, str] | None = None
        self._searches = 0

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    @overload
    def get(self, key: str, default: _T, /) -> str | _T: ...
    def get(self, key: str, default: object = None, /) -> object:
        if self._dict is not None:
            return self._dict.get(key, default)
        self._searches += 1
        if self._searches > _SEARCHES_BEFORE_DICT:
            return self._as_dict().get(key, default)
        start = self._find(key)
        if start < 0:
            return default
        text = self._text
        return percent_decode(text[start : text.index("\n", start)])

    def _find(self, key: str) -> int:
        """Index where `key`'s value starts, or -1."""
        start = self._text.find(f"\n{key}: ")
        if start < 0 or "\n" in key or ": " in key:
            return -1
        return start + len(key) + 3

    def __getitem__(self, key: str) -> str:
        if self._dict is not None:
            return self._dict[key]
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        if self._dict is not None:
            return key in self._dict
        return isinstance(key, str) and self._find(key) >= 0

    def _as_dict(self) -> dict[str, str]:
        if self._dict is None:
            text = self._text[1:-1]
            if self._simple:
                # Exactly one ": " per line and no other ':' or ' ': split everything at once.
                flat = text.replace("\n", ": ").split(": ")
                names, values = flat[0::2], flat[1::2]
            else:
                pairs = [line.split(": ", 1) for line in text.split("\n")]
                names, values = [pair[0] for pair in pairs], [pair[1] for pair in pairs]
            if "%" in text:
                values = _percent_decode_all(values)
            decoded = dict(zip(names, values, strict=True))
            if len(decoded) != len(names):  # a repeated name: keep the first value
                decoded = {}
                for name, value in zip(names, values, strict=True):
                    decoded.setdefault(name, value)
            self._dict = decoded
        return self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._as_dict())

    def __len__(self) -> int:
        return len(self._as_dict())

    def keys(self) -> KeysView[str]:
        return self._as_dict().keys()

    def values(self) -> ValuesView[str]:
        return self._as_dict().values()

    def items(self) -> ItemsView[str, str]:
        return self._as_dict().items()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._as_dict() == other._as_dict()
        if isinstance(other, Mapping):
            return self._as_dict() == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._as_dict()!r})"
