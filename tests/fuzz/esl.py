"""Fuzz targets of the ESL codec (esl_handlers.codec.EslParser), fed as TCP delivers: in chunks.

Properties of every input, fed whole and fed in drawn chunks:
- the parser returns frames or raises ProtocolError, nothing else;
- after each feed() it holds at most its body limit, or its header limit and one byte (buffered_bytes);
- split or not, it ends the same way: the same frames when the input parses, an error when not;
- a valid stream (captured frames, unmutated) parses without error into as many frames as it has.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Final

from hypothesis import strategies as st

from esl_handlers.codec import EslParser, Frame, ProtocolError
from esl_handlers.socket_limits import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES
from tests.fuzz.engine import Target
from tests.fuzz.mutations import mutated, split
from tests.support.transcripts import CAPTURES_DIR, read_entries, transcript_files

# Small limits for random bytes, so inputs of a few hundred bytes reach them.
SMALL_BODY: Final = 200
SMALL_HEADER: Final = 100
_REJECTION_TEXT: Final = b"Access Denied, go away.\n"
_RUDE_REJECTION: Final = b"Content-Type: text/rude-rejection\nContent-Length: %d\n\n%s" % (
    len(_REJECTION_TEXT),
    _REJECTION_TEXT,
)


@dataclass(frozen=True)
class Limits:
    body: int
    header: int

    @property
    def held(self) -> int:
        """The most a parser with these limits may hold after a feed: a partial body, or a header block
        of the limit's length and the first newline of the blank line that ends it."""
        return max(self.body, self.header + 1)


SMALL: Final = Limits(SMALL_BODY, SMALL_HEADER)
OUTBOUND: Final = Limits(DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES)


@dataclass(frozen=True)
class Outcome:
    frames: tuple[Frame, ...]
    failed: bool  # ProtocolError, in a feed() or at feed_eof()
    at_eof: bool  # the error came from feed_eof(): every byte before it parsed


def parse(chunks: list[bytes], limits: Limits) -> Outcome:
    """Feed `chunks`, then EOF; any exception but ProtocolError propagates (a crash)."""
    parser = EslParser(max_body=limits.body, max_header_bytes=limits.header)
    frames: list[Frame] = []
    for chunk in chunks:
        try:
            frames += parser.feed(chunk)
        except ProtocolError:
            return Outcome(tuple(frames), failed=True, at_eof=False)
        assert parser.buffered_bytes <= limits.held, (
            f"parser holds {parser.buffered_bytes} bytes, over its limits {limits}"
        )
    try:
        parser.feed_eof()
    except ProtocolError:
        return Outcome(tuple(frames), failed=True, at_eof=True)
    return Outcome(tuple(frames), failed=False, at_eof=False)


def check_split(data: bytes, chunks: list[bytes], limits: Limits) -> Outcome:
    whole = parse([data], limits)
    pieces = parse(chunks, limits)
    assert pieces.failed == whole.failed, (
        f"split at {[len(chunk) for chunk in chunks]}: {'fails' if pieces.failed else 'parses'},"
        f" whole it {'fails' if whole.failed else 'parses'}"
    )
    if not whole.failed or whole.at_eof:
        assert pieces.frames == whole.frames, "split, the input parses into other frames than whole"
        assert pieces.at_eof == whole.at_eof
    return whole


@functools.cache
def captured_frames() -> tuple[bytes, ...]:
    """Every distinct frame FreeSWITCH sent in the transcripts (shared and the project's captures)."""
    paths = [*transcript_files(), *sorted(CAPTURES_DIR.glob("*/*.jsonl"))]
    raw = {entry.raw.encode() for path in paths for entry in read_entries(path) if entry.from_switch}
    return (*sorted(raw), _RUDE_REJECTION)


_RANDOMS: Final = st.randoms(use_true_random=True)


def _frames_stream(rnd: random.Random) -> tuple[int, bytes]:
    picked = rnd.choices(captured_frames(), k=rnd.randint(1, 4))
    return len(picked), b"".join(picked)


