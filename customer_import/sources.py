"""Tables to import, read row by row: CSV (any delimiter, UTF-8 by default) and Excel .xlsx.

A source gives its column headers, then one `SourceRow` per non-blank row: the row number a person
would look for (CSV: the line the record starts on; XLSX: the sheet's row number; the header is
row 1 in both when it is the first line), the row's cells as text keyed by header, and the
problems found reading it (undecodable bytes, a short or long CSV record, an Excel error value
such as `#N/A`). A row with problems is still yielded, so the importer can report it and go on.

A quoted CSV field may hold line breaks, its record spanning up to `MAX_RECORD_LINES` lines. A quote
that is never closed would swallow the rest of the file into one cell, so a record spanning lines
is taken as such a quote when the file ends inside it, when it runs past `MAX_RECORD_LINES` lines,
when the text after its closing quote is not CSV, or when it ends with more or fewer fields than
the header: that record's first line becomes a row problem, and the lines after it are read again
as rows of their own. No line is lost: each is part of a row or of a reported one.

Cells are text: Excel numbers that are whole are written without a decimal point (a phone number
stored as a number, 447700900123, stays digits), dates as ISO 8601 (`2024-03-01`, or
`2024-03-01T10:30:00` with a time), booleans as TRUE/FALSE. Columns with an empty header are
ignored; two columns with the same header make the file unreadable (which one would be meant?).

Only files that cannot be read as a table at all raise (`UnreadableFile`); everything else is a
row problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Final, NamedTuple, Protocol, Self

import openpyxl
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.utils.exceptions import InvalidFileException

from customer_import.line_feed import LineFeed, RecordTooLong

CSV_SUFFIXES: Final = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
DELIMITERS: Final = (",", ";", "\t", "|")
MAX_RECORD_LINES: Final = 100  # lines one CSV record may span (quoted fields holding line breaks)
_READ_AGAIN: Final = "; the row is skipped and the lines after it are read as rows"


class ImportFailed(Exception):
    """Root of the import's exceptions: the import could not start, or had to stop."""


class UnreadableFile(ImportFailed):
    """The file cannot be read as a table: missing, not CSV or XLSX, no header, duplicate headers."""


class RowProblem(NamedTuple):
    column: str  # "" when the problem is the row's, not one cell's
    value: str
    message: str


class SourceRow(NamedTuple):
    number: int
    values: dict[str, str]
    problems: tuple[RowProblem, ...] = ()


class TableSource(Protocol):
    path: Path
    columns: tuple[str, ...]

    def rows(self) -> Iterator[SourceRow]: ...

    def fraction_read(self) -> float | None:
        """How much of the file has been read (0..1), when the source can tell."""
        ...

    def close(self) -> None: ...


class _Closing:
    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def open_source(
    path: Path, *, sheet: str | None = None, delimiter: str | None = None, encoding: str = "utf-8-sig"
) -> CsvSource | XlsxSource:
    """The reader for `path`, chosen by its suffix (.csv/.txt/.tsv or .xlsx/.xlsm); close it after use."""
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return XlsxSource(path, sheet=sheet)
    if suffix in CSV_SUFFIXES:
        if delimiter is None and suffix == ".tsv":
            delimiter = "\t"
        return CsvSource(path, delimiter=delimiter, encoding=encoding)
    raise UnreadableFile(f"{path}: not a .csv or .xlsx file (suffix {suffix or 'missing'})")


