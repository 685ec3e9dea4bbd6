"""Customer import (customer_import.pipeline, .rows, .writer, .sources; callcenter.import_cli) on SQLite
and PostgreSQL: mapping, E.164, de-duplication, the per-row error report, re-runs, refused batches,
progress."""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, select, text

from callcenter.import_cli import ProgressBar
from customer_import.pipeline import (
    DatabaseFailed,
    ImportOptions,
    ImportProgress,
    ImportSummary,
    import_customers,
    spreadsheet_safe,
)
from customer_import.rows import BadMapping, map_columns
from customer_import.sources import open_source
from schema.crm.lookup import caller_match, find_by_keys
from schema.crm.models import Customer, CustomerKey, PhoneNumber
from schema.db import WRITE_TRANSACTION, create_engine_from_url
from schema.migrate import upgrade
from schema.viewer import SYSTEM
from tests.support.cli import callcenter

T0 = dt.datetime(2025, 6, 2, 9, 0, tzinfo=dt.UTC)
HEADER = "Full Name,Phone 1,Mobile,Account,Tier,Department,Owner,Licence Plate,Purchase Date,Colour"


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(engine: Engine, path: Path, *, now: dt.datetime = T0, **options: Any) -> ImportSummary:
    with open_source(path) as source:
        return import_customers(
            engine, source, path.with_suffix(".errors.csv"), options=ImportOptions(**options), now=now
        )


def report(summary: ImportSummary) -> list[list[str]]:
    with summary.report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["row", "column", "value", "message"]
    return rows[1:]


