"""CSV and XLSX readers: headers, row numbers, cells as text, and row problems that do not stop reading."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from customer_import.sources import (
    MAX_RECORD_LINES,
    CsvSource,
    RowProblem,
    SourceRow,
    UnreadableFile,
    open_source,
)


def read_all(path: Path, **options: str) -> tuple[tuple[str, ...], list[SourceRow]]:
    with open_source(path, **options) as source:
        rows = list(source.rows())
        assert source.fraction_read() == 1.0
        return source.columns, rows


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_rows_are_keyed_by_header_and_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    path = write_bytes(
        tmp_path,
        "c.csv",
        b'\xef\xbb\xbfName,Phone,Notes\r\nAnn,555 0100,plain\r\n\r\nBob,555 0101,"two\nlines"\r\n,,\r\n'
        b"Cy,555 0102,last\r\n",
    )

    columns, rows = read_all(path)

    assert columns == ("Name", "Phone", "Notes")  # the byte-order mark is not part of the first header
    assert rows == [
        SourceRow(2, {"Name": "Ann", "Phone": "555 0100", "Notes": "plain"}),
        SourceRow(4, {"Name": "Bob", "Phone": "555 0101", "Notes": "two\nlines"}),
        SourceRow(7, {"Name": "Cy", "Phone": "555 0102", "Notes": "last"}),
    ]


@pytest.mark.parametrize(
    ("name", "text"), [("c.csv", "a;b\n1;2\n"), ("c.tsv", "a\tb\n1\t2\n"), ("c.csv", "a|b\n1|2\n")]
)
def test_the_delimiter_is_guessed_from_the_header(tmp_path: Path, name: str, text: str) -> None:
    columns, rows = read_all(write_bytes(tmp_path, name, text.encode()))

    assert columns == ("a", "b")
    assert rows == [SourceRow(2, {"a": "1", "b": "2"})]


def test_short_and_long_rows_are_problems_of_their_row_only(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "c.csv", b"a,b,c\n1,2\n1,2,3,4\n1,2,3,,\n5,6,7\n")

    _, rows = read_all(path)

    assert [(row.number, row.problems) for row in rows] == [
        (2, (RowProblem("", "", "the row has 2 fields, the header has 3"),)),
        (3, (RowProblem("", "", "the row has more fields than the header (3)"),)),
        (4, ()),  # trailing empty fields are harmless
        (5, ()),
    ]
    assert rows[0].values == {"a": "1", "b": "2", "c": ""}


def test_columns_without_a_header_are_ignored(tmp_path: Path) -> None:
    _, rows = read_all(write_bytes(tmp_path, "c.csv", b"a,,b,\n1,x,2,y\n3,,4\n"))

    assert rows == [SourceRow(2, {"a": "1", "b": "2"}), SourceRow(3, {"a": "3", "b": "4"})]


def test_bytes_that_are_not_utf8_are_reported_on_their_cell_and_reading_goes_on(tmp_path: Path) -> None:
    data = "name,city\nZoë,Köln\n".encode() + b"Jos\xe9,Bilbao\nNul,a\x00b\n"
    path = write_bytes(tmp_path, "c.csv", data)

    _, rows = read_all(path)

    assert rows[0] == SourceRow(2, {"name": "Zoë", "city": "Köln"})
    assert rows[1].number == 3
    assert rows[1].values == {"name": "", "city": "Bilbao"}
    assert rows[1].problems == (
        RowProblem("name", "Jos\ufffd", "not UTF-8 text: save the file as UTF-8 or name its encoding"),
    )
    assert rows[2].problems == (RowProblem("city", "a\\0b", "contains a NUL character"),)


def test_another_encoding_can_be_named(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "c.csv", "name\nJosé\n".encode("latin-1"))

    _, rows = read_all(path, encoding="latin-1")

    assert rows == [SourceRow(2, {"name": "José"})]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("c.csv", b"", "the file is empty"),
        ("c.csv", b"\n,,\n", "the file is empty"),
        ("c.csv", b"a,b,a\n1,2,3\n", "column 'a' appears twice (columns 1 and 3)"),
        ("c.csv", b"n\xe4me,b\n1,2\n", "the header is not UTF-8 text"),
        ("c.json", b"{}", "not a .csv or .xlsx file"),
        ("c.xlsx", b"name,phone\n", "not a readable .xlsx workbook"),
    ],
)
def test_files_that_are_not_tables_are_unreadable(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(UnreadableFile, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_source(write_bytes(tmp_path, name, data))


def test_a_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="No such file"):
        open_source(tmp_path / "missing.csv")


SKIPPED = "; the row is skipped and the lines after it are read as rows"


def test_a_quoted_field_may_run_over_lines_up_to_the_limit(tmp_path: Path) -> None:
    notes = "\n".join(f"line {i}" for i in range(MAX_RECORD_LINES))
    path = write_bytes(tmp_path, "c.csv", f'a,b\n1,"{notes}"\n2,x\n'.encode())

    _, rows = read_all(path)

    assert rows == [
        SourceRow(2, {"a": "1", "b": notes}),
        SourceRow(2 + MAX_RECORD_LINES, {"a": "2", "b": "x"}),
    ]


def test_a_quote_not_closed_within_the_limit_loses_only_its_row(tmp_path: Path) -> None:
    lines = "".join(f"{i},x\n" for i in range(3, 3 + 2 * MAX_RECORD_LINES))
    path = write_bytes(tmp_path, "c.csv", f'a,b\n"open,y\n{lines}'.encode())

    _, rows = read_all(path)

    assert rows[0] == SourceRow(
        2,
        {"a": "", "b": ""},
        (
            RowProblem(
                "",
                "",
                f"a quote opened on line 2 is never closed: no closing quote within {MAX_RECORD_LINES} lines"
                + SKIPPED,
            ),
        ),
    )
    assert rows[1:] == [SourceRow(i, {"a": str(i), "b": "x"}) for i in range(3, 3 + 2 * MAX_RECORD_LINES)]


@pytest.mark.parametrize(
    ("data", "reason", "line3"),
    [
        (
            b'a,b\n"x,1\ny,2"\nz,3\n',
            "after the quote closing on line 3, the row has 1 fields, the header has 2",
            {"a": "y", "b": '2"'},
        ),
        (
            b'a,b\n"x,1\ny"z,2\nz,3\n',
            "line 3 is not readable as CSV after it (',' expected after '\"')",
            {"a": 'y"z', "b": "2"},
        ),
    ],
)
def test_a_quote_closed_lines_later_in_a_malformed_row_loses_only_its_row(
    tmp_path: Path, data: bytes, reason: str, line3: dict[str, str]
) -> None:
    _, rows = read_all(write_bytes(tmp_path, "c.csv", data))

    assert rows == [
        SourceRow(
            2,
            {"a": "", "b": ""},
            (RowProblem("", "", f"a quote opened on line 2 is never closed: {reason}" + SKIPPED),),
        ),
        SourceRow(3, line3),
        SourceRow(4, {"a": "z", "b": "3"}),
    ]


def test_text_after_a_closing_quote_is_a_problem_of_its_row(tmp_path: Path) -> None:
    _, rows = read_all(write_bytes(tmp_path, "c.csv", b'a,b\n"ab"c,1\nz,3\n'))

    assert rows == [
        SourceRow(
            2, {"a": "", "b": ""}, (RowProblem("", "", "not readable as CSV: ',' expected after '\"'"),)
        ),
        SourceRow(3, {"a": "z", "b": "3"}),
    ]


def test_a_header_whose_quote_is_never_closed_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile) as raised:
        open_source(write_bytes(tmp_path, "c.csv", b'"a,b\n1,2\n'))

    assert str(raised.value).endswith(
        "the header is not readable CSV: a quote opened on line 1 is never closed: the file ends inside it"
    )


def test_fraction_read_grows_with_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("n\n" + "".join(f"{i}\n" for i in range(200_000)), encoding="utf-8")

    with CsvSource(path) as source:
        fractions = [source.fraction_read() for number, _, _ in source.rows() if number % 50_000 == 0]

    assert fractions == sorted(fractions)
    assert 0.1 < fractions[0] < 0.4
    assert fractions[-1] > 0.9


# --- XLSX --------------------------------------------------------------------------------------


def write_xlsx(
    path: Path, rows: list[list[object]], *, title: str = "Sheet", extra_sheet: bool = False
) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        other = book.create_sheet("Other")
        other.append(["name", "phone"])
        other.append(["Zed", "555 0199"])
    book.save(path)
    return path


def test_xlsx_cells_are_read_as_the_text_a_person_sees(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "c.xlsx",
        [
            ["name", "phone", "amount", "purchase_date", "seen", "vip"],
            ["Ann", 447700900123, 12.5, dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 1, 10, 30), True],
            [],
            ["Bob", 4155550100.0, 3, dt.date(2023, 12, 31), None, False],
        ],
    )

    columns, rows = read_all(path)

    assert columns == ("name", "phone", "amount", "purchase_date", "seen", "vip")
    assert rows == [
        SourceRow(
            2,
            {
                "name": "Ann",
                "phone": "447700900123",
                "amount": "12.5",
                "purchase_date": "2024-03-01",
                "seen": "2024-03-01T10:30:00",
                "vip": "TRUE",
            },
        ),
        SourceRow(
            4,
            {
                "name": "Bob",
                "phone": "4155550100",
                "amount": "3",
                "purchase_date": "2023-12-31",
                "seen": "",
                "vip": "FALSE",
            },
        ),
    ]


def test_xlsx_error_values_are_problems_of_their_cell(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", [["name", "phone"], ["Ann", "#N/A"], ["Bob", "555 0100"]])

    _, rows = read_all(path)

    assert rows == [
        SourceRow(
            2,
            {"name": "Ann", "phone": ""},
            (RowProblem("phone", "#N/A", "the cell holds the spreadsheet error #N/A"),),
        ),
        SourceRow(3, {"name": "Bob", "phone": "555 0100"}),
    ]


def test_xlsx_reads_the_first_sheet_or_the_one_named(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "c.xlsx", [["name", "phone"], ["Ann", "1"]], title="Customers", extra_sheet=True
    )

    assert read_all(path)[1] == [SourceRow(2, {"name": "Ann", "phone": "1"})]
    assert read_all(path, sheet="Other")[1] == [SourceRow(2, {"name": "Zed", "phone": "555 0199"})]
    with pytest.raises(UnreadableFile, match="no sheet 'Nope'; sheets: Customers, Other"):
        open_source(path, sheet="Nope")


def test_xlsx_header_rules_are_the_csv_ones(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "c.xlsx", [[], ["name", None, "phone"], ["Ann", "x", "1"]])

    columns, rows = read_all(path)

    assert columns == ("name", "phone")
    assert rows == [SourceRow(3, {"name": "Ann", "phone": "1"})]
    with pytest.raises(UnreadableFile, match="column 'phone' appears twice"):
        open_source(write_xlsx(tmp_path / "d.xlsx", [["phone", "phone"], ["1", "2"]]))
