"""Where a request body ends, decided from its head alone, refusing every ambiguous head (RFC 9112 6).

Two parsers that disagree on where a body ends let a request hide inside another (request smuggling),
so a head that could be read two ways is refused rather than guessed at: differing Content-Length
values, Content-Length together with Transfer-Encoding, or a transfer coding other than one `chunked`.
Identical repeated Content-Length values are one value (RFC 9110 8.6).
"""

from __future__ import annotations

from collections.abc import Sequence


class FramingError(ValueError):
    """The head does not say unambiguously where the body ends; the message says why."""


def content_length(content_lengths: Sequence[str], transfer_encodings: Sequence[str]) -> str | None:
    """The one Content-Length of the request (digits), or None for a chunked or body-less request.

    `content_lengths` and `transfer_encodings` are every value of those header fields as received."""
    if transfer_encodings:
        if content_lengths:
            raise FramingError("a request may not carry both Content-Length and Transfer-Encoding")
        codings = [coding.strip().lower() for value in transfer_encodings for coding in value.split(",")]
        if codings != ["chunked"]:
            raise FramingError(
                f"Transfer-Encoding {', '.join(transfer_encodings)!r} is not supported: send chunked or"
                " a Content-Length"
            )
        return None
    values = {value.strip() for field in content_lengths for value in field.split(",")}
    if not values:
        return None
    if len(values) > 1:
        raise FramingError(f"differing Content-Length values: {', '.join(sorted(values))}")
    (value,) = values
    if not (value.isascii() and value.isdigit()):
        raise FramingError(f"Content-Length {value!r} is not a number")
    return value