def customers(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every customer by name, with phone numbers {e164: label} and keys {(kind, keypad)}."""
    with engine.connect() as conn:
        found = {row.id: dict(row._mapping) for row in conn.execute(select(Customer.__table__))}
        for phone in conn.execute(select(PhoneNumber.__table__)):
            found[phone.customer_id].setdefault("phones", {})[phone.e164] = phone.label
        for key in conn.execute(select(CustomerKey.__table__)):
            found[key.customer_id].setdefault("keys", set()).add((key.kind, key.keypad))
    return {row["name"]: row for row in found.values()}


def test_a_csv_becomes_customers_with_e164_numbers_keypad_keys_and_custom_fields(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        HEADER,
        "Jane Doe,(415) 555-0100,+44 7700 900123,AC-1,gold,sales,1001,AB12 CDE,2024-03-01,red",
        "  John   Roe ,415-555-0101; 415.555.0102,,,,,,,,",
    )

    summary = run(engine, path)

    assert (summary.rows_read, summary.rows_rejected, summary.customers_created, summary.phones_added) == (
        2,
        0,
        2,
        4,
    )
    assert report(summary) == []
    found = customers(engine)
    jane, john = found["Jane Doe"], found["John Roe"]
    assert {key: jane[key] for key in ("account_number", "tier", "department", "owner_agent_id")} == {
        "account_number": "AC-1",
        "tier": "gold",
        "department": "sales",
        "owner_agent_id": "1001",
    }
    assert jane["custom_fields"] == {"plate": "AB12 CDE", "purchase_date": "2024-03-01", "Colour": "red"}
    assert jane["phones"] == {"+14155550100": None, "+447700900123": "mobile"}
    assert jane["keys"] == {("account", "221"), ("plate", "2212233")}
    assert (jane["created_at"], jane["updated_at"]) == (T0, T0)
    assert john["phones"] == {"+14155550101": None, "+14155550102": None}
    assert (john["custom_fields"], john.get("keys"), john["account_number"]) == ({}, None, None)
    # What the call server reads: the caller ID and the keypad lookups find the imported customer.
    assert caller_match(engine, SYSTEM, "+447700900123", region="US").customer is not None
    assert [view.name for view in find_by_keys(engine, SYSTEM, "plate", "2212233")] == ["Jane Doe"]


def test_bad_rows_are_reported_with_their_row_numbers_and_the_good_rows_land(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        "name,phone,account,tier,plate",
        "Good One,415 555 0100,,,",
        "Bad Number,12,,,",
        ",415 555 0101,,,",
        "Nobody,,,,",
        "Short Row,415 555 0102",
        f"Long Tier,415 555 0103,,{'x' * 65},",
        "No Plate,415 555 0104,,,---",
        "Extension,555-0105; 415 555 0106,,,",
        "Good Two,+1 415 555 0107,,,",
    )

    summary = run(engine, path)

    assert report(summary) == [
        [
            "3",
            "phone",
            "12",
            "not a full phone number (national numbers are read as US; give others with +country code)",
        ],
        ["4", "name", "", "no name, and no customer has these numbers"],
        ["5", "", "", "no phone number and no account number to know the customer by"],
        ["6", "", "", "the row has 2 fields, the header has 5"],
        ["7", "tier", "x" * 65, "longer than 64 characters"],
        ["8", "plate", "'---", "no letters or digits to key in, or too many"],
        [
            "9",
            "phone",
            "555-0105",
            "not a full phone number (national numbers are read as US; give others with +country code)",
        ],
    ]
    assert (summary.rows_read, summary.rows_rejected, summary.customers_created) == (9, 7, 2)
    assert sorted(customers(engine)) == ["Good One", "Good Two"]


def test_rows_of_one_customer_in_the_file_are_merged_into_one(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        "name,phone,mobile,account,tier,department",
        "Ann,415 555 0100,,A-1,silver,",
        "Ann B,,,A-1,,service",
        ",4155550100,415 555 0199,,gold,",
    )

    summary = run(engine, path)

    assert (summary.customers_created, summary.rows_rejected, summary.phones_added) == (1, 0, 2)
    [(name, ann)] = customers(engine).items()
    assert (name, ann["account_number"], ann["tier"], ann["department"]) == (
        "Ann B",
        "A-1",
        "gold",
        "service",
    )
    assert ann["phones"] == {"+14155550100": None, "+14155550199": "mobile"}


def test_rows_of_customers_in_the_database_update_them_and_empty_cells_erase_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    first = write_csv(
        tmp_path / "first.csv",
        "name,phone,account,tier,plate,colour",
        "Ann,415 555 0100,A-1,silver,AB12 CDE,red",
    )
    run(engine, first)
    later = T0 + dt.timedelta(days=1)
    second = write_csv(
        tmp_path / "second.csv",
        "name,phone,account,tier,plate,size",
        ",415 555 0100; 415 555 0111,,,XY99 ZZZ,L",
        "Ann Smith,,A-1,,,",
    )

    summary = run(engine, second, now=later)

    assert (summary.customers_created, summary.customers_updated, summary.phones_added) == (0, 1, 1)
    ann = customers(engine)["Ann Smith"]
    assert (ann["account_number"], ann["tier"]) == ("A-1", "silver")
    assert ann["custom_fields"] == {"plate": "XY99 ZZZ", "colour": "red", "size": "L"}
    assert ann["phones"] == {"+14155550100": None, "+14155550111": None}
    assert ann["keys"] == {("account", "21"), ("plate", "9999999")}  # the old plate's key is gone
    assert (ann["created_at"], ann["updated_at"]) == (T0, later)


def test_rows_whose_keys_name_two_customers_are_errors_and_change_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    run(
        engine,
        write_csv(
            tmp_path / "first.csv", "name,phone,account", "Ann,415 555 0100,A-1", "Bob,415 555 0200,A-2"
        ),
    )
    ids = {name: row["id"] for name, row in customers(engine).items()}
    path = write_csv(
        tmp_path / "second.csv",
        "name,phone,mobile,account",
        "Both,415 555 0100,415 555 0200,",
        "Ann Other Account,415 555 0100,,A-9",
        "Bob By Account,415 555 0100,,A-2",
        "Carl,415 555 0300,,",
        "Carl And Ann,415 555 0300,415 555 0100,",
    )

    summary = run(engine, path)

    ann, bob = ids["Ann"], ids["Bob"]
    assert report(summary) == [
        ["2", "", "", f"the row's keys belong to different customers: +14155550100 -> customer {ann}; "
         f"+14155550200 -> customer {bob}"],
        ["3", "account", "A-9", f"its phone number belongs to customer {ann}, whose account number is A-1"],
        ["4", "", "", f"the row's keys belong to different customers: +14155550100 -> customer {ann}; "
         f"account A-2 -> customer {bob}"],
        ["6", "", "", "the row's keys belong to different customers: "
         f"+14155550300 -> the new customer of row 5; +14155550100 -> customer {ann}"],
    ]  # fmt: skip
    assert sorted(customers(engine)) == ["Ann", "Bob", "Carl"]
    assert customers(engine)["Ann"]["account_number"] == "A-1"


def test_importing_the_same_file_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        HEADER,
        "Jane Doe,(415) 555-0100,+44 7700 900123,AC-1,gold,sales,1001,AB12 CDE,2024-03-01,red",
        "Jane Doe,415 555 0100,,,,,,,,",
        "John Roe,415-555-0101,,,,,,,,",
        "Broken,12,,,,,,,,",
    )
    first = run(engine, path)
    before = customers(engine)

    again = run(engine, path, now=T0 + dt.timedelta(hours=1))

    assert (first.customers_created, first.changed_nothing) == (2, False)
    assert (again.customers_created, again.customers_updated, again.customers_unchanged) == (0, 0, 2)
    assert (again.changed_nothing, again.rows_rejected) == (True, 1)
    assert customers(engine) == before


def test_xlsx_files_import_like_csv(engine: Engine, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Phone", "Account", "Purchase Date", "Balance"])
    sheet.append(["Jane Doe", 4155550100, 1234, dt.datetime(2024, 3, 1), 12.5])
    sheet.append(["Err", "#N/A", None, None, None])
    sheet.append(["John Roe", "+44 7700 900123", None, dt.date(2023, 1, 2), 0])
    path = tmp_path / "customers.xlsx"
    book.save(path)

    summary = run(engine, path)

    assert report(summary) == [["3", "Phone", "#N/A", "the cell holds the spreadsheet error #N/A"]]
    found = customers(engine)
    assert found["Jane Doe"]["phones"] == {"+14155550100": None}
    assert found["Jane Doe"]["account_number"] == "1234"
    assert found["Jane Doe"]["custom_fields"] == {"purchase_date": "2024-03-01", "Balance": "12.5"}
    assert found["John Roe"]["custom_fields"] == {"purchase_date": "2023-01-02", "Balance": "0"}


def test_column_overrides_choose_fields_skip_columns_and_name_custom_ones(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "kunden.csv",
        "Kunde;Tel;Ref;Kennzeichen;Intern;Name",
        "Erika Muster;020 7946 0000;K-7;AB12 CDE;secret;ignored",
    )
    mapping = {"Kunde": "name", "Tel": "phone", "Ref": "account_number", "Kennzeichen": "custom:plate",
               "intern": "skip", "Name": "custom:alias"}  # fmt: skip

    run(engine, path, region="GB", mapping=mapping)

    erika = customers(engine)["Erika Muster"]
    assert erika["phones"] == {"+442079460000": None}  # "Tel" says nothing more than phone: no label
    assert erika["custom_fields"] == {"plate": "AB12 CDE", "alias": "ignored"}
    assert erika["keys"] == {("account", "57"), ("plate", "2212233")}


def test_first_and_last_names_make_the_name(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        "First Name,Surname,Mobile Phone",
        "Ann, Lee ,07700 900123",
        ",Okafor,07700 900124",
    )

    run(engine, path, region="GB")

    found = customers(engine)
    assert sorted(found) == ["Ann Lee", "Okafor"]
    assert found["Ann Lee"]["phones"] == {"+447700900123": "mobile"}


def test_default_mapping_recognises_common_headers() -> None:
    mapping = map_columns(
        ["Customer Name", "Phone2", "Tel", "Account No", "Level", "Dept", "Agent", "Registration",
         "Purchased", "Name", "E-mail"]
    )  # fmt: skip

    assert mapping.targets == (
        ("Customer Name", "name"),
        ("Phone2", "phone"),
        ("Tel", "phone"),
        ("Account No", "account_number"),
        ("Level", "tier"),
        ("Dept", "department"),
        ("Agent", "owner_agent_id"),
        ("Registration", "custom:plate"),
        ("Purchased", "custom:purchase_date"),
        ("Name", "custom:Name"),  # a second name column is kept, not merged
        ("E-mail", "custom:E-mail"),
    )


@pytest.mark.parametrize(
    ("columns", "overrides", "message"),
    [
        (["name", "phone"], {"Telephone": "phone"}, "no column 'Telephone'"),
        (["name", "phone"], {"phone": "fax"}, "the field is one of name, account_number"),
        (["a", "b", "phone"], {"a": "tier", "b": "tier"}, "two --map options name the same field"),
        (["name", "email"], {}, "no column gives a phone number or an account number"),
        (["name", "phone"], {"phone": "skip"}, "no column gives a phone number"),
    ],
)
def test_impossible_mappings_are_refused_before_anything_is_read(
    columns: list[str], overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(BadMapping, match=message):
        map_columns(columns, overrides)


def test_a_batch_the_database_refuses_is_retried_row_by_row(engine: Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(
                "CREATE TRIGGER refuse BEFORE INSERT ON customers WHEN NEW.name = 'Refused' "
                "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
            ))  # fmt: skip
        else:
            conn.execute(text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.name = 'Refused' THEN "
                "RAISE EXCEPTION 'refused by trigger' USING ERRCODE = '23514'; END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            ))  # fmt: skip
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON customers FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    path = write_csv(
        tmp_path / "customers.csv",
        "name,phone",
        "Ann,415 555 0100",
        "Refused,415 555 0101",
        "Bob,415 555 0102",
        "Ann Again,415 555 0100; 415 555 0103",
    )

    summary = run(engine, path)

    [(row, column, value, message)] = report(summary)
    assert (row, column, value) == ("3", "", "")
    assert message.startswith("the database refused the row: writing customers failed: IntegrityError")
    assert "refused by trigger" in message
    found = customers(engine)
    assert sorted(found) == ["Ann Again", "Bob"]
    assert found["Ann Again"]["phones"] == {"+14155550100": None, "+14155550103": None}
    assert (summary.customers_created, summary.customers_updated, summary.rows_rejected) == (2, 1, 1)


def test_rows_prepared_in_worker_processes_import_the_same(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        HEADER,
        *(f"Customer {n},415 555 {n:04d},,AC-{n},,,,PL {n},," for n in range(300)),
        "Bad,12,,,,,,,,",
    )
    imported = []
    for workers in (0, 2):
        url = f"sqlite:///{tmp_path / f'workers{workers}.db'}"
        upgrade(url)
        engine = create_engine_from_url(url)
        try:
            summary = run(engine, path, workers=workers, batch_size=100)
            imported.append((report(summary), customers(engine)))
        finally:
            engine.dispose()

    assert imported[0] == imported[1]
    assert len(imported[0][1]) == 300


def test_a_database_that_stays_locked_stops_the_import_with_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    upgrade(url)
    holder = create_engine_from_url(url)
    engine = create_engine_from_url(url, busy_timeout_ms=50)
    path = write_csv(tmp_path / "customers.csv", "name,phone", "Ann,415 555 0100")
    try:
        locked = pytest.raises(DatabaseFailed, match=r"database is locked.*re-running the import is safe")
        with holder.connect().execution_options(**{WRITE_TRANSACTION: True}) as conn, conn.begin(), locked:
            run(engine, path)
        assert run(engine, path).customers_created == 1
    finally:
        engine.dispose()
        holder.dispose()


def test_progress_is_reported_as_the_rows_are_read(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv", "name,phone", *(f"C{n},+1 415 {2000000 + n}" for n in range(12_000))
    )
    seen: list[ImportProgress] = []

    with open_source(path) as source:
        import_customers(engine, source, tmp_path / "errors.csv", progress=seen.append, now=T0)

    assert [progress.rows_read for progress in seen] == [5_000, 10_000, 12_000]
    fractions = [progress.fraction or 0.0 for progress in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


# --- The command line ----------------------------------------------------------------------------

PLAN = """\
prompts:
  hi: {text: Hello}
menus:
  main:
    prompt: hi
    options: {"1": {hangup: {}}}
    fallback: {hangup: {}}
dids:
  "4001": {menu: main}
crm:
  default_region: GB
  keypad_fields: [plate, vin]
"""


def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("CALLCENTER_ROOT", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'callcenter.db'}")
    monkeypatch.setenv("CALLCENTER_DIALPLAN", str(tmp_path / "no-such-plan.yaml"))
    return callcenter("import", "customers", *argv)


def test_the_command_prints_the_mapping_progress_and_a_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "customers.csv", "Kunde,Phone", "Ann,415 555 0100", "Bob,12")

    code = cli(tmp_path, monkeypatch, str(path), "--map", "Kunde=name")

    out, err = capsys.readouterr()
    assert code == 1  # imported, with rows skipped
    assert err.splitlines()[0] == "columns: Kunde -> name, Phone -> phone"
    assert err.splitlines()[1].startswith("import: 100%  2 rows  ")
    assert out.splitlines()[1:] == [
        "customers: 1 created, 0 updated, 0 unchanged; 1 phone numbers added",
        f"1 rows skipped with errors: see {tmp_path / 'customers.errors.csv'}",
    ]
    assert out.startswith("customers.csv: 2 rows read in ")

    assert cli(tmp_path, monkeypatch, str(path), "--map", "Kunde=name") == 1
    assert (
        "nothing changed: every row matched a customer who already had its values" in capsys.readouterr().out
    )


def test_the_dialplan_gives_the_default_region_and_keypad_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent(PLAN), encoding="utf-8")
    path = write_csv(tmp_path / "customers.csv", "name,phone,vin", "Ann,020 7946 0000,W0L000051T2123456")

    code = cli(tmp_path, monkeypatch, str(path), "--dialplan", str(plan), "--report", str(tmp_path / "r.csv"))

    assert code == 0
    assert "no errors" in capsys.readouterr().out
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'var' / 'callcenter.db'}")
    try:
        ann = customers(engine)["Ann"]
    finally:
        engine.dispose()
    assert ann["phones"] == {"+442079460000": None}
    assert ann["keys"] == {("vin", "90500005182123456")}
    assert (tmp_path / "r.csv").read_bytes() == b"row,column,value,message\r\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--map", "Phone"], "--map Phone: write COLUMN=FIELD"),
        (["--region", "XX"], "--region XX: not a country code"),
        (["--map", "Phone=fax"], "--map Phone=fax: the field is one of"),
        (["--sheet", "x"], "customers.csv"),
        (["--delimiter", ";;"], "the delimiter is one character, not ';;'"),
    ],
)
def test_usage_errors_exit_2_with_the_reason(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    path = write_csv(tmp_path / "customers.csv", "Name,Phone", "Ann,415 555 0100")
    if argv[0] == "--sheet":  # a sheet is meaningless for CSV: ignored, and a missing file is the error here
        path.unlink()

    assert cli(tmp_path, monkeypatch, str(path), *argv) == 2
    assert message in capsys.readouterr().err


def test_the_progress_bar_redraws_one_line_on_a_terminal() -> None:
    stream = io.StringIO()
    ticks = iter([0.0, 0.05, 1.0])
    bar = ProgressBar(stream, tty=True, clock=lambda: next(ticks))

    bar(ImportProgress(rows_read=5_000, rows_rejected=0, fraction=0.25, elapsed_s=2.0))
    bar(ImportProgress(rows_read=6_000, rows_rejected=0, fraction=0.30, elapsed_s=2.1))  # too soon: skipped
    bar(ImportProgress(rows_read=10_000, rows_rejected=3, fraction=0.5, elapsed_s=4.0))
    bar.finish()

    first, second = stream.getvalue().split("\r")[1:]
    assert first.startswith("[")
    assert first.endswith("\x1b[K")
    assert " 25%  5,000 rows  2,500 rows/s  ETA 0:06" in first
    assert second.endswith(" 50%  10,000 rows  2,500 rows/s  ETA 0:04  3 rejected\x1b[K\n")
    bar_drawn = second[1 : second.index("]")]
    assert set(bar_drawn) == {"#", "."}
    assert abs(bar_drawn.count("#") - len(bar_drawn) / 2) <= 0.5


def test_the_progress_lines_are_plain_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    ticks = iter([0.0, 1.0, 6.0])
    bar = ProgressBar(stream, tty=False, clock=lambda: next(ticks))

    for rows in (5_000, 10_000, 15_000):
        bar(ImportProgress(rows_read=rows, rows_rejected=0, fraction=None, elapsed_s=rows / 1000))
    bar.finish()

    assert stream.getvalue() == ("import: 5,000 rows  1,000 rows/s\nimport: 15,000 rows  1,000 rows/s\n")


UNCLOSED = (
    "a quote opened on line 3 is never closed: the file ends inside it; "
    "the row is skipped and the lines after it are read as rows"
)


def test_an_unclosed_quote_loses_only_its_own_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        "name,phone",
        "Ann Lee,415 555 0100",
        '"Smith,415 555 0101',
        "Cy Ng,415 555 0102",
    )

    assert cli(tmp_path, monkeypatch, str(path)) == 1

    out = capsys.readouterr().out
    assert "customers.csv: 3 rows read in " in out
    assert f"1 rows skipped with errors: see {tmp_path / 'customers.errors.csv'}" in out
    with (tmp_path / "customers.errors.csv").open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle))[1:] == [["3", "", "", UNCLOSED]]
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'var' / 'callcenter.db'}")
    try:
        assert sorted(customers(engine)) == ["Ann Lee", "Cy Ng"]
    finally:
        engine.dispose()


def test_a_quoted_field_across_lines_still_imports(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "customers.csv",
        "name,phone,notes",
        'Ann Lee,415 555 0100,"first line',
        'second line, with a comma"',
        "Cy Ng,415 555 0102,",
    )

    summary = run(engine, path)

    assert report(summary) == []
    assert customers(engine)["Ann Lee"]["custom_fields"] == {"notes": "first line\nsecond line, with a comma"}
    assert sorted(customers(engine)) == ["Ann Lee", "Cy Ng"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "'"])
def test_the_error_report_neutralises_cells_a_spreadsheet_would_run_as_formulas(
    engine: Engine, tmp_path: Path, start: str
) -> None:
    formula = f"{start}2+5+cmd|' /C calc'!A0"
    as_phone = f"{start}SUM(2+5)*cmd"  # no ; , or | that would split it into several numbers
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["name", "=tel", "notes"], ["Ann", as_phone, ""], ["Bob", "415 555 0100", formula]]
        )

    summary = run(engine, path, mapping={"=tel": "phone"})

    assert [row[1:3] for row in report(summary)] == [["'=tel", "'" + as_phone]]
    assert customers(engine)["Bob"]["custom_fields"] == {"notes": formula}  # stored as read


def test_report_cells_starting_like_formulas_get_a_quote_that_reading_them_back_drops() -> None:
    cells = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'x", "plain", "", "1=2", " =x"]

    written = [spreadsheet_safe(cell) for cell in cells]

    assert written == ["'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "''x", "plain", "", "1=2", " =x"]
    assert [cell[1:] if cell.startswith("'") else cell for cell in written] == cells
