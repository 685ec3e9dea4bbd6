"""Event header decoding: the lazy lookups and the full decode must agree with what was encoded."""

from __future__ import annotations

import random
from urllib.parse import quote

import pytest

from esl_handlers.codec import EslParser, Event, ProtocolError

# Pieces chosen to hit every separator the decoder relies on, raw or escaped.
VALUE_PIECES = ["a", "7", " ", ":", ": ", "\n", "\r\n", "\x00", "%", "%00", "%0A", "\\", "\\x41", "+"]
VALUE_PIECES += ["é", "€", "𝄞"]
NAMES = ["Event-Name", "Unique-ID", "variable_sip_h_X", "Caller-Caller-ID-Name", "variable_a%41", "N"]


def event_frame(lines: list[str]) -> bytes:
    payload = "\n".join(lines).encode() + b"\n\n"
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(payload) + payload


def parse_event(data: bytes) -> Event:
    frames = EslParser().feed(data)
    assert len(frames) == 1
    frame = frames[0]
    assert isinstance(frame, Event)
    return frame


def random_headers(rng: random.Random) -> list[tuple[str, str]]:
    names = ["Event-Name", *rng.sample(NAMES[1:], rng.randint(0, len(NAMES) - 1))]
    names += [f"variable_{index}" for index in range(rng.randint(0, 30))]
    if rng.random() < 0.2:
        names.append("Name With Space")  # not FreeSWITCH's shape: takes the line-by-line path
    rng.shuffle(names)
    return [(name, "".join(rng.choices(VALUE_PIECES, k=rng.randint(0, 8)))) for name in names]


@pytest.mark.parametrize("seed", range(8))
def test_lazy_and_full_decoding_agree_with_the_encoded_values(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        headers = random_headers(rng)
        # FreeSWITCH escapes everything but unreserved characters; a raw NUL is left in now and then.
        safe = "\x00" if rng.random() < 0.2 else ""
        data = event_frame([f"{name}: {quote(value, safe=safe)}" for name, value in headers])
        expected = dict(headers)

        full = parse_event(data).headers
        assert dict(full.items()) == expected
        assert list(full) == [name for name, _ in headers]
        for name, value in headers:
            lazy = parse_event(data).headers  # a fresh event: one lookup, no decoded dict behind it
            assert lazy[name] == value
            assert lazy.get(name) == value


def test_header_names_are_never_decoded() -> None:
    headers = parse_event(event_frame(["Event-Name: CUSTOM", "variable_a%41: %41", "X: %00%0A"])).headers
    assert headers.get("variable_a%41") == "A"
    assert headers.get("variable_aA") is None
    assert dict(headers) == {"Event-Name": "CUSTOM", "variable_a%41": "A", "X": "\x00\n"}


def test_values_with_nul_fall_back_to_one_by_one_decoding() -> None:
    lines = ["Event-Name: CUSTOM", "Raw: a\x00b", "Escaped: c%00d", "Sdp: v%3D0%0D%0Ao%3D-", "Plain: x"]
    headers = parse_event(event_frame(lines)).headers
    assert dict(headers) == {
        "Event-Name": "CUSTOM",
        "Raw": "a\x00b",
        "Escaped": "c\x00d",
        "Sdp": "v=0\r\no=-",
        "Plain": "x",
    }


def test_utf8_split_across_escapes_decodes_in_both_paths() -> None:
    data = event_frame(
        ["Event-Name: CUSTOM", "Name: J%C3%A9r%C3%B4me%20%E2%82%AC%F0%9D%84%9E", "Next: %C3%A9"]
    )
    assert parse_event(data).headers["Name"] == "Jérôme €𝄞"
    assert dict(parse_event(data).headers)["Name"] == "Jérôme €𝄞"
    assert dict(parse_event(data).headers)["Next"] == "é"


@pytest.mark.parametrize(
    "lines",
    [
        ["Event-Name: CUSTOM", "A: %E2%82", "B: %AC"],  # a UTF-8 sequence cut by the end of its value
        ["Event-Name: CUSTOM", "A: %E2%82%00%AC"],  # ... or by a NUL
        ["Event-Name: CUSTOM", "A: ok", "B: %C3"],
        ["Event-Name: CUSTOM", "A: %FF"],
        ["Event-Name: CUSTOM", "A: 100%"],
        ["Event-Name: CUSTOM", "A: %4", "B: 1"],
        ["Event-Name: CUSTOM", "A: %zz"],
    ],
)
def test_bad_escapes_are_refused_before_any_lookup(lines: list[str]) -> None:
    with pytest.raises(ProtocolError):
        EslParser().feed(event_frame(lines))