# --- targets ----------------------------------------------------------------------------------------


@st.composite
def _random_bytes(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    data = draw(st.binary(max_size=600))
    return data, split(draw(_RANDOMS), data)


def check_random_bytes(value: tuple[bytes, list[bytes]]) -> None:
    data, chunks = value
    check_split(data, chunks, SMALL)


_NAMES: Final = ("Content-Type", "Content-Length", "Reply-Text", "Event-Name", "Job-UUID", "X")
_TYPES: Final = (
    "auth/request",
    "command/reply",
    "api/response",
    "text/event-plain",
    "text/event-json",
    "text/disconnect-notice",
    "text/rude-rejection",
    "log/data",
    "",
)
_VALUES: Final = ("", "+OK", "-ERR no", "CHANNEL_ANSWER", "a%20b", "%", "é", "ARRAY::a|:b", "{}")


def _value(rnd: random.Random) -> str:
    """A known value, or padding that brings a header block near SMALL_HEADER."""
    return rnd.choice(_VALUES) if rnd.random() < 0.7 else "x" * rnd.randint(0, SMALL_HEADER)


def _frame_like(rnd: random.Random) -> bytes:
    """Header lines and a body in ESL's shape, so the parser gets past the first line."""
    body = rnd.randbytes(rnd.randint(0, 120)) if rnd.random() < 0.3 else _value(rnd).encode()
    lines = [f"Content-Type: {rnd.choice(_TYPES)}".encode()]
    lines += [f"{rnd.choice(_NAMES)}: {_value(rnd)}".encode() for _ in range(rnd.randint(0, 3))]
    if rnd.random() < 0.7:
        lines.append(b"Content-Length: %d" % len(body))
    rnd.shuffle(lines)
    block = b"\n".join(lines)
    if rnd.random() < 0.2:  # a header block right at the limit, give or take a byte
        block += b"\nX: " + b"x" * max(0, SMALL_HEADER - len(block) - 4 + rnd.randint(-1, 1))
    return block + b"\n\n" + (body if rnd.random() < 0.7 else b"")


@st.composite
def _framed_bytes(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    rnd = draw(_RANDOMS)
    data = mutated(rnd, b"".join(_frame_like(rnd) for _ in range(rnd.randint(1, 3))), max_edits=2)
    return data, split(rnd, data)


def check_framed_bytes(value: tuple[bytes, list[bytes]]) -> None:
    data, chunks = value
    check_split(data, chunks, SMALL)


@st.composite
def _captured_stream(draw: st.DrawFn) -> tuple[int, bytes, list[bytes]]:
    rnd = draw(_RANDOMS)
    count, data = _frames_stream(rnd)
    return count, data, split(rnd, data)


def check_captured_stream(value: tuple[int, bytes, list[bytes]]) -> None:
    """Unmutated captured frames: valid, so they must parse, split anywhere, into `count` frames."""
    count, data, chunks = value
    outcome = check_split(data, chunks, OUTBOUND)
    assert not outcome.failed, "a stream of captured frames does not parse"
    assert len(outcome.frames) == count


@st.composite
def _mutated_stream(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    rnd = draw(_RANDOMS)
    data = mutated(rnd, _frames_stream(rnd)[1])
    return data, split(rnd, data)


def check_mutated_stream(value: tuple[bytes, list[bytes]]) -> None:
    data, chunks = value
    check_split(data, chunks, OUTBOUND)


def targets() -> tuple[Target, ...]:
    return (
        Target("esl-random-bytes", _random_bytes(), check_random_bytes, weight=2),
        Target("esl-framed-bytes", _framed_bytes(), check_framed_bytes, weight=2),
        Target("esl-captured-frames", _captured_stream(), check_captured_stream, weight=1),
        Target("esl-mutated-frames", _mutated_stream(), check_mutated_stream, weight=3),
    )