def header_columns(cells: Sequence[str], path: Path) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The named columns of a header row, and the position of each; empty headers are dropped."""
    names: list[str] = []
    positions: list[int] = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(cells):
        name = cell.strip()
        if not name:
            continue
        if name in seen:
            raise UnreadableFile(
                f"{path}: column {name!r} appears twice (columns {seen[name] + 1} and {position + 1}); "
                "rename one of them"
            )
        seen[name] = position
        names.append(name)
        positions.append(position)
    if not names:
        raise UnreadableFile(f"{path}: the first row holds no column names")
    return tuple(names), tuple(positions)


# --- CSV ---------------------------------------------------------------------------------------


class CsvSource(_Closing):
    """A CSV file. Bytes that are not valid in `encoding` make that row's problem, not the file's."""

    def __init__(self, path: Path, *, delimiter: str | None = None, encoding: str = "utf-8-sig") -> None:
        self.path = path
        utf8 = encoding.lower().replace("_", "-") in ("utf-8-sig", "utf-8", "utf8")
        self._encoding_name = "UTF-8" if utf8 else encoding
        try:
            self._binary = path.open("rb")
            self._size = max(path.stat().st_size, 1)
        except OSError as exc:
            raise UnreadableFile(f"{path}: {exc.strerror or exc}") from exc
        try:
            self._text = io.TextIOWrapper(
                self._binary, encoding=encoding, errors="surrogateescape", newline=""
            )
        except LookupError as exc:
            self._binary.close()
            raise UnreadableFile(f"unknown encoding {encoding!r}") from exc
        try:
            self._delimiter = delimiter or _sniff_delimiter(self._text)
            if len(self._delimiter) != 1:
                raise UnreadableFile(f"the delimiter is one character, not {self._delimiter!r}")
            self._feed = LineFeed(self._text, MAX_RECORD_LINES)
            self._reader = csv.reader(self._feed, delimiter=self._delimiter, strict=True)
            header = self._first_record()
            if any(_undecodable(cell) for cell in header):
                raise UnreadableFile(
                    f"{path}: the header is not {self._encoding_name} text; save the file as UTF-8 (Excel: "
                    '"CSV UTF-8") or name its encoding'
                )
            self.columns, self._positions = header_columns(header, path)
            self._header_width = len(header)
        except BaseException:
            self.close()
            raise

    def _first_record(self) -> list[str]:
        for _number, record in self._records(check_shape=False):
            if isinstance(record, list) and any(cell.strip() for cell in record):
                return record
            if isinstance(record, str):
                why = record.removesuffix(_READ_AGAIN)
                raise UnreadableFile(f"{self.path}: the header is not readable CSV: {why}")
        raise UnreadableFile(f"{self.path}: the file is empty")

    def _records(self, *, check_shape: bool = True) -> Iterator[tuple[int, list[str] | str]]:
        """(first line, record) for each record; a record that cannot be a row is (first line, why)."""
        feed, reader = self._feed, self._reader
        while True:
            feed.start_record()
            try:
                record = next(reader)
            except StopIteration:
                return
            except (csv.Error, RecordTooLong) as exc:
                yield feed.taken[0][0], self._unreadable(exc)
                continue
            if len(feed.taken) > 1 and check_shape and (shape := self._shape_problem(record)):
                last = feed.taken[-1][0]
                yield (
                    feed.taken[0][0],
                    self._quote_not_closed(f"after the quote closing on line {last}, {shape}"),
                )
                continue
            yield feed.taken[0][0], record

    def _unreadable(self, error: Exception) -> str:
        taken = self._feed.taken
        if isinstance(error, RecordTooLong):
            return self._quote_not_closed(f"no closing quote within {MAX_RECORD_LINES} lines")
        if str(error) == "unexpected end of data":
            return self._quote_not_closed("the file ends inside it")
        if len(taken) > 1:
            return self._quote_not_closed(f"line {taken[-1][0]} is not readable as CSV after it ({error})")
        return f"not readable as CSV: {error}"

    def _quote_not_closed(self, reason: str) -> str:
        """The problem of a record taken as a quote never closed; its lines but the first are read again."""
        first = self._feed.taken[0][0]
        self._feed.read_again_after_first()
        return f"a quote opened on line {first} is never closed: {reason}{_READ_AGAIN}"

    def _shape_problem(self, record: list[str]) -> str | None:
        width = self._header_width
        if len(record) < self._positions[-1] + 1:  # trailing columns without a header may be left out
            return f"the row has {len(record)} fields, the header has {width}"
        if len(record) > width and any(record[width:]):
            return f"the row has more fields than the header ({width})"
        return None

    def rows(self) -> Iterator[SourceRow]:
        columns, positions = self.columns, self._positions
        needed = positions[-1] + 1
        in_order = positions == tuple(range(len(positions)))
        for number, record in self._records():
            if isinstance(record, str):
                yield SourceRow(number, dict.fromkeys(columns, ""), (RowProblem("", "", record),))
                continue
            joined = "".join(record)
            if not joined or joined.isspace():
                continue  # a blank line, or only delimiters and spaces
            if in_order and len(record) >= needed:
                values = dict(zip(columns, record, strict=False))
            else:
                values = {
                    name: record[at] if at < len(record) else ""
                    for name, at in zip(columns, positions, strict=True)
                }
            problems: list[RowProblem] = []
            if shape := self._shape_problem(record):
                problems.append(RowProblem("", "", shape))
            if not joined.isascii() or "\x00" in joined:
                problems.extend(_text_problems(values, self._encoding_name))
            yield SourceRow(number, values, tuple(problems))

    def fraction_read(self) -> float:
        return min(self._binary.tell() / self._size, 1.0)

    def close(self) -> None:
        if hasattr(self, "_text"):
            self._text.close()
        self._binary.close()


def _sniff_delimiter(text: io.TextIOWrapper) -> str:
    """The delimiter that occurs most often in the first line (Excel in many locales writes `;`)."""
    first = text.readline()
    text.seek(0)
    counts = {delimiter: first.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _undecodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _text_problems(values: dict[str, str], encoding: str) -> list[RowProblem]:
    problems: list[RowProblem] = []
    for column, value in values.items():
        if _undecodable(value):
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            problems.append(
                RowProblem(column, shown, f"not {encoding} text: save the file as UTF-8 or name its encoding")
            )
            values[column] = ""
        elif "\x00" in value:
            problems.append(RowProblem(column, value.replace("\x00", "\\0"), "contains a NUL character"))
            values[column] = ""
    return problems


# --- XLSX --------------------------------------------------------------------------------------


class XlsxSource(_Closing):
    """An Excel workbook, read in openpyxl's streaming (read-only) mode: one sheet, the first by default."""

    def __init__(self, path: Path, *, sheet: str | None = None) -> None:
        self.path = path
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
            raise UnreadableFile(f"{path}: not a readable .xlsx workbook ({exc})") from exc
        try:
            if sheet is None:
                self._sheet = self._book.worksheets[0]
            elif sheet in self._book.sheetnames:
                self._sheet = self._book[sheet]
            else:
                raise UnreadableFile(
                    f"{path}: no sheet {sheet!r}; sheets: {', '.join(self._book.sheetnames)}"
                )
            self._max_row: int | None = self._sheet.max_row
            self._rows = enumerate(self._sheet.iter_rows(values_only=True), start=1)
            self._done = 0
            header = self._first_row()
            self.columns, self._positions = header_columns(header, path)
        except BaseException:
            self.close()
            raise

    def _first_row(self) -> list[str]:
        for number, cells in self._rows:
            self._done = number
            texts = [_cell_text(cell)[0] for cell in cells]
            if any(text.strip() for text in texts):
                return texts
        raise UnreadableFile(f"{self.path}: the sheet is empty")

    def rows(self) -> Iterator[SourceRow]:
        columns, positions = self.columns, self._positions
        for number, cells in self._rows:
            self._done = number
            values: dict[str, str] = {}
            problems: list[RowProblem] = []
            for name, at in zip(columns, positions, strict=True):
                text, problem = _cell_text(cells[at] if at < len(cells) else None)
                if problem:
                    problems.append(RowProblem(name, text, problem))
                    text = ""
                values[name] = text
            if problems or any(values.values()):
                yield SourceRow(number, values, tuple(problems))

    def fraction_read(self) -> float | None:
        if not self._max_row:
            return None
        return min(self._done / self._max_row, 1.0)

    def close(self) -> None:
        if hasattr(self, "_book"):
            self._book.close()


def _cell_text(value: object) -> tuple[str, str | None]:
    """A cell as the text a person reads in it, and what is wrong with it (an Excel error value)."""
    if value is None:
        return "", None
    if isinstance(value, str):
        if value in ERROR_CODES:
            return value, f"the cell holds the spreadsheet error {value}"
        return value, None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value)), None
        return repr(value), None
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat(), None
        return value.isoformat(), None
    if isinstance(value, dt.date | dt.time):
        return value.isoformat(), None
    return str(value), None
