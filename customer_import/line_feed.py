"""Lines for a csv reader, numbered, with the lines of the record being read kept to read again.

A csv reader asks its input for lines until a record is complete: a quote that is never closed
makes it ask for the rest of the file. `LineFeed` bounds a record's lines (`RecordTooLong`), and
can hand back all but the first line of the record just read, so a record rejected as a quote
never closed costs only its first line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Self


class RecordTooLong(Exception):
    """The csv reader asked for more lines than one record may span."""


class LineFeed:
    """The lines of `text` for a csv reader; `taken` holds the (number, line) of the current record."""

    def __init__(self, text: Iterator[str], max_lines: int) -> None:
        self._text = text
        self._max_lines = max_lines
        self._number = 0
        self._again: list[tuple[int, str]] = []  # lines to read again, the next one last
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= self._max_lines:
            raise RecordTooLong
        if self._again:
            entry = self._again.pop()
        else:
            self._number += 1
            entry = (self._number, next(self._text))
        self.taken.append(entry)
        return entry[1]

    def start_record(self) -> None:
        self.taken.clear()

    def read_again_after_first(self) -> None:
        """The record's lines after its first will be read again, as the next lines."""
        self._again.extend(reversed(self.taken[1:]))
        del self.taken[1:]
